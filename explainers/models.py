"""Models behind one adapter: ``predict`` / ``predict_proba`` on a frame of original columns."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from .data import Dataset
from .errors import InputError
from .upload import Limits, megabytes
from .util import (
    MODEL_TYPES,
    PICKLE_SUFFIXES,
    looks_like_pickle,
    pickle_file_refusal,
    pickle_refusal,
    sample_positions,
    write_atomically,
)

if TYPE_CHECKING:
    import xgboost as xgb

ModelKind = Literal["xgboost", "sklearn"]
DEFAULT_SEED = 0
TEST_SIZE = 0.2
DEFAULT_PARAMS = {
    "n_estimators": 300,
    "max_depth": 4,
    "learning_rate": 0.05,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 1.0,
    "max_cat_to_onehot": 1,
    "tree_method": "hist",
}
BATCH_ROWS = 1000
XGBOOST_FORBIDDEN = ("[", "]", "<")
MAX_TRAIN_ROWS = 50_000  # larger tables train on a seeded sample of the training split
MIN_ROWS = 10  # smaller tables cannot be split into training and test rows usefully
GPU_SHAP_ROWS = 10_000  # from this many rows, TreeSHAP runs on the GPU when one answers
DEVICE_ENV = "XAI_DEVICE"  # "auto" (default), "cpu" or "cuda"
CACHE_FORMAT = 2  # bump when what the model cache stores changes; older entries are then retrained
_LOADING = threading.Lock()


def xgboost() -> ModuleType:
    """The xgboost module, imported on first use: it imports scikit-learn and SciPy, about a second
    of start-up that the first page (served from the disk cache) does not need."""
    import xgboost

    return xgboost


def cache_dir() -> Path:
    """Where trained default models are cached (``XAI_CACHE_DIR``, else ``.cache`` in the project)."""
    root = os.environ.get("XAI_CACHE_DIR") or Path(__file__).resolve().parent.parent / ".cache"
    return Path(root)


@dataclass(eq=False)
class TabularModel:
    """A fitted model bound to a dataset's schema.

    Every method takes a frame of original columns; the adapter casts it to what the model expects.
    """

    _estimator: object
    kind: ModelKind
    dataset: Dataset
    classes: tuple[str, ...]
    model_hash: str
    source: str
    details: dict = field(default_factory=dict)

    @property
    def estimator(self):
        """The fitted model; XGBoost parses a default model from the disk cache on first use."""
        if isinstance(self._estimator, SavedBooster):
            with _LOADING:
                if isinstance(self._estimator, SavedBooster):
                    self._estimator = self._estimator.load()
        return self._estimator

    @property
    def task(self) -> str:
        return self.dataset.task

    @property
    def is_classifier(self) -> bool:
        return self.task == "classification"

    @property
    def is_default(self) -> bool:
        """Whether this is the default XGBoost trained here (not a model loaded from a file)."""
        return bool(self.details.get("default"))

    @property
    def positive_index(self) -> int:
        """Index of the class whose probability the charts show (the spec's positive class)."""
        positive = self.dataset.positive_class
        if positive in self.classes:
            return self.classes.index(positive)
        return len(self.classes) - 1

    def booster_for(self, rows: int):
        """The XGBoost booster to use for ``rows`` rows: one thread for small inputs, where starting
        threads costs more than it saves, and every core for batches (LIME's samples, global SHAP)."""
        if rows < BATCH_ROWS:
            return self.estimator
        if "batch_booster" not in self.details:
            batch = self.estimator.copy()
            batch.set_param({"nthread": os.cpu_count() or 1})
            self.details["batch_booster"] = batch
        return self.details["batch_booster"]

    def shap_booster_for(self, rows: int):
        """The booster for TreeSHAP on ``rows`` rows: XGBoost's ``device="cuda"`` for large tables when a GPU
        answers (``XAI_DEVICE=cpu`` turns that off), else :meth:`booster_for`."""
        wanted = os.environ.get(DEVICE_ENV, "auto")
        if rows >= GPU_SHAP_ROWS and wanted != "cpu" and self.kind == "xgboost":
            if "gpu_booster" not in self.details:
                booster = self.estimator.copy()
                on_gpu = usable_device(booster, self.dataset.features.iloc[:2], wanted) == "cuda"
                if on_gpu:
                    booster.set_param({"device": "cuda", "nthread": os.cpu_count() or 1})
                self.details["gpu_booster"] = booster if on_gpu else None
            if self.details["gpu_booster"] is not None:
                return self.details["gpu_booster"]
        return self.booster_for(rows)

    def _model_input(self, frame: pd.DataFrame) -> pd.DataFrame:
        typed = self.dataset.coerce(frame)
        if self.kind == "sklearn":
            for name in self.dataset.categorical:
                typed[name] = typed[name].astype("object").where(typed[name].notna(), np.nan)
        return typed

    def predict_margin(self, frame: pd.DataFrame) -> np.ndarray:
        """Raw model output (log-odds for XGBoost classifiers, the value for regressors)."""
        if self.kind != "xgboost":
            raise InputError("raw margins exist only for XGBoost models.")
        return np.asarray(self.booster_for(len(frame)).inplace_predict(self._model_input(frame), predict_type="margin"))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities, columns in :attr:`classes` order."""
        if not self.is_classifier:
            raise InputError("probabilities exist only for classifiers; this model is a regressor.")
        data = self._model_input(frame)
        if self.kind == "xgboost":
            out = np.asarray(self.booster_for(len(data)).inplace_predict(data), dtype="float64")
            return np.column_stack([1.0 - out, out]) if out.ndim == 1 else out
        return np.asarray(self.estimator.predict_proba(data), dtype="float64")

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        """Probabilities (classifiers) or values (regressors) of rows given as the dataset's codes
        (:meth:`Dataset.to_codes`). XGBoost reads the codes directly, which skips building a frame:
        LIME and the counterfactual search call this with thousands of rows at a time."""
        if self.kind != "xgboost":
            frame = self.dataset.from_codes(codes)
            return self.predict_proba(frame) if self.is_classifier else self.predict_value(frame)
        out = np.asarray(self.booster_for(len(codes)).inplace_predict(codes), dtype="float64")
        if self.is_classifier and out.ndim == 1:
            return np.column_stack([1.0 - out, out])
        return out

    def predict_value(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted values of a regressor."""
        if self.is_classifier:
            raise InputError("values exist only for regressors; this model is a classifier.")
        data = self._model_input(frame)
        if self.kind == "xgboost":
            return np.asarray(self.booster_for(len(data)).inplace_predict(data), dtype="float64")
        return np.asarray(self.estimator.predict(data), dtype="float64")

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted class labels (classifiers) or values (regressors)."""
        if self.is_classifier:
            return np.asarray(self.classes, dtype=object)[self.predict_proba(frame).argmax(axis=1)]
        return self.predict_value(frame)

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """The number a chart shows: P(positive class) for classifiers, the value for regressors."""
        if self.is_classifier:
            return self.predict_proba(frame)[:, self.positive_index]
        return self.predict_value(frame)


@dataclass(frozen=True)
class SavedBooster:
    """A cached booster's bytes, checked against their hash; XGBoost reads them on first use."""

    raw: bytes = field(repr=False)

    def load(self):
        booster = xgboost().Booster(model_file=bytearray(self.raw))
        booster.set_param({"nthread": 1})
        return booster


def usable_device(booster, sample: pd.DataFrame, wanted: str = "auto") -> str:
    """``"cuda"`` when XGBoost was built with CUDA and a GPU computes SHAP for ``sample``, else ``"cpu"``.

    The trial runs on a copy; any failure (no GPU, no driver, a CPU-only build) means ``"cpu"``, silently.
    """
    if wanted == "cpu":
        return "cpu"
    xgb = xgboost()
    try:
        if not xgb.build_info().get("USE_CUDA"):
            return "cpu"
        if os.environ.get("CUDA_VISIBLE_DEVICES", "").strip() in ("-1", "none") and wanted == "auto":
            return "cpu"
        trial = booster.copy()
        with warnings.catch_warnings(), xgb.config_context(verbosity=0):
            warnings.simplefilter("ignore")
            trial.set_param({"device": "cuda"})
            trial.predict(xgb.DMatrix(sample, enable_categorical=True), pred_contribs=True)
            device = json.loads(trial.save_config())["learner"]["generic_param"].get("device", "cpu")
        return "cuda" if str(device).startswith("cuda") else "cpu"
    except Exception:
        return "cpu"


def warm_up(model: TabularModel) -> None:
    """Import what the pages after the first one need and read the model's file, so that they open fast."""
    for module in ("xgboost", "sklearn.metrics", "sklearn.model_selection"):
        importlib.import_module(module)
    _ = model.estimator


def minimum_rows(dataset: Dataset) -> int:
    """The fewest rows the 80/20 split (and a model trained on it) needs: MIN_ROWS, and for a classifier
    enough that the test rows can hold every class (five per class)."""
    if dataset.task == "classification":
        return max(MIN_ROWS, 5 * max(len(dataset.classes), 2))
    return MIN_ROWS


def check_split_size(dataset: Dataset) -> None:
    """InputError (one line) when the table is too small to split into training and test rows."""
    rows, needed = len(dataset.features), minimum_rows(dataset)
    if rows < needed:
        kind = f" for {len(dataset.classes)} classes" if dataset.task == "classification" else ""
        raise InputError(f"the table has {rows:,} row{'s' if rows != 1 else ''}; splitting it into training and "
                         f"test rows (80/20) needs at least {needed:,}{kind}. Add rows.")


def train_test_indices(dataset: Dataset, seed: int = DEFAULT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """A fixed-seed 80/20 split of row positions (stratified for classification when every class has two
    rows or more); InputError for a table below :func:`minimum_rows`."""
    from sklearn.model_selection import train_test_split

    check_split_size(dataset)
    positions = np.arange(len(dataset.features))
    stratify = dataset.target if dataset.task == "classification" else None
    if stratify is not None and dataset.target.value_counts().min() < 2:
        stratify = None
    train, test = train_test_split(
        positions, test_size=TEST_SIZE, random_state=seed, stratify=stratify
    )
    return np.sort(train), np.sort(test)


def _objective(dataset: Dataset) -> dict:
    if dataset.task == "regression":
        return {"objective": "reg:squarederror"}
    if len(dataset.classes) == 2:
        return {"objective": "binary:logistic"}
    return {"objective": "multi:softprob", "num_class": len(dataset.classes)}


def _hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_xgboost_names(dataset: Dataset) -> None:
    """XGBoost cannot use column names with [, ] or <; say which ones to rename."""
    bad = [c for c in dataset.feature_names if any(ch in c for ch in XGBOOST_FORBIDDEN)]
    if bad:
        raise InputError("XGBoost cannot use column names that contain [, ] or <: " + ", ".join(bad) + "; rename them.")


def _default_source(sampled: bool) -> str:
    return ("default XGBoost (trained on "
            + (f"a seeded sample of {MAX_TRAIN_ROWS:,} rows of " if sampled else "")
            + "the 80% split)")


def _from_cache(path: Path, dataset: Dataset) -> TabularModel | None:
    """The cached default model at ``path`` if its file and record agree, without loading XGBoost."""
    record_path = path.with_suffix(".json")
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        raw = path.read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("model_hash") != _hash_bytes(raw):
        return None
    details = record.get("details", {})
    return TabularModel(
        SavedBooster(raw), "xgboost", dataset, dataset.classes, record["model_hash"],
        _default_source(bool(details.get("sampled"))), {**details, "default": True, "cached": True},
    )


def train_default_model(
    dataset: Dataset, seed: int = DEFAULT_SEED, use_cache: bool = True
) -> TabularModel:
    """Train (or load from the disk cache) the default XGBoost model on the fixed-seed train split.

    A cached model is parsed on first use, so opening a dataset does not import XGBoost.
    """
    check_xgboost_names(dataset)
    params = {**DEFAULT_PARAMS, **_objective(dataset), "seed": seed}
    versions = f"{metadata.version('xgboost')}|{CACHE_FORMAT}"
    key = _hash_bytes(f"{dataset.data_hash}|{json.dumps(params, sort_keys=True)}|{versions}".encode())
    path = cache_dir() / "models" / f"{key[:24]}.ubj"
    if use_cache and (cached := _from_cache(path, dataset)) is not None:
        return cached
    xgb = xgboost()
    train, _ = train_test_indices(dataset, seed)
    sampled = len(train) > MAX_TRAIN_ROWS
    if sampled:
        train = train[sample_positions(len(train), MAX_TRAIN_ROWS, seed)]
    rounds = params.pop("n_estimators")
    # Threads only pay off on larger tables; the thread count does not change the trees.
    params["nthread"] = 1 if len(train) < BATCH_ROWS * 20 else (os.cpu_count() or 1)
    matrix = xgb.DMatrix(
        dataset.features.iloc[train],
        label=dataset.target_codes()[train],
        enable_categorical=True,
    )
    booster = xgb.train(params, matrix, num_boost_round=rounds)
    raw = bytes(booster.save_raw(raw_format="ubj"))
    booster.set_param({"nthread": 1})
    details = {"seed": seed, "trees": int(booster.num_boosted_rounds()), "train_rows": len(train), "sampled": sampled}
    model_hash = _hash_bytes(raw)
    if use_cache:
        write_atomically(path, raw)
        # The record is written last and names the file's hash: a file without a matching record is retrained.
        write_atomically(path.with_suffix(".json"), json.dumps({"model_hash": model_hash, "details": details}).encode())
    return TabularModel(booster, "xgboost", dataset, dataset.classes, model_hash, _default_source(sampled),
                        {**details, "default": True, "cached": use_cache})


def _check_features(expected: list[str] | None, dataset: Dataset) -> None:
    if expected is None:
        return
    have = dataset.feature_names
    missing = [c for c in expected if c not in have]
    extra = [c for c in have if c not in expected]
    problems = []
    if missing:
        problems.append("missing from the table: " + ", ".join(missing))
    if extra:
        problems.append("not used by the model: " + ", ".join(extra))
    if not problems and list(expected) != have:
        problems.append("in another order: the model expects " + ", ".join(expected))
    if problems:
        raise InputError(
            "the model's features do not match the table (" + "; ".join(problems)
            + "); give the table the model was trained on."
        )


def read_model_bytes(path: Path) -> bytes:
    """A model file's bytes, refused (one line) when it is over ``XAI_MAX_MB`` or cannot be read."""
    from .model_check import MB, ModelLimits

    limit = ModelLimits.from_env().max_bytes
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"model file {path.name} is {size / MB:,.1f} MB, over the limit of {limit / MB:,.0f} MB "
                             "(XAI_MAX_MB); give a smaller model.")
        with path.open("rb") as handle:
            return handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"could not read model file {path.name} ({exc.strerror or type(exc).__name__}); "
                         "check the path.") from None


