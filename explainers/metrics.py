"""Test-split performance of a model: metrics and the curves behind them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import metadata

import numpy as np
import pandas as pd

from .errors import InputError
from .models import TabularModel, cache_dir, train_test_indices
from .util import write_atomically

EVALUATION_FORMAT = 1  # bump when ModelEvaluation or evaluate() changes; older saved evaluations are then ignored


# The catalogue key (``report.metric_<key>`` and its ``_help``) of each metric name ``evaluate`` returns.
METRIC_KEYS = {
    "accuracy": "accuracy",
    "log loss": "log_loss",
    "ROC AUC": "roc_auc",
    "PR AUC": "pr_auc",
    "Brier score": "brier",
    "RMSE": "rmse",
    "MAE": "mae",
    "R²": "r2",
}


@dataclass(frozen=True, eq=False)
class ModelEvaluation:
    """Metrics and curves on the fixed-seed test split.

    ``score`` is P(positive class) for classifiers and the predicted value for regressors.
    """

    task: str
    rows: np.ndarray
    y_true: np.ndarray
    score: np.ndarray
    metrics: dict[str, float]
    curves: dict[str, pd.DataFrame] = field(default_factory=dict)
    labels: tuple[str, ...] = ()
    predicted: np.ndarray | None = None


def evaluate(model: TabularModel, seed: int = 0) -> ModelEvaluation:
    """Score ``model`` on the test part of its dataset's fixed-seed split."""
    from sklearn import metrics as skm

    dataset = model.dataset
    _, test = train_test_indices(dataset, seed)
    frame = dataset.features.iloc[test]
    if not model.is_classifier:
        y = dataset.target.to_numpy(dtype="float64")[test]
        predicted = model.predict_value(frame)
        return ModelEvaluation(
            task="regression",
            rows=test,
            y_true=y,
            score=predicted,
            metrics={
                "RMSE": float(np.sqrt(skm.mean_squared_error(y, predicted))),
                "MAE": float(skm.mean_absolute_error(y, predicted)),
                "R²": float(skm.r2_score(y, predicted)),
            },
            predicted=predicted,
        )
    probabilities = model.predict_proba(frame)
    labels = np.asarray(dataset.target.to_numpy(dtype=object)[test], dtype=object)
    positive = model.classes[model.positive_index]
    is_positive = (labels == positive).astype(int)
    score = probabilities[:, model.positive_index]
    predicted = np.asarray(model.classes, dtype=object)[probabilities.argmax(axis=1)]
    class_index = np.array([model.classes.index(v) for v in labels])
    result = {
        "accuracy": float(np.mean(predicted == labels)),
        "log loss": float(skm.log_loss(class_index, probabilities, labels=range(len(model.classes)))),
    }
    if len(set(is_positive)) == 2:
        result["ROC AUC"] = float(skm.roc_auc_score(is_positive, score))
        result["PR AUC"] = float(skm.average_precision_score(is_positive, score))
        result["Brier score"] = float(skm.brier_score_loss(is_positive, score))
        fpr, tpr, _ = skm.roc_curve(is_positive, score)
        precision, recall, _ = skm.precision_recall_curve(is_positive, score)
        from sklearn.calibration import calibration_curve

        observed, expected = calibration_curve(is_positive, score, n_bins=10, strategy="quantile")
        curves = {
            "roc": pd.DataFrame({"false positive rate": fpr, "true positive rate": tpr}),
            "pr": pd.DataFrame({"recall": recall, "precision": precision}),
            "calibration": pd.DataFrame({"predicted": expected, "observed": observed}),
        }
    else:
        curves = {}
    return ModelEvaluation(
        task="classification",
        rows=test,
        y_true=labels,
        score=score,
        metrics=result,
        curves=curves,
        labels=model.classes,
        predicted=predicted,
    )


def saved_evaluation(model: TabularModel, seed: int = 0) -> ModelEvaluation:
    """:func:`evaluate`, kept on disk beside a default model from the model cache.

    The first page of the dashboard shows the evaluation; read from disk, it needs neither XGBoost
    nor scikit-learn, which take about a second to import. Other models are evaluated afresh
    (uploads never touch the disk).
    """
    if not model.details.get("cached"):
        return evaluate(model, seed)
    versions = f"{metadata.version('scikit-learn')}|{EVALUATION_FORMAT}"
    key = hashlib.sha256(f"{model.model_hash}|{model.dataset.data_hash}|{seed}|{versions}".encode()).hexdigest()[:24]
    path = cache_dir() / "evaluations" / f"{key}.json"
    try:
        return _evaluation_from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    result = evaluate(model, seed)
    write_atomically(path, json.dumps(_evaluation_to_json(result)).encode())
    return result


def _evaluation_to_json(result: ModelEvaluation) -> dict:
    # json writes floats as their shortest repr, which reads back as the same float64.
    return {
        "task": result.task,
        "rows": result.rows.tolist(),
        "y_true": result.y_true.tolist(),
        "score": result.score.tolist(),
        "metrics": result.metrics,
        "curves": {name: frame.to_dict(orient="list") for name, frame in result.curves.items()},
        "labels": list(result.labels),
        "predicted": None if result.predicted is None else result.predicted.tolist(),
    }


def _evaluation_from_json(saved: dict) -> ModelEvaluation:
    labels_dtype = object if saved["task"] == "classification" else "float64"
    predicted = saved["predicted"]
    return ModelEvaluation(
        task=saved["task"],
        rows=np.asarray(saved["rows"], dtype="int64"),
        y_true=np.asarray(saved["y_true"], dtype=labels_dtype),
        score=np.asarray(saved["score"], dtype="float64"),
        metrics={name: float(value) for name, value in saved["metrics"].items()},
        curves={name: pd.DataFrame(columns) for name, columns in saved["curves"].items()},
        labels=tuple(saved["labels"]),
        predicted=None if predicted is None else np.asarray(predicted, dtype=labels_dtype),
    )


def confusion_at(evaluation: ModelEvaluation, positive: str, threshold: float = 0.5) -> pd.DataFrame:
    """Confusion matrix (rows: actual, columns: predicted) when P(positive) >= threshold means positive.

    Multiclass models use the most probable class and ignore the threshold.
    """
    if evaluation.task != "classification":
        raise InputError(key="errors.methods.confusion_needs_classifier")
    if not 0.0 <= threshold <= 1.0:
        raise InputError(key="errors.methods.threshold")
    labels = list(evaluation.labels)
    if len(labels) == 2:
        other = next(c for c in labels if c != positive)
        predicted = np.where(evaluation.score >= threshold, positive, other)
    else:
        predicted = evaluation.predicted
    table = pd.crosstab(
        pd.Categorical(evaluation.y_true, categories=labels),
        pd.Categorical(predicted, categories=labels),
        dropna=False,
    )
    table.index = pd.Index(labels, name="actual")
    table.columns = pd.Index(labels, name="predicted")
    return table
