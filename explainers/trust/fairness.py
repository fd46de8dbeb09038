"""Does the model treat groups of people alike? Per-group metrics with fairlearn's ``MetricFrame`` on the test
split, and the flip test: change only the sensitive feature and count how often the outcome changes."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import InputError
from ..i18n import translator
from ..models import TabularModel, train_test_indices
from ..privacy import suppress_small_groups
from ..util import finite, plain, sample_positions

DEFAULT_BINS = 4
MAX_BINS = 20
DEFAULT_FLIP_ROWS = 2000
MISSING_GROUP = "—"


# --------------------------------------------------------------------------------------------
# Fairness: group metrics


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
        raise InputError(key="errors.trust.nothing_to_bin")
    if integer is None:
        integer = bool((observed == np.round(observed)).all())
    if edges is None:
        if not isinstance(bins, int | np.integer) or not 2 <= bins <= MAX_BINS:
            raise InputError(key="errors.trust.bins", limit=MAX_BINS, bins=repr(bins))
        cuts = np.unique(np.quantile(observed, np.linspace(0, 1, int(bins) + 1)))
        if len(cuts) < 2:
            cuts = np.array([observed.min(), observed.max()])
    else:
        cuts = np.asarray([float(e) for e in edges], dtype="float64")
        if len(cuts) < 2 or not np.isfinite(cuts).all() or (np.diff(cuts) <= 0).any():
            raise InputError(key="errors.trust.bin_edges")
        if len(cuts) - 1 > MAX_BINS:
            raise InputError(key="errors.trust.too_many_edges", limit=MAX_BINS)
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
    suppressed: tuple[str, ...] = ()  # groups under ``min_group_rows`` rows: counted, never measured
    min_group_rows: int = 0

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
                {"group": str(g), **{c: (int(v) if c == "count" else finite(v)) for c, v in line.items()}}
                for g, line in self.groups.iterrows()
            ],
            "gaps": {k: finite(v) for k, v in self.gaps.items()},
            "suppressed": list(self.suppressed),
            "min_group_rows": self.min_group_rows,
        }


def fairness_metrics(
    y_true: Sequence | np.ndarray,
    y_pred: Sequence | np.ndarray,
    groups: Sequence | np.ndarray,
    task: Literal["classification", "regression"] = "classification",
    favourable: object = 1,
    order: Sequence[str] | None = None,
    min_group_rows: int = 0,
) -> FairnessMetrics:
    """Per-group metrics with fairlearn's ``MetricFrame``.

    Groups with fewer than ``min_group_rows`` rows keep their count but no metric (missing), and the gaps are
    measured over the other groups only, so that no one in a small group can be singled out.

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
        raise InputError(key="errors.trust.lengths")
    if not len(y_true):
        raise InputError(key="errors.trust.no_rows")
    keep, suppressed = suppress_small_groups(groups, min_group_rows)
    if suppressed:
        every_group = pd.Series(groups).value_counts()
        if not keep.any():  # nothing left to measure: counts only
            table = pd.DataFrame({"count": every_group}).rename_axis("group")
            result = FairnessMetrics(task, table, {}, None if task == "regression" else str(favourable),
                                     tuple(suppressed), min_group_rows)
        else:
            result = fairness_metrics(y_true[keep], y_pred[keep], groups[keep], task, favourable, order)
            table = result.groups.reindex([*result.groups.index, *suppressed])
            table["count"] = [int(every_group[g]) for g in table.index]
            result = FairnessMetrics(task, table, result.gaps, result.favourable, tuple(suppressed), min_group_rows)
        if order is not None:
            present = [str(g) for g in order if str(g) in result.groups.index]
            ordered = result.groups.reindex(present + [g for g in result.groups.index if g not in present])
            result = FairnessMetrics(task, ordered, result.gaps, result.favourable, result.suppressed, min_group_rows)
        return result
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
        raise InputError(key="errors.trust.unknown_task", task=repr(task))
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
            "bins": None if self.bins is None else {"edges": [finite(e) for e in self.bins.edges],
                                                    "labels": list(self.bins.labels)},
            **self.metrics.to_dict(),
            "summary": fairness_summary(self, lang),
        }


def _sensitive_values(model: TabularModel, feature: str, values: pd.Series | np.ndarray | None) -> pd.Series:
    dataset = model.dataset
    if values is None:
        if feature not in dataset.features.columns:
            raise InputError(key="errors.trust.unknown_sensitive", feature=feature,
                             columns=", ".join(dataset.feature_names[:30]))
        return dataset.features[feature]
    values = pd.Series(np.asarray(values, dtype=object) if not isinstance(values, pd.Series) else values.to_numpy())
    if len(values) != len(dataset.features):
        raise InputError(key="errors.trust.values_per_row", feature=feature, rows=len(dataset.features),
                         given=len(values))
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
        metrics = fairness_metrics(truth, predicted, labels[test], "classification", favourable, order,
                                   min_group_rows=dataset.spec.min_group_rows)
        label = dataset.spec.class_label(favourable, lang)
    else:
        truth = dataset.target.to_numpy(dtype="float64")[test]
        metrics = fairness_metrics(truth, model.predict_value(frame), labels[test], "regression", order=order,
                                   min_group_rows=dataset.spec.min_group_rows)
        label = None
    return GroupFairness(feature, metrics, binned, len(test), label)