def _xgboost_sample(dataset: Dataset | None) -> dict | None:
    if dataset is None or dataset.features.empty:
        return None
    rows = dataset.features.iloc[: min(16, len(dataset.features))]
    codes = dataset.to_codes(rows)
    return {"rows": [[None if v != v else float(v) for v in row] for row in codes.tolist()]}


def _sklearn_sample(dataset: Dataset) -> dict | None:
    if dataset.features.empty:
        return None
    rows = dataset.features.iloc[: min(16, len(dataset.features))]
    values = [[None if pd.isna(v) else (str(v) if name in dataset.categorical else float(v))
               for name, v in zip(dataset.feature_names, row, strict=True)]
              for row in rows.itertuples(index=False, name=None)]
    return {"frame": {"columns": dataset.feature_names, "rows": values, "categorical": list(dataset.categorical),
                      "numeric": list(dataset.numeric)}}


def read_xgboost_file(
    path: Path, dataset: Dataset | None = None, data: bytes | None = None
) -> tuple[xgb.Booster, dict]:
    """An XGBoost model file and its configuration; InputError when it cannot be read.

    The bytes are first checked in a child process (:mod:`explainers.model_check`: structure, sizes, and
    libxgboost's own parse, under memory and CPU limits); only bytes that passed reach this process's XGBoost.
    """
    from .model_check import check_model_bytes

    data = read_model_bytes(path) if data is None else data
    fmt = "ubj" if path.suffix.lower() == ".ubj" else "json"
    expected = {"features": len(dataset.feature_names)} if dataset is not None else None
    check_model_bytes(data, path.name, fmt, expected, sample=_xgboost_sample(dataset))
    xgb = xgboost()
    try:
        booster = xgb.Booster(model_file=bytearray(data))
        return booster, json.loads(booster.save_config())
    except (xgb.core.XGBoostError, ValueError, UnicodeDecodeError):
        raise InputError(
            f"{path.name} is not a readable XGBoost model (corrupt or truncated?); "
            "save it again with model.save_model('model.json')."
        ) from None


