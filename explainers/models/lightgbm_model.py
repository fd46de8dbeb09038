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
from .layout import Layout, check_categorical, check_known_categories, check_task, frame_sample, match_layout

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
    """A LightGBM booster on the table's typed frames (one thread for a few rows, every core for batches)."""

    def __init__(self, booster, layout: Layout, classifier: bool, recode: dict[str, list] | None = None):
        self.booster = booster
        self.layout = layout
        self.classifier = classifier
        self.recode = recode or {}  # categorical inputs whose categories the model keeps as numbers, not text

    def model_input(self, frame: pd.DataFrame) -> pd.DataFrame:
        data = self.layout.frame(frame)
        if self.recode:
            data = data.copy()
            for name, categories in self.recode.items():
                by_text = {str(c): c for c in categories}
                values = [by_text.get(str(v)) for v in data[name].astype("object")]
                data[name] = pd.Categorical(values, categories=categories)
        return data

    def _run(self, frame: pd.DataFrame, **kwargs) -> np.ndarray:
        threads = 1 if len(frame) < 1000 else 0
        return np.asarray(self.booster.predict(self.model_input(frame), num_threads=threads, **kwargs),
                          dtype="float64")

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


def load_lightgbm(path: Path, dataset: Dataset) -> TabularModel:
    """A LightGBM text or JSON model file, checked in a child process and then against the table."""
    from dataclasses import asdict

    import lightgbm as lgb

    from ..model_check import ModelLimits, check_model_bytes, lightgbm_text_from_json

    data = read_model_bytes(path)
    fmt = "lightgbm-json" if path.suffix.lower() == ".json" else "lightgbm"
    facts = check_model_bytes(data, path.name, fmt, {"features": len(dataset.feature_names)},
                              sample=frame_sample(dataset))
    try:
        text = (lightgbm_text_from_json(json.loads(data), asdict(ModelLimits.from_env())) if fmt == "lightgbm-json"
                else data.decode("utf-8"))
        booster = lgb.Booster(model_str=text)
    except Exception:
        raise InputError(key="errors.model_kinds.unreadable", name=path.name, kind="LightGBM",
                         advice="booster.save_model('model.txt')") from None
    objective = str(facts.get("objective") or "")
    classifier = objective in CLASSIFIER_OBJECTIVES
    if not classifier and objective not in REGRESSION_OBJECTIVES:
        raise InputError(key="errors.model_kinds.objective", name=path.name, objective=objective or "?")
    check_task(classifier, dataset)
    layout = match_layout([str(n) for n in booster.feature_name()], dataset)
    categorical_positions = facts.get("categorical") or []  # from feature_infos: a list of categories
    model_categorical = {layout.names[int(p)] for p in categorical_positions if 0 <= int(p) < len(layout.names)}
    check_categorical(layout, model_categorical, dataset)
    known = booster.pandas_categorical or []
    categorical_inputs = [name for name in layout.names if name in model_categorical]
    recode = {}
    if known and len(known) == len(categorical_inputs):
        for name, categories in zip(categorical_inputs, known, strict=True):
            check_known_categories(name, [str(c) for c in categories], dataset)
            if any(not isinstance(c, str) for c in categories):
                recode[name] = list(categories)
    if classifier:
        n_class = booster.num_model_per_iteration() if objective != "binary" else 2
        if n_class != len(dataset.classes):
            raise InputError(key="errors.model_kinds.class_count", model=n_class, table=len(dataset.classes),
                             classes=", ".join(dataset.classes))
    return TabularModel(
        LightGBMRunner(booster, layout, classifier, recode),
        kind="lightgbm",
        dataset=dataset,
        classes=dataset.classes if classifier else (),
        model_hash=hash_bytes(data),
        source=path.name,
        details={"type": "LightGBM", "objective": objective, "trees": int(booster.num_trees()),
                 "encoded": layout.encoded},
    )
