"""Trust signals and fairness: do the explanations agree and hold still, are the counterfactuals any
good, and does the model treat groups of people alike?

Everything here is pure (no user-interface code) and returns frozen dataclasses:

- :func:`agreement` / :func:`agreement_over_sample`: SHAP and LIME on the same row(s).
- :func:`lime_stability` / :func:`stability_from_weights`: LIME repeated with several seeds.
- :func:`shap_check`: SHAP's additivity (base value + sum of values == the model's output).
- :func:`counterfactual_quality`: validity, sparsity, proximity, diversity, plausibility, range.
- :func:`fairness_metrics` / :func:`group_fairness`: per-group metrics with fairlearn's ``MetricFrame``.
- :func:`flip_test`: change only the sensitive feature and count how often the outcome changes.
- :func:`row_checks`: the per-row bundle (``checks``) that ``Workspace.explain`` adds to its output.

Agreement verdict thresholds (``k`` = 3 by default; overlap = |top-k(SHAP) ∩ top-k(LIME)| / k; rho =
Spearman rank correlation of the two attributions over all features, which compares ranks, so SHAP
in log-odds and LIME in probability are comparable):

- ``agree``: overlap >= 2/3 and rho >= 0.6 and LIME gives SHAP's top feature the same sign;
- ``disagree``: overlap <= 1/3 or rho < 0.2 (or rho undefined, when one side is constant);
- ``partly``: everything in between.
"""

from __future__ import annotations

import math
import warnings
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd

from .attributions import DEFAULT_LIME_SAMPLES, LimeExplanation, LimeSetup, ShapValues, shap_values, top_features
from .counterfactuals import CounterfactualResult, CounterfactualSearch
from .errors import InputError
from .i18n import translator
from .models import TabularModel, train_test_indices

Verdict = Literal["agree", "partly", "disagree"]
VERDICTS: tuple[str, ...] = ("agree", "partly", "disagree")
DEFAULT_K = 3
AGREE_OVERLAP = 2 / 3
AGREE_RHO = 0.6
DISAGREE_OVERLAP = 1 / 3
DISAGREE_RHO = 0.2
DEFAULT_SAMPLE_ROWS = 50
SAMPLE_LIME_SAMPLES = 1000  # LIME samples per row in the dataset-wide agreement sample
DEFAULT_STABILITY_SEEDS = 5
SHAP_RTOL = 1e-4
DEFAULT_BINS = 4
MAX_BINS = 20
DEFAULT_FLIP_ROWS = 2000
MISSING_GROUP = "—"
_EPS = 1e-9