def _load_xgboost(path: Path, dataset: Dataset) -> TabularModel:
    data = read_model_bytes(path)
    booster, config = read_xgboost_file(path, dataset, data)
    objective = config["learner"]["objective"]["name"]
    booster.set_param({"nthread": 1})
    _check_features(booster.feature_names, dataset)
    if booster.feature_names is None and booster.num_features() != len(dataset.feature_names):
        raise InputError(
            f"the model expects {booster.num_features()} features but the table has "
            f"{len(dataset.feature_names)}; give the table the model was trained on."
        )
    if booster.feature_names is None:
        booster.feature_names = dataset.feature_names
    types = booster.feature_types or []
    wrong = [
        name
        for name, kind in zip(dataset.feature_names, types, strict=False)
        if (kind == "c") != (dataset.info[name].kind == "categorical")
    ]
    if wrong:
        raise InputError(
            "the model and the table disagree on which columns are categorical: " + ", ".join(wrong)
            + "; give the table the model was trained on."
        )
    is_classifier = objective.startswith(("binary:", "multi:"))
    if is_classifier != (dataset.task == "classification"):
        raise InputError(
            f"the model is a {'classifier' if is_classifier else 'regressor'} but the target "
            f"{dataset.spec.target!r} makes this a {dataset.task} task; choose the matching target."
        )
    if objective.startswith("multi:"):
        n_class = int(config["learner"]["learner_model_param"]["num_class"])
        if n_class != len(dataset.classes):
            raise InputError(
                f"the model predicts {n_class} classes but the target has {len(dataset.classes)} "
                f"({', '.join(dataset.classes)}); choose the matching target."
            )
    elif is_classifier and len(dataset.classes) != 2:
        raise InputError(
            f"the model is binary but the target has {len(dataset.classes)} classes; "
            "choose the matching target."
        )
    return TabularModel(
        booster,
        kind="xgboost",
        dataset=dataset,
        classes=dataset.classes,
        model_hash=_hash_bytes(data),
        source=path.name,
        details={"objective": objective, "trees": int(booster.num_boosted_rounds())},
    )


