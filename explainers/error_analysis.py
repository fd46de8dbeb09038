"""Where a model errs: an error tree over its test-split errors, cohorts with metrics and intervals, and a heat map
of the error rate over two features.

- **Errors**: on the fixed-seed test split, a classifier errs where its label differs from the actual one; a
  regressor where its absolute error is among the largest (above the ``REGRESSION_QUANTILE`` of the split's
  absolute errors).
- **Error tree**: a shallow scikit-learn ``DecisionTreeClassifier`` fitted to those errors (numbers as they are,
  missing values handled by the tree, categories one-hot), so each leaf is a combination of feature ranges with
  its error rate and its share of all errors. Each leaf's rule is also a filter of :mod:`explainers.expressions`,
  which picks exactly the leaf's rows: a leaf opens as a cohort.
- **Cohorts**: named filters (:func:`explainers.expressions.select_rows`) on the test split, each with the
  model's metrics and their bootstrap intervals (:func:`explainers.comparison.metric_intervals`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .comparison import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, bootstrap_weights, metric_intervals, model_output
from .errors import InputError
from .expressions import select_rows
from .metrics import ModelEvaluation, evaluate
from .models import TabularModel
from .util import finite

DEFAULT_MAX_DEPTH = 3
MAX_DEPTH = 6
REGRESSION_QUANTILE = 0.8  # a regressor's worst fifth of absolute errors count as its errors
HEATMAP_BINS = 5
HEATMAP_CATEGORIES = 8


def model_errors(model: TabularModel, seed: int = 0, evaluation: ModelEvaluation | None = None
                 ) -> tuple[np.ndarray, np.ndarray, float | None]:
    """The test split's row positions, whether the model errs on each, and (regressors) the absolute error above
    which a prediction counts as an error."""
    evaluation = evaluation or evaluate(model, seed)
    if model.is_classifier:
        return evaluation.rows, np.asarray(evaluation.predicted != evaluation.y_true, dtype=bool), None
    absolute = np.abs(np.asarray(evaluation.score, dtype="float64") - np.asarray(evaluation.y_true, dtype="float64"))
    threshold = float(np.quantile(absolute, REGRESSION_QUANTILE))
    return evaluation.rows, absolute > threshold, threshold


@dataclass(frozen=True)
class Condition:
    """One step of a leaf's rule: ``feature op value`` (op ``<=``, ``>``, ``==`` or ``!=``); ``missing`` says
    whether rows with the feature missing take this step too."""

    feature: str
    op: str
    value: object
    missing: bool = False

    def expression(self) -> str:
        """The condition as a filter of :mod:`explainers.expressions`."""
        name = "`" + self.feature.replace("`", "") + "`"
        value = repr(float(self.value)) if self.op in ("<=", ">") else repr(str(self.value))
        text = f"{name} {self.op} {value}"
        return f"({text} or {name} == None)" if self.missing else text

    def to_dict(self) -> dict:
        return {"feature": self.feature, "op": self.op,
                "value": finite(self.value) if self.op in ("<=", ">") else self.value, "missing": self.missing}


@dataclass(frozen=True)
class ErrorNode:
    """One node of the error tree: its rule from the root, its rows and errors on the test split."""

    node: int
    parent: int | None
    depth: int
    rule: tuple[Condition, ...]
    rows: int
    errors: int
    is_leaf: bool

    @property
    def error_rate(self) -> float:
        return self.errors / self.rows if self.rows else float("nan")

    def expression(self) -> str:
        """The filter that picks exactly this node's rows of the test split ("" for the root: every row)."""
        return " and ".join(c.expression() for c in self.rule)


@dataclass(frozen=True, eq=False)
class ErrorTree:
    """The error tree: every node (the root first), the test rows with their errors and leaves."""

    nodes: tuple[ErrorNode, ...]
    rows: np.ndarray  # test-split positions in the dataset
    is_error: np.ndarray
    leaf_of_row: np.ndarray  # the leaf (node id) of each test row
    max_depth: int
    threshold: float | None  # regressors: the absolute error above which a prediction is an error

    @property
    def total_errors(self) -> int:
        return int(self.is_error.sum())

    @property
    def error_rate(self) -> float:
        return float(self.is_error.mean()) if len(self.is_error) else float("nan")

    @property
    def leaves(self) -> list[ErrorNode]:
        """The leaves, most concentrated errors first."""
        leaves = [n for n in self.nodes if n.is_leaf]
        return sorted(leaves, key=lambda n: (-n.error_rate, -n.errors, n.node))

    def share_of_errors(self, node: ErrorNode) -> float:
        return node.errors / self.total_errors if self.total_errors else 0.0

    def leaf_table(self) -> pd.DataFrame:
        """One row per leaf: node, rows, errors, error_rate, share_of_errors, share_of_rows, rule (the filter)."""
        return pd.DataFrame([{"node": n.node, "rows": n.rows, "errors": n.errors, "error_rate": n.error_rate,
                              "share_of_errors": self.share_of_errors(n), "share_of_rows": n.rows / len(self.rows),
                              "rule": n.expression()} for n in self.leaves])

    def to_dict(self) -> dict:
        return {"max_depth": self.max_depth, "test_rows": len(self.rows), "errors": self.total_errors,
                "error_rate": finite(self.error_rate), "threshold": finite(self.threshold),
                "leaves": [{"node": n.node, "rows": n.rows, "errors": n.errors, "error_rate": finite(n.error_rate),
                            "share_of_errors": finite(self.share_of_errors(n)), "rule": n.expression(),
                            "conditions": [c.to_dict() for c in n.rule]} for n in self.leaves]}