def _float(value: float | None) -> float | None:
    """A JSON-friendly float: NaN and infinities become None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _check_k(k: int, n_features: int) -> int:
    if not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"k must be a whole number of at least 1, not {k!r}.")
    return min(int(k), n_features)


def seeded_lime(
    lime: LimeSetup, row: pd.DataFrame, seed: int = 0, num_samples: int = DEFAULT_LIME_SAMPLES
) -> LimeExplanation:
    """LIME for one row that depends only on ``seed``, whatever ran before: lime's discretizer keeps
    its own RandomState across calls (``LimeSetup.explain`` reseeds only the explainer's), so it is
    reseeded here too."""
    discretizer = getattr(lime.explainer, "discretizer", None)
    if discretizer is not None and hasattr(discretizer, "random_state"):
        discretizer.random_state = np.random.RandomState(seed)
    return lime.explain(row, seed=seed, num_samples=num_samples)


# --------------------------------------------------------------------------------------------
# 1. SHAP and LIME agreement


@dataclass(frozen=True)
class Agreement:
    """How far SHAP and LIME tell the same story for one row."""

    k: int
    shap_top: tuple[str, ...]
    lime_top: tuple[str, ...]
    overlap: float  # |shap_top ∩ lime_top| / k
    rho: float  # Spearman rank correlation over all features (NaN when undefined)
    sign_agreement: float  # share of SHAP's top-k features to which LIME gives the same sign
    top_sign_agrees: bool  # LIME gives SHAP's top feature the same sign
    verdict: Verdict

    @property
    def shared(self) -> tuple[str, ...]:
        return tuple(f for f in self.shap_top if f in self.lime_top)

    def to_dict(self) -> dict:
        return {
            "k": self.k,
            "shap_top": list(self.shap_top),
            "lime_top": list(self.lime_top),
            "overlap": _float(self.overlap),
            "rho": _float(self.rho),
            "sign_agreement": _float(self.sign_agreement),
            "top_sign_agrees": self.top_sign_agrees,
            "verdict": self.verdict,
        }


def verdict_of(overlap: float, rho: float, top_sign_agrees: bool) -> Verdict:
    """The verdict for an overlap, a rank correlation and the top feature's sign (see the module doc)."""
    rho_ok = not math.isnan(rho)
    if overlap >= AGREE_OVERLAP - _EPS and rho_ok and rho >= AGREE_RHO and top_sign_agrees:
        return "agree"
    if overlap <= DISAGREE_OVERLAP + _EPS or not rho_ok or rho < DISAGREE_RHO:
        return "disagree"
    return "partly"


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(spearmanr(a, b).statistic)


def agreement(shap_row: Mapping[str, float], lime_weights: Mapping[str, float], k: int = DEFAULT_K) -> Agreement:
    """Compare SHAP values and LIME weights of one row, both keyed by original column.

    Parameters
    ----------
    shap_row : SHAP value per feature (any units; only ranks and signs are compared).
    lime_weights : LIME weight per feature, over the same features.
    k : how many top features (by absolute attribution) to compare; capped at the number of features.
    """
    names = list(shap_row)
    if not names:
        raise InputError("no attributions to compare; give SHAP values and LIME weights for some features.")
    if set(names) != set(lime_weights):
        missing = sorted(set(names) ^ set(lime_weights))
        raise InputError("SHAP and LIME cover different features (" + ", ".join(missing[:10]) + "); "
                         "explain the same row with the same model.")
    k = _check_k(k, len(names))
    shap_vector = np.array([float(shap_row[n]) for n in names])
    lime_vector = np.array([float(lime_weights[n]) for n in names])
    if not (np.isfinite(shap_vector).all() and np.isfinite(lime_vector).all()):
        raise InputError("attributions contain missing or infinite values; recompute them.")
    shap_top = tuple(top_features(dict(shap_row), k))
    lime_top = tuple(top_features(dict(lime_weights), k))
    overlap = len(set(shap_top) & set(lime_top)) / k
    rho = _spearman(shap_vector, lime_vector)
    signs = [np.sign(float(shap_row[f])) == np.sign(float(lime_weights[f])) for f in shap_top]
    sign_agreement = float(np.mean(signs))
    top_sign = bool(signs[0])
    return Agreement(k, shap_top, lime_top, overlap, rho, sign_agreement, top_sign, verdict_of(overlap, rho, top_sign))


@dataclass(frozen=True, eq=False)
class AgreementSample:
    """SHAP-LIME agreement on a seeded sample of rows."""

    rows: tuple[int, ...]
    results: tuple[Agreement, ...]
    k: int
    seed: int
    num_samples: int
    total_rows: int

    @property
    def counts(self) -> dict[str, int]:
        found = [r.verdict for r in self.results]
        return {v: found.count(v) for v in VERDICTS}

    @property
    def shares(self) -> dict[str, float]:
        n = max(len(self.results), 1)
        return {v: c / n for v, c in self.counts.items()}

    @property
    def median_rho(self) -> float:
        values = [r.rho for r in self.results if not math.isnan(r.rho)]
        return float(np.median(values)) if values else float("nan")

    @property
    def mean_overlap(self) -> float:
        return float(np.mean([r.overlap for r in self.results])) if self.results else float("nan")

    def table(self) -> pd.DataFrame:
        """One line per sampled row: row, verdict, overlap, rho, sign agreement, the two top-k lists."""
        return pd.DataFrame({
            "row": list(self.rows),
            "verdict": [r.verdict for r in self.results],
            "overlap": [r.overlap for r in self.results],
            "rho": [r.rho for r in self.results],
            "sign_agreement": [r.sign_agreement for r in self.results],
            "shap_top": [", ".join(r.shap_top) for r in self.results],
            "lime_top": [", ".join(r.lime_top) for r in self.results],
        })

    def to_dict(self) -> dict:
        return {
            "rows": len(self.rows),
            "total_rows": self.total_rows,
            "k": self.k,
            "seed": self.seed,
            "counts": self.counts,
            "median_rho": _float(self.median_rho),
            "mean_overlap": _float(self.mean_overlap),
        }


def sample_rows(n_rows: int, size: int, seed: int = 0) -> np.ndarray:
    """Sorted positions of a seeded sample of ``size`` of ``n_rows`` rows (all rows when fewer)."""
    if size < 1:
        raise InputError(f"the sample needs at least 1 row, not {size}.")
    if n_rows <= size:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=size, replace=False))


def agreement_over_sample(
    model: TabularModel,
    lime: LimeSetup,
    rows: int = DEFAULT_SAMPLE_ROWS,
    seed: int = 0,
    k: int = DEFAULT_K,
    num_samples: int = SAMPLE_LIME_SAMPLES,
) -> AgreementSample:
    """SHAP-LIME agreement on a seeded sample of at most ``rows`` rows.

    SHAP runs once on the whole sample (one batched call); LIME, which fits one surrogate per row,
    reuses ``lime`` (its statistics are built once per dataset) with ``num_samples`` samples per row.
    """
    if lime.model is not model:
        raise InputError("the LIME setup belongs to another model; build it for this model.")
    dataset = model.dataset
    positions = sample_rows(len(dataset.features), rows, seed)
    frame = dataset.features.iloc[positions]
    shap = shap_values(model, frame, seed=seed)
    results = []
    for i, position in enumerate(positions):
        weights = seeded_lime(lime, dataset.features.iloc[[int(position)]], seed, num_samples).weights
        results.append(agreement(shap.row(i), weights, k))
    return AgreementSample(
        tuple(int(p) for p in positions), tuple(results), _check_k(k, len(dataset.feature_names)), seed,
        num_samples, len(dataset.features),
    )


