"""Loading a model file of any supported kind, and checking it against a table: one small module per model
library (``xgboost_model``, ``sklearn_model``, ...), each with ``SUFFIXES`` and a loader that returns a
:class:`~explainers.models.core.TabularModel`."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from ..data import Dataset
from ..errors import InputError
from ..upload import Limits, megabytes
from ..util import MODEL_TYPES, PICKLE_SUFFIXES, looks_like_pickle, pickle_file_refusal, pickle_refusal
from .catboost_model import SUFFIXES as CATBOOST_SUFFIXES
from .catboost_model import describe_catboost, load_catboost
from .core import TabularModel, hash_bytes, xgboost
from .layout import ModelInfo
from .lightgbm_model import SUFFIXES as LIGHTGBM_SUFFIXES
from .lightgbm_model import describe_lightgbm, load_lightgbm, looks_like_lightgbm_json
from .onnx_model import SUFFIXES as ONNX_SUFFIXES
from .onnx_model import describe_onnx, load_onnx
from .sklearn_model import SUFFIXES as SKOPS_SUFFIXES
from .sklearn_model import describe_skops, load_skops
from .xgboost_model import SUFFIXES as XGBOOST_SUFFIXES
from .xgboost_model import describe_xgboost, load_xgboost

# Every model file suffix that loads without pickle, and the kinds they hold (as the command line names them).
MODEL_SUFFIXES = tuple(dict.fromkeys((*XGBOOST_SUFFIXES, *LIGHTGBM_SUFFIXES, *CATBOOST_SUFFIXES, *ONNX_SUFFIXES,
                                      *SKOPS_SUFFIXES)))
MODEL_KINDS = {
    "XGBoost": XGBOOST_SUFFIXES, "LightGBM": LIGHTGBM_SUFFIXES, "CatBoost": CATBOOST_SUFFIXES, "ONNX": ONNX_SUFFIXES,
    "scikit-learn (skops)": SKOPS_SUFFIXES,
}


def load_model(
    path: str | Path, dataset: Dataset, allow_pickle: bool = False, trusted: tuple[str, ...] = ()
) -> TabularModel:
    """Load a model file and check it against the dataset.

    Parameters
    ----------
    path : XGBoost ``.json`` / ``.ubj``, LightGBM ``.txt`` (or its ``dump_model()`` JSON), CatBoost ``.cbm``,
        ONNX ``.onnx``, or a scikit-learn model saved with skops (``.skops``).
    dataset : the table the model is explained on.
    allow_pickle : load pickle/joblib files; only for trusted files on the server's own disk.
    trusted : skops type names the operator trusts beyond skops' defaults.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(key="errors.models.missing", path=path)
    suffix = path.suffix.lower()
    if suffix == ".json" and looks_like_lightgbm_json(_head(path)):
        return load_lightgbm(path, dataset)
    if suffix in XGBOOST_SUFFIXES:
        return load_xgboost(path, dataset)
    if suffix in LIGHTGBM_SUFFIXES:
        return load_lightgbm(path, dataset)
    if suffix in CATBOOST_SUFFIXES:
        return load_catboost(path, dataset)
    if suffix in ONNX_SUFFIXES:
        return load_onnx(path, dataset)
    if suffix in SKOPS_SUFFIXES:
        return load_skops(path, dataset, trusted)
    if suffix in PICKLE_SUFFIXES:
        if not allow_pickle:
            raise pickle_file_refusal(path.name)
        import joblib

        estimator = joblib.load(path)
        xgb = xgboost()
        if isinstance(estimator, xgb.XGBModel):
            estimator = estimator.get_booster()
        if isinstance(estimator, xgb.Booster):
            tmp = path.with_suffix(".converted.ubj")
            estimator.save_model(str(tmp))
            try:
                return load_xgboost(tmp, dataset)
            finally:
                tmp.unlink(missing_ok=True)
        classes = tuple(str(c) for c in getattr(estimator, "classes_", ()))
        return TabularModel(estimator, "sklearn", dataset, classes, hash_bytes(path.read_bytes()), path.name)
    raise InputError(key="errors.model_kinds.unsupported_file", name=path.name, suffix=repr(suffix))


def describe_model(path: str | Path, trusted: tuple[str, ...] = ()) -> ModelInfo:
    """What a model file of any kind that :func:`load_model` reads without pickle says about the table it expects
    (:class:`~explainers.models.layout.ModelInfo`), checked in a child process as loading it is; no table needed."""
    path = Path(path)
    if not path.exists():
        raise InputError(key="errors.models.missing", path=path)
    suffix = path.suffix.lower()
    if suffix == ".json" and looks_like_lightgbm_json(_head(path)):
        return describe_lightgbm(path)
    if suffix in XGBOOST_SUFFIXES:
        return describe_xgboost(path)
    if suffix in LIGHTGBM_SUFFIXES:
        return describe_lightgbm(path)
    if suffix in CATBOOST_SUFFIXES:
        return describe_catboost(path)
    if suffix in ONNX_SUFFIXES:
        return describe_onnx(path)
    if suffix in SKOPS_SUFFIXES:
        return describe_skops(path, trusted)
    raise InputError(key="errors.model_kinds.unsupported_file", name=path.name, suffix=repr(suffix))


def _head(path: Path) -> bytes:
    """The first bytes of a file, to tell a LightGBM JSON dump from an XGBoost JSON model."""
    try:
        with path.open("rb") as handle:
            return handle.read(512)
    except OSError:
        return b""


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(str(name)).name).strip("._") or "model"
    return stem[-100:]


def check_model_against_data(
    model: str | Path | bytes,
    dataset: Dataset,
    name: str | None = None,
    trusted: tuple[str, ...] = (),
    limits: Limits | None = None,
) -> TabularModel:
    """Load a user's model (a path, or uploaded bytes with their file ``name``) and check it against
    ``dataset``: features (missing, extra, order, categorical or not) and classes versus the target.

    XGBoost ``.json``/``.ubj`` and skops ``.skops`` (only when skops trusts every type in it) are
    loaded; pickle and joblib files are always refused, whatever their content. Uploaded bytes are
    written to a private temporary folder for the loader and deleted right after loading.
    """
    if isinstance(model, str | Path):
        path = Path(model)
        if path.suffix.lower() in PICKLE_SUFFIXES:
            raise pickle_refusal(path.name)
        return load_model(path, dataset, allow_pickle=False, trusted=trusted)
    limits = limits or Limits.from_env()
    data = bytes(model)
    shown = Path(str(name or "model")).name
    if not data:
        raise InputError(key="errors.models.empty", name=shown)
    if len(data) > limits.max_bytes:
        raise InputError(key="errors.models.upload_too_big", name=shown, size=megabytes(len(data)),
                         limit=megabytes(limits.max_bytes))
    suffix = Path(shown.lower()).suffix
    if suffix in PICKLE_SUFFIXES or looks_like_pickle(data):
        raise pickle_refusal(shown)
    if suffix.lstrip(".") not in MODEL_TYPES:
        raise InputError(key="errors.model_kinds.unsupported_upload", name=shown,
                         suffix=repr(suffix or "(no extension)"))
    with tempfile.TemporaryDirectory(prefix="xai-model-") as folder:
        path = Path(folder) / _safe_name(shown)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        return load_model(path, dataset, allow_pickle=False, trusted=trusted)
