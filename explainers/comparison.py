"""Models of one dataset side by side: test metrics with paired bootstrap intervals, curves, global importance
and its ranks, the test rows where the models disagree, and one row through each model.

Every model is scored on the same fixed-seed test split (:func:`explainers.metrics.evaluate`, the Overview's
numbers); the bootstrap draws the same resampled rows for every model (paired), with the monitoring's
vectorised metrics (:func:`explainers.monitoring.model_drift.weighted_metrics`), so the intervals of two models
can be read against each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .counterfactuals import Counterfactual, prediction_dict
from .errors import InputError
from .global_views import global_shap
from .i18n import translator
from .metrics import METRIC_KEYS, ModelEvaluation, evaluate
from .models import TabularModel
from .monitoring.model_drift import HIGHER_IS_BETTER, weighted_metrics
from .util import finite, plain
from .workspace import Workspace, best_counterfactual

DEFAULT_RESAMPLES = 200
DEFAULT_CONFIDENCE = 0.95
IMPORTANCE_ROWS = 500  # rows of global SHAP per model: ranks settle long before the Global page's 2,000
REGRESSION_TOLERANCE = 0.1  # regressors disagree when predictions differ by more than this share of the target's spread
TOP_REASONS = 3


# ---------------------------------------------------------------------------------------------------------
# Metrics with bootstrap intervals


def model_output(model: TabularModel, frame: pd.DataFrame) -> np.ndarray:
    """What the metrics read: class probabilities (columns in the model's class order) or predicted values."""
    return model.predict_proba(frame) if model.is_classifier else model.predict_value(frame)


def label_codes(model: TabularModel, labels: np.ndarray) -> np.ndarray:
    """Labels as class indices (classifiers) or floats (regressors), as :func:`weighted_metrics` reads them."""
    if not model.is_classifier:
        return np.asarray(labels, dtype="float64")
    lookup = {c: i for i, c in enumerate(model.classes)}
    return np.array([lookup[v] for v in labels], dtype="int64")


def bootstrap_weights(rows: int, resamples: int, seed: int) -> np.ndarray:
    """``resamples`` bootstrap resamples of ``rows`` rows, each as how often every row is drawn (seeded)."""
    if resamples < 20:
        raise InputError(key="errors.compare.resamples", minimum=20)
    rng = np.random.default_rng(seed)
    return rng.multinomial(rows, np.full(rows, 1.0 / rows), size=resamples).astype("float64")


def metric_intervals(model: TabularModel, labels: np.ndarray, output: np.ndarray, weights: np.ndarray,
                     confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Each metric of ``labels`` against ``output`` with the percentile interval of its bootstrap draws
    (``weights``: one resample per row): columns value, low, high, indexed by metric name."""
    codes = label_codes(model, labels)
    point = weighted_metrics(model, codes, output, np.ones((1, len(codes))))
    draws = weighted_metrics(model, codes, output, weights)
    tail = (1 - confidence) / 2
    table = {}
    for name, value in point.items():
        sample = np.asarray(draws[name], dtype="float64")
        usable = sample[np.isfinite(sample)]
        low, high = (np.quantile(usable, [tail, 1 - tail]) if len(usable) else (np.nan, np.nan))
        table[name] = {"value": float(value[0]), "low": float(low), "high": float(high)}
    return pd.DataFrame.from_dict(table, orient="index")


# ---------------------------------------------------------------------------------------------------------
# The comparison


@dataclass(frozen=True, eq=False)
class Comparison:
    """Models of one dataset on its test split.

    ``metrics``: one row per (model, metric): value, low, high (bootstrap interval), higher_is_better.
    ``importance``: per feature, each model's share of its total mean |SHAP| and its rank (1 = relied on most).
    ``predictions``: per test row, the actual label or value and each model's prediction and score.
    ``disagree``: the test rows (positions in the dataset) where the models' predictions differ.
    """

    names: tuple[str, ...]
    task: str
    evaluations: dict[str, ModelEvaluation]
    metrics: pd.DataFrame
    importance: pd.DataFrame
    predictions: pd.DataFrame
    disagree: np.ndarray
    tolerance: float | None
    resamples: int
    confidence: float
    seed: int

    @property
    def rows(self) -> int:
        return len(self.predictions)

    @property
    def disagreement_rate(self) -> float:
        return len(self.disagree) / self.rows if self.rows else float("nan")

    def ranks(self) -> pd.DataFrame:
        """Each model's rank of each feature (columns: model names), in the first model's order."""
        return self.importance[[f"rank:{name}" for name in self.names]].rename(columns=lambda c: c[5:])

    def rank_changes(self) -> pd.Series:
        """How far each feature's rank moves between the first model and any other (the largest move)."""
        ranks = self.ranks()
        first = ranks[self.names[0]]
        return ranks.sub(first, axis=0).abs().max(axis=1).astype(int)

    def to_dict(self, rows: int = 50) -> dict:
        """JSON-ready: metrics with intervals, importance ranks, disagreement rate and (at most ``rows``) rows."""
        shown = self.predictions.loc[self.disagree[:rows]] if rows else self.predictions.iloc[:0]
        return {
            "models": list(self.names),
            "task": self.task,
            "test_rows": self.rows,
            "bootstrap": {"resamples": self.resamples, "confidence": self.confidence, "seed": self.seed},
            "metrics": {name: {metric: {k: finite(r[k]) for k in ("value", "low", "high")}
                               for metric, r in self.metrics.loc[name].iterrows()} for name in self.names},
            "importance": {str(f): {name: {"share": finite(r[f"share:{name}"]), "rank": int(r[f"rank:{name}"])}
                                    for name in self.names} for f, r in self.importance.iterrows()},
            "disagreement": {"rows": len(self.disagree), "rate": finite(self.disagreement_rate),
                             "tolerance": finite(self.tolerance) if self.tolerance is not None else None,
                             "positions": [int(p) for p in self.disagree]},
            "disagreeing_rows": [{"row": int(p), **{str(k): plain(v) for k, v in r.items()}}
                                 for p, r in shown.iterrows()],
        }


def check_same_data(models: Mapping[str, TabularModel]) -> tuple[str, ...]:
    """The models' names, once checked: two or more, all on the same table (same data hash)."""
    names = tuple(models)
    if len(names) < 2:
        raise InputError(key="errors.compare.two_models")
    hashes = {model.dataset.data_hash for model in models.values()}
    if len(hashes) != 1:
        raise InputError(key="errors.compare.other_data")
    return names


def compare(models: Mapping[str, TabularModel], resamples: int = DEFAULT_RESAMPLES,
            confidence: float = DEFAULT_CONFIDENCE, seed: int = 0, importance_rows: int = IMPORTANCE_ROWS,
            tolerance: float | None = None) -> Comparison:
    """Compare named models of one dataset on its fixed-seed test split.

    ``tolerance`` (regression only): predictions further apart than this count as a disagreement; by default
    :data:`REGRESSION_TOLERANCE` times the standard deviation of the test targets."""
    names = check_same_data(models)
    first = models[names[0]]
    evaluations = {name: evaluate(model, seed) for name, model in models.items()}
    rows = evaluations[names[0]].rows
    frame = first.dataset.features.iloc[rows]
    labels = evaluations[names[0]].y_true
    weights = bootstrap_weights(len(rows), resamples, seed)
    parts = []
    for name, model in models.items():
        table = metric_intervals(model, labels, model_output(model, frame), weights, confidence)
        # The point values are the Overview's (one source of truth); the intervals come from the draws.
        for metric, value in evaluations[name].metrics.items():
            if metric in table.index:
                table.loc[metric, "value"] = value
        table["higher_is_better"] = [HIGHER_IS_BETTER.get(m, True) for m in table.index]
        table.index = pd.MultiIndex.from_product([[name], table.index], names=["model", "metric"])
        parts.append(table)
    metrics = pd.concat(parts)
    predictions = pd.DataFrame({"actual": labels}, index=pd.Index(rows, name="row"))
    for name in names:
        evaluation = evaluations[name]
        predictions[f"predicted:{name}"] = evaluation.predicted
        predictions[f"score:{name}"] = evaluation.score
    if first.is_classifier:
        tolerance = None
        predicted = predictions[[f"predicted:{name}" for name in names]].astype(str)
        differs = predicted.nunique(axis=1).to_numpy() > 1
    else:
        spread = float(np.std(np.asarray(labels, dtype="float64")))
        tolerance = REGRESSION_TOLERANCE * spread if tolerance is None else float(tolerance)
        scores = predictions[[f"score:{name}" for name in names]].to_numpy(dtype="float64")
        differs = (scores.max(axis=1) - scores.min(axis=1)) > tolerance
    return Comparison(names, first.task, evaluations, metrics, importance_table(models, importance_rows, seed),
                      predictions, rows[differs], tolerance, resamples, confidence, seed)


def importance_table(models: Mapping[str, TabularModel], rows: int = IMPORTANCE_ROWS, seed: int = 0
                     ) -> pd.DataFrame:
    """Per feature, each model's share of its total mean |SHAP| (``share:<name>``; shares compare models whose
    SHAP values are in different units) and its rank (``rank:<name>``), in the first model's order."""
    columns = {}
    for name, model in models.items():
        importance = global_shap(model, max_rows=rows, seed=seed).importance
        total = float(importance.sum())
        columns[f"share:{name}"] = importance / total if total > 0 else importance * 0.0
        columns[f"rank:{name}"] = importance.rank(ascending=False, method="first").astype(int)
    table = pd.DataFrame(columns)
    first = next(iter(models))
    return table.sort_values(f"rank:{first}").rename_axis("feature")


def disagreement_count(predictions: Sequence[np.ndarray]) -> int:
    """How many rows get different labels from the given models (one array of labels per model)."""
    stacked = np.column_stack([np.asarray(p, dtype=object).astype(str) for p in predictions])
    return int(sum(len(set(row)) > 1 for row in stacked))


# ---------------------------------------------------------------------------------------------------------
# One row through each model


@dataclass(frozen=True)
class RowView:
    """One model's answer for one row: its prediction, its top reasons (SHAP, by size) and best counterfactual."""

    name: str
    prediction: dict
    reasons: tuple[tuple[str, float], ...]
    best: Counterfactual | None
    space: str

    def to_dict(self) -> dict:
        return {"model": self.name, "prediction": self.prediction,
                "reasons": [{"feature": f, "shap": finite(v)} for f, v in self.reasons], "space": self.space,
                "best_counterfactual": None if self.best is None else self.best.to_dict()}


def compare_row(workspaces: Mapping[str, Workspace], row: int, seed: int = 0, counterfactuals: int = 4
                ) -> list[RowView]:
    """Each workspace's prediction, top reasons and best counterfactual for the row at position ``row``."""
    from .attributions import shap_values

    check_same_data({name: ws.model for name, ws in workspaces.items()})
    out = []
    for name, ws in workspaces.items():
        frame = ws.dataset.row(row)
        shap = shap_values(ws.model, frame, seed=seed)
        ordered = sorted(shap.row().items(), key=lambda item: -abs(item[1]))[:TOP_REASONS]
        found = ws.counterfactuals.generate(frame, total=counterfactuals, seed=seed) if counterfactuals else None
        out.append(RowView(name, prediction_dict(ws.model, frame)[0], tuple(ordered), best_counterfactual(found),
                           shap.space))
    return out


def change_phrase(feature_label: str, change: Mapping[str, object], lang: str) -> str:
    """One change of a counterfactual in words: "income 12% higher", "home were 'owner'"."""
    tr = translator(lang)
    before, after = change.get("from"), change.get("to")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v) for v in (before, after))
    if numbers and before != 0:
        percent = abs(float(after) - float(before)) / abs(float(before))
        key = "compare.change_higher" if float(after) > float(before) else "compare.change_lower"
        return tr(key, feature=feature_label, percent=tr.percent(percent))
    return tr("compare.change_to", feature=feature_label, value=tr.value(after))