# --------------------------------------------------------------------------------------------
# 2. LIME stability


@dataclass(frozen=True)
class LimeStability:
    """LIME on one row repeated with several seeds: how much the weights and the top-k move."""

    seeds: tuple[int, ...]
    k: int
    weights: tuple[dict[str, float], ...]  # per seed
    mean: dict[str, float]
    std: dict[str, float]  # sample standard deviation (ddof=1) over the seeds
    top_sets: tuple[tuple[str, ...], ...]  # per seed, strongest first
    score: float  # mean pairwise Jaccard similarity of the top-k sets (1 = always the same)
    top_set_changes: bool
    top_feature_changes: bool

    @property
    def unstable(self) -> bool:
        return self.top_set_changes or self.top_feature_changes

    @property
    def top_counts(self) -> dict[str, int]:
        """In how many seeds each feature is among the top k."""
        return {f: sum(f in s for s in self.top_sets) for f in self.mean}

    def table(self) -> pd.DataFrame:
        """Per feature: mean weight, standard deviation, seeds in which it was in the top k."""
        counts = self.top_counts
        frame = pd.DataFrame({
            "feature": list(self.mean),
            "mean": list(self.mean.values()),
            "std": [self.std[f] for f in self.mean],
            "in_top_k": [counts[f] for f in self.mean],
        })
        return frame.reindex(frame["mean"].abs().sort_values(ascending=False, kind="stable").index).reset_index(
            drop=True
        )

    def to_dict(self) -> dict:
        return {
            "seeds": list(self.seeds),
            "k": self.k,
            "score": _float(self.score),
            "unstable": self.unstable,
            "top_set_changes": self.top_set_changes,
            "top_feature_changes": self.top_feature_changes,
            "top_sets": [list(s) for s in self.top_sets],
            "mean": {f: _float(v) for f, v in self.mean.items()},
            "std": {f: _float(v) for f, v in self.std.items()},
        }


def _jaccard(a: set, b: set) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def stability_from_weights(
    weights: Sequence[Mapping[str, float]], seeds: Sequence[int] | None = None, k: int = DEFAULT_K
) -> LimeStability:
    """Stability of several LIME runs given as weight mappings (one per seed, same features)."""
    if len(weights) < 2:
        raise InputError("stability needs at least 2 LIME runs; give 2 or more seeds.")
    names = list(weights[0])
    if not names or any(set(w) != set(names) for w in weights):
        raise InputError("every LIME run must weigh the same features.")
    seeds = tuple(range(len(weights))) if seeds is None else tuple(int(s) for s in seeds)
    if len(seeds) != len(weights):
        raise InputError("give one seed per LIME run.")
    k = _check_k(k, len(names))
    matrix = np.array([[float(w[n]) for n in names] for w in weights])
    tops = tuple(tuple(top_features(dict(w), k)) for w in weights)
    sets = [set(t) for t in tops]
    score = float(np.mean([_jaccard(a, b) for a, b in combinations(sets, 2)]))
    return LimeStability(
        seeds=seeds,
        k=k,
        weights=tuple({n: float(w[n]) for n in names} for w in weights),
        mean=dict(zip(names, matrix.mean(axis=0).tolist(), strict=True)),
        std=dict(zip(names, matrix.std(axis=0, ddof=1).tolist(), strict=True)),
        top_sets=tops,
        score=score,
        top_set_changes=any(s != sets[0] for s in sets[1:]),
        top_feature_changes=len({t[0] for t in tops}) > 1,
    )


def lime_stability(
    lime: LimeSetup,
    row: pd.DataFrame,
    seeds: int | Sequence[int] = DEFAULT_STABILITY_SEEDS,
    k: int = DEFAULT_K,
    num_samples: int = DEFAULT_LIME_SAMPLES,
) -> LimeStability:
    """LIME on one row with several seeds (``seeds``: how many, from 0, or the seeds themselves)."""
    if isinstance(seeds, int | np.integer):
        if seeds < 2:
            raise InputError(f"stability needs at least 2 seeds, not {seeds}.")
        seeds = tuple(range(int(seeds)))
    seeds = tuple(int(s) for s in seeds)
    if len(set(seeds)) < 2:
        raise InputError("stability needs at least 2 different seeds.")
    runs = [seeded_lime(lime, row, s, num_samples).weights for s in seeds]
    return stability_from_weights(runs, seeds, k)


# --------------------------------------------------------------------------------------------
# 3. SHAP additivity check


@dataclass(frozen=True)
class ShapCheck:
    """Does base value + sum of SHAP values equal what the model itself outputs for this row?"""

    base_value: float
    total: float  # sum of the SHAP values
    reconstructed: float  # base_value + total
    model_output: float  # from the model, independently of SHAP
    gap: float  # |reconstructed - model_output|
    tolerance: float  # rtol * max(1, |model_output|)
    passed: bool
    space: str

    def to_dict(self) -> dict:
        return {
            "base_value": _float(self.base_value),
            "sum_of_values": _float(self.total),
            "reconstructed": _float(self.reconstructed),
            "model_output": _float(self.model_output),
            "gap": _float(self.gap),
            "tolerance": _float(self.tolerance),
            "passed": self.passed,
            "space": self.space,
        }


