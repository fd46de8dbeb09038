"""CatBoost model files (``model.save_model('model.cbm')``): checked in a child process first, then read by
CatBoost; exact TreeSHAP from CatBoost's own ``get_feature_importance(type='ShapValues')``, summed back to
original columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data import Dataset
from ..errors import InputError
from .core import TabularModel, hash_bytes, read_model_bytes
from .layout import Layout, ModelInfo, check_categorical, check_task, class_names, frame_sample, match_layout

SUFFIXES = (".cbm",)
CLASSIFIER_LOSSES = ("Logloss", "CrossEntropy", "MultiClass", "MultiClassOneVsAll")
# Regressors whose raw formula value is the predicted value (no link function).
REGRESSION_LOSSES = ("RMSE", "MAE", "Quantile", "MAPE", "Huber", "Lq", "Expectile", "LogCosh")
MISSING_CATEGORY = "nan"  # CatBoost reads categories as text; a missing one is this text, as pandas prints it


class CatBoostRunner:
    """A CatBoost model on the table's rows: categories as text (a missing one as ``"nan"``), numbers as they are,
    handed to CatBoost as plain lists built from the table's codes (a pandas frame costs tens of ms per call);
    classes in the model's order."""

    def __init__(self, model, layout: Layout, categorical_positions: list[int], dataset: Dataset):
        self.model = model
        self.layout = layout
        self.categorical_positions = categorical_positions
        self.dataset = dataset
        position = {name: j for j, name in enumerate(dataset.feature_names)}
        # For each categorical input: its column among the table's codes, and the text of each code (last: missing)
        self.texts = {j: (position[layout.sources[j]],
                          np.array([*dataset.info[layout.sources[j]].categories, MISSING_CATEGORY], dtype=object))
                      for j in categorical_positions}
        self.threads: int | None = None  # fixed by a caller that runs its own processes (batch workers: 1)

    def _threads(self, rows: int) -> int:
        return self.threads if self.threads is not None else (1 if rows < 1000 else -1)

    def pool(self, frame: pd.DataFrame):
        from catboost import Pool

        codes = self.dataset.to_codes(frame)
        numbers = self.layout.matrix(codes)
        columns: list = list(numbers.T.astype(object)) if numbers.size else [[] for _ in self.layout.names]
        for j, (source, texts) in self.texts.items():
            column = codes[:, source]
            index = np.where(np.isnan(column), len(texts) - 1, np.nan_to_num(column)).astype("int64")
            columns[j] = texts[index]
        rows = [list(row) for row in zip(*columns, strict=True)] if len(frame) else []
        return Pool(rows, cat_features=self.categorical_positions or None, feature_names=list(self.layout.names))

    def _run(self, frame: pd.DataFrame, kind: str) -> np.ndarray:
        threads = self._threads(len(frame))
        return np.asarray(self.model.predict(self.pool(frame), prediction_type=kind, thread_count=threads),
                          dtype="float64")

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return self._run(frame, "Probability")

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self._run(frame, "RawFormulaVal")

    def predict_margin(self, frame: pd.DataFrame) -> np.ndarray:
        return self._run(frame, "RawFormulaVal")

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        threads = self._threads(len(frame))
        values = self.model.get_feature_importance(self.pool(frame), type="ShapValues", thread_count=threads)
        return self.layout.aggregate(np.asarray(values, dtype="float64"))


def _read_catboost(path: Path, dataset: Dataset | None = None):
    """The file's bytes, the model and its loss, checked in a child process first (run on a sample of
    ``dataset``'s rows when one is given)."""
    from catboost import CatBoost, CatBoostError

    from ..model_check import check_model_bytes

    data = read_model_bytes(path)
    if dataset is None:
        check_model_bytes(data, path.name, "cbm")
    else:
        check_model_bytes(data, path.name, "cbm", {"features": len(dataset.feature_names)},
                          sample=frame_sample(dataset))
    model = CatBoost()
    try:
        model.load_model(blob=data)
    except (CatBoostError, ValueError, OSError):
        raise InputError(key="errors.model_kinds.unreadable", name=path.name, kind="CatBoost",
                         advice="model.save_model('model.cbm')") from None
    loss = str(model.get_all_params().get("loss_function", "")).split(":")[0]
    if loss not in CLASSIFIER_LOSSES and loss not in REGRESSION_LOSSES:
        raise InputError(key="errors.model_kinds.objective", name=path.name, objective=loss or "?")
    return data, model, loss


def describe_catboost(path: Path) -> ModelInfo:
    """What a CatBoost file says about its table: input names, which are categorical, loss and classes (CatBoost
    keeps categories only as hashes, so their values come from the data)."""
    _, model, loss = _read_catboost(path)
    names = [str(n) for n in model.feature_names_]
    positions = {int(p) for p in model.get_cat_feature_indices()}
    classifier = loss in CLASSIFIER_LOSSES
    found = getattr(model, "classes_", None)
    labels = [] if found is None else [str(c) for c in found]
    if classifier and loss in ("Logloss", "CrossEntropy") and len(labels) != 2:
        labels = labels or ["0", "1"]
    return ModelInfo(
        kind="catboost",
        task="classification" if classifier else "regression",
        num_class=len(labels) if classifier else 0,
        objective=loss,
        features=tuple(names),
        num_features=len(names),
        kinds=tuple("categorical" if j in positions else "numeric" for j in range(len(names))),
        classes=tuple(labels) if classifier else (),
    )


def load_catboost(path: Path, dataset: Dataset) -> TabularModel:
    """A CatBoost ``.cbm`` file, checked in a child process and then against the table."""
    data, model, loss = _read_catboost(path, dataset)
    classifier = loss in CLASSIFIER_LOSSES
    check_task(classifier, dataset)
    layout = match_layout([str(n) for n in model.feature_names_], dataset)
    positions = [int(p) for p in model.get_cat_feature_indices()]
    check_categorical(layout, {layout.names[p] for p in positions}, dataset)
    classes: tuple[str, ...] = ()
    if classifier:
        found = getattr(model, "classes_", None)
        labels = [] if found is None else list(found)
        if loss in ("Logloss", "CrossEntropy") and len(labels) != 2:
            labels = labels or [0, 1]
        if len(labels) != len(dataset.classes):
            raise InputError(key="errors.model_kinds.class_count", model=len(labels), table=len(dataset.classes),
                             classes=", ".join(dataset.classes))
        classes = class_names(labels, dataset)
    return TabularModel(
        CatBoostRunner(model, layout, positions, dataset),
        kind="catboost",
        dataset=dataset,
        classes=classes,
        model_hash=hash_bytes(data),
        source=path.name,
        details={"type": "CatBoost", "objective": loss, "trees": int(model.tree_count_), "encoded": layout.encoded},
    )