def row_sentence(views: Sequence[RowView], titles: Mapping[str, str], labels: Mapping[str, str],
                 outcome: Mapping[str, str], lang: str) -> str:
    """What each model needs for the other outcome, in one sentence: "the baseline would give Good payer if
    income were 12% higher; the default XGBoost needs income 30% higher". ``outcome`` names a prediction's
    label for the reader; ``titles`` the models; ``labels`` the features."""
    tr = translator(lang)
    parts = []
    for i, view in enumerate(views):
        title = titles.get(view.name, view.name)
        if view.best is None:
            parts.append(tr("compare.sentence_none", model=title))
            continue
        changes = joined([change_phrase(labels.get(f, f), c, lang) for f, c in view.best.changes.items()], lang)
        prediction = view.best.prediction
        if "label" in prediction:
            result = outcome.get(str(prediction["label"]), str(prediction["label"]))
        else:
            result = tr.number(float(prediction["value"]), 3)
        key = "compare.sentence_first" if i == 0 else "compare.sentence_next"
        parts.append(tr(key, model=title, outcome=result, changes=changes))
    return "; ".join(parts) + "."


def joined(items: Sequence[str], lang: str) -> str:
    """"a, b and c" in the reader's language."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + translator(lang)("compare.and") + items[-1]


def metric_key(name: str) -> str:
    """The catalogue key of a metric's name (``report.metric_<key>``)."""
    return "report.metric_" + METRIC_KEYS.get(name, name)
