"""Feature attributions in original columns: SHAP (exact TreeSHAP or permutation) and LIME."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from .baseline import is_linear, linear_contributions
from .errors import InputError
from .models import TabularModel

ShapSpace = Literal["log-odds", "probability", "raw"]
DEFAULT_LIME_SAMPLES = 5000


@dataclass(frozen=True, eq=False)
class ShapValues:
    """SHAP values of some rows in original columns; ``base_value + values.sum(1) == output``."""

    values: pd.DataFrame
    base_value: float
    output: np.ndarray
    space: ShapSpace
    class_name: str | None
    method: Literal["tree", "linear", "permutation"]

    def row(self, position: int = 0) -> dict[str, float]:
        return {k: float(v) for k, v in self.values.iloc[position].items()}

    def select(self, position: int) -> ShapValues:
        """The values of one row, as a one-row ``ShapValues``."""
        return replace(self, values=self.values.iloc[[position]], output=self.output[position:position + 1])

    def to_dict(self, position: int = 0) -> dict:
        out = {
            "base_value": float(self.base_value),
            "values": self.row(position),
            "output": float(self.output[position]),
            "space": self.space,
            "method": self.method,
        }
        if self.class_name is not None:
            out["class"] = self.class_name
        return out


def _class_index(model: TabularModel, class_name: str | None) -> int | None:
    if not model.is_classifier:
        return None
    if class_name is None:
        return model.positive_index
    if class_name not in model.classes:
        raise InputError(key="errors.methods.unknown_class", name=class_name, classes=', '.join(model.classes))
    return model.classes.index(class_name)


def shap_values(
    model: TabularModel,
    frame: pd.DataFrame,
    class_name: str | None = None,
    background: pd.DataFrame | None = None,
    seed: int = 0,
    output: Literal["model", "probability"] = "model",
) -> ShapValues:
    """SHAP values of ``frame``'s rows, keyed by original column.

    XGBoost models use XGBoost's exact TreeSHAP (``pred_contribs``) in log-odds (classifiers) or raw
    units; a categorical column is one feature, so nothing needs summing back. Other models use
    shap's permutation explainer over the original columns, on the probability or value scale.

    Parameters
    ----------
    model : the fitted model.
    frame : rows in original columns.
    class_name : classifiers only; defaults to the positive class (binary) or the last class.
    background : rows that stand for "unknown" in the permutation explainer (default: 100 rows).
    seed : seed of the permutation explainer and its background sample.
    output : ``"probability"`` explains a classifier's probability itself (permutation explainer,
        exact in sum) even for XGBoost, whose tree SHAP is in log-odds.
    """
    index = _class_index(model, class_name)
    explained = None if index is None else model.classes[index]
    names = model.dataset.feature_names
    if output == "probability":
        if not model.is_classifier:
            raise InputError(key="errors.methods.probability_needs_classifier")
        return _sampled_shapley(model, frame, index, explained, background, seed)
    if output == "model" and is_linear(model):  # the baseline: exact SHAP of a linear model, in closed form
        contributions, base = linear_contributions(model, frame, index)
        values = pd.DataFrame(contributions, columns=names, index=frame.index)
        return ShapValues(values, base, base + contributions.sum(axis=1),
                          "log-odds" if model.is_classifier else "raw", explained, "linear")
    if model.kind in ("lightgbm", "catboost") and output == "model":  # the library's own exact TreeSHAP
        return _native_values(model, model.contributions(frame), frame, index, explained)
    if model.kind == "xgboost" and output == "model":
        import xgboost as xgb

        booster = model.shap_booster_for(len(frame))
        threads = 1 if booster is model.estimator else -1
        matrix = xgb.DMatrix(model.dataset.coerce(frame), enable_categorical=True, nthread=threads)
        with xgb.config_context(verbosity=0):  # a GPU booster fed host memory warns about the copy
            contributions = np.asarray(booster.predict(matrix, pred_contribs=True), dtype="float64")
        return _native_values(model, contributions, frame, index, explained)
    return _permutation_shap(model, frame, index, explained, background, seed)


def _native_values(model, contributions: np.ndarray, frame, index, explained) -> ShapValues:
    """A tree library's exact contributions (XGBoost's, LightGBM's or CatBoost's; original columns, bias last) as
    ``ShapValues`` of one class."""
    sign = 1.0
    if contributions.ndim == 3:
        contributions = contributions[:, index, :]
    elif model.is_classifier and index == 0:
        sign = -1.0  # log-odds of class 0 are minus those of class 1
    contributions = sign * contributions
    values = pd.DataFrame(contributions[:, :-1], columns=model.dataset.feature_names, index=frame.index)
    base = float(contributions[0, -1]) if len(contributions) else 0.0
    return ShapValues(values, base, contributions.sum(axis=1), "log-odds" if model.is_classifier else "raw",
                      explained, "tree")


def _permutation_shap(model, frame, index, explained, background, seed) -> ShapValues:
    import shap

    dataset = model.dataset
    if background is None:
        background = dataset.features.sample(n=min(100, len(dataset.features)), random_state=seed)

    def predict(codes: np.ndarray) -> np.ndarray:
        rows = dataset.from_codes(codes)
        if index is None:
            return model.predict_value(rows)
        return model.predict_proba(rows)[:, index]

    masker = shap.maskers.Independent(dataset.to_codes(background), max_samples=len(background))
    explainer = shap.explainers.Permutation(predict, masker, seed=seed)
    n_features = len(dataset.feature_names)
    result = explainer(dataset.to_codes(frame), max_evals=max(500, 2 * n_features + 1), silent=True)
    values = pd.DataFrame(np.asarray(result.values), columns=dataset.feature_names, index=frame.index)
    base = float(np.ravel(result.base_values)[0])
    output = base + values.to_numpy().sum(axis=1)
    space: ShapSpace = "raw" if index is None else "probability"
    return ShapValues(values, base, output, space, explained, "permutation")


def _sampled_shapley(model, frame, index, explained, background, seed, permutations: int = 10) -> ShapValues:
    """Shapley values of a class probability by antithetic permutation sampling, in one model call.

    The same estimator as shap's permutation explainer, vectorised: each permutation walks from the
    background rows to the explained row one feature at a time, so the effects always sum exactly to
    ``P(row) - mean P(background)``. Needs no compilation, so the first call is as fast as the rest.
    """
    dataset = model.dataset
    if background is None:
        background = dataset.features.sample(n=min(50, len(dataset.features)), random_state=seed)
    rng = np.random.default_rng(seed)
    base_codes = dataset.to_codes(background)
    n_features, n_background = base_codes.shape[1], len(base_codes)
    orders = []
    for _ in range(max(1, permutations // 2)):
        order = rng.permutation(n_features)
        orders += [order, order[::-1]]
    rows_out = []
    for codes in dataset.to_codes(frame):
        # states[p, k] holds the background rows with the first k features of order p taken from the row.
        states = np.repeat(base_codes[None, None, :, :], n_features + 1, axis=1).repeat(len(orders), axis=0)
        for p, order in enumerate(orders):
            for k, feature in enumerate(order, start=1):
                states[p, k:, :, feature] = codes[feature]
        probabilities = model.predict_codes(states.reshape(-1, n_features))[:, index]
        means = probabilities.reshape(len(orders), n_features + 1, n_background).mean(axis=2)
        steps = np.diff(means, axis=1)
        values = np.zeros(n_features)
        for p, order in enumerate(orders):
            values[order] += steps[p]
        rows_out.append((values / len(orders), float(means[0, 0]), float(means[0, -1])))
    values = pd.DataFrame([r[0] for r in rows_out], columns=dataset.feature_names, index=frame.index)
    base = rows_out[0][1] if rows_out else 0.0
    output = base + values.to_numpy().sum(axis=1)
    return ShapValues(values, base, output, "probability", explained, "permutation")


@dataclass(frozen=True)
class LimeExplanation:
    """LIME weights of one row by original column, with the local surrogate's fit."""

    weights: dict[str, float]
    conditions: dict[str, str]
    score: float
    intercept: float
    local_prediction: float
    class_name: str | None
    seed: int
    num_samples: int

    def to_dict(self) -> dict:
        return {
            "weights": self.weights,
            "conditions": self.conditions,
            "score": self.score,
            "intercept": self.intercept,
            "local_prediction": self.local_prediction,
            "class": self.class_name,
            "seed": self.seed,
            "num_samples": self.num_samples,
        }