def _tree_inputs(model: TabularModel, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, object]]]:
    """The tree's columns: numbers as they are (NaN kept), one 0/1 column per category; and, for each column,
    (feature, category or None)."""
    dataset = model.dataset
    columns, owners = {}, []
    for info in dataset.schema:
        column = frame[info.name]
        if info.kind == "categorical":
            for category in info.categories:
                columns[f"{info.name}\x00{category}"] = (column == category).fillna(False).to_numpy(dtype="float64")
                owners.append((info.name, category))
        else:
            columns[info.name] = column.to_numpy(dtype="float64")
            owners.append((info.name, None))
    return pd.DataFrame(columns, index=frame.index), owners


def error_tree(model: TabularModel, max_depth: int = DEFAULT_MAX_DEPTH, seed: int = 0,
               min_leaf_rows: int | None = None, evaluation: ModelEvaluation | None = None) -> ErrorTree:
    """Fit a shallow decision tree to the model's test-split errors (seeded); see the module's notes."""
    from sklearn.tree import DecisionTreeClassifier

    if not isinstance(max_depth, int) or not 1 <= max_depth <= MAX_DEPTH:
        raise InputError(key="errors.compare.max_depth", maximum=MAX_DEPTH)
    rows, is_error, threshold = model_errors(model, seed, evaluation)
    frame = model.dataset.features.iloc[rows]
    inputs, owners = _tree_inputs(model, frame)
    leaf_rows = min_leaf_rows if min_leaf_rows is not None else max(5, len(rows) // 100)
    leaf_rows = max(leaf_rows, model.dataset.spec.min_group_rows)  # no leaf small enough to single someone out
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=leaf_rows, random_state=seed)
    tree.fit(inputs.to_numpy(), is_error.astype(int))
    structure = tree.tree_
    leaf_of_row = tree.apply(inputs.to_numpy())
    missing_left = getattr(structure, "missing_go_to_left", np.zeros(structure.node_count, dtype=bool))
    has_missing = {name: bool(frame[name].isna().any()) for name in model.dataset.numeric}
    paths = tree.decision_path(inputs.to_numpy()).tocsc()
    nodes: list[ErrorNode] = []

    def visit(node: int, parent: int | None, depth: int, rule: tuple[Condition, ...]) -> None:
        reach = np.asarray(paths[:, node].toarray()).ravel().astype(bool)
        left, right = int(structure.children_left[node]), int(structure.children_right[node])
        nodes.append(ErrorNode(node, parent, depth, rule, int(reach.sum()), int(is_error[reach].sum()), left == -1))
        if left == -1:
            return
        feature, category = owners[structure.feature[node]]
        if category is None:
            threshold_value = float(structure.threshold[node])
            goes_left = bool(missing_left[node]) and has_missing[feature]
            goes_right = not bool(missing_left[node]) and has_missing[feature]
            visit(left, node, depth + 1, (*rule, Condition(feature, "<=", threshold_value, goes_left)))
            visit(right, node, depth + 1, (*rule, Condition(feature, ">", threshold_value, goes_right)))
        else:  # a one-hot column: 0 (another category, or missing) goes left
            visit(left, node, depth + 1, (*rule, Condition(feature, "!=", category)))
            visit(right, node, depth + 1, (*rule, Condition(feature, "==", category)))

    visit(0, None, 0, ())
    return ErrorTree(tuple(nodes), rows, is_error, leaf_of_row, max_depth, threshold)


# ---------------------------------------------------------------------------------------------------------
# Cohorts


@dataclass(frozen=True, eq=False)
class CohortMetrics:
    """Per cohort (index: its name): rows, errors, error_rate, and each metric's value, low and high
    (``<metric>``, ``<metric>:low``, ``<metric>:high``) on the test split."""

    table: pd.DataFrame
    metrics: tuple[str, ...]
    resamples: int
    confidence: float
    suppressed: tuple[str, ...] = ()  # cohorts under the spec's min_group_rows: counted, never measured
    min_group_rows: int = 0

    def to_dict(self) -> dict:
        return {name: {k: finite(v) if isinstance(v, float) else v for k, v in row.items()}
                for name, row in self.table.iterrows()}