def model_output(model: TabularModel, row: pd.DataFrame, space: str, class_name: str | None) -> float:
    """What SHAP explains, asked of the model: the margin (XGBoost: log-odds or raw value), the
    probability of ``class_name`` (scikit-learn classifiers) or the predicted value."""
    index = model.classes.index(class_name) if (model.is_classifier and class_name is not None) else None
    if index is None and model.is_classifier:
        index = model.positive_index
    if space == "log-odds" or (model.kind == "xgboost" and space == "raw"):
        margin = np.asarray(model.predict_margin(row), dtype="float64")
        if margin.ndim == 2:
            return float(margin[0, index])
        value = float(margin[0])
        return -value if (model.is_classifier and index == 0) else value
    if space == "probability":
        return float(model.predict_proba(row)[0, index])
    return float(model.predict_value(row)[0])


def shap_check(
    model: TabularModel, row: pd.DataFrame, shap: ShapValues | None = None, rtol: float = SHAP_RTOL
) -> ShapCheck:
    """Check SHAP's additivity for a one-row frame: passes when the gap is at most
    ``rtol * max(1, |model output|)``."""
    if len(row) != 1:
        raise InputError("the SHAP check looks at one row at a time; pass a one-row frame.")
    if rtol <= 0:
        raise InputError("the tolerance must be positive.")
    shap = shap if shap is not None else shap_values(model, row)
    if len(shap.values) != 1:
        raise InputError("give the SHAP values of this one row.")
    total = float(shap.values.iloc[0].sum())
    reconstructed = float(shap.base_value) + total
    output = model_output(model, row, shap.space, shap.class_name)
    gap = abs(reconstructed - output)
    tolerance = rtol * max(1.0, abs(output))
    return ShapCheck(float(shap.base_value), total, reconstructed, output, gap, tolerance,
                     bool(gap <= tolerance), shap.space)


# --------------------------------------------------------------------------------------------
# 4. Counterfactual quality


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
            "proximity": _float(self.proximity),
            "plausibility": _float(self.plausibility),
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
            "summary": {k: _float(v) for k, v in self.summary().items()},
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
        raise InputError("counterfactual quality is measured for one row at a time; pass a one-row frame.")
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


# --------------------------------------------------------------------------------------------
# 5. Fairness: group metrics


@dataclass(frozen=True)
class Bins:
    """Bins of a numeric feature: edges, a label per bin (like "18–28") and each bin's median."""

    edges: tuple[float, ...]
    labels: tuple[str, ...]
    medians: tuple[float, ...]

    def assign(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Each value's bin index (-1 for missing values)."""
        values = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype="float64")
        index = np.searchsorted(np.asarray(self.edges[1:-1]), values, side="left")
        index = np.clip(index, 0, len(self.labels) - 1)
        return np.where(np.isnan(values), -1, index)


def _edge_text(value: float, integer: bool, lang: str) -> str:
    tr = translator(lang)
    return tr.number(value, 0 if integer else 2)


def _bin_label(low: float, high: float, first: bool, integer: bool, lang: str) -> str:
    tr = translator(lang)
    if integer:
        if math.isinf(low):
            return tr("trust.bin_at_most", value=_edge_text(math.floor(high), True, lang))
        start = math.ceil(low) if first else math.floor(low) + 1
        if math.isinf(high):
            return tr("trust.bin_at_least", value=_edge_text(start, True, lang))
        end = math.floor(high)
        if start >= end:
            return _edge_text(end, True, lang)
        return f"{_edge_text(start, True, lang)}–{_edge_text(end, True, lang)}"
    if math.isinf(low):
        return tr("trust.bin_at_most", value=_edge_text(high, False, lang))
    if math.isinf(high):
        return tr("trust.bin_above", value=_edge_text(low, False, lang))
    return f"{_edge_text(low, False, lang)}–{_edge_text(high, False, lang)}"


