"""Models behind one adapter (:class:`TabularModel`: ``predict`` / ``predict_proba`` on a frame of original
columns): the default XGBoost model and its disk cache (``core``), and one small module per model library
for loading its files (``xgboost_model``, ``sklearn_model``, ...), brought together by ``loading``."""

from .core import (
    BATCH_ROWS,
    CACHE_FORMAT,
    DEFAULT_PARAMS,
    DEFAULT_SEED,
    DEVICE_ENV,
    GPU_SHAP_ROWS,
    MAX_TRAIN_ROWS,
    MIN_ROWS,
    TEST_SIZE,
    XGBOOST_FORBIDDEN,
    ModelKind,
    SavedBooster,
    TabularModel,
    cache_dir,
    check_features,
    check_split_size,
    check_xgboost_names,
    hash_bytes,
    minimum_rows,
    read_model_bytes,
    train_default_model,
    train_test_indices,
    usable_device,
    warm_up,
    xgboost,
)
from .layout import ModelInfo, input_columns
from .loading import MODEL_KINDS, MODEL_SUFFIXES, check_model_against_data, describe_model, load_model
from .sklearn_model import load_skops
from .xgboost_model import load_xgboost, read_xgboost_file

__all__ = [
    "BATCH_ROWS", "CACHE_FORMAT", "DEFAULT_PARAMS", "DEFAULT_SEED", "DEVICE_ENV", "GPU_SHAP_ROWS", "MAX_TRAIN_ROWS",
    "MIN_ROWS", "MODEL_KINDS", "MODEL_SUFFIXES", "TEST_SIZE", "XGBOOST_FORBIDDEN", "ModelInfo",
    "ModelKind", "SavedBooster", "TabularModel", "cache_dir",
    "check_features", "check_model_against_data", "check_split_size", "check_xgboost_names", "describe_model",
    "hash_bytes", "input_columns",
    "load_model", "load_skops", "load_xgboost", "minimum_rows", "read_model_bytes", "read_xgboost_file",
    "train_default_model", "train_test_indices", "usable_device", "warm_up", "xgboost",
]
