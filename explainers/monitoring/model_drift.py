"""The model's side of drift: its predictions, its reasons (mean |SHAP|) and, with a target, its performance.

- **Predictions**: the score (P(favourable outcome) for classifiers, the value for regressors) compared like a
  numeric feature (PSI on the reference's deciles, Kolmogorov-Smirnov, mean), and the shares of predicted
  classes (chi-squared).
- **Attributions**: mean |SHAP| per feature on seeded samples of each table (at most ``sample_rows`` rows),
  its rank, and the change with a bootstrap interval.
- **Performance**: the Overview's metrics (same definitions as :func:`explainers.metrics.evaluate`) on the
  held-out test rows and on the current table's labelled rows (a seeded sample of at most
  ``performance_rows``), with bootstrap intervals; the change's interval says whether the drop is beyond chance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .drift import Bins, chi2_test, finite, numeric_bins, numeric_counts, psi

HIGHER_IS_BETTER = {"accuracy": True, "log loss": False, "ROC AUC": True, "PR AUC": True, "Brier score": False,
                    "RMSE": False, "MAE": False, "R²": True}
PERMUTATION_ROWS = 200  # non-XGBoost models explain by permutation: far slower, so fewer rows


# ---------------------------------------------------------------------------------------------------------
# Predictions


@dataclass(frozen=True, eq=False)
class Predictions:
    """Scores (and predicted labels for classifiers) of one table."""

    score: np.ndarray
    predicted: np.ndarray | None


def predictions(model, table) -> Predictions:
    if table.score is not None:
        return Predictions(np.asarray(table.score, dtype="float64"), table.predicted)
    if not len(table.features):
        return Predictions(np.empty(0), np.empty(0, dtype=object) if model.is_classifier else None)
    if model.is_classifier:
        probabilities = model.predict_proba(table.features)
        labels = np.asarray(model.classes, dtype=object)[probabilities.argmax(axis=1)]
        return Predictions(probabilities[:, model.positive_index], labels)
    return Predictions(model.predict_value(table.features), None)


@dataclass(frozen=True, eq=False)
class PredictionDrift:
    """How the model's output moved. ``histogram``: shares of each table in equal-width bins (for charts)."""

    reference_mean: float
    current_mean: float
    psi: float
    psi_terms: np.ndarray
    bins: Bins
    ks_statistic: float
    p_value: float
    wasserstein: float
    histogram: pd.DataFrame
    class_shares: pd.DataFrame | None = None  # class, reference, current
    class_p_value: float | None = None
    severity: str = "none"

    @property
    def change(self) -> float:
        return self.current_mean - self.reference_mean

    def to_dict(self) -> dict:
        out = {"reference_mean": finite(self.reference_mean), "current_mean": finite(self.current_mean),
               "change": finite(self.change), "psi": finite(self.psi), "ks_statistic": finite(self.ks_statistic),
               "p_value": finite(self.p_value), "wasserstein": finite(self.wasserstein), "severity": self.severity}
        if self.class_shares is not None:
            out["class_shares"] = {
                str(r["class"]): {"reference": finite(r["reference"]), "current": finite(r["current"])}
                for r in self.class_shares.to_dict(orient="records")
            }
            out["class_p_value"] = finite(self.class_p_value)
        return out


def _histogram(reference: np.ndarray, current: np.ndarray, classifier: bool, bins: int = 20) -> pd.DataFrame:
    if classifier:
        edges = np.linspace(0.0, 1.0, bins + 1)
    else:
        both = np.concatenate([reference, current])
        low, high = (float(np.nanmin(both)), float(np.nanmax(both))) if both.size else (0.0, 1.0)
        edges = np.linspace(low, high if high > low else low + 1.0, bins + 1)
    ref, _ = np.histogram(np.clip(reference, edges[0], edges[-1]), edges)
    cur, _ = np.histogram(np.clip(current, edges[0], edges[-1]), edges)
    return pd.DataFrame({"low": edges[:-1], "high": edges[1:], "reference": ref / max(ref.sum(), 1),
                         "current": cur / max(cur.sum(), 1)})