def _load_skops(path: Path, dataset: Dataset, trusted: tuple[str, ...] = ()) -> TabularModel:
    """A scikit-learn model saved with skops: checked in a child process first (every type on the allow-list
    of :mod:`explainers.model_check`, no functions; trees and other compiled-code arrays in range), then
    loaded here from the same bytes with exactly the types the check found trusted."""
    import skops.io as sio

    from .model_check import allowed_skops_types, check_model_bytes

    data = read_model_bytes(path)
    facts = check_model_bytes(data, path.name, "skops", {"features": len(dataset.feature_names)}, trusted=trusted,
                              sample=_sklearn_sample(dataset))
    types = [str(t) for t in facts.get("types", [])]
    allowed = allowed_skops_types(trusted)
    outside = sorted(t for t in types if t not in allowed)
    if outside:  # the child already refused these; this process checks again before it builds anything
        raise InputError(f"{path.name} contains types that are not trusted ({', '.join(outside[:5])}); "
                         "it was not loaded. Save the model with standard scikit-learn types only.")
    try:
        estimator = sio.loads(data, trusted=types)
    except Exception:
        raise InputError(
            f"{path.name} is not a readable skops file (corrupt or truncated?); "
            "save it again with skops.io.dump(model, 'model.skops')."
        ) from None
    _check_features(
        [str(c) for c in getattr(estimator, "feature_names_in_", [])] or None, dataset
    )
    classes: tuple[str, ...] = ()
    if dataset.task == "classification":
        if not hasattr(estimator, "predict_proba"):
            raise InputError(f"{path.name} has no predict_proba; a classifier must give probabilities.")
        classes = tuple(str(c) for c in getattr(estimator, "classes_", ()))
        if sorted(classes) != list(dataset.classes):
            raise InputError(
                f"the model's classes ({', '.join(classes)}) differ from the target's values "
                f"({', '.join(dataset.classes)}); choose the matching target."
            )
    elif not hasattr(estimator, "predict"):
        raise InputError(f"{path.name} has no predict method.")
    return TabularModel(
        estimator,
        kind="sklearn",
        dataset=dataset,
        classes=classes,
        model_hash=_hash_bytes(data),
        source=path.name,
        details={"type": type(estimator).__name__},
    )