def make_bins(
    values: pd.Series | np.ndarray,
    bins: int = DEFAULT_BINS,
    edges: Sequence[float] | None = None,
    integer: bool | None = None,
    lang: str = "en",
) -> Bins:
    """Quantile bins (``bins`` of them, fewer when values repeat) or bins at the given ``edges``.

    Bins are closed on the right, the first also on the left: (a, b]. Edges that do not cover the
    data are widened with -inf / +inf bins.
    """
    numbers = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype="float64")
    observed = numbers[~np.isnan(numbers)]
    if not len(observed):
        raise InputError("the feature has no values to bin.")
    if integer is None:
        integer = bool((observed == np.round(observed)).all())
    if edges is None:
        if not isinstance(bins, int | np.integer) or not 2 <= bins <= MAX_BINS:
            raise InputError(f"the number of bins must be a whole number from 2 to {MAX_BINS}, not {bins!r}.")
        cuts = np.unique(np.quantile(observed, np.linspace(0, 1, int(bins) + 1)))
        if len(cuts) < 2:
            cuts = np.array([observed.min(), observed.max()])
    else:
        cuts = np.asarray([float(e) for e in edges], dtype="float64")
        if len(cuts) < 2 or not np.isfinite(cuts).all() or (np.diff(cuts) <= 0).any():
            raise InputError("bin edges must be at least 2 finite numbers in increasing order.")
        if len(cuts) - 1 > MAX_BINS:
            raise InputError(f"at most {MAX_BINS} bins; give fewer edges.")
        if observed.min() < cuts[0]:
            cuts = np.concatenate([[-np.inf], cuts])
        if observed.max() > cuts[-1]:
            cuts = np.concatenate([cuts, [np.inf]])
    labels = tuple(_bin_label(cuts[i], cuts[i + 1], i == 0, integer, lang) for i in range(len(cuts) - 1))
    provisional = Bins(tuple(float(c) for c in cuts), labels, ())
    index = provisional.assign(numbers)
    medians = []
    for b in range(len(labels)):
        inside = numbers[index == b]
        if len(inside):
            medians.append(float(np.median(inside)))
        else:
            low, high = max(cuts[b], observed.min()), min(cuts[b + 1], observed.max())
            medians.append(float((low + high) / 2))
    return Bins(provisional.edges, labels, tuple(medians))


@dataclass(frozen=True, eq=False)
class FairnessMetrics:
    """Per-group metrics and the largest gaps between groups (computed with fairlearn)."""

    task: str
    groups: pd.DataFrame  # index: group; classification: count, selection_rate, true_positive_rate,
    # false_positive_rate, precision; regression: count, mean_prediction, mean_absolute_error
    gaps: dict[str, float]
    favourable: str | None = None

    @property
    def headline(self) -> str:
        """The column whose gap the summary speaks of."""
        return "selection_rate" if self.task == "classification" else "mean_prediction"

    @property
    def lowest_group(self) -> str:
        return str(self.groups[self.headline].idxmin())

    @property
    def highest_group(self) -> str:
        return str(self.groups[self.headline].idxmax())

    def to_dict(self) -> dict:
        return {
            "favourable": self.favourable,
            "groups": [
                {"group": str(g), **{c: (int(v) if c == "count" else _float(v)) for c, v in line.items()}}
                for g, line in self.groups.iterrows()
            ],
            "gaps": {k: _float(v) for k, v in self.gaps.items()},
        }