def prediction_drift(model, reference: Predictions, current: Predictions) -> PredictionDrift:
    from scipy import stats

    bins = numeric_bins(reference.score)
    total, terms = psi(numeric_counts(bins, reference.score), numeric_counts(bins, current.score))
    if reference.score.size and current.score.size:
        ks = stats.ks_2samp(reference.score, current.score)
        ks_statistic, p_value = float(ks.statistic), float(ks.pvalue)
        wasserstein = float(stats.wasserstein_distance(reference.score, current.score))
    else:
        ks_statistic, p_value, wasserstein = float("nan"), float("nan"), float("nan")
    shares, class_p = None, None
    if model.is_classifier:
        classes = list(model.classes)
        ref_counts = pd.Series(reference.predicted).value_counts().reindex(classes, fill_value=0).to_numpy("float64")
        cur_counts = pd.Series(current.predicted).value_counts().reindex(classes, fill_value=0).to_numpy("float64")
        shares = pd.DataFrame({"class": classes, "reference": ref_counts / max(ref_counts.sum(), 1),
                               "current": cur_counts / max(cur_counts.sum(), 1)})
        _, class_p = chi2_test(np.vstack([ref_counts, cur_counts]))
    return PredictionDrift(
        float(np.mean(reference.score)) if reference.score.size else float("nan"),
        float(np.mean(current.score)) if current.score.size else float("nan"),
        total, terms, bins, ks_statistic, p_value, wasserstein,
        _histogram(reference.score, current.score, model.is_classifier), shares, class_p,
    )


# ---------------------------------------------------------------------------------------------------------
# Attributions


def sample_positions(rows: int, size: int, seed: int) -> np.ndarray:
    """A seeded sample of row positions (all rows, in order, when there are no more than ``size``)."""
    if rows <= size:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, size=size, replace=False))


def absolute_shap(model, table, rows: int, seed: int) -> np.ndarray:
    """|SHAP| of a seeded sample of ``table``'s rows (stored values when the table holds them)."""
    size = rows if model.native_shap or table.shap is not None else min(rows, PERMUTATION_ROWS)
    picked = sample_positions(table.rows, size, seed)
    if table.shap is not None:
        return np.abs(table.shap.iloc[picked].to_numpy(dtype="float64"))
    if not len(picked):
        return np.empty((0, len(model.dataset.feature_names)))
    from .. import shap_values

    values = shap_values(model, table.features.iloc[picked], seed=seed).values
    return np.abs(values[model.dataset.feature_names].to_numpy(dtype="float64"))


