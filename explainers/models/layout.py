"""What the per-library modules share: how a model's input columns come from the table's original columns
(:class:`Layout`, one-hot columns included), and the checks every loader makes (categorical or not, classes).

A model trained on one-hot columns (``color_red``, ``color_blue`` from ``pandas.get_dummies``, or
``color=red``) takes encoded inputs; the layout builds them from the original column, and sums the exact
contributions of a column's encoded inputs back into that one column, so explanations stay in the user's
columns and still add up to the model's output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from ..data import Dataset
from ..errors import InputError
from .core import check_features

SEPARATORS = ("_", "=", ".", ":")  # pandas.get_dummies, DictVectorizer, and two other common spellings


class ModelRunner(Protocol):
    """What a loaded LightGBM, CatBoost or ONNX model offers :class:`~explainers.models.core.TabularModel`:
    every method takes the typed frame of original columns (``Dataset.coerce``)."""

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray: ...

    def predict(self, frame: pd.DataFrame) -> np.ndarray: ...


@dataclass(frozen=True)
class Layout:
    """The model's input columns, in its order: each one an original column as it is (``level`` None) or
    the 0/1 indicator of one category of a categorical column."""

    names: tuple[str, ...]
    sources: tuple[str, ...]
    levels: tuple[str | None, ...]
    originals: tuple[str, ...]  # the table's feature names, in the table's order
    level_codes: tuple[int, ...] = ()  # each indicator's category as the table's code; -1 for a column as it is

    @property
    def encoded(self) -> bool:
        return any(level is not None for level in self.levels)

    def matrix(self, codes: np.ndarray) -> np.ndarray:
        """The model's input as numbers from the table's codes (:meth:`Dataset.to_codes`): a column as it is
        keeps its code, an indicator is 1 where the row has its category (0 where the category is missing);
        no frame is built, which is what makes one row's prediction cheap."""
        if not self.encoded:
            return codes
        position = {name: j for j, name in enumerate(self.originals)}
        out = np.empty((len(codes), len(self.names)), dtype="float64")
        for j, (source, code) in enumerate(zip(self.sources, self.level_codes, strict=True)):
            column = codes[:, position[source]]
            out[:, j] = column if code < 0 else (column == code).astype("float64")
        return out

    def frame(self, typed: pd.DataFrame) -> pd.DataFrame:
        """The model's input from a typed frame: as is, or with indicators (a missing category is all zeros)."""
        if not self.encoded:
            return typed
        columns = {}
        for name, source, level in zip(self.names, self.sources, self.levels, strict=True):
            column = typed[source]
            if level is None:
                columns[name] = column
            else:
                columns[name] = (column.astype("object") == level).astype("float64").to_numpy()
        return pd.DataFrame(columns, index=typed.index)

    def aggregate(self, contributions: np.ndarray) -> np.ndarray:
        """Contributions per model input (bias last) → per original column (bias last), summed exactly."""
        if not self.encoded and list(self.names) == list(self.originals):
            return contributions
        position = {name: j for j, name in enumerate(self.originals)}
        shape = (*contributions.shape[:-1], len(self.originals) + 1)
        out = np.zeros(shape, dtype="float64")
        for j, source in enumerate(self.sources):
            out[..., position[source]] += contributions[..., j]
        out[..., -1] = contributions[..., -1]
        return out


@dataclass(frozen=True)
class ModelInfo:
    """What a model file says about the table it expects, read before any table is typed (a batch run plans its
    schema from it): its kind (``xgboost``, ``lightgbm``, ``catboost``, ``onnx``, ``sklearn``), task and number of
    classes, its input columns in its order (None when it does not name them), which of them it says are
    categorical or numeric (``kinds``, one per input: ``"categorical"``, ``"numeric"`` or None when the model does not
    say, and the column is typed from the data), and the categories it stores."""

    kind: str
    task: str  # "classification" or "regression"
    num_class: int  # 2 for a binary classifier, 0 for a regressor
    objective: str  # the library's own name of what it was trained for (objective, loss, estimator type)
    features: tuple[str, ...] | None
    num_features: int
    kinds: tuple[str | None, ...] = ()
    categories: dict[str, list[str]] = field(default_factory=dict)
    classes: tuple[str, ...] = ()  # the class labels the model stores, in its order, when it stores them

    @property
    def is_classifier(self) -> bool:
        return self.task == "classification"


def input_columns(names: list[str], columns: list[str]) -> tuple[list[str], set[str], list[str]]:
    """The table columns a model's inputs come from, in the model's order; those it takes one-hot encoded
    (``colour_red`` or ``colour=red`` from ``colour``); and the inputs that come from no column."""
    available = sorted(set(columns), key=len, reverse=True)  # the longest column name that prefixes an input
    originals: list[str] = []
    encoded: set[str] = set()
    unknown: list[str] = []
    for name in names:
        source = name if name in set(columns) else next(
            (c for c in available for sep in SEPARATORS if name.startswith(c + sep) and len(name) > len(c + sep)),
            None)
        if source is None:
            unknown.append(name)
            continue
        if source != name:
            encoded.add(source)
        if source not in originals:
            originals.append(source)
    return originals, encoded, unknown