def fairness_metrics(
    y_true: Sequence | np.ndarray,
    y_pred: Sequence | np.ndarray,
    groups: Sequence | np.ndarray,
    task: Literal["classification", "regression"] = "classification",
    favourable: object = 1,
    order: Sequence[str] | None = None,
) -> FairnessMetrics:
    """Per-group metrics with fairlearn's ``MetricFrame``.

    Classification (``favourable`` is the favourable class; the rest count as unfavourable): count,
    selection rate (share predicted favourable), true and false positive rates, precision; gaps:
    demographic parity difference and ratio, equalized odds difference and ratio (fairlearn's).
    Regression: count, mean prediction, mean absolute error; gaps: mean prediction difference and
    ratio, MAE difference.
    """
    from fairlearn import metrics as fm
    from sklearn.metrics import mean_absolute_error, precision_score

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    groups = np.asarray([MISSING_GROUP if pd.isna(g) else str(g) for g in groups], dtype=object)
    if not (len(y_true) == len(y_pred) == len(groups)):
        raise InputError("y_true, y_pred and groups must have the same length.")
    if not len(y_true):
        raise InputError("no rows to measure fairness on.")
    if task == "classification":
        truth = (y_true == favourable).astype(int)
        predicted = (y_pred == favourable).astype(int)
        metrics = {
            "count": fm.count,
            "selection_rate": fm.selection_rate,
            "true_positive_rate": fm.true_positive_rate,
            "false_positive_rate": fm.false_positive_rate,
            "precision": partial(precision_score, zero_division=np.nan),
        }
    elif task == "regression":
        truth, predicted = y_true.astype("float64"), y_pred.astype("float64")
        metrics = {"count": fm.count, "mean_prediction": fm.mean_prediction, "mean_absolute_error": mean_absolute_error}
    else:
        raise InputError(f"unknown task {task!r}; use classification or regression.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = fm.MetricFrame(metrics=metrics, y_true=truth, y_pred=predicted, sensitive_features=groups)
        table = frame.by_group.copy()
        if task == "classification":
            gaps = {
                "demographic_parity_difference": float(
                    fm.demographic_parity_difference(truth, predicted, sensitive_features=groups)),
                "demographic_parity_ratio": float(
                    fm.demographic_parity_ratio(truth, predicted, sensitive_features=groups)),
                "equalized_odds_difference": float(
                    fm.equalized_odds_difference(truth, predicted, sensitive_features=groups)),
                "equalized_odds_ratio": float(fm.equalized_odds_ratio(truth, predicted, sensitive_features=groups)),
            }
        else:
            difference, ratio = frame.difference(), frame.ratio()
            gaps = {
                "mean_prediction_difference": float(difference["mean_prediction"]),
                "mean_prediction_ratio": float(ratio["mean_prediction"]),
                "mean_absolute_error_difference": float(difference["mean_absolute_error"]),
            }
    table.index = table.index.map(str)
    table.index.name = "group"
    table["count"] = table["count"].astype(int)
    if order is not None:
        present = [str(g) for g in order if str(g) in table.index]
        table = table.reindex(present + [g for g in table.index if g not in present])
    return FairnessMetrics(task, table, gaps, None if task == "regression" else str(favourable))


@dataclass(frozen=True, eq=False)
class GroupFairness:
    """Fairness of a model across the groups of one sensitive feature, on the test split."""

    feature: str
    metrics: FairnessMetrics
    bins: Bins | None  # for numeric features
    rows: int  # test rows measured
    favourable_label: str | None  # the favourable class as the spec names it (classification)

    @property
    def groups(self) -> pd.DataFrame:
        return self.metrics.groups

    @property
    def gaps(self) -> dict[str, float]:
        return self.metrics.gaps

    def to_dict(self, lang: str = "en") -> dict:
        return {
            "feature": self.feature,
            "rows": self.rows,
            "bins": None if self.bins is None else {"edges": [_float(e) for e in self.bins.edges],
                                                    "labels": list(self.bins.labels)},
            **self.metrics.to_dict(),
            "summary": fairness_summary(self, lang),
        }


def _sensitive_values(model: TabularModel, feature: str, values: pd.Series | np.ndarray | None) -> pd.Series:
    dataset = model.dataset
    if values is None:
        if feature not in dataset.features.columns:
            raise InputError(f"unknown sensitive feature {feature!r}; choose one of: "
                             + ", ".join(dataset.feature_names[:30]) + ".")
        return dataset.features[feature]
    values = pd.Series(np.asarray(values, dtype=object) if not isinstance(values, pd.Series) else values.to_numpy())
    if len(values) != len(dataset.features):
        raise InputError(f"the values of {feature!r} must have one entry per row ({len(dataset.features)}), "
                         f"not {len(values)}.")
    return values.reset_index(drop=True)


def _is_numeric(model: TabularModel, feature: str, values: pd.Series, bins: int) -> bool:
    if feature in model.dataset.info:
        return model.dataset.info[feature].kind == "numeric"
    numbers = pd.to_numeric(values, errors="coerce")
    return bool(numbers.notna().sum() == values.notna().sum() and values.nunique(dropna=True) > bins)


def sensitive_groups(
    model: TabularModel,
    feature: str,
    values: pd.Series | np.ndarray | None = None,
    bins: int = DEFAULT_BINS,
    edges: Sequence[float] | None = None,
    lang: str = "en",
) -> tuple[np.ndarray, list[str], Bins | None]:
    """Each row's group label (numeric features binned), the groups in order, and the bins."""
    column = _sensitive_values(model, feature, values)
    if _is_numeric(model, feature, column, bins if edges is None else 0):
        info = model.dataset.info.get(feature)
        binned = make_bins(column, bins, edges, integer=info.integer if info is not None else None, lang=lang)
        index = binned.assign(column)
        labels = np.array([*binned.labels, MISSING_GROUP], dtype=object)[np.where(index < 0, len(binned.labels), index)]
        return labels, list(binned.labels), binned
    if isinstance(column.dtype, pd.CategoricalDtype):
        order = [str(c) for c in column.cat.categories]
    else:
        order = sorted({str(v) for v in column.dropna()})
    labels = np.array([MISSING_GROUP if pd.isna(v) else str(v) for v in column], dtype=object)
    return labels, order, None


def group_fairness(
    model: TabularModel,
    feature: str,
    values: pd.Series | np.ndarray | None = None,
    bins: int = DEFAULT_BINS,
    edges: Sequence[float] | None = None,
    seed: int = 0,
    lang: str = "en",
) -> GroupFairness:
    """Group metrics of ``model`` on the test split for one sensitive feature.

    Parameters
    ----------
    model : the fitted model (its dataset gives the rows, the target and the test split).
    feature : the sensitive column; a feature of the dataset, or any name when ``values`` is given.
    values : the sensitive column's value for every row of the dataset, for a column the model does
        not see (e.g. one in the spec's drop list).
    bins, edges : numeric features are cut into ``bins`` quantile bins, or at the given edges.
    seed : seed of the train/test split (the default model's is 0).
    """
    dataset = model.dataset
    labels, order, binned = sensitive_groups(model, feature, values, bins, edges, lang)
    _, test = train_test_indices(dataset, seed)
    frame = dataset.features.iloc[test]
    if model.is_classifier:
        favourable = model.classes[model.positive_index]
        truth = dataset.target.to_numpy(dtype=object)[test]
        predicted = np.asarray(model.predict(frame), dtype=object)
        metrics = fairness_metrics(truth, predicted, labels[test], "classification", favourable, order)
        label = dataset.spec.class_label(favourable, lang)
    else:
        truth = dataset.target.to_numpy(dtype="float64")[test]
        metrics = fairness_metrics(truth, model.predict_value(frame), labels[test], "regression", order=order)
        label = None
    return GroupFairness(feature, metrics, binned, len(test), label)


def fairness_summary(result: GroupFairness, lang: str = "en") -> str:
    """One or two plain sentences: which group gets the favourable outcome least often, and by how much."""
    tr = translator(lang)
    table = result.groups
    column = result.metrics.headline
    rates = table[column].dropna()
    if len(rates) < 2:
        return tr("trust.summary_one_group", feature=result.feature)
    low, high = str(rates.idxmin()), str(rates.idxmax())
    low_rate, high_rate = float(rates[low]), float(rates[high])
    if result.metrics.task == "classification":
        ratio = low_rate / high_rate if high_rate > 0 else float("nan")
        text = tr(
            "trust.summary_classification",
            feature=result.feature,
            low_group=low,
            high_group=high,
            outcome=result.favourable_label or "",
            low_rate=tr.percent(low_rate),
            high_rate=tr.percent(high_rate),
            points=tr.number((high_rate - low_rate) * 100, 1),
            ratio=tr.number(ratio, 2),
        )
        if ratio == ratio and ratio < 0.8:
            text += " " + tr("trust.summary_four_fifths")
        return text
    return tr(
        "trust.summary_regression",
        feature=result.feature,
        low_group=low,
        high_group=high,
        low_value=tr.number(low_rate, 3),
        high_value=tr.number(high_rate, 3),
        difference=tr.number(high_rate - low_rate, 3),
    )


# --------------------------------------------------------------------------------------------
# 6. Counterfactual flip test


@dataclass(frozen=True, eq=False)
class FlipTest:
    """Change only the sensitive feature of each row to each of its other values and re-predict."""

    feature: str
    task: str
    rows_tested: int
    variants: int  # altered rows evaluated (rows x other values)
    changed: int  # variants whose predicted class changes (regression: |change| > tolerance)
    rows_changed: int  # rows with at least one changed variant
    mean_abs_change: float  # mean |score after - score before| over the variants
    max_abs_change: float
    flips: pd.DataFrame  # row, original, new, score_before, score_after (+ label_before, label_after)
    by_value: pd.DataFrame  # per new value: variants, changed, mean signed change of the score
    used_by_model: bool
    tolerance: float | None = None  # regression only

    @property
    def share(self) -> float:
        return self.changed / self.variants if self.variants else 0.0

    def to_dict(self, max_flips: int = 50) -> dict:
        flips = self.flips.head(max_flips)
        return {
            "feature": self.feature,
            "rows_tested": self.rows_tested,
            "variants": self.variants,
            "changed": self.changed,
            "rows_changed": self.rows_changed,
            "share": _float(self.share),
            "mean_abs_change": _float(self.mean_abs_change),
            "max_abs_change": _float(self.max_abs_change),
            "used_by_model": self.used_by_model,
            "tolerance": _float(self.tolerance),
            "flips": [
                {k: (_float(v) if isinstance(v, float) else (int(v) if isinstance(v, np.integer) else v))
                 for k, v in line.items()}
                for line in flips.to_dict(orient="records")
            ],
            "flips_shown": len(flips),
        }


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.floating | float):
        value = float(value)
        return int(value) if value.is_integer() else value
    return value if isinstance(value, int | str) else str(value)