def cohort_metrics(model: TabularModel, cohorts: Mapping[str, str], resamples: int = DEFAULT_RESAMPLES,
                   confidence: float = DEFAULT_CONFIDENCE, seed: int = 0,
                   evaluation: ModelEvaluation | None = None) -> CohortMetrics:
    """The model's test-split metrics in each cohort (a filter of :mod:`explainers.expressions`; ``""`` is
    every row), with seeded bootstrap intervals; InputError for a filter that does not parse."""
    evaluation = evaluation or evaluate(model, seed)
    rows, is_error, _ = model_errors(model, seed, evaluation)
    frame = model.dataset.features.iloc[rows]
    output = model_output(model, frame)
    labels = np.asarray(evaluation.y_true)
    records, names, suppressed = {}, (), []
    smallest = model.dataset.spec.min_group_rows  # fewer rows than this could single someone out
    for name, text in cohorts.items():
        picked = select_rows(frame, text) if text.strip() else np.ones(len(rows), dtype=bool)
        if 0 < picked.sum() < smallest:
            suppressed.append(name)
            records[name] = {"rows": int(picked.sum()), "errors": float("nan"), "error_rate": float("nan")}
            continue
        record = {"rows": int(picked.sum()), "errors": int(is_error[picked].sum()),
                  "error_rate": float(is_error[picked].mean()) if picked.any() else float("nan")}
        if picked.sum() >= 2:
            table = metric_intervals(model, labels[picked], output[picked],
                                     bootstrap_weights(int(picked.sum()), resamples, seed), confidence)
            names = tuple(table.index) if len(table.index) > len(names) else names
            for metric, r in table.iterrows():
                record.update({metric: r["value"], f"{metric}:low": r["low"], f"{metric}:high": r["high"]})
        records[name] = record
    return CohortMetrics(pd.DataFrame.from_dict(records, orient="index"), names, resamples, confidence,
                         tuple(suppressed), smallest)


# ---------------------------------------------------------------------------------------------------------
# Heat map


@dataclass(frozen=True, eq=False)
class ErrorHeatmap:
    """The error rate (``rate``) and row counts (``rows``) of the test split over two features' bins."""

    x: str
    y: str
    rate: pd.DataFrame  # index: y's bins, columns: x's bins
    rows: pd.DataFrame


def _bins(column: pd.Series, numeric: bool, missing: str, number) -> pd.Series:
    """Each value's bin as the reader sees it: numbers in up to HEATMAP_BINS quantile ranges ("≤ 3", "3 – 8",
    "> 8"), categories as they are (the most frequent HEATMAP_CATEGORIES, the rest together as "…")."""
    if numeric:
        values = column.astype("float64")
        if values.nunique() > HEATMAP_BINS:
            binned = pd.qcut(values, HEATMAP_BINS, duplicates="drop")
            edges = list(binned.cat.categories)
            names = [f"≤ {number(edges[0].right)}", *[f"{number(e.left)} – {number(e.right)}" for e in edges[1:-1]],
                     f"> {number(edges[-1].left)}"]
            labels = binned.cat.rename_categories(names).astype(object)
            order = names
        else:
            order = [number(v) for v in sorted(values.dropna().unique())]
            labels = values.map(lambda v: number(v) if v == v else None)
        labels = pd.Series(labels, index=column.index).where(values.notna(), missing)
        return pd.Series(pd.Categorical(labels, categories=[*order, missing]), index=column.index)
    text = column.astype("object").where(column.notna(), missing).astype(str)
    top = text.value_counts().index[:HEATMAP_CATEGORIES]
    other = "…"
    kept = text.where(text.isin(top), other)
    return pd.Series(pd.Categorical(kept, categories=[*top, other]), index=column.index)


def error_heatmap(model: TabularModel, x: str, y: str, seed: int = 0, missing: str = "missing",
                  evaluation: ModelEvaluation | None = None, number=lambda v: f"{v:,.4g}") -> ErrorHeatmap:
    """The test split's error rate over ``x`` and ``y`` (numbers in quantile bins, categories as they are);
    ``number`` writes a bin's edges (the reader's number format)."""
    dataset = model.dataset
    for feature in (x, y):
        if feature not in dataset.feature_names:
            raise InputError(key="errors.compare.unknown_feature", name=str(feature)[:60])
    rows, is_error, _ = model_errors(model, seed, evaluation)
    frame = dataset.features.iloc[rows]
    binned_x = _bins(frame[x], x in dataset.numeric, missing, number)
    binned_y = _bins(frame[y], y in dataset.numeric, missing, number)
    table = pd.DataFrame({"x": binned_x.array, "y": binned_y.array, "error": is_error.astype(float)})
    grouped = table.groupby(["y", "x"], observed=False)["error"]
    rate = grouped.mean().unstack("x")
    counts = grouped.size().unstack("x")
    keep_rows = counts.sum(axis=1) > 0
    keep_columns = counts.sum(axis=0) > 0
    return ErrorHeatmap(x, y, rate.loc[keep_rows, keep_columns], counts.loc[keep_rows, keep_columns])