def frame_sample(dataset: Dataset) -> dict | None:
    """A few rows for the child to predict: values as text or numbers, and which columns are categorical."""
    if dataset.features.empty:
        return None
    rows = dataset.features.iloc[: min(16, len(dataset.features))]
    values = [[None if pd.isna(v) else (str(v) if name in dataset.categorical else float(v))
               for name, v in zip(dataset.feature_names, row, strict=True)]
              for row in rows.itertuples(index=False, name=None)]
    return {"frame": {"columns": dataset.feature_names, "rows": values, "categorical": list(dataset.categorical),
                      "numeric": list(dataset.numeric)}}


def _indicator(name: str, dataset: Dataset) -> tuple[str, str] | None:
    """(column, category) when ``name`` reads as an indicator of a categorical column's category."""
    for column in dataset.categorical:
        for separator in SEPARATORS:
            prefix = column + separator
            if name.startswith(prefix) and name[len(prefix):] in dataset.info[column].categories:
                return column, name[len(prefix):]
    return None


def match_layout(names: list[str], dataset: Dataset) -> Layout:
    """The layout of a model whose inputs are ``names``; the model-vs-data error when they do not come from
    the table's columns (missing, extra, another order), as for every other kind of model."""
    originals = tuple(dataset.feature_names)
    if list(names) == list(originals) or set(names) == set(originals):
        check_features(list(names), dataset)  # the same message for another order
        return Layout(tuple(names), tuple(names), (None,) * len(names), originals)
    sources, levels, unknown = [], [], []
    for name in names:
        if name in dataset.info:
            sources.append(name)
            levels.append(None)
        elif (match := _indicator(name, dataset)) is not None:
            sources.append(match[0])
            levels.append(match[1])
        else:
            unknown.append(name)
    unused = [c for c in originals if c not in set(sources)]
    if unknown or unused or not any(level is not None for level in levels):
        check_features(list(names), dataset)  # raises with what is missing and what is extra
    direct = [s for s, level in zip(sources, levels, strict=True) if level is None]
    encoded_numeric = [s for s, level in zip(sources, levels, strict=True)
                       if level is not None and dataset.info[s].kind != "categorical"]
    if encoded_numeric:
        check_features(list(names), dataset)
    wrong = [s for s in direct if dataset.info[s].kind == "categorical"]
    if wrong:
        raise InputError(key="errors.model_kinds.encoded_mix", columns=", ".join(wrong))
    level_codes = tuple(-1 if level is None else dataset.info[source].categories.index(level)
                        for source, level in zip(sources, levels, strict=True))
    return Layout(tuple(names), tuple(sources), tuple(levels), originals, level_codes)


def check_categorical(layout: Layout, model_categorical: set[str], dataset: Dataset) -> None:
    """The model-vs-data error when the model and the table disagree on which columns are categorical."""
    wrong = []
    for name, source, level in zip(layout.names, layout.sources, layout.levels, strict=True):
        table_categorical = dataset.info[source].kind == "categorical" and level is None
        if (name in model_categorical) != table_categorical:
            wrong.append(name)
    if wrong:
        raise InputError(key="errors.model_kinds.categorical_mismatch", columns=", ".join(wrong))


def check_known_categories(column: str, known: list[str], dataset: Dataset) -> None:
    """The model-vs-data error when most of a categorical column's values are categories the model never saw
    (another coding of the column); a few unseen values are read as missing, as the library itself does."""
    values = dataset.features[column].dropna().astype("object").astype(str)
    if values.empty:
        return
    share_known = float(values.isin(set(known)).mean())
    if share_known < 0.5:
        shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
        raise InputError(key="errors.model_kinds.unknown_categories", column=column, known=shown or "-")


def check_task(is_classifier: bool, dataset: Dataset) -> None:
    """The model-vs-data error when a classifier meets a regression target or the other way round."""
    if is_classifier != (dataset.task == "classification"):
        key = "classifier_for_regression" if is_classifier else "regressor_for_classification"
        raise InputError(key=f"errors.model_kinds.{key}", target=dataset.spec.target)


def class_names(labels: list, dataset: Dataset) -> tuple[str, ...]:
    """The model's classes as the table's class names, in the model's order: labels that are the table's
    classes keep their names; labels 0..k-1 stand for the table's classes in its order (as for XGBoost)."""
    texts = [str(label) for label in labels]
    if sorted(texts) == sorted(dataset.classes):
        return tuple(texts)
    if texts == [str(i) for i in range(len(dataset.classes))] or texts == [f"{float(i)}" for i in
                                                                         range(len(dataset.classes))]:
        return tuple(dataset.classes)
    raise InputError(key="errors.model_kinds.class_mismatch", model=", ".join(texts[:10]),
                     table=", ".join(dataset.classes[:10]))
