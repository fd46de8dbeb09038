"""Counterfactuals: DiCE (random, genetic, kdtree) or this project's batched sparse search.

Every counterfactual is re-checked after the search returns it: re-predicted, and each constraint
verified; the ones that fail are dropped and counted.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd

from .dice_search import DICE_METHODS, DiceSearch, dice_frame
from .errors import InputError
from .models import TabularModel
from .sparse_search import sparse_search
from .util import equal_codes, plain

Method = Literal["sparse", "random", "genetic", "kdtree"]
METHODS: tuple[str, ...] = ("sparse", "random", "genetic", "kdtree")
DEFAULT_METHOD = "sparse"
NONE_PASSED = "counterfactuals.none_passed"  # no proposal passed the re-check
__all__ = ["DEFAULT_METHOD", "DICE_METHODS", "METHODS", "NONE_PASSED", "Counterfactual", "CounterfactualResult",
           "CounterfactualSearch", "Method", "prediction_dict"]


@dataclass(frozen=True)
class Counterfactual:
    """One alternative row with a different outcome: the full row, what changed, its prediction."""

    row: dict[str, object]
    changes: dict[str, dict[str, object]]
    prediction: dict[str, object]
    distance: float

    def to_dict(self) -> dict:
        return {"row": self.row, "changes": self.changes, "prediction": self.prediction,
                "distance": self.distance}


@dataclass(frozen=True)
class CounterfactualResult:
    """Counterfactuals that passed the re-check, and how many DiCE proposed."""

    method: str
    desired: str | list[float]
    counterfactuals: tuple[Counterfactual, ...]
    proposed: int
    rejected: dict[str, int] = field(default_factory=dict)
    message: str | None = None
    seconds: float = 0.0
    message_key: str | None = None  # what the message says, for pages that word it themselves (NONE_PASSED, ...)

    @property
    def valid(self) -> int:
        return len(self.counterfactuals)

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "desired": self.desired,
            "proposed": self.proposed,
            "valid": self.valid,
            "rejected": self.rejected,
            "message": self.message,
            "counterfactuals": [c.to_dict() for c in self.counterfactuals],
        }


def prediction_dict(model: TabularModel, frame: pd.DataFrame) -> list[dict[str, object]]:
    """Prediction of each row: label and class probabilities, or value."""
    if model.is_classifier:
        probabilities = model.predict_proba(frame)
        return [
            {
                "label": model.classes[int(p.argmax())],
                "probabilities": {c: float(v) for c, v in zip(model.classes, p, strict=True)},
            }
            for p in probabilities
        ]
    return [{"value": float(v)} for v in model.predict_value(frame)]


class CounterfactualSearch:
    """Per-dataset structures for counterfactual search, built once: the donor pool, each feature's
    spread, and (on first use of a DiCE method) DiCE's data interface and explainers (:class:`DiceSearch`)."""

    def __init__(self, model: TabularModel):
        self.model = model
        dataset = model.dataset
        self.dataset = dataset
        spread = dataset.imputed(dataset.features)[dataset.numeric]
        mad = (spread - spread.median()).abs().median()
        self.scale = mad.where(mad > 0, spread.std()).replace(0, 1.0).fillna(1.0).to_dict()
        self.dice = DiceSearch(model)

    @cached_property
    def _pool(self) -> tuple[np.ndarray, np.ndarray]:
        """Every row in codes (missing values imputed) and the model's prediction for it."""
        dataset = self.dataset
        imputed = dataset.imputed(dataset.features)
        if self.model.is_classifier:
            outcome = self.model.predict_proba(imputed).argmax(axis=1)
        else:
            outcome = self.model.predict_value(imputed)
        return dataset.to_codes(imputed), outcome

    def explainer(self, method: str):
        """DiCE's explainer for ``method``, built on first use."""
        return self.dice.explainer(method)

    def _dice_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        return dice_frame(self.dataset, frame)

    def default_desired(self, row: pd.DataFrame) -> str | list[float]:
        """Binary: the other class; multiclass: the positive class, or else the runner-up; regression:
        half a standard deviation lower (or higher, when already near the minimum)."""
        model = self.model
        if model.is_classifier:
            probabilities = model.predict_proba(row)[0]
            predicted = int(probabilities.argmax())
            if len(model.classes) == 2:
                return model.classes[1 - predicted]
            if predicted != model.positive_index:
                return model.classes[model.positive_index]
            return model.classes[int(np.argsort(probabilities)[-2])]
        value = float(model.predict_value(row)[0])
        target = self.dataset.target
        step = 0.5 * float(target.std())
        low, high = float(target.min()), float(target.max())
        if value - step > low:
            return [low, value - step]
        return [value + step, high]

    def _validate(
        self,
        row: pd.DataFrame,
        features_to_vary: Sequence[str] | None,
        permitted_range: Mapping[str, Sequence[object]] | None,
    ) -> tuple[list[str], dict[str, list]]:
        names = self.dataset.feature_names
        if features_to_vary is None:
            features_to_vary = [n for n in names if n not in self.dataset.spec.immutable]
        unknown = [f for f in features_to_vary if f not in names]
        if unknown:
            raise InputError(key="errors.counterfactuals.unknown_vary", columns=", ".join(unknown))
        if not features_to_vary:
            raise InputError(key="errors.counterfactuals.nothing_varies")
        ranges: dict[str, list] = {}
        for name, allowed in dict(permitted_range or {}).items():
            if name not in names:
                raise InputError(key="errors.counterfactuals.unknown_range", name=name)
            info = self.dataset.info[name]
            if info.kind == "numeric":
                if len(allowed) != 2 or float(allowed[0]) > float(allowed[1]):
                    raise InputError(key="errors.counterfactuals.bad_range", name=name)
                ranges[name] = [float(allowed[0]), float(allowed[1])]
            else:
                bad = [str(v) for v in allowed if str(v) not in info.categories]
                if bad or not allowed:
                    raise InputError(key="errors.counterfactuals.bad_values", name=name,
                                     categories=', '.join(info.categories))
                ranges[name] = [str(v) for v in allowed]
        return list(features_to_vary), ranges

    def generate(
        self,
        row: pd.DataFrame,
        total: int = 4,
        method: Method = DEFAULT_METHOD,
        desired_class: str | None = None,
        desired_range: Sequence[float] | None = None,
        features_to_vary: Sequence[str] | None = None,
        permitted_range: Mapping[str, Sequence[object]] | None = None,
        seed: int = 0,
    ) -> CounterfactualResult:
        """Ask DiCE for ``total`` counterfactuals of one row and keep those that pass the re-check.

        Parameters
        ----------
        row : one row in original columns.
        total : how many counterfactuals to ask for (1 to 20).
        method : ``sparse`` (this project's batched search, the default), or DiCE's ``random``,
            ``genetic`` or ``kdtree`` (real rows from the data).
        desired_class : classifiers; default: the other class (binary).
        desired_range : regressors, ``[low, high]``; default: half a standard deviation lower.
        features_to_vary : default: every feature but the spec's immutable ones.
        permitted_range : per feature, ``[low, high]`` or the allowed categories.
        seed : seed of the search.
        """
        if len(row) != 1:
            raise InputError(key="errors.counterfactuals.one_row")
        if not 1 <= int(total) <= 20:
            raise InputError(key="errors.counterfactuals.count")
        if method not in METHODS:
            raise InputError(key="errors.counterfactuals.unknown_method", method=repr(method),
                             choices=', '.join(METHODS))
        vary, ranges = self._validate(row, features_to_vary, permitted_range)
        row = self.dataset.coerce(row)
        desired, kwargs = self._desired(row, desired_class, desired_range)
        started = time.perf_counter()
        if method == "sparse":
            proposed, message = self._sparse(row, vary, ranges, desired, int(total), seed), None
        else:
            proposed, message = self.dice.search(row, vary, ranges, method, int(total), seed, kwargs)
        kept, rejected = self.recheck(row, proposed, vary, ranges, desired, restore_missing=method != "sparse")
        seconds = time.perf_counter() - started
        message_key = None
        if not kept and message is None:
            message_key, message = NONE_PASSED, (
                "No counterfactual passed the re-check; allow more features to vary, widen the "
                "ranges, or try another method."
            )
        return CounterfactualResult(
            method=method,
            desired=desired,
            counterfactuals=tuple(kept),
            proposed=len(proposed),
            rejected=rejected,
            message=message,
            seconds=seconds,
            message_key=message_key,
        )

    def _desired(self, row: pd.DataFrame, desired_class: str | None, desired_range: Sequence[float] | None
                 ) -> tuple[str | list[float], dict[str, object]]:
        """The outcome asked for (the default when none is given), checked, and how DiCE is told it."""
        model = self.model
        if model.is_classifier:
            desired = desired_class if desired_class is not None else self.default_desired(row)
            if desired not in model.classes:
                raise InputError(key="errors.counterfactuals.unknown_desired", desired=repr(desired),
                                 classes=', '.join(model.classes))
            return desired, {"desired_class": model.classes.index(desired)}
        desired = list(desired_range) if desired_range is not None else self.default_desired(row)
        if len(desired) != 2 or desired[0] > desired[1]:
            raise InputError(key="errors.counterfactuals.bad_desired_range")
        desired = [float(desired[0]), float(desired[1])]
        return desired, {"desired_range": desired}

    def _sparse(self, row, vary, ranges, desired, total, seed) -> pd.DataFrame:
        dataset, model = self.dataset, self.model
        codes, outcome = self._pool
        original = dataset.to_codes(row)[0]
        if model.is_classifier:
            target = model.classes.index(desired)
            donors = codes[outcome == target]
        else:
            donors = codes[(outcome >= desired[0]) & (outcome <= desired[1])]
        schema = dataset.schema
        is_numeric, low, high, permitted_codes = self._bounds(ranges)

        def allowed(matrix: np.ndarray) -> np.ndarray:
            unchanged = equal_codes(matrix, original)
            with np.errstate(invalid="ignore"):
                inside = (matrix >= low - 1e-9) & (matrix <= high + 1e-9)
            for j, codes_ok in permitted_codes.items():
                inside[:, j] = np.isin(matrix[:, j], codes_ok)
            return unchanged | inside

        def is_valid(matrix: np.ndarray) -> np.ndarray:
            predicted = model.predict_codes(matrix)
            if model.is_classifier:
                return predicted.argmax(axis=1) == target
            return (predicted >= desired[0]) & (predicted <= desired[1])

        scale = np.array([float(self.scale.get(f.name, 1.0)) for f in schema])
        found = sparse_search(
            original,
            donors,
            np.array([dataset.feature_names.index(f) for f in vary]),
            is_numeric,
            np.array([f.integer for f in schema]),
            scale,
            allowed,
            is_valid,
            total,
            seed,
        )
        return dataset.from_codes(found) if len(found) else pd.DataFrame(columns=dataset.feature_names)


    def _bounds(self, ranges: Mapping[str, list]) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, np.ndarray]]:
        """Per feature: numeric or not, the lowest and highest value allowed (the permitted range, else the
        observed one), and the category codes allowed where a range names categories."""
        dataset, schema = self.dataset, self.dataset.schema
        is_numeric = np.array([f.kind == "numeric" for f in schema])
        low = np.array([f.minimum if f.kind == "numeric" else -np.inf for f in schema], dtype=float)
        high = np.array([f.maximum if f.kind == "numeric" else np.inf for f in schema], dtype=float)
        permitted_codes: dict[int, np.ndarray] = {}
        for name, allowed_values in ranges.items():
            j = dataset.feature_names.index(name)
            if is_numeric[j]:
                low[j], high[j] = allowed_values
            else:
                permitted_codes[j] = np.array([schema[j].categories.index(v) for v in allowed_values])
        return is_numeric, low, high, permitted_codes

    def recheck(
        self,
        original: pd.DataFrame,
        proposed: pd.DataFrame,
        vary: Sequence[str],
        ranges: Mapping[str, list],
        desired: str | list[float],
        restore_missing: bool = True,
    ) -> tuple[list[Counterfactual], dict[str, int]]:
        """Re-predict every proposed row and check each constraint; drop and count failures.

        ``restore_missing``: DiCE saw missing values imputed, so where a proposal keeps the imputed
        value the row keeps its blank; the sparse search works on the blanks themselves.
        """
        rejected = {"not_flipped": 0, "fixed_feature_changed": 0, "out_of_range": 0, "duplicate": 0}
        if proposed.empty:
            return [], {}
        dataset, model = self.dataset, self.model
        original = dataset.coerce(original).reset_index(drop=True)
        candidates = proposed[dataset.feature_names].reset_index(drop=True).copy()
        for info in dataset.schema if restore_missing else ():
            if pd.isna(original.at[0, info.name]):
                same = candidates[info.name].astype(str) == str(
                    self._dice_frame(dataset.imputed(original))[info.name].iat[0]
                )
                candidates.loc[same, info.name] = np.nan
        candidates = dataset.coerce(candidates)
        predictions = prediction_dict(model, candidates)
        before, after = dataset.to_codes(original)[0], dataset.to_codes(candidates)
        changed = ~equal_codes(after, before)
        names = dataset.feature_names
        fixed_changed = (changed & ~np.isin(names, list(vary))).any(axis=1)
        out_of_range = (changed & ~self._inside(after, ranges)).any(axis=1)
        distances = self._distances(before, after)
        if model.is_classifier:
            flipped = np.array([p["label"] == desired for p in predictions])
        else:
            flipped = np.array([desired[0] <= p["value"] <= desired[1] for p in predictions])
        kept: list[Counterfactual] = []
        seen: set[bytes] = set()
        for i, prediction in enumerate(predictions):
            key = np.where(changed[i], after[i], np.inf).tobytes()
            if not flipped[i] or not changed[i].any():
                rejected["not_flipped"] += 1
            elif fixed_changed[i]:
                rejected["fixed_feature_changed"] += 1
            elif out_of_range[i]:
                rejected["out_of_range"] += 1
            elif key in seen:
                rejected["duplicate"] += 1
            else:
                seen.add(key)
                row = {k: plain(v) for k, v in candidates.iloc[i].items()}
                changes = {names[j]: {"from": plain(original.iat[0, j]), "to": row[names[j]]}
                           for j in np.flatnonzero(changed[i])}
                kept.append(Counterfactual(row=row, changes=changes, prediction=prediction,
                                           distance=round(float(distances[i]), 6)))
        kept.sort(key=lambda c: (len(c.changes), c.distance))
        return kept, {k: v for k, v in rejected.items() if v}

    def _inside(self, codes: np.ndarray, ranges: Mapping[str, list]) -> np.ndarray:
        """Per value: inside its permitted range (explicit, else the observed range; missing counts as
        inside only where no explicit range is set)."""
        inside = np.ones(codes.shape, dtype=bool)
        for j, info in enumerate(self.dataset.schema):
            allowed = ranges.get(info.name)
            column = codes[:, j]
            if info.kind == "numeric":
                low, high = (allowed[0], allowed[1]) if allowed is not None else (info.minimum, info.maximum)
                with np.errstate(invalid="ignore"):
                    ok = (column >= low - 1e-9) & (column <= high + 1e-9)
                inside[:, j] = ok if allowed is not None else ok | np.isnan(column)
            elif allowed is not None:
                inside[:, j] = np.isin(column, [info.categories.index(v) for v in allowed])
        return inside

    def _distances(self, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        numeric = np.array([info.kind == "numeric" for info in self.dataset.schema])
        scale = np.array([float(self.scale.get(info.name, 1.0)) for info in self.dataset.schema])
        changed = ~equal_codes(after, before)
        with np.errstate(invalid="ignore"):
            steps = np.abs(after - before) / scale
        # A changed category, or a value that appears or disappears, counts as one spread.
        steps = np.where(numeric & ~np.isnan(steps), steps, 1.0)
        return np.where(changed, steps, 0.0).sum(axis=1)

    def distance(self, original: pd.DataFrame, other: pd.DataFrame) -> float:
        """Numeric changes in units of each feature's spread (MAD), plus 1 per changed category."""
        return round(float(self._distances(self.dataset.to_codes(original)[0], self.dataset.to_codes(other))[0]), 6)