def _bootstrap_means(matrix: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``resamples`` bootstrap means of each column (rows drawn with replacement, as multinomial weights)."""
    n = len(matrix)
    if n == 0:
        return np.full((resamples, matrix.shape[1]), np.nan)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples)
    return weights @ matrix / n


@dataclass(frozen=True, eq=False)
class AttributionDrift:
    """Mean |SHAP| per feature, reference and current: ``table`` has columns reference, current, change, low, high
    (the change's bootstrap interval), rank_reference, rank_current (1 = relied on most), indexed by feature."""

    table: pd.DataFrame
    space: str
    rows_reference: int
    rows_current: int
    top_k: int

    def to_dict(self) -> dict:
        return {"space": self.space, "rows_reference": self.rows_reference, "rows_current": self.rows_current,
                "top_k": self.top_k,
                "features": {str(f): {k: (finite(v) if k not in ("rank_reference", "rank_current") else int(v))
                                      for k, v in row.items()} for f, row in self.table.iterrows()}}


def attribution_drift(reference: np.ndarray, current: np.ndarray, features: list[str], space: str,
                      top_k: int, resamples: int, confidence: float, seed: int) -> AttributionDrift:
    rng = np.random.default_rng(seed)
    ref_mean = reference.mean(axis=0) if len(reference) else np.full(len(features), np.nan)
    cur_mean = current.mean(axis=0) if len(current) else np.full(len(features), np.nan)
    changes = _bootstrap_means(current, resamples, rng) - _bootstrap_means(reference, resamples, rng)
    tail = (1 - confidence) / 2
    table = pd.DataFrame({
        "reference": ref_mean, "current": cur_mean, "change": cur_mean - ref_mean,
        "low": np.nanquantile(changes, tail, axis=0) if len(reference) and len(current) else np.nan,
        "high": np.nanquantile(changes, 1 - tail, axis=0) if len(reference) and len(current) else np.nan,
    }, index=pd.Index(features, name="feature"))
    table["rank_reference"] = table["reference"].rank(ascending=False, method="first").fillna(0).astype(int)
    table["rank_current"] = table["current"].rank(ascending=False, method="first").fillna(0).astype(int)
    return AttributionDrift(table.sort_values("rank_reference"), space, len(reference), len(current), top_k)


# ---------------------------------------------------------------------------------------------------------
# Performance


def metrics(model, y: np.ndarray, output: np.ndarray) -> dict[str, float]:
    """The Overview's metrics (:func:`explainers.metrics.evaluate`'s definitions) of labels ``y`` and ``output``:
    class probabilities (columns in the model's class order) for classifiers, values for regressors."""
    from sklearn import metrics as skm

    if not model.is_classifier:
        return {"RMSE": float(np.sqrt(skm.mean_squared_error(y, output))),
                "MAE": float(skm.mean_absolute_error(y, output)), "R²": float(skm.r2_score(y, output))}
    classes = np.asarray(model.classes, dtype=object)
    predicted = classes[output.argmax(axis=1)]
    lookup = {c: i for i, c in enumerate(model.classes)}
    class_index = np.array([lookup[v] for v in y])
    result = {"accuracy": float(np.mean(predicted == y)),
              "log loss": float(skm.log_loss(class_index, output, labels=range(len(classes))))}
    is_positive = (y == model.classes[model.positive_index]).astype(int)
    if len(set(is_positive)) == 2:
        score = output[:, model.positive_index]
        result["ROC AUC"] = float(skm.roc_auc_score(is_positive, score))
        result["PR AUC"] = float(skm.average_precision_score(is_positive, score))
        result["Brier score"] = float(skm.brier_score_loss(is_positive, score))
    return result


@dataclass(frozen=True, eq=False)
class Labelled:
    """The labelled rows behind a performance estimate: labels, model output, and bootstrap draws of each metric."""

    y: np.ndarray
    output: np.ndarray
    point: dict[str, float]
    draws: pd.DataFrame  # one row per resample, one column per metric
    rows: int


def labelled(model, table, limit: int, resamples: int, seed: int) -> Labelled | None:
    """The metrics of ``table``'s labelled rows (a seeded sample of at most ``limit``), with bootstrap draws; None
    without a target or with no usable label."""
    if table.target is None:
        return None
    target = table.target
    if model.is_classifier:
        usable = target.notna().to_numpy() & target.isin(list(model.classes)).to_numpy()
    else:
        usable = target.notna().to_numpy() & np.isfinite(pd.to_numeric(target, errors="coerce").to_numpy("float64"))
    positions = np.flatnonzero(usable)
    if len(positions) < 2:
        return None
    positions = positions[sample_positions(len(positions), limit, seed)]
    frame = table.features.iloc[positions]
    if model.is_classifier:
        y = np.asarray(target.to_numpy(dtype=object)[positions], dtype=object)
        output = model.predict_proba(frame)
    else:
        y = target.to_numpy(dtype="float64")[positions]
        output = model.predict_value(frame)
    point = metrics(model, y, output)
    if model.is_classifier:
        lookup = {c: i for i, c in enumerate(model.classes)}
        codes = np.array([lookup[v] for v in y], dtype="int64")
    else:
        codes = y
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(len(y), np.full(len(y), 1.0 / len(y)), size=resamples).astype("float64")
    draws = pd.DataFrame(weighted_metrics(model, codes, output, weights))
    return Labelled(y, output, point, draws.reindex(columns=list(point)), len(y))


def weighted_metrics(model, y: np.ndarray, output: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`metrics` of many bootstrap resamples at once, each given as row counts (one row of ``weights`` per
    resample): the metric of the table in which row ``i`` appears ``weights[b, i]`` times. Plain NumPy, all
    resamples in a few array operations (scikit-learn would check its inputs on every call, which costs more than
    the metric). Classifiers take ``y`` as class indices. Equal to :func:`metrics` on the repeated rows (tested)."""
    weights = np.atleast_2d(np.asarray(weights, dtype="float64"))
    n = weights.sum(axis=1)
    if not model.is_classifier:
        error = output - y
        mean = weights @ y / n
        total = weights @ (y**2) - n * mean**2
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(total > 0, 1.0 - (weights @ (error**2)) / total, np.nan)
        return {"RMSE": np.sqrt(weights @ (error**2) / n), "MAE": weights @ np.abs(error) / n, "R²": r2}
    rows = len(y)
    probabilities = output / output.sum(axis=1, keepdims=True)
    eps = np.finfo(probabilities.dtype).eps
    chosen = np.clip(probabilities[np.arange(rows), y], eps, 1 - eps)
    result = {"accuracy": weights @ (output.argmax(axis=1) == y).astype("float64") / n,
              "log loss": weights @ -np.log(chosen) / n}
    positive = (y == model.positive_index).astype("float64")
    score = output[:, model.positive_index]
    order = np.argsort(score, kind="mergesort")
    ordered = score[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ordered)) + 1]  # the first row of each distinct score, ascending
    w = weights[:, order]
    pos = np.add.reduceat(w * positive[order], starts, axis=1)  # weighted positives per distinct score
    neg = np.add.reduceat(w * (1 - positive[order]), starts, axis=1)
    positives, negatives = pos.sum(axis=1), neg.sum(axis=1)
    both = (positives > 0) & (negatives > 0)
    below = np.cumsum(neg, axis=1) - neg  # negatives strictly below each score
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (pos * (below + 0.5 * neg)).sum(axis=1) / (positives * negatives)
        # Average precision: thresholds from the highest score down; each score adds its positives times the
        # precision of everything at or above it.
        true_positives = np.cumsum(pos[:, ::-1], axis=1)
        predicted = true_positives + np.cumsum(neg[:, ::-1], axis=1)
        precision = np.where(predicted > 0, true_positives / predicted, 0.0)
        average_precision = (pos[:, ::-1] * precision).sum(axis=1) / positives
    result["ROC AUC"] = np.where(both, auc, np.nan)
    result["PR AUC"] = np.where(both, average_precision, np.nan)
    result["Brier score"] = np.where(both, weights @ ((score - positive) ** 2) / n, np.nan)
    return result


@dataclass(frozen=True, eq=False)
class PerformanceDrift:
    """Per metric (index): reference, reference_low/high, current, current_low/high, change, change_low/high,
    higher_is_better, dropped (the change's interval lies entirely on the worse side)."""

    table: pd.DataFrame
    rows_reference: int
    rows_current: int
    confidence: float

    @property
    def dropped(self) -> list[str]:
        return [m for m, d in self.table["dropped"].items() if d]

    def to_dict(self) -> dict:
        return {"rows_reference": self.rows_reference, "rows_current": self.rows_current,
                "confidence": self.confidence,
                "metrics": {str(m): {k: (bool(v) if isinstance(v, bool | np.bool_) else finite(v))
                                     for k, v in row.items()} for m, row in self.table.iterrows()}}


def performance_drift(reference: Labelled, current: Labelled, confidence: float) -> PerformanceDrift:
    tail = (1 - confidence) / 2
    rows = {}
    for name, ref_value in reference.point.items():
        if name not in current.point:
            continue
        ref_draws = reference.draws[name].to_numpy(dtype="float64")
        cur_draws = current.draws[name].to_numpy(dtype="float64")
        change = cur_draws - ref_draws
        better = HIGHER_IS_BETTER.get(name, True)
        low, high = np.nanquantile(change, [tail, 1 - tail]) if np.isfinite(change).any() else (np.nan, np.nan)
        rows[name] = {
            "reference": ref_value,
            "reference_low": np.nanquantile(ref_draws, tail), "reference_high": np.nanquantile(ref_draws, 1 - tail),
            "current": current.point[name],
            "current_low": np.nanquantile(cur_draws, tail), "current_high": np.nanquantile(cur_draws, 1 - tail),
            "change": current.point[name] - ref_value, "change_low": low, "change_high": high,
            "higher_is_better": better,
            "dropped": bool(high < 0) if better else bool(low > 0),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    return PerformanceDrift(table, reference.rows, current.rows, confidence)
