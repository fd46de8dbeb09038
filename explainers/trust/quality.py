"""Are the counterfactuals any good? Validity, sparsity, proximity, diversity, plausibility and range."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from ..counterfactuals import CounterfactualResult, CounterfactualSearch
from ..errors import InputError
from ..util import finite

# --------------------------------------------------------------------------------------------
# Counterfactual quality


@dataclass(frozen=True, eq=False)
class ReferenceRows:
    """Every real row in codes (missing kept missing) with its actual outcome, for plausibility."""

    codes: np.ndarray
    outcome: np.ndarray  # class labels (classification) or values (regression)
    scale: np.ndarray  # MAD per numeric feature, 1 for categories
    is_numeric: np.ndarray


_REFERENCES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def reference_rows(search: CounterfactualSearch) -> ReferenceRows:
    """The real rows the plausibility distance looks at (built once per search and remembered)."""
    found = _REFERENCES.get(search)
    if found is None:
        dataset = search.dataset
        found = ReferenceRows(
            codes=dataset.to_codes(dataset.features),
            outcome=dataset.target.to_numpy(dtype=object if dataset.task == "classification" else "float64"),
            scale=np.array([float(search.scale.get(f.name, 1.0)) if f.kind == "numeric" else 1.0
                            for f in dataset.schema]),
            is_numeric=np.array([f.kind == "numeric" for f in dataset.schema]),
        )
        _REFERENCES[search] = found
    return found


def scaled_distances(codes: np.ndarray, point: np.ndarray, scale: np.ndarray, is_numeric: np.ndarray) -> np.ndarray:
    """Distance of each row of ``codes`` to ``point``: numeric differences divided by ``scale`` (MAD),
    1 per differing category, 1 where exactly one side is missing, 0 where both are (the same rule
    as ``CounterfactualSearch.distance``, vectorised)."""
    codes = np.atleast_2d(np.asarray(codes, dtype="float64"))
    point = np.asarray(point, dtype="float64")
    row_nan, point_nan = np.isnan(codes), np.isnan(point)
    with np.errstate(invalid="ignore"):
        numeric = np.abs(codes - point) / scale
        numeric = np.where(numeric < 1e-9, 0.0, numeric)
        categorical = (np.abs(codes - point) > 1e-9).astype("float64")
    parts = np.where(is_numeric, numeric, categorical)
    parts = np.where(row_nan & point_nan, 0.0, np.where(row_nan | point_nan, 1.0, parts))
    return parts.sum(axis=1)


@dataclass(frozen=True)
class CounterfactualCheck:
    """The quality of one counterfactual."""

    index: int  # position in the result, from 0
    valid: bool  # re-predicted: the model gives the desired outcome
    sparsity: int  # number of changed features
    proximity: float  # MAD-scaled distance to the original row
    plausibility: float  # MAD-scaled distance to the nearest real row with the desired outcome
    nearest_row: int  # that row's position (-1 when no real row has the desired outcome)
    in_range: bool  # every value inside the observed data (numeric min..max, known categories)
    out_of_range: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "valid": self.valid,
            "sparsity": self.sparsity,
            "proximity": finite(self.proximity),
            "plausibility": finite(self.plausibility),
            "nearest_row": self.nearest_row,
            "in_range": self.in_range,
            "out_of_range": list(self.out_of_range),
        }


@dataclass(frozen=True)
class CounterfactualQuality:
    """Per-counterfactual checks and their summary."""

    items: tuple[CounterfactualCheck, ...]
    diversity: float  # mean pairwise MAD-scaled distance among the counterfactuals (NaN when < 2)
    desired: str | list[float]

    def _mean(self, values: list[float]) -> float:
        return float(np.mean(values)) if values else float("nan")

    @property
    def validity(self) -> float:
        return self._mean([float(c.valid) for c in self.items])

    @property
    def mean_sparsity(self) -> float:
        return self._mean([float(c.sparsity) for c in self.items])

    @property
    def mean_proximity(self) -> float:
        return self._mean([c.proximity for c in self.items])

    @property
    def mean_plausibility(self) -> float:
        return self._mean([c.plausibility for c in self.items if not math.isnan(c.plausibility)])

    @property
    def in_range_share(self) -> float:
        return self._mean([float(c.in_range) for c in self.items])

    def summary(self) -> dict[str, float]:
        return {
            "count": float(len(self.items)),
            "validity": self.validity,
            "sparsity": self.mean_sparsity,
            "proximity": self.mean_proximity,
            "diversity": self.diversity,
            "plausibility": self.mean_plausibility,
            "in_range": self.in_range_share,
        }

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([c.to_dict() for c in self.items],
                            columns=["index", "valid", "sparsity", "proximity", "plausibility", "nearest_row",
                                     "in_range", "out_of_range"])

    def to_dict(self) -> dict:
        return {
            "summary": {k: finite(v) for k, v in self.summary().items()},
            "counterfactuals": [c.to_dict() for c in self.items],
        }


def _outside(info, value: object) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if info.kind == "categorical":
        return str(value) not in info.categories
    try:
        number = float(value)
    except (TypeError, ValueError):
        return True
    return not (info.minimum - 1e-9 <= number <= info.maximum + 1e-9)


def counterfactual_quality(
    search: CounterfactualSearch, row: pd.DataFrame, result: CounterfactualResult
) -> CounterfactualQuality:
    """Quality of the counterfactuals in ``result``, found for the one-row frame ``row``."""
    if len(row) != 1:
        raise InputError(key="errors.trust.quality_one_row")
    dataset, model = search.dataset, search.model
    original = dataset.coerce(row).reset_index(drop=True)
    desired = result.desired
    if not result.counterfactuals:
        return CounterfactualQuality((), float("nan"), desired)
    raw = pd.DataFrame([c.row for c in result.counterfactuals])
    candidates = dataset.coerce(raw).reset_index(drop=True)
    if model.is_classifier:
        valid = np.asarray(model.predict(candidates), dtype=object) == desired
    else:
        values = model.predict_value(candidates)
        valid = (values >= desired[0] - 1e-12) & (values <= desired[1] + 1e-12)
    reference = reference_rows(search)
    if model.is_classifier:
        wanted = reference.outcome == desired
    else:
        wanted = (reference.outcome >= desired[0]) & (reference.outcome <= desired[1])
    pool, pool_rows = reference.codes[wanted], np.flatnonzero(wanted)
    cf_codes = dataset.to_codes(candidates)
    origin = dataset.to_codes(original)[0]
    items = []
    for i, counterfactual in enumerate(result.counterfactuals):
        changed = scaled_distances(cf_codes[i : i + 1], origin, np.ones_like(reference.scale),
                                   np.zeros_like(reference.is_numeric))
        if len(pool):
            distances = scaled_distances(pool, cf_codes[i], reference.scale, reference.is_numeric)
            best = int(np.argmin(distances))
            plausibility, nearest = float(distances[best]), int(pool_rows[best])
        else:
            plausibility, nearest = float("nan"), -1
        outside = tuple(info.name for info in dataset.schema if _outside(info, counterfactual.row.get(info.name)))
        items.append(CounterfactualCheck(
            index=i,
            valid=bool(valid[i]),
            sparsity=round(float(changed[0])),
            proximity=search.distance(original, candidates.iloc[[i]]),
            plausibility=plausibility,
            nearest_row=nearest,
            in_range=not outside,
            out_of_range=outside,
        ))
    pairs = [search.distance(candidates.iloc[[a]], candidates.iloc[[b]])
             for a, b in combinations(range(len(candidates)), 2)]
    diversity = float(np.mean(pairs)) if pairs else float("nan")
    return CounterfactualQuality(tuple(items), diversity, desired)
