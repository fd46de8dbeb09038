"""Do the explanations agree and hold still? SHAP and LIME on the same row(s), LIME repeated with several seeds,
and SHAP's additivity (base value + sum of values == the model's output).

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd

from ..attributions import DEFAULT_LIME_SAMPLES, LimeExplanation, LimeSetup, ShapValues, shap_values, top_features
from ..errors import InputError
from ..models import TabularModel
from ..util import finite, sample_positions

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
_EPS = 1e-9


def check_k(k: int, n_features: int) -> int:
    """``k`` checked (a whole number, at least 1) and capped at the number of features."""
    if not isinstance(k, int | np.integer) or k < 1:
        raise InputError(key="errors.trust.bad_k", k=repr(k))
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
# SHAP and LIME agreement


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
            "overlap": finite(self.overlap),
            "rho": finite(self.rho),
            "sign_agreement": finite(self.sign_agreement),
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
        raise InputError(key="errors.trust.no_attributions")
    if set(names) != set(lime_weights):
        missing = sorted(set(names) ^ set(lime_weights))
        raise InputError(key="errors.trust.different_features", columns=", ".join(missing[:10]))
    k = check_k(k, len(names))
    shap_vector = np.array([float(shap_row[n]) for n in names])
    lime_vector = np.array([float(lime_weights[n]) for n in names])
    if not (np.isfinite(shap_vector).all() and np.isfinite(lime_vector).all()):
        raise InputError(key="errors.trust.bad_attributions")
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
            "median_rho": finite(self.median_rho),
            "mean_overlap": finite(self.mean_overlap),
        }


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
        raise InputError(key="errors.trust.other_model")
    dataset = model.dataset
    positions = sample_positions(len(dataset.features), rows, seed)
    frame = dataset.features.iloc[positions]
    shap = shap_values(model, frame, seed=seed)
    results = []
    for i, position in enumerate(positions):
        weights = seeded_lime(lime, dataset.features.iloc[[int(position)]], seed, num_samples).weights
        results.append(agreement(shap.row(i), weights, k))
    return AgreementSample(
        tuple(int(p) for p in positions), tuple(results), check_k(k, len(dataset.feature_names)), seed,
        num_samples, len(dataset.features),
    )


# --------------------------------------------------------------------------------------------
# LIME stability


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
            "score": finite(self.score),
            "unstable": self.unstable,
            "top_set_changes": self.top_set_changes,
            "top_feature_changes": self.top_feature_changes,
            "top_sets": [list(s) for s in self.top_sets],
            "mean": {f: finite(v) for f, v in self.mean.items()},
            "std": {f: finite(v) for f, v in self.std.items()},
        }


def _jaccard(a: set, b: set) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def stability_from_weights(
    weights: Sequence[Mapping[str, float]], seeds: Sequence[int] | None = None, k: int = DEFAULT_K
) -> LimeStability:
    """Stability of several LIME runs given as weight mappings (one per seed, same features)."""
    if len(weights) < 2:
        raise InputError(key="errors.trust.two_runs")
    names = list(weights[0])
    if not names or any(set(w) != set(names) for w in weights):
        raise InputError(key="errors.trust.same_features")
    seeds = tuple(range(len(weights))) if seeds is None else tuple(int(s) for s in seeds)
    if len(seeds) != len(weights):
        raise InputError(key="errors.trust.one_seed_per_run")
    k = check_k(k, len(names))
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
            raise InputError(key="errors.trust.two_seeds", seeds=str(seeds))
        seeds = tuple(range(int(seeds)))
    seeds = tuple(int(s) for s in seeds)
    if len(set(seeds)) < 2:
        raise InputError(key="errors.trust.different_seeds")
    runs = [seeded_lime(lime, row, s, num_samples).weights for s in seeds]
    return stability_from_weights(runs, seeds, k)


# --------------------------------------------------------------------------------------------
# SHAP additivity check


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
            "base_value": finite(self.base_value),
            "sum_of_values": finite(self.total),
            "reconstructed": finite(self.reconstructed),
            "model_output": finite(self.model_output),
            "gap": finite(self.gap),
            "tolerance": finite(self.tolerance),
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
        raise InputError(key="errors.trust.shap_one_row")
    if rtol <= 0:
        raise InputError(key="errors.trust.tolerance_positive")
    shap = shap if shap is not None else shap_values(model, row)
    if len(shap.values) != 1:
        raise InputError(key="errors.trust.shap_of_row")
    total = float(shap.values.iloc[0].sum())
    reconstructed = float(shap.base_value) + total
    output = model_output(model, row, shap.space, shap.class_name)
    gap = abs(reconstructed - output)
    tolerance = rtol * max(1.0, abs(output))
    return ShapCheck(float(shap.base_value), total, reconstructed, output, gap, tolerance,
                     bool(gap <= tolerance), shap.space)
