"""Dataset-level views: global SHAP on a seeded sample, interactions, partial dependence and ICE."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import util
from .attributions import ShapValues, shap_values
from .data import Dataset
from .errors import InputError
from .models import TabularModel

DEFAULT_GLOBAL_ROWS = 2000


def sample_positions(dataset: Dataset, max_rows: int, seed: int = 0) -> np.ndarray:
    """Sorted row positions of a seeded sample of the dataset's rows (all rows when the table is small enough)."""
    return util.sample_positions(len(dataset.features), max_rows, seed)


@dataclass(frozen=True, eq=False)
class GlobalShap:
    """SHAP values over a sample of rows, and the mean |SHAP| importance they give."""

    shap: ShapValues
    rows: np.ndarray
    total_rows: int

    @property
    def importance(self) -> pd.Series:
        return self.shap.values.abs().mean().sort_values(ascending=False)

    @property
    def is_sample(self) -> bool:
        return len(self.rows) < self.total_rows


def global_shap(
    model: TabularModel, max_rows: int = DEFAULT_GLOBAL_ROWS, seed: int = 0, batch: int = 20000
) -> GlobalShap:
    """SHAP of a seeded sample of at most ``max_rows`` rows, computed in batches."""
    if max_rows < 1:
        raise InputError(key="errors.methods.max_rows")
    dataset = model.dataset
    rows = sample_positions(dataset, max_rows, seed)
    parts = [
        shap_values(model, dataset.features.iloc[rows[i : i + batch]], seed=seed)
        for i in range(0, len(rows), batch)
    ]
    first = parts[0]
    combined = ShapValues(
        values=pd.concat([p.values for p in parts]),
        base_value=first.base_value,
        output=np.concatenate([p.output for p in parts]),
        space=first.space,
        class_name=first.class_name,
        method=first.method,
    )
    return GlobalShap(combined, rows, len(dataset.features))


def strongest_interaction(result: GlobalShap, dataset: Dataset, feature: str) -> str | None:
    """The feature that most changes ``feature``'s SHAP values (shap's approximate_interactions)."""
    import shap

    names = dataset.feature_names
    if feature not in names:
        raise InputError(key="errors.methods.unknown_feature", feature=feature)
    if len(names) < 2:
        return None
    codes = dataset.to_codes(dataset.features.iloc[result.rows])
    order = shap.utils.approximate_interactions(names.index(feature), result.shap.values.to_numpy(), codes)
    for index in order:
        if names[index] != feature:
            return names[index]
    return None


@dataclass(frozen=True, eq=False)
class PartialDependence:
    """Model score over a feature's grid: one ICE line per row and their average (the PD)."""

    feature: str
    grid: list
    ice: np.ndarray
    rows: np.ndarray
    categorical: bool = False  # the grid is the feature's categories (a curve over them, in their order)

    @property
    def average(self) -> np.ndarray:
        return self.ice.mean(axis=0)


def feature_grid(dataset: Dataset, feature: str, points: int = 30) -> list:
    """Categories, or evenly spaced quantiles of the observed values (no extrapolation)."""
    info = dataset.info.get(feature)
    if info is None:
        raise InputError(key="errors.methods.unknown_column", feature=feature)
    if info.kind == "categorical":
        return list(info.categories)
    values = dataset.features[feature].dropna()
    grid = np.unique(np.quantile(values, np.linspace(0, 1, points)))
    if info.integer:
        grid = np.unique(np.round(grid))
    return [float(v) for v in grid]


def partial_dependence(
    model: TabularModel,
    feature: str,
    rows: pd.DataFrame,
    grid: list | None = None,
) -> PartialDependence:
    """Set ``feature`` to each grid value in every row and score all variants in one batch."""
    dataset = model.dataset
    grid = feature_grid(dataset, feature) if grid is None else list(grid)
    if not grid:
        raise InputError(key="errors.methods.nothing_to_vary", feature=feature)
    typed = dataset.coerce(rows)
    repeated = typed.loc[typed.index.repeat(len(grid))].reset_index(drop=True)
    values = np.tile(np.asarray(grid, dtype=object), len(typed))
    categorical = dataset.info[feature].kind == "categorical"
    if categorical:
        categories = list(dataset.info[feature].categories)
        unknown = [g for g in grid if g not in categories]
        if unknown:
            raise InputError(key="errors.methods.unknown_category", value=repr(unknown[0]), feature=feature,
                             categories=", ".join(map(str, categories[:30])))
        repeated[feature] = pd.Categorical(values, categories=categories)
    else:
        repeated[feature] = values.astype("float64")
    scores = model.score(repeated).reshape(len(typed), len(grid))
    return PartialDependence(feature, grid, scores, np.asarray(rows.index), categorical)


def row_shortcuts(model: TabularModel, evaluation_rows: np.ndarray | None = None) -> dict[str, int]:
    """Rows worth a look: most confident, closest to the decision threshold, and a misclassified one.

    ``evaluation_rows`` limits "misclassified" to those rows (the test split); regression models get
    the rows with the highest and lowest prediction and the largest error.
    """
    dataset = model.dataset
    score = model.score(dataset.features)
    if model.is_classifier:
        probabilities = model.predict_proba(dataset.features)
        confidence = probabilities.max(axis=1)
        predicted = np.asarray(model.classes, dtype=object)[probabilities.argmax(axis=1)]
        wrong = predicted != dataset.target.to_numpy(dtype=object)
        margin = np.abs(score - 0.5) if len(model.classes) == 2 else confidence
        out = {"most_confident": int(confidence.argmax()), "closest_to_threshold": int(margin.argmin())}
        candidates = np.flatnonzero(wrong)
        if evaluation_rows is not None:
            candidates = np.intersect1d(candidates, evaluation_rows)
        if len(candidates):
            out["misclassified"] = int(candidates[np.argmax(confidence[candidates])])
        return out
    error = np.abs(score - dataset.target.to_numpy(dtype="float64"))
    return {
        "highest_prediction": int(score.argmax()),
        "lowest_prediction": int(score.argmin()),
        "largest_error": int(error.argmax()),
    }
