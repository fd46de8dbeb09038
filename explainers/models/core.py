"""The model adapter (``predict`` / ``predict_proba`` on a frame of original columns), the default XGBoost
model and its disk cache, and what every model file's loader shares (reading its bytes, checking features)."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import threading
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Literal

import numpy as np
import pandas as pd

from ..data import Dataset
from ..errors import InputError
from ..messages import Message
from ..util import sample_positions, write_atomically

ModelKind = Literal["xgboost", "sklearn", "lightgbm", "catboost", "onnx"]
TREE_KINDS = ("xgboost", "lightgbm", "catboost")  # exact TreeSHAP from the library's own contributions
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
    root = os.environ.get("XAI_CACHE_DIR") or Path(__file__).resolve().parents[2] / ".cache"
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

    @property
    def kind_label(self) -> str:
        """The model's library in words, for reports and cards: XGBoost, LightGBM, CatBoost, ONNX, or
        scikit-learn and its estimator's type."""
        labels = {"xgboost": "XGBoost", "lightgbm": "LightGBM", "catboost": "CatBoost", "onnx": "ONNX"}
        return labels.get(self.kind) or f"scikit-learn ({self.details.get('type', '?')})"

    @property
    def native_shap(self) -> bool:
        """Whether SHAP comes from the tree library's own exact contributions (in log-odds for classifiers,
        raw units for regressors) rather than the model-agnostic permutation path."""
        return self.kind in TREE_KINDS

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """LightGBM's or CatBoost's exact TreeSHAP of ``frame``'s rows, in original columns (encoded columns
        summed back) with the bias last: ``(rows, features + 1)``, or ``(rows, classes, features + 1)``."""
        if self.kind not in ("lightgbm", "catboost"):
            raise InputError(key="errors.model_kinds.no_contributions")
        return self.estimator.contributions(self._model_input(frame))

    def _model_input(self, frame: pd.DataFrame) -> pd.DataFrame:
        typed = self.dataset.coerce(frame)
        if self.kind == "sklearn":
            for name in self.dataset.categorical:
                typed[name] = typed[name].astype("object").where(typed[name].notna(), np.nan)
        return typed

    def predict_margin(self, frame: pd.DataFrame) -> np.ndarray:
        """Raw model output (log-odds for XGBoost classifiers, the value for regressors)."""
        if self.kind in ("lightgbm", "catboost"):
            return self.estimator.predict_margin(self._model_input(frame))
        if self.kind != "xgboost":
            raise InputError("raw margins exist only for XGBoost, LightGBM and CatBoost models.")
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
        if self.kind == "lightgbm":  # reads the codes too, mapped to its own category numbers
            out = self.estimator.run_codes(codes)
            return np.column_stack([1.0 - out, out]) if self.is_classifier and out.ndim == 1 else out
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
        kind = Message("errors.models.for_classes", classes=len(dataset.classes)) if dataset.task == "classification" \
            else ""
        raise InputError(key="errors.models.too_few_rows", rows=rows, needed=needed, kind=kind)


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


def hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_xgboost_names(dataset: Dataset) -> None:
    """XGBoost cannot use column names with [, ] or <; say which ones to rename."""
    bad = [c for c in dataset.feature_names if any(ch in c for ch in XGBOOST_FORBIDDEN)]
    if bad:
        raise InputError(key="errors.models.bad_names", columns=", ".join(bad))


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
    if not isinstance(record, dict) or record.get("model_hash") != hash_bytes(raw):
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
    key = hash_bytes(f"{dataset.data_hash}|{json.dumps(params, sort_keys=True)}|{versions}".encode())
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
    model_hash = hash_bytes(raw)
    if use_cache:
        write_atomically(path, raw)
        # The record is written last and names the file's hash: a file without a matching record is retrained.
        write_atomically(path.with_suffix(".json"), json.dumps({"model_hash": model_hash, "details": details}).encode())
    return TabularModel(booster, "xgboost", dataset, dataset.classes, model_hash, _default_source(sampled),
                        {**details, "default": True, "cached": use_cache})


def check_features(expected: list[str] | None, dataset: Dataset) -> None:
    if expected is None:
        return
    have = dataset.feature_names
    missing = [c for c in expected if c not in have]
    extra = [c for c in have if c not in expected]
    problems = []
    if missing:
        problems.append(Message("errors.models.features_missing", columns=", ".join(missing)))
    if extra:
        problems.append(Message("errors.models.features_unused", columns=", ".join(extra)))
    if not problems and list(expected) != have:
        problems.append(Message("errors.models.features_order", columns=", ".join(expected)))
    if problems:
        raise InputError(key="errors.models.features_mismatch", problems=tuple(problems))


def read_model_bytes(path: Path) -> bytes:
    """A model file's bytes, refused (one line) when it is over ``XAI_MAX_MB`` or cannot be read."""
    from ..model_check import MB, ModelLimits

    limit = ModelLimits.from_env().max_bytes
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(key="errors.models.too_big", name=path.name, size=size / MB, limit=limit / MB)
        with path.open("rb") as handle:
            return handle.read(limit + 1)
    except OSError as exc:
        raise InputError(key="errors.models.unreadable", name=path.name,
                         reason=exc.strerror or type(exc).__name__) from None
