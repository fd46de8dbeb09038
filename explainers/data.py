"""Tables as the engine sees them: typed features, a target, a schema and a content hash."""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .errors import InputError
from .messages import Message
from .privacy import PersonalData, find_personal
from .spec import MAX_CLASSES, DatasetSpec, infer_spec, load_spec
from .upload import SAMPLE_SEED, Limits, date_parts, megabytes, mixed_numbers, read_upload
from .util import check_unique_columns, sample_positions

DATASETS_DIR = Path(__file__).resolve().parent.parent / "datasets"
DEFAULT_DATASET = "credit"


@dataclass(frozen=True)
class FeatureInfo:
    """Type and observed range of one original column."""

    name: str
    kind: Literal["numeric", "categorical"]
    categories: tuple[str, ...] = ()
    minimum: float = float("nan")
    maximum: float = float("nan")
    integer: bool = False
    fill_value: float | str = 0.0  # median or mode, used where sampling needs a value


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features in original columns (numbers as float, categories as pandas categoricals) and target."""

    spec: DatasetSpec
    features: pd.DataFrame
    target: pd.Series
    schema: tuple[FeatureInfo, ...]
    classes: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    data_hash: str = ""
    extra: dict = field(default_factory=dict)
    personal: PersonalData = field(default_factory=PersonalData)  # personal-data columns, shown only masked

    @property
    def task(self) -> str:
        return self.spec.task

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.schema]

    @cached_property
    def info(self) -> dict[str, FeatureInfo]:
        return {f.name: f for f in self.schema}

    @cached_property
    def _category_index(self) -> dict[str, pd.Index]:
        return {f.name: pd.Index(list(f.categories)) for f in self.schema if f.kind == "categorical"}

    def _is_typed(self, frame: pd.DataFrame) -> bool:
        """Whether ``frame`` already has exactly this schema's columns, order and types."""
        if list(frame.columns) != self.feature_names:
            return False
        for info, dtype in zip(self.schema, frame.dtypes.tolist(), strict=True):
            if info.kind == "numeric":
                if dtype != np.float64:
                    return False
            else:
                expected = self._category_index[info.name]
                if not isinstance(dtype, pd.CategoricalDtype) or not dtype.categories.equals(expected):
                    return False
        return True

    @property
    def categorical(self) -> list[str]:
        return [f.name for f in self.schema if f.kind == "categorical"]

    @property
    def numeric(self) -> list[str]:
        return [f.name for f in self.schema if f.kind == "numeric"]

    @property
    def positive_class(self) -> str | None:
        return self.spec.positive_class

    def row(self, index: int) -> pd.DataFrame:
        """One row of features as a one-row frame; raises InputError when out of range."""
        n = len(self.features)
        if not isinstance(index, int | np.integer) or not 0 <= index < n:
            raise InputError(key="errors.data.no_row", index=str(index), last=str(n - 1))
        return self.features.iloc[[int(index)]]

    def coerce(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Cast a frame of original columns to this schema's types (unknown categories become NaN)."""
        if self._is_typed(frame):
            return frame.copy(deep=False)  # already typed: the common case, and the hot path
        missing = [c for c in self.feature_names if c not in frame.columns]
        if missing:
            raise InputError(key="errors.data.missing_features", columns=", ".join(missing))
        out = {}
        for info in self.schema:
            column = frame[info.name]
            if info.kind == "categorical":
                if isinstance(column.dtype, pd.CategoricalDtype) and tuple(
                    column.cat.categories
                ) == info.categories:
                    out[info.name] = column
                else:
                    out[info.name] = pd.Categorical(as_text(column), categories=list(info.categories))
            else:
                out[info.name] = pd.to_numeric(column, errors="coerce").astype("float64")
        return pd.DataFrame(out, index=frame.index)

    def to_codes(self, frame: pd.DataFrame) -> np.ndarray:
        """Numeric matrix: numbers as they are, categories as their code, missing as NaN."""
        frame = self.coerce(frame)
        columns = []
        for info in self.schema:
            column = frame[info.name]
            if info.kind == "categorical":
                codes = column.cat.codes.to_numpy().astype("float64")
                codes[codes < 0] = np.nan
                columns.append(codes)
            else:
                columns.append(column.to_numpy(dtype="float64"))
        return np.column_stack(columns) if columns else np.empty((len(frame), 0))

    def from_codes(self, matrix: np.ndarray) -> pd.DataFrame:
        """Inverse of :meth:`to_codes` (codes are rounded; out-of-range codes become missing)."""
        matrix = np.asarray(matrix, dtype="float64")
        out = {}
        for j, info in enumerate(self.schema):
            column = matrix[:, j]
            if info.kind == "categorical":
                codes = np.where(np.isnan(column), -1, np.rint(column)).astype("int64")
                codes[(codes < 0) | (codes >= len(info.categories))] = -1
                out[info.name] = pd.Categorical.from_codes(codes, categories=list(info.categories))
            else:
                out[info.name] = column
        return pd.DataFrame(out)

    def imputed(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy with missing values filled by each column's median or mode (for sampling only)."""
        frame = frame.copy()
        for info in self.schema:
            if frame[info.name].isna().any():
                frame[info.name] = frame[info.name].fillna(info.fill_value)
        return frame

    def target_codes(self) -> np.ndarray:
        """Target as class indices into :attr:`classes` (classification) or floats (regression)."""
        if self.task == "regression":
            return self.target.to_numpy(dtype="float64")
        lookup = {c: i for i, c in enumerate(self.classes)}
        return self.target.map(lookup).to_numpy(dtype="int64")


def as_text(column: pd.Series) -> pd.Series:
    """Values as text with missing kept missing (vectorised: fast on a million rows)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("object")
    return column.astype("string").astype(object).where(column.notna(), None)


def hash_frame(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's columns, types and values (stable across runs)."""
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def feature_schema(features: pd.DataFrame) -> tuple[FeatureInfo, ...]:
    """Each column's type and observed range (categories, min, max, whole numbers, the value sampling fills in)."""
    infos = []
    for name in features.columns:
        column = features[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            mode = column.mode(dropna=True)
            infos.append(
                FeatureInfo(
                    str(name),
                    "categorical",
                    categories=tuple(map(str, column.cat.categories)),
                    fill_value=str(mode.iloc[0]) if len(mode) else str(column.cat.categories[0]),
                )
            )
        else:
            values = column.dropna()
            infos.append(
                FeatureInfo(
                    str(name),
                    "numeric",
                    minimum=float(values.min()) if len(values) else 0.0,
                    maximum=float(values.max()) if len(values) else 0.0,
                    integer=bool(len(values) and (values == values.round()).all()),
                    fill_value=float(values.median()) if len(values) else 0.0,
                )
            )
    return tuple(infos)


DATE_PARTS = ("year", "month", "dayofyear")


def _date_columns(name: str, dates: pd.Series) -> dict[str, pd.Series]:
    """A date column as three numeric columns: ``<name>_year``, ``<name>_month``, ``<name>_dayofyear``."""
    accessor = dates.dt
    return {
        f"{name}_year": accessor.year.astype("float64"),
        f"{name}_month": accessor.month.astype("float64"),
        f"{name}_dayofyear": accessor.dayofyear.astype("float64"),
    }


def _numeric_feature(name: object, values: pd.Series) -> pd.Series:
    values = values.astype("float64")
    if np.isinf(values).any():
        raise InputError(key="errors.data.infinite_column", column=str(name))
    return values


def prepare_dataset(
    frame: pd.DataFrame, spec: DatasetSpec, notices: tuple[str, ...] = (), limits: Limits | None = None,
    pii_features: tuple[str, ...] = (),
) -> Dataset:
    """Check a raw table against its spec and type its columns.

    Data checks (``limits`` default to :meth:`Limits.from_env`): a table over ``max_rows`` or
    ``max_columns`` is refused; above ``sample_rows`` rows a seeded random sample is kept, with a
    notice. Date columns (a datetime type, or ISO / Brazilian dates as text) become three numeric
    columns, year, month and day of the year, with a notice. A text column that is at least 90%
    numbers is numeric, its text cells missing, with a notice naming an example; one with fewer
    numbers is categorical, with a notice. A categorical column with more than ``max_levels``
    distinct values is dropped with a notice (refused when the spec lists it as immutable or
    sensitive). A text column with no values at all becomes an all-missing numeric column.
    Infinite values, in a feature or a numeric target, are refused.

    Personal data (the spec's ``pii`` list, else the columns :func:`explainers.privacy.find_personal` detects)
    is kept out of the features, with a notice, and held apart in :attr:`Dataset.personal`; ``pii_features``
    are personal columns kept as features all the same (a model the user brought needs them; it is flagged).
    """
    limits = limits or Limits.from_env()
    _check_table(frame, spec, limits)
    notes = list(notices)
    frame, extra = _labelled_rows(frame, spec, limits, notes)
    personal = find_personal(frame, spec.pii, spec.target, in_model=pii_features)
    spec = replace(spec, pii=tuple(personal.columns))
    if personal.notice() is not None:
        notes.append(personal.notice())
    left_out = [c for c in personal.columns if c not in personal.in_model]
    dropped = [c for c in dict.fromkeys((*spec.drop, *left_out)) if c in frame.columns and c not in personal.in_model]
    features = frame.drop(columns=[spec.target, *dropped])
    if features.shape[1] == 0:
        raise InputError(key="errors.data.no_features")
    typed, replaced = _typed_features(features, spec, limits, notes)
    features = pd.DataFrame(typed)
    spec = _spec_for_features(spec, replaced, features)
    classes, target_series = _typed_target(frame, spec)
    whole = features.copy()
    whole[spec.target] = target_series.to_numpy()
    return Dataset(
        spec=spec,
        features=features,
        target=target_series,
        schema=feature_schema(features),
        classes=tuple(classes),
        notices=tuple(notes),
        data_hash=hash_frame(whole),
        extra=extra,
        personal=personal,
    )


def _check_table(frame: pd.DataFrame, spec: DatasetSpec, limits: Limits) -> None:
    """The table as a whole: not empty, unique column names, within the limits, a target column with values."""
    if frame.empty or len(frame.columns) == 0:
        raise InputError(key="errors.data.empty")
    check_unique_columns(frame.columns)
    if frame.shape[1] > limits.max_columns:
        raise InputError(key="errors.data.too_many_columns", columns=frame.shape[1], limit=limits.max_columns)
    if len(frame) > limits.max_rows:
        raise InputError(key="errors.data.too_many_rows", rows=len(frame), limit=limits.max_rows)
    if spec.target not in frame.columns:
        raise InputError(key="errors.data.no_target", target=spec.target,
                         columns=", ".join(map(str, frame.columns[:20])))
    target = frame[spec.target]
    if not target.notna().any():
        raise InputError(key="errors.data.empty_target", target=spec.target)
    numeric_target = pd.api.types.is_numeric_dtype(target) and not pd.api.types.is_bool_dtype(target)
    if numeric_target and np.isinf(target.astype("float64")).any():
        raise InputError(key="errors.data.infinite_target", target=spec.target)


def _labelled_rows(frame: pd.DataFrame, spec: DatasetSpec, limits: Limits, notes: list[str]
                   ) -> tuple[pd.DataFrame, dict]:
    """The rows whose target is known, and above ``sample_rows`` a seeded sample of them (each with a notice)."""
    keep = frame[spec.target].notna()
    frame = frame.loc[keep].reset_index(drop=True)
    extra: dict = {}
    if (~keep).any():
        notes.append(Message("notices.data.dropped_rows", rows=int((~keep).sum())))
    if len(frame) > limits.sample_rows:
        rows = len(frame)
        picked = sample_positions(rows, limits.sample_rows, SAMPLE_SEED)
        frame = frame.iloc[picked].reset_index(drop=True)
        extra["sampled_from_rows"] = rows
        notes.append(Message("notices.data.sampled", rows=rows, sample=limits.sample_rows,
                             seed=str(SAMPLE_SEED)))
    return frame, extra


def _typed_features(features: pd.DataFrame, spec: DatasetSpec, limits: Limits, notes: list[str]
                    ) -> tuple[dict[str, pd.Series | pd.Categorical], dict[str, list[str]]]:
    """Each feature column typed (see :func:`_typed_column`), and the date columns with the columns made of them."""
    typed: dict[str, pd.Series | pd.Categorical] = {}
    replaced: dict[str, list[str]] = {}  # a date column -> the numeric columns made from it
    listed = set(spec.immutable) | set(spec.sensitive)
    for name in features.columns:
        key = str(name)
        column = features[name]
        if pd.api.types.is_bool_dtype(column):
            column = column.astype("string")
        dates = date_parts(column)
        if dates is not None:
            parts = _date_columns(key, dates)
            taken = [p for p in parts if p in features.columns or p == spec.target or p in typed]
            if taken:
                raise InputError(key="errors.data.date_clash", column=key, parts=", ".join(parts), taken=taken[0])
            typed.update(parts)
            replaced[key] = list(parts)
            notes.append(Message("notices.data.date_column", column=key, parts=", ".join(parts)))
            continue
        column = _typed_column(name, column, key in listed, limits, notes)
        if column is not None:
            typed[key] = column
    if not typed:
        raise InputError(key="errors.data.no_usable_features")
    return typed, replaced


def _typed_column(name: object, column: pd.Series, listed: bool, limits: Limits, notes: list[str]
                  ) -> pd.Series | pd.Categorical | None:
    """One column that is not a date as floats or categories; None when it is dropped (too many categories)."""
    key = str(name)
    if pd.api.types.is_numeric_dtype(column):
        return _numeric_feature(name, column)
    if column.isna().all():
        return pd.Series(np.nan, index=column.index, dtype="float64")
    mixed = mixed_numbers(column)
    if mixed is not None:
        kind, numbers, example = mixed
        if kind == "numeric":
            count = int(numbers.isna().sum() - column.isna().sum())
            notes.append(Message("notices.data.mostly_numbers", column=key, count=count, example=repr(example)))
            return _numeric_feature(name, numbers)
        notes.append(Message("notices.data.mixed", column=key, example=repr(example)))
    categories = pd.Categorical(as_text(column))
    if len(categories.categories) > limits.max_levels:
        if listed:
            raise InputError(key="errors.data.too_many_levels", column=key, levels=len(categories.categories),
                             limit=limits.max_levels)
        notes.append(Message("notices.data.too_many_levels", column=key, levels=len(categories.categories),
                             limit=limits.max_levels))
        return None
    return categories


def _spec_for_features(spec: DatasetSpec, replaced: dict[str, list[str]], features: pd.DataFrame) -> DatasetSpec:
    """The spec with a date column in its immutable and sensitive lists replaced by the columns made of it; every
    listed column must be a feature."""
    if replaced:
        def expand(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(part for n in names for part in replaced.get(n, [n]))

        spec = replace(spec, immutable=expand(spec.immutable), sensitive=expand(spec.sensitive))
    for listed_names, key in ((spec.immutable, "errors.data.unknown_immutable"),
                              (spec.sensitive, "errors.data.unknown_sensitive")):
        unknown = [c for c in listed_names if c not in features.columns]
        if unknown:
            raise InputError(key=key, columns=", ".join(unknown))
    return spec


def _typed_target(frame: pd.DataFrame, spec: DatasetSpec) -> tuple[list[str], pd.Series]:
    """The classes and the target as text labels (classification), or no classes and floats (regression)."""
    if spec.task == "classification":
        labels = frame[spec.target].astype("object").map(str)
        classes = sorted(labels.unique())
        if len(classes) < 2:
            raise InputError(key="errors.data.single_class", target=spec.target, label=classes[0])
        if len(classes) > MAX_CLASSES:
            raise InputError(key="errors.data.too_many_classes", target=spec.target, classes=len(classes))
        positive = spec.positive_class
        if positive is not None and positive not in classes:
            raise InputError(key="errors.data.unknown_positive", positive=positive, target=spec.target,
                             classes=", ".join(classes))
        return classes, pd.Series(labels.to_numpy(), name=spec.target)
    numeric = pd.to_numeric(frame[spec.target], errors="coerce")
    if numeric.isna().any():
        raise InputError(key="errors.data.non_numeric_target", target=spec.target)
    if np.isinf(numeric.astype("float64")).any():
        raise InputError(key="errors.data.infinite_target", target=spec.target)
    return [], pd.Series(numeric.to_numpy(dtype="float64"), name=spec.target)


def read_table(path: str | Path, limits: Limits | None = None) -> pd.DataFrame:
    """Read a CSV (separator and encoding detected, gzip allowed) or Parquet file into a frame."""
    path = Path(path)
    if not path.exists():
        raise InputError(key="errors.read.missing", path=str(path))
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv", ".txt", ".tsv", ".gz"):
        raise InputError(key="errors.read.unsupported", name=path.name, suffix=suffix)
    limits = limits or Limits.from_env()
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise InputError(key="errors.read.too_big", name=path.name, size=megabytes(size),
                             limit=megabytes(limits.max_bytes))
        data = path.read_bytes()
    except OSError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(key="errors.read.unreadable", name=path.name, reason=reason) from None
    return read_upload(path.name, data, limits)


def builtin_names() -> list[str]:
    """Names of the built-in datasets (the stems of the spec files in ``datasets/``)."""
    return sorted(p.stem for p in DATASETS_DIR.glob("*.toml"))


@lru_cache(maxsize=64)
def builtin_spec(name: str) -> DatasetSpec:
    path = DATASETS_DIR / f"{name}.toml"
    if not path.exists():
        raise InputError(key="errors.data.unknown_dataset", name=name, choices=', '.join(builtin_names()))
    return load_spec(path)


def _load_via_loader(spec: DatasetSpec) -> pd.DataFrame:
    module_name, _, function_name = (spec.loader or "").partition(":")
    bunch = getattr(importlib.import_module(module_name), function_name)(as_frame=True)
    frame = bunch.frame.copy()
    names = list(bunch.target_names)
    frame[spec.target] = [names[int(i)] for i in frame.pop("target")]
    return frame


def load_builtin(name: str = DEFAULT_DATASET, pii_features: tuple[str, ...] = ()) -> Dataset:
    """Load a built-in dataset by name (its file and spec ship in ``datasets/``); ``pii_features`` as for
    :func:`prepare_dataset`."""
    spec = builtin_spec(name)
    frame = _load_via_loader(spec) if spec.loader else read_table(DATASETS_DIR / str(spec.source))
    return prepare_dataset(frame, spec, pii_features=pii_features)


def load_dataset(path: str | Path, target: str | None = None, spec_path: str | Path | None = None,
                 pii_features: tuple[str, ...] = ()) -> Dataset:
    """Load a user table: with a spec (given, or ``<stem>.toml`` beside it), or with an inferred one;
    ``pii_features`` as for :func:`prepare_dataset`."""
    path = Path(path)
    if not path.exists() and str(path) in builtin_names():
        dataset = load_builtin(str(path), pii_features=pii_features)
        if target is not None and target != dataset.spec.target:
            raise InputError(key="errors.data.builtin_target", path=path, target=dataset.spec.target, asked=target)
        return dataset
    frame = read_table(path)
    beside = path.with_suffix(".toml")
    spec_file = Path(spec_path) if spec_path else (beside if beside.exists() else None)
    if spec_file is not None:
        spec = load_spec(spec_file)
        if target is not None and target != spec.target:
            if spec_path:
                raise InputError(key="errors.spec.target_differs", target=spec.target, asked=target)
        else:
            return prepare_dataset(frame, spec, pii_features=pii_features)
    if target is None:
        raise InputError(key="errors.data.no_target_given")
    spec, notices = infer_spec(frame, target, name=path.stem)
    return prepare_dataset(frame, spec, tuple(notices), pii_features=pii_features)
