"""LightGBM model files (text from ``booster.save_model('model.txt')``, or the JSON of ``dump_model()``):
checked in a child process first, then read by LightGBM; exact TreeSHAP from LightGBM's own
``predict(..., pred_contrib=True)``, summed back to original columns."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import Dataset
from ..errors import InputError
from .core import TabularModel, hash_bytes, read_model_bytes
from .layout import (
    Layout,
    ModelInfo,
    check_categorical,
    check_known_categories,
    check_task,
    frame_sample,
    match_layout,
)

SUFFIXES = (".txt", ".json")
CLASSIFIER_OBJECTIVES = ("binary", "multiclass", "multiclassova")
# Regressors whose raw score is the predicted value (no link function): SHAP adds up to the value itself.
REGRESSION_OBJECTIVES = ("regression", "regression_l1", "huber", "fair", "quantile", "mape")


def looks_like_lightgbm_json(data: bytes) -> bool:
    """Whether a ``.json`` file is LightGBM's ``dump_model()`` (it opens with ``"name": "tree"``) rather than
    an XGBoost model (which opens with ``"learner"``)."""
    head = data[:512].replace(b" ", b"").replace(b"\n", b"")
    return head.startswith(b'{"name":"tree"')


class LightGBMRunner:
    """A LightGBM booster on the table's rows, fed as numbers: the table's codes (:meth:`Dataset.to_codes`), with
    each categorical column's codes mapped to the model's own category numbers, so no frame is built per call
    (one row: about 0.6 ms instead of 17 ms through a pandas frame). One thread for a few rows, every core for
    batches (LIME's samples, global SHAP)."""

    def __init__(self, booster, layout: Layout, dataset: Dataset, category_maps: dict[int, np.ndarray]):
        self.booster = booster
        self.layout = layout
        self.dataset = dataset
        self.category_maps = category_maps  # model input position → model category number of each table code
        self.threads: int | None = None  # fixed by a caller that runs its own processes (batch workers: 1)

    def matrix(self, codes: np.ndarray) -> np.ndarray:
        data = self.layout.matrix(np.asarray(codes, dtype="float64"))
        if self.category_maps:
            data = data.copy()
            for position, mapping in self.category_maps.items():
                column = data[:, position]
                known = ~np.isnan(column) & (column >= 0) & (column < len(mapping))
                mapped = np.full(len(column), np.nan)
                mapped[known] = mapping[column[known].astype("int64")]
                data[:, position] = mapped
        return data

    def run_codes(self, codes: np.ndarray, **kwargs) -> np.ndarray:
        threads = self.threads if self.threads is not None else (1 if len(codes) < 1000 else 0)
        return np.asarray(self.booster.predict(self.matrix(codes), num_threads=threads, **kwargs), dtype="float64")

    def _run(self, frame: pd.DataFrame, **kwargs) -> np.ndarray:
        return self.run_codes(self.dataset.to_codes(frame), **kwargs)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        out = self._run(frame)
        return np.column_stack([1.0 - out, out]) if out.ndim == 1 else out

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self._run(frame)

    def predict_margin(self, frame: pd.DataFrame) -> np.ndarray:
        return self._run(frame, raw_score=True)

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        out = self._run(frame, pred_contrib=True)
        classes = self.booster.num_model_per_iteration()
        if classes > 1:  # one block of (inputs + bias) per class
            out = out.reshape(len(frame), classes, -1)
        return self.layout.aggregate(out)


def category_maps(layout: Layout, known: list, categorical_inputs: list[str], dataset: Dataset
                  ) -> dict[int, np.ndarray]:
    """For each categorical input whose model categories (``pandas_categorical``) are not the table's, in the
    table's order: the model's number of each table category (NaN where the model never saw it), matched as
    text, so that booleans or numbers the model kept read the table's text. Without ``pandas_categorical`` the
    model was trained on codes, which the table's codes are."""
    maps = {}
    if not known or len(known) != len(categorical_inputs):
        return maps
    for name, categories in zip(categorical_inputs, known, strict=True):
        table = list(dataset.info[name].categories)
        by_text = {str(c): float(i) for i, c in enumerate(categories)}
        mapping = np.array([by_text.get(c, np.nan) for c in table], dtype="float64")
        if not np.array_equal(mapping, np.arange(len(table), dtype="float64")):
            maps[layout.names.index(name)] = mapping
    return maps


def _read_text(data: bytes, fmt: str) -> str:
    """The model as LightGBM text (a ``dump_model()`` JSON converted), for bytes the child process passed."""
    from dataclasses import asdict

    from ..model_check import ModelLimits, lightgbm_text_from_json

    if fmt == "lightgbm-json":
        return lightgbm_text_from_json(json.loads(data), asdict(ModelLimits.from_env()))
    return data.decode("utf-8")


def _read_lightgbm(path: Path, dataset: Dataset | None = None):
    """The file's bytes, its booster, the child process's facts, the objective and whether it classifies; checked
    in a child process first (run on a sample of ``dataset``'s rows when one is given)."""
    import lightgbm as lgb

    from ..model_check import check_model_bytes

    data = read_model_bytes(path)
    fmt = "lightgbm-json" if path.suffix.lower() == ".json" else "lightgbm"
    if dataset is None:
        facts = check_model_bytes(data, path.name, fmt)
    else:
        facts = check_model_bytes(data, path.name, fmt, {"features": len(dataset.feature_names)},
                                  sample=frame_sample(dataset))
    try:
        booster = lgb.Booster(model_str=_read_text(data, fmt))
    except Exception:
        raise InputError(key="errors.model_kinds.unreadable", name=path.name, kind="LightGBM",
                         advice="booster.save_model('model.txt')") from None
    objective = str(facts.get("objective") or "")
    classifier = objective in CLASSIFIER_OBJECTIVES
    if not classifier and objective not in REGRESSION_OBJECTIVES:
        raise InputError(key="errors.model_kinds.objective", name=path.name, objective=objective or "?")
    return data, booster, facts, objective, classifier


def describe_lightgbm(path: Path) -> ModelInfo:
    """What a LightGBM file says about its table (checked in a child process first): input names, which are
    categorical (and their pandas categories, when it was trained on a frame), objective and classes."""
    _, booster, facts, objective, classifier = _read_lightgbm(path)
    names = [str(n) for n in booster.feature_name()]
    positions = {int(p) for p in facts.get("categorical") or []}
    categorical = [name for j, name in enumerate(names) if j in positions]
    known = booster.pandas_categorical or []
    categories = ({name: [str(c) for c in values] for name, values in zip(categorical, known, strict=True)}
                  if len(known) == len(categorical) else {})
    return ModelInfo(
        kind="lightgbm",
        task="classification" if classifier else "regression",
        num_class=(2 if objective == "binary" else booster.num_model_per_iteration()) if classifier else 0,
        objective=objective,
        features=tuple(names),
        num_features=len(names),
        kinds=tuple("categorical" if j in positions else "numeric" for j in range(len(names))),
        categories=categories,
    )


def load_lightgbm(path: Path, dataset: Dataset) -> TabularModel:
    """A LightGBM text or JSON model file, checked in a child process and then against the table."""
    data, booster, facts, objective, classifier = _read_lightgbm(path, dataset)
    check_task(classifier, dataset)
    layout = match_layout([str(n) for n in booster.feature_name()], dataset)
    categorical_positions = facts.get("categorical") or []  # from feature_infos: a list of categories
    model_categorical = {layout.names[int(p)] for p in categorical_positions if 0 <= int(p) < len(layout.names)}
    check_categorical(layout, model_categorical, dataset)
    known = booster.pandas_categorical or []
    categorical_inputs = [name for name in layout.names if name in model_categorical]
    if known and len(known) == len(categorical_inputs):
        for name, categories in zip(categorical_inputs, known, strict=True):
            check_known_categories(name, [str(c) for c in categories], dataset)
    if classifier:
        n_class = booster.num_model_per_iteration() if objective != "binary" else 2
        if n_class != len(dataset.classes):
            raise InputError(key="errors.model_kinds.class_count", model=n_class, table=len(dataset.classes),
                             classes=", ".join(dataset.classes))
    return TabularModel(
        LightGBMRunner(booster, layout, dataset, category_maps(layout, known, categorical_inputs, dataset)),
        kind="lightgbm",
        dataset=dataset,
        classes=dataset.classes if classifier else (),
        model_hash=hash_bytes(data),
        source=path.name,
        details={"type": "LightGBM", "objective": objective, "trees": int(booster.num_trees()),
                 "encoded": layout.encoded},
    )
