"""Explanation engine: SHAP, LIME and DiCE counterfactuals for tabular models, in original columns.

Pure Python, no user-interface code: the dashboard pages and the command line both call it.
"""

import os

# XGBoost's OpenMP threads spin while they wait by default; on a small, busy machine (2 cores shared
# with a web server) that makes a 1-row prediction 10-30x slower. Passive waiting costs nothing here.
# It must be set before xgboost loads its library.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .attributions import LimeExplanation, LimeSetup, ShapValues, shap_values, top_features
from .counterfactuals import Counterfactual, CounterfactualResult, CounterfactualSearch
from .data import (
    DEFAULT_DATASET,
    Dataset,
    FeatureInfo,
    builtin_names,
    load_builtin,
    load_dataset,
    prepare_dataset,
    read_table,
)
from .errors import InputError
from .models import TabularModel, load_model, train_default_model, train_test_indices
from .spec import DatasetSpec, infer_spec, load_spec
from .util import package_versions
from .workspace import LocalExplanation, Workspace, build_workspace, frame_of, open_workspace

__all__ = [
    "DEFAULT_DATASET",
    "Counterfactual",
    "CounterfactualResult",
    "CounterfactualSearch",
    "Dataset",
    "DatasetSpec",
    "FeatureInfo",
    "InputError",
    "LimeExplanation",
    "LimeSetup",
    "LocalExplanation",
    "ShapValues",
    "TabularModel",
    "Workspace",
    "build_workspace",
    "builtin_names",
    "frame_of",
    "infer_spec",
    "load_builtin",
    "load_dataset",
    "load_model",
    "load_spec",
    "open_workspace",
    "package_versions",
    "prepare_dataset",
    "read_table",
    "shap_values",
    "top_features",
    "train_default_model",
    "train_test_indices",
]