def flip_test(
    model: TabularModel,
    feature: str,
    values: pd.Series | np.ndarray | None = None,
    max_rows: int = DEFAULT_FLIP_ROWS,
    seed: int = 0,
    bins: int = DEFAULT_BINS,
    edges: Sequence[float] | None = None,
    tolerance: float | None = None,
) -> FlipTest:
    """Counterfactual flip test for one sensitive feature on a seeded sample of ``max_rows`` rows.

    Each sampled row is copied once per other value of the feature (categories: every other category;
    numeric features: the medians of the other bins) with nothing else changed; the originals and
    all copies go to the model in one batch. A classifier's outcome "changes" when the predicted class
    does; a regressor's when the prediction moves by more than ``tolerance`` (default: 5% of the
    target's standard deviation). When the feature is not a model input (``values`` given for a
    column the model does not see) no prediction can change and the model is not called.
    """
    dataset = model.dataset
    column = _sensitive_values(model, feature, values)
    positions = sample_rows(len(dataset.features), max_rows, seed)
    if tolerance is None:
        tolerance = 0.05 * float(dataset.target.std()) if not model.is_classifier else None
    elif tolerance < 0:
        raise InputError("the tolerance must not be negative.")
    used = feature in dataset.feature_names
    numeric = _is_numeric(model, feature, column, bins if edges is None else 0)
    original = column.iloc[positions].reset_index(drop=True)
    if numeric:
        info = dataset.info.get(feature)
        binned = make_bins(column, bins, edges, integer=info.integer if info is not None else None)
        own = binned.assign(original)
        options: list[object] = list(binned.medians)
        owner = own
    else:
        if feature in dataset.info:
            options = list(dataset.info[feature].categories)
        else:
            options = sorted({str(v) for v in column.dropna()})
        text = np.array([None if pd.isna(v) else str(v) for v in original], dtype=object)
        owner = np.array([options.index(t) if t in options else -1 for t in text])
    source, new_values = [], []
    for j, option in enumerate(options):
        who = np.flatnonzero(owner != j)
        source.append(who)
        new_values.extend([option] * len(who))
    source_index = np.concatenate(source) if source else np.array([], dtype=int)
    variants = len(source_index)
    empty = pd.DataFrame(columns=["row", "original", "new", "score_before", "score_after"])
    if not used or variants == 0:
        by_value = pd.DataFrame({"new": [_plain(o) for o in options], "variants": [len(s) for s in source],
                                 "changed": 0, "mean_change": 0.0})
        return FlipTest(feature, dataset.task, len(positions), variants, 0, 0, 0.0, 0.0, empty, by_value, used,
                        tolerance)
    base = dataset.features.iloc[positions].reset_index(drop=True)
    altered = base.iloc[source_index].reset_index(drop=True)
    if numeric:
        altered[feature] = np.asarray(new_values, dtype="float64")
    else:
        altered[feature] = pd.Categorical(new_values, categories=dataset.info[feature].categories)
    batch = pd.concat([base, altered], ignore_index=True)
    n = len(base)
    if model.is_classifier:
        probabilities = model.predict_proba(batch)  # the one model call
        labels = np.asarray(model.classes, dtype=object)[probabilities.argmax(axis=1)]
        score = probabilities[:, model.positive_index]
        before_label, after_label = labels[:n][source_index], labels[n:]
        changed = before_label != after_label
    else:
        score = model.predict_value(batch)  # the one model call
        changed = np.abs(score[n:] - score[:n][source_index]) > tolerance
    before, after = score[:n][source_index], score[n:]
    delta = after - before
    flips = pd.DataFrame({
        "row": positions[source_index][changed].astype(int),
        "original": [_plain(v) for v in original.to_numpy(dtype=object)[source_index][changed]],
        "new": [_plain(v) for v in np.asarray(new_values, dtype=object)[changed]],
        "score_before": before[changed],
        "score_after": after[changed],
    })
    if model.is_classifier:
        flips["label_before"] = before_label[changed]
        flips["label_after"] = after_label[changed]
    flips = flips.reindex(flips["score_after"].sub(flips["score_before"]).abs()
                          .sort_values(ascending=False, kind="stable").index).reset_index(drop=True)
    option_of = np.concatenate([[j] * len(s) for j, s in enumerate(source)])
    by_value = pd.DataFrame({
        "new": [_plain(o) for o in options],
        "variants": [len(s) for s in source],
        "changed": [int(changed[option_of == j].sum()) for j in range(len(options))],
        "mean_change": [float(delta[option_of == j].mean()) if (option_of == j).any() else 0.0
                        for j in range(len(options))],
    })
    return FlipTest(
        feature=feature,
        task=dataset.task,
        rows_tested=n,
        variants=variants,
        changed=int(changed.sum()),
        rows_changed=len(np.unique(source_index[changed])),
        mean_abs_change=float(np.abs(delta).mean()),
        max_abs_change=float(np.abs(delta).max()),
        flips=flips,
        by_value=by_value,
        used_by_model=True,
        tolerance=tolerance,
    )


