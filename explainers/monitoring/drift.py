"""Per-feature drift statistics between a reference and a current table.

- **Test and p-value.** Numbers: the two-sample Kolmogorov-Smirnov test on the values present; when either
  table has missing values, also a chi-squared test of the share missing, and the feature's p-value is the
  smaller of the two, doubled (Bonferroni). Categories: the chi-squared test of the level counts (levels of the
  reference, levels it never had together as one "new level", and missing). p-values are then
  Holm-corrected over the features (:func:`holm`).
- **Population stability index**, PSI = Σ (c − r) · ln(c / r) over bins fixed on the reference: numbers: the
  reference's deciles (right-closed, tied edges merged), categories: its levels; both plus a "new level" and
  a "missing" bin. Shares below :data:`PSI_FLOOR` count as the floor (an empty bin would be infinite).
- **Wasserstein distance** (numbers), in the feature's units, between the values present.
- The change in the share of missing values, and the levels the reference never had.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

PSI_FLOOR = 1e-4
DECILES = tuple(np.round(np.arange(1, 10) / 10, 1))
MISSING = "__missing__"
NEW_LEVEL = "__new__"


@dataclass(frozen=True)
class Bins:
    """Bins fixed on the reference. Numbers: right-closed intervals between ``edges`` (``levels[i]`` is the
    decile of edge ``i``: the largest when tied edges were merged); categories: ``categories``."""

    kind: str
    edges: tuple[float, ...] = ()
    levels: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def labels(self) -> list[str]:
        """Stable ids: ``"b0"`` … for intervals, the level itself for categories; then new level and missing."""
        if self.kind == "numeric":
            return [f"b{i}" for i in range(len(self.edges) + 1)] + [MISSING]
        return [*self.categories, NEW_LEVEL, MISSING]

    def interval(self, index: int) -> tuple[float, float]:
        """(low, high] of interval ``index``; -inf / inf at the ends."""
        edges = (-np.inf, *self.edges, np.inf)
        return float(edges[index]), float(edges[index + 1])

    def tenths(self, index: int) -> tuple[float, float]:
        """The quantile levels interval ``index`` spans in the reference (0 to 1)."""
        levels = (0.0, *self.levels, 1.0)
        return float(levels[index]), float(levels[index + 1])


def numeric_bins(values: np.ndarray) -> Bins:
    present = values[~np.isnan(values)]
    if present.size == 0:
        return Bins("numeric")
    quantiles = np.quantile(present, DECILES)
    edges, levels = [], []
    for level, edge in zip(DECILES, quantiles, strict=True):
        if edges and edge == edges[-1]:
            levels[-1] = level
        else:
            edges.append(float(edge))
            levels.append(float(level))
    return Bins("numeric", tuple(edges), tuple(levels))


def numeric_counts(bins: Bins, values: np.ndarray) -> np.ndarray:
    missing = np.isnan(values)
    index = np.searchsorted(np.asarray(bins.edges, dtype="float64"), values[~missing], side="left")
    counts = np.bincount(index, minlength=len(bins.edges) + 1).astype("float64")
    return np.append(counts, float(missing.sum()))


def category_counts(bins: Bins, levels: pd.Series, rows: int) -> np.ndarray:
    """Counts by the reference's levels, then new levels together, then missing (``rows`` minus the rest)."""
    known = levels.reindex(list(bins.categories), fill_value=0).to_numpy(dtype="float64")
    new = float(levels[~levels.index.isin(bins.categories)].sum())
    return np.concatenate([known, [new, max(rows - known.sum() - new, 0.0)]])