def fairness_summary(result: GroupFairness, lang: str = "en") -> str:
    """One or two plain sentences: which group gets the favourable outcome least often, and by how much; then
    which groups were too small to be measured."""
    text = _gap_summary(result, lang)
    if result.metrics.suppressed:
        text += " " + translator(lang)("privacy.suppressed_groups", k=result.metrics.min_group_rows,
                                       groups=", ".join(result.metrics.suppressed))
    return text


def _gap_summary(result: GroupFairness, lang: str) -> str:
    tr = translator(lang)
    table = result.groups
    column = result.metrics.headline
    rates = table[column].dropna() if column in table else pd.Series(dtype="float64")
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
# Counterfactual flip test


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
            "share": finite(self.share),
            "mean_abs_change": finite(self.mean_abs_change),
            "max_abs_change": finite(self.max_abs_change),
            "used_by_model": self.used_by_model,
            "tolerance": finite(self.tolerance),
            "flips": [
                {k: (finite(v) if isinstance(v, float) else (int(v) if isinstance(v, np.integer) else v))
                 for k, v in line.items()}
                for line in flips.to_dict(orient="records")
            ],
            "flips_shown": len(flips),
        }


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
    positions = sample_positions(len(dataset.features), max_rows, seed)
    if tolerance is None:
        tolerance = 0.05 * float(dataset.target.std()) if not model.is_classifier else None
    elif tolerance < 0:
        raise InputError(key="errors.trust.tolerance_negative")
    used = feature in dataset.feature_names
    numeric = _is_numeric(model, feature, column, bins if edges is None else 0)
    original = column.iloc[positions].reset_index(drop=True)
    options, owner = _flip_options(model, feature, column, original, numeric, bins, edges)
    source, new_values = [], []
    for j, option in enumerate(options):
        who = np.flatnonzero(owner != j)
        source.append(who)
        new_values.extend([option] * len(who))
    source_index = np.concatenate(source) if source else np.array([], dtype=int)
    variants = len(source_index)
    empty = pd.DataFrame(columns=["row", "original", "new", "score_before", "score_after"])
    if not used or variants == 0:
        by_value = pd.DataFrame({"new": [plain(o) for o in options], "variants": [len(s) for s in source],
                                 "changed": 0, "mean_change": 0.0})
        return FlipTest(feature, dataset.task, len(positions), variants, 0, 0, 0.0, 0.0, empty, by_value, used,
                        tolerance)
    base = dataset.features.iloc[positions].reset_index(drop=True)
    altered = base.iloc[source_index].reset_index(drop=True)
    if numeric:
        altered[feature] = np.asarray(new_values, dtype="float64")
    else:
        altered[feature] = pd.Categorical(new_values, categories=dataset.info[feature].categories)
    n = len(base)
    before, after, changed, before_label, after_label = _predict_variants(model, base, altered, source_index,
                                                                           tolerance)
    delta = after - before
    flips = pd.DataFrame({
        "row": positions[source_index][changed].astype(int),
        "original": [plain(v) for v in original.to_numpy(dtype=object)[source_index][changed]],
        "new": [plain(v) for v in np.asarray(new_values, dtype=object)[changed]],
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
        "new": [plain(o) for o in options],
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


def _flip_options(model: TabularModel, feature: str, column: pd.Series, original: pd.Series, numeric: bool,
                  bins: int, edges: Sequence[float] | None) -> tuple[list[object], np.ndarray]:
    """The values the feature is set to (the medians of the bins, or every category) and, for each sampled row,
    which of them it already has (-1 for none)."""
    dataset = model.dataset
    if numeric:
        info = dataset.info.get(feature)
        binned = make_bins(column, bins, edges, integer=info.integer if info is not None else None)
        return list(binned.medians), binned.assign(original)
    if feature in dataset.info:
        options: list[object] = list(dataset.info[feature].categories)
    else:
        options = sorted({str(v) for v in column.dropna()})
    text = np.array([None if pd.isna(v) else str(v) for v in original], dtype=object)
    return options, np.array([options.index(t) if t in options else -1 for t in text])


def _predict_variants(model: TabularModel, base: pd.DataFrame, altered: pd.DataFrame, source_index: np.ndarray,
                      tolerance: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, object, object]:
    """The originals and all their altered copies in one model call: each copy's score before and after, whether
    its outcome changed, and (classifiers) the labels before and after."""
    batch = pd.concat([base, altered], ignore_index=True)
    n = len(base)
    before_label = after_label = None
    if model.is_classifier:
        probabilities = model.predict_proba(batch)  # the one model call
        labels = np.asarray(model.classes, dtype=object)[probabilities.argmax(axis=1)]
        score = probabilities[:, model.positive_index]
        before_label, after_label = labels[:n][source_index], labels[n:]
        changed = before_label != after_label
    else:
        score = model.predict_value(batch)  # the one model call
        changed = np.abs(score[n:] - score[:n][source_index]) > tolerance
    return score[:n][source_index], score[n:], changed, before_label, after_label
