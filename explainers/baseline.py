"""The baseline the product trains itself: a linear model on the default model's train/test split.

Logistic regression for classification, linear regression for regression, in a scikit-learn ``Pipeline``:
numbers imputed with their median and scaled, categories imputed with their mode and one-hot encoded
(unknown categories ignored). It is the yardstick a gradient-boosting model should beat, and, being linear, it
has exact SHAP values in closed form (:func:`linear_contributions`), in the same space as XGBoost's TreeSHAP
(log-odds for classifiers, the value for regressors).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from .data import Dataset
from .models import DEFAULT_SEED, MAX_TRAIN_ROWS, TabularModel, train_test_indices
from .util import sample_positions

BASELINE_MAX_ITER = 2000


def baseline_pipeline(dataset: Dataset, seed: int = DEFAULT_SEED):
    """The unfitted pipeline: one-hot encoding and scaling, then a linear model (seeded)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                        ("scale", StandardScaler())])
    categories = Pipeline([("impute", SimpleImputer(strategy="most_frequent", keep_empty_features=True)),
                           ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False))])
    columns = ColumnTransformer([("numeric", numbers, list(dataset.numeric)),
                                 ("categorical", categories, list(dataset.categorical))],
                                remainder="drop", sparse_threshold=0.0)
    if dataset.task == "classification":
        linear = LogisticRegression(max_iter=BASELINE_MAX_ITER, random_state=seed)
    else:
        linear = LinearRegression()
    return Pipeline([("columns", columns), ("linear", linear)])


def _as_sklearn_input(dataset: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    # What TabularModel gives a scikit-learn model: categories as text, missing as NaN.
    typed = dataset.coerce(frame)
    for name in dataset.categorical:
        typed[name] = typed[name].astype("object").where(typed[name].notna(), np.nan)
    return typed


def train_baseline_model(dataset: Dataset, seed: int = DEFAULT_SEED) -> TabularModel:
    """Fit the baseline on the same fixed-seed 80% split as the default XGBoost (a seeded sample of it on
    large tables), as a scikit-learn model behind the one adapter."""
    train, _ = train_test_indices(dataset, seed)
    sampled = len(train) > MAX_TRAIN_ROWS
    if sampled:
        train = train[sample_positions(len(train), MAX_TRAIN_ROWS, seed)]
    pipeline = baseline_pipeline(dataset, seed)
    frame = _as_sklearn_input(dataset, dataset.features.iloc[train])
    # Class indices keep the pipeline's classes in the dataset's order; the adapter names them.
    pipeline.fit(frame, dataset.target_codes()[train])
    columns = pipeline.named_steps["columns"]
    linear = pipeline.named_steps["linear"]
    transformed = np.asarray(columns.transform(frame), dtype="float64")
    owners = _column_owners(dataset, columns)
    digest = hashlib.sha256()
    for part in (dataset.data_hash.encode(), type(linear).__name__.encode(), str(seed).encode(),
                 np.ascontiguousarray(np.atleast_1d(linear.coef_), dtype="float64").tobytes(),
                 np.ascontiguousarray(np.atleast_1d(linear.intercept_), dtype="float64").tobytes()):
        digest.update(part)
    details = {
        "baseline": True, "linear": True, "type": type(linear).__name__, "seed": seed, "train_rows": len(train),
        "sampled": sampled, "column_means": transformed.mean(axis=0), "column_owners": owners,
    }
    source = "baseline " + ("logistic regression" if dataset.task == "classification" else "linear regression")
    return BaselineModel(pipeline, "sklearn", dataset, dataset.classes, digest.hexdigest(), source, details)


class BaselineModel(TabularModel):
    """A linear baseline behind the one adapter; its raw output (log-odds or value) is the pipeline's own."""

    def predict_margin(self, frame: pd.DataFrame) -> np.ndarray:
        return linear_margin(self, frame)


def _column_owners(dataset: Dataset, columns) -> np.ndarray:
    """For each column the pipeline's linear step sees, the position of the original feature it comes from."""
    position = {name: i for i, name in enumerate(dataset.feature_names)}
    owners = [position[name] for name in dataset.numeric]
    if dataset.categorical:
        encoder = columns.named_transformers_["categorical"].named_steps["encode"]
        for name, seen in zip(dataset.categorical, encoder.categories_, strict=True):
            owners += [position[name]] * len(seen)
    return np.asarray(owners, dtype="int64")


def is_linear(model: TabularModel) -> bool:
    """Whether ``model`` is a baseline whose SHAP values :func:`linear_contributions` gives exactly."""
    return isinstance(model, BaselineModel)


def linear_margin(model: TabularModel, frame: pd.DataFrame) -> np.ndarray:
    """The linear model's raw output: log-odds (binary: of the second class; several classes: one column
    each) or the predicted value."""
    pipeline = model.estimator
    data = _as_sklearn_input(model.dataset, frame)
    if model.is_classifier:
        return np.asarray(pipeline.decision_function(data), dtype="float64")
    return np.asarray(pipeline.predict(data), dtype="float64")


def linear_contributions(model: TabularModel, frame: pd.DataFrame, class_index: int | None
                         ) -> tuple[np.ndarray, float]:
    """Exact SHAP values of a linear baseline with the training rows as background, per original feature:
    each encoded column's weight times its distance from the training mean, summed over the columns a feature
    became. Returns (values, base value); ``base + values.sum(1)`` is the margin of :func:`linear_margin` (for
    ``class_index`` of a classifier)."""
    pipeline = model.estimator
    columns = pipeline.named_steps["columns"]
    linear = pipeline.named_steps["linear"]
    encoded = np.asarray(columns.transform(_as_sklearn_input(model.dataset, frame)), dtype="float64")
    coef = np.atleast_2d(np.asarray(linear.coef_, dtype="float64"))
    intercept = np.atleast_1d(np.asarray(linear.intercept_, dtype="float64"))
    sign = 1.0
    if coef.shape[0] == 1:  # a regressor, or a binary classifier in log-odds of its second class
        weights, bias = coef[0], float(intercept[0])
        if model.is_classifier and class_index == 0:
            sign = -1.0
    else:
        weights, bias = coef[class_index], float(intercept[class_index])
    means = np.asarray(model.details["column_means"], dtype="float64")
    owners = np.asarray(model.details["column_owners"], dtype="int64")
    per_column = (encoded - means) * weights
    values = np.zeros((len(encoded), len(model.dataset.feature_names)))
    np.add.at(values.T, owners, per_column.T)
    base = bias + float(means @ weights)
    return sign * values, sign * base