def psi(reference_counts: np.ndarray, current_counts: np.ndarray) -> tuple[float, np.ndarray]:
    """PSI of two count vectors over the same bins, and each bin's term."""
    r = np.maximum(reference_counts / max(reference_counts.sum(), 1.0), PSI_FLOOR)
    c = np.maximum(current_counts / max(current_counts.sum(), 1.0), PSI_FLOOR)
    terms = (c - r) * np.log(c / r)
    return float(terms.sum()), terms


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment: reject where the adjusted p-value is below alpha, with family-wise error
    rate at most alpha. NaN p-values stay NaN and do not count in the family."""
    p = np.asarray(p_values, dtype="float64")
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = len(valid)
    running = 0.0
    for rank, index in enumerate(valid[np.argsort(p[valid], kind="stable")]):
        running = max(running, (m - rank) * p[index])
        out[index] = min(1.0, running)
    return out


def chi2_test(table: np.ndarray) -> tuple[float, float]:
    from scipy import stats

    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0
    result = stats.chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue)


@dataclass(frozen=True, eq=False)
class FeatureDrift:
    """What changed in one feature. Shares are of all rows; ``p_adjusted`` is Holm's over the features."""

    feature: str
    kind: str
    test: str  # "ks" or "chi2"
    statistic: float
    p_value: float
    psi: float
    bins: Bins
    reference_counts: np.ndarray
    current_counts: np.ndarray
    psi_terms: np.ndarray
    missing_reference: float
    missing_current: float
    wasserstein: float | None = None
    median_reference: float | None = None
    median_current: float | None = None
    new_levels: dict[str, int] = field(default_factory=dict)
    p_adjusted: float = float("nan")
    severity: str = "none"

    @property
    def missing_change(self) -> float:
        return self.missing_current - self.missing_reference

    @property
    def new_share(self) -> float:
        total = self.current_counts.sum()
        return float(sum(self.new_levels.values()) / total) if total else 0.0

    @property
    def reference_shares(self) -> np.ndarray:
        return self.reference_counts / max(self.reference_counts.sum(), 1.0)

    @property
    def current_shares(self) -> np.ndarray:
        return self.current_counts / max(self.current_counts.sum(), 1.0)

    def bin_table(self) -> pd.DataFrame:
        """One row per bin: id, low, high (numbers), reference and current share, PSI term."""
        labels = self.bins.labels
        out = pd.DataFrame({"bin": labels, "reference": self.reference_shares, "current": self.current_shares,
                            "psi": self.psi_terms})
        if self.kind == "numeric":
            bounds = [self.bins.interval(i) for i in range(len(labels) - 1)] + [(np.nan, np.nan)]
            out.insert(1, "low", [b[0] for b in bounds])
            out.insert(2, "high", [b[1] for b in bounds])
        return out

    def to_dict(self) -> dict:
        return {
            "feature": self.feature, "kind": self.kind, "test": self.test, "statistic": finite(self.statistic),
            "p_value": finite(self.p_value), "p_adjusted": finite(self.p_adjusted), "psi": finite(self.psi),
            "wasserstein": finite(self.wasserstein), "missing_reference": finite(self.missing_reference),
            "missing_current": finite(self.missing_current), "missing_change": finite(self.missing_change),
            "median_reference": finite(self.median_reference), "median_current": finite(self.median_current),
            "new_levels": {str(k): int(v) for k, v in self.new_levels.items()}, "new_share": finite(self.new_share),
            "severity": self.severity,
            # the names the monitor command's JSON promises (issue 16), beside the ones above
            "p_value_adjusted": finite(self.p_adjusted), "alert": self.severity,
            "bins": [{k: (finite(v) if isinstance(v, float | np.floating) else v) for k, v in row.items()}
                     for row in self.bin_table().to_dict(orient="records")],
        }


def finite(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) or np.isinf(value) else value


def reference_bins(reference, dataset) -> dict[str, Bins]:
    """Bins fixed on the reference table, per feature."""
    out = {}
    for info in dataset.schema:
        if info.kind == "numeric":
            out[info.name] = numeric_bins(reference.features[info.name].to_numpy(dtype="float64"))
        else:
            out[info.name] = Bins("categorical", categories=tuple(info.categories))
    return out


def feature_drift(name: str, bins: Bins, reference, current) -> FeatureDrift:
    """The statistics of one feature (``reference`` and ``current``: :class:`MonitoredTable`)."""
    from scipy import stats

    n_ref, n_cur = reference.rows, current.rows
    if bins.kind == "numeric":
        ref = reference.features[name].to_numpy(dtype="float64")
        cur = current.features[name].to_numpy(dtype="float64")
        ref_counts, cur_counts = numeric_counts(bins, ref), numeric_counts(bins, cur)
        ref_present, cur_present = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
        if ref_present.size and cur_present.size:
            ks = stats.ks_2samp(ref_present, cur_present)
            statistic, p = float(ks.statistic), float(ks.pvalue)
            wasserstein = float(stats.wasserstein_distance(ref_present, cur_present))
        else:
            statistic, p, wasserstein = float("nan"), float("nan"), None
        missing = np.array([[ref_counts[-1], n_ref - ref_counts[-1]], [cur_counts[-1], n_cur - cur_counts[-1]]])
        if missing[:, 0].sum() > 0:
            _, p_missing = chi2_test(missing)
            p = min(1.0, 2 * min(p_missing, 1.0 if np.isnan(p) else p))
        total, terms = psi(ref_counts, cur_counts)
        return FeatureDrift(
            name, "numeric", "ks", statistic, p, total, bins, ref_counts, cur_counts, terms,
            float(ref_counts[-1] / max(n_ref, 1)), float(cur_counts[-1] / max(n_cur, 1)), wasserstein,
            float(np.median(ref_present)) if ref_present.size else None,
            float(np.median(cur_present)) if cur_present.size else None,
        )
    ref_counts = category_counts(bins, reference.levels.get(name, pd.Series(dtype="int64")), n_ref)
    cur_levels = current.levels.get(name, pd.Series(dtype="int64"))
    cur_counts = category_counts(bins, cur_levels, n_cur)
    statistic, p = chi2_test(np.vstack([ref_counts, cur_counts]))
    total, terms = psi(ref_counts, cur_counts)
    new = cur_levels[~cur_levels.index.isin(bins.categories)].sort_values(ascending=False)
    return FeatureDrift(
        name, "categorical", "chi2", statistic, p, total, bins, ref_counts, cur_counts, terms,
        float(ref_counts[-1] / max(n_ref, 1)), float(cur_counts[-1] / max(n_cur, 1)),
        new_levels={str(k): int(v) for k, v in new.items()},
    )


def data_drift(reference, current, bins: dict[str, Bins]) -> list[FeatureDrift]:
    """Every feature's statistics, with Holm-adjusted p-values."""
    from dataclasses import replace

    found = [feature_drift(name, feature_bins, reference, current) for name, feature_bins in bins.items()]
    adjusted = holm([d.p_value for d in found])
    return [replace(d, p_adjusted=float(a)) for d, a in zip(found, adjusted, strict=True)]