# --------------------------------------------------------------------------------------------
# 7. The per-row bundle


@dataclass(frozen=True)
class RowChecks:
    """The trust signals of one row's explanation (the ``checks`` object of ``explain``)."""

    shap_check: ShapCheck
    agreement: Agreement | None
    lime_stability: LimeStability | None
    counterfactual_quality: CounterfactualQuality | None

    def to_dict(self) -> dict:
        return {
            "shap_check": self.shap_check.to_dict(),
            "agreement": None if self.agreement is None else self.agreement.to_dict(),
            "lime_stability": None if self.lime_stability is None else self.lime_stability.to_dict(),
            "counterfactual_quality": None if self.counterfactual_quality is None
            else self.counterfactual_quality.to_dict(),
        }


def row_checks(
    model: TabularModel,
    row: pd.DataFrame,
    shap: ShapValues,
    lime: LimeExplanation | None = None,
    lime_setup: LimeSetup | None = None,
    counterfactuals: CounterfactualResult | None = None,
    search: CounterfactualSearch | None = None,
    k: int = DEFAULT_K,
    stability_seeds: int = 3,
) -> RowChecks:
    """SHAP check, SHAP-LIME agreement, a cheap LIME stability (``stability_seeds`` seeds starting at
    the explanation's own seed, same number of samples) and counterfactual quality for one row."""
    check = shap_check(model, row, shap)
    agreed = None if lime is None else agreement(shap.row(0), lime.weights, k)
    stability = None
    if lime is not None and lime_setup is not None:
        seeds = tuple(range(lime.seed, lime.seed + stability_seeds))
        runs = [lime.weights if s == lime.seed else seeded_lime(lime_setup, row, s, lime.num_samples).weights
                for s in seeds]
        stability = stability_from_weights(runs, seeds, k)
    quality = None
    if counterfactuals is not None and search is not None:
        quality = counterfactual_quality(search, row, counterfactuals)
    return RowChecks(check, agreed, stability, quality)