class LimeSetup:
    """LIME's training statistics for one dataset and model, built once and reused for every row."""

    def __init__(self, model: TabularModel, seed: int = 0):
        from lime.lime_tabular import LimeTabularExplainer

        dataset = model.dataset
        self.model = model
        self.dataset = dataset
        categorical = [i for i, f in enumerate(dataset.schema) if f.kind == "categorical"]
        training = dataset.to_codes(dataset.imputed(dataset.features))
        self.explainer = LimeTabularExplainer(
            training,
            mode="classification" if model.is_classifier else "regression",
            feature_names=dataset.feature_names,
            categorical_features=categorical,
            categorical_names={i: list(dataset.schema[i].categories) for i in categorical},
            class_names=list(model.classes) or None,
            discretize_continuous=True,
            random_state=seed,
        )

    def _predict(self, codes: np.ndarray) -> np.ndarray:
        return self.model.predict_codes(codes)

    def explain(
        self,
        row: pd.DataFrame,
        seed: int = 0,
        num_samples: int = DEFAULT_LIME_SAMPLES,
        class_name: str | None = None,
    ) -> LimeExplanation:
        """LIME for one row; the same seed gives the same weights whatever ran before."""
        if len(row) != 1:
            raise InputError(key="errors.methods.lime_one_row")
        if num_samples < 10:
            raise InputError(key="errors.methods.lime_samples")
        index = _class_index(self.model, class_name)
        codes = self.dataset.to_codes(self.dataset.imputed(self.dataset.coerce(row)))[0]
        # LIME keeps RandomStates across calls (its own, its discretizer's, its base's); fresh ones per
        # call make a seed reproducible whatever ran before.
        self.explainer.random_state = np.random.RandomState(seed)
        if getattr(self.explainer, "discretizer", None) is not None:
            self.explainer.discretizer.random_state = np.random.RandomState(seed)
        self.explainer.base.random_state = np.random.RandomState(seed)
        labels = (index,) if index is not None else (0,)
        explanation = self.explainer.explain_instance(
            codes,
            self._predict,
            labels=labels,
            num_features=len(self.dataset.feature_names),
            num_samples=num_samples,
        )
        label = labels[0] if self.model.is_classifier else 1
        names = self.dataset.feature_names
        weights = {names[i]: 0.0 for i in range(len(names))}
        for feature_index, weight in explanation.as_map()[label]:
            weights[names[feature_index]] = float(weight)
        conditions = {}
        for (feature_index, _), (text, _) in zip(
            explanation.as_map()[label], explanation.as_list(label=label), strict=True
        ):
            conditions[names[feature_index]] = text
        local = explanation.local_pred
        return LimeExplanation(
            weights=weights,
            conditions=conditions,
            score=float(explanation.score if np.ndim(explanation.score) == 0 else explanation.score[label]),
            intercept=float(explanation.intercept[label]),
            local_prediction=float(np.ravel(local)[0]) if local is not None else float("nan"),
            class_name=None if index is None else self.model.classes[index],
            seed=seed,
            num_samples=num_samples,
        )


def top_features(weights: dict[str, float], k: int = 3) -> list[str]:
    """The ``k`` features with the largest absolute attribution."""
    return [name for name, _ in sorted(weights.items(), key=lambda kv: -abs(kv[1]))[:k]]
