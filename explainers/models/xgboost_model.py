"""XGBoost model files (JSON, UBJ): checked in a child process, then read by XGBoost; exact TreeSHAP comes from
XGBoost's own ``pred_contribs`` (:mod:`explainers.attributions`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..data import Dataset
from ..errors import InputError
from .core import TabularModel, check_features, hash_bytes, read_model_bytes, xgboost
from .layout import ModelInfo

if TYPE_CHECKING:
    import xgboost as xgb

SUFFIXES = (".json", ".ubj")


def xgboost_sample(dataset: Dataset | None) -> dict | None:
    if dataset is None or dataset.features.empty:
        return None
    rows = dataset.features.iloc[: min(16, len(dataset.features))]
    codes = dataset.to_codes(rows)
    return {"rows": [[None if v != v else float(v) for v in row] for row in codes.tolist()]}


def read_xgboost_file(
    path: Path, dataset: Dataset | None = None, data: bytes | None = None
) -> tuple[xgb.Booster, dict]:
    """An XGBoost model file and its configuration; InputError when it cannot be read.

    The bytes are first checked in a child process (:mod:`explainers.model_check`: structure, sizes, and
    libxgboost's own parse, under memory and CPU limits); only bytes that passed reach this process's XGBoost.
    """
    from ..model_check import check_model_bytes

    data = read_model_bytes(path) if data is None else data
    fmt = "ubj" if path.suffix.lower() == ".ubj" else "json"
    expected = {"features": len(dataset.feature_names)} if dataset is not None else None
    check_model_bytes(data, path.name, fmt, expected, sample=xgboost_sample(dataset))
    xgb = xgboost()
    try:
        booster = xgb.Booster(model_file=bytearray(data))
        return booster, json.loads(booster.save_config())
    except (xgb.core.XGBoostError, ValueError, UnicodeDecodeError):
        raise InputError(key="errors.models.bad_xgboost", name=path.name) from None


def load_xgboost(path: Path, dataset: Dataset) -> TabularModel:
    data = read_model_bytes(path)
    booster, config = read_xgboost_file(path, dataset, data)
    objective = config["learner"]["objective"]["name"]
    booster.set_param({"nthread": 1})
    check_features(booster.feature_names, dataset)
    if booster.feature_names is None and booster.num_features() != len(dataset.feature_names):
        raise InputError(key="errors.models.feature_count", expected=booster.num_features(),
                         found=len(dataset.feature_names))
    if booster.feature_names is None:
        booster.feature_names = dataset.feature_names
    types = booster.feature_types or []
    wrong = [
        name
        for name, kind in zip(dataset.feature_names, types, strict=False)
        if (kind == "c") != (dataset.info[name].kind == "categorical")
    ]
    if wrong:
        raise InputError(key="errors.models.categorical_mismatch", columns=", ".join(wrong))
    is_classifier = objective.startswith(("binary:", "multi:"))
    if is_classifier != (dataset.task == "classification"):
        raise InputError(key="errors.models.classifier_vs_regression" if is_classifier
                         else "errors.models.regressor_vs_classification", target=dataset.spec.target)
    if objective.startswith("multi:"):
        n_class = int(config["learner"]["learner_model_param"]["num_class"])
        if n_class != len(dataset.classes):
            raise InputError(key="errors.models.class_count", expected=n_class, found=len(dataset.classes),
                             classes=', '.join(dataset.classes))
    elif is_classifier and len(dataset.classes) != 2:
        raise InputError(key="errors.models.binary", found=len(dataset.classes))
    return TabularModel(
        booster,
        kind="xgboost",
        dataset=dataset,
        classes=dataset.classes,
        model_hash=hash_bytes(data),
        source=path.name,
        details={"objective": objective, "trees": int(booster.num_boosted_rounds())},
    )


def describe_xgboost(path: Path) -> ModelInfo:
    """What an XGBoost file says about its table: feature names and types ('c' categorical), objective, classes,
    and the training categories that XGBoost >= 3.1 keeps in the model."""
    import warnings

    xgb = xgboost()
    booster, config = read_xgboost_file(path)
    objective = config["learner"]["objective"]["name"]
    num_class = int(config["learner"]["learner_model_param"].get("num_class", "0") or 0)
    categories: dict[str, list[str]] = {}
    try:  # XGBoost >= 3.1 keeps the training categories in the model
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stored = booster.get_categories(export_to_arrow=True)
        if not stored.empty():
            for name, values in stored.to_arrow():
                if values is not None:
                    categories[str(name)] = [str(v) for v in values.to_pylist()]
    except (AttributeError, TypeError, ValueError, xgb.core.XGBoostError):
        categories = {}
    names = list(booster.feature_names) if booster.feature_names else None
    num_features = int(booster.num_features())
    # Without stored types every feature is a number, as XGBoost reads it.
    types = [*(booster.feature_types or []), *["float"] * num_features][:num_features]
    classifier = objective.startswith(("binary:", "multi:"))
    return ModelInfo(
        kind="xgboost",
        task="classification" if classifier else "regression",
        num_class=num_class if objective.startswith("multi:") else (2 if classifier else 0),
        objective=objective,
        features=tuple(names) if names else None,
        num_features=num_features,
        kinds=tuple("categorical" if kind == "c" else "numeric" for kind in types),
        categories=categories,
    )