def load_model(
    path: str | Path, dataset: Dataset, allow_pickle: bool = False, trusted: tuple[str, ...] = ()
) -> TabularModel:
    """Load a model file and check it against the dataset.

    Parameters
    ----------
    path : XGBoost ``.json`` / ``.ubj`` file, or a scikit-learn model saved with skops (``.skops``).
    dataset : the table the model is explained on.
    allow_pickle : load pickle/joblib files; only for trusted files on the server's own disk.
    trusted : skops type names the operator trusts beyond skops' defaults.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"model file {path} does not exist; check the path.")
    suffix = path.suffix.lower()
    if suffix in (".json", ".ubj"):
        return _load_xgboost(path, dataset)
    if suffix == ".skops":
        return _load_skops(path, dataset, trusted)
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
                return _load_xgboost(tmp, dataset)
            finally:
                tmp.unlink(missing_ok=True)
        classes = tuple(str(c) for c in getattr(estimator, "classes_", ()))
        return TabularModel(estimator, "sklearn", dataset, classes, _hash_bytes(path.read_bytes()), path.name)
    raise InputError(
        f"{path.name}: unsupported model file {suffix!r}; give an XGBoost .json/.ubj or a .skops file."
    )


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
        raise InputError(f"model file {shown} is empty; upload the saved model again.")
    if len(data) > limits.max_bytes:
        raise InputError(
            f"model file {shown} is {megabytes(len(data))}, over the limit of {megabytes(limits.max_bytes)} "
            "(XAI_MAX_MB)."
        )
    suffix = Path(shown.lower()).suffix
    if suffix in PICKLE_SUFFIXES or looks_like_pickle(data):
        raise pickle_refusal(shown)
    if suffix.lstrip(".") not in MODEL_TYPES:
        raise InputError(
            f"{shown}: unsupported model file {suffix or '(no extension)'!r}; give an XGBoost .json/.ubj "
            "or a scikit-learn model saved with skops (.skops)."
        )
    with tempfile.TemporaryDirectory(prefix="xai-model-") as folder:
        path = Path(folder) / _safe_name(shown)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        return load_model(path, dataset, allow_pickle=False, trusted=trusted)
