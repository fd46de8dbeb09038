"""The two tables monitoring compares: the reference (by default the rows the default model trained on) and a
current table (an upload, a file on the server's disk, or a batch results folder), both in the reference's
schema.

A current table is aligned, not re-typed: a numeric feature's cells that are not numbers become missing; a
categorical feature keeps every level it has, so levels the reference never had are counted (the model itself
sees them as missing, as :meth:`explainers.Dataset.coerce` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import InputError

MAX_BATCH_ROWS = 1_000_000  # most rows of a batch results folder read (a seeded sample above it)
_DATE_PART = re.compile(r"^(?P<base>.+)_(?P<part>year|month|dayofyear)$")


@dataclass(frozen=True, eq=False)
class MonitoredTable:
    """One table in the reference's schema.

    ``features``: typed like :attr:`explainers.Dataset.features` (numbers as float, categories with the
    reference's levels, anything else missing). ``levels``: each categorical feature's counts by level as
    found, new levels included, missing values not. ``unreadable``: per numeric feature, cells that were
    text. ``score``, ``predicted`` and ``shap`` are given when the table already holds them (a batch folder
    written with the same model); otherwise they are computed.
    """

    name: str
    features: pd.DataFrame
    levels: dict[str, pd.Series] = field(default_factory=dict)
    target: pd.Series | None = None
    score: np.ndarray | None = None
    predicted: np.ndarray | None = None
    shap: pd.DataFrame | None = None
    total_rows: int = 0
    unreadable: dict[str, int] = field(default_factory=dict)
    notices: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return len(self.features)


def _text(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("object")
    text = column.astype("string").str.strip()
    return text.where(column.notna() & (text != ""), pd.NA)


def _date_feature(frame: pd.DataFrame, name: str) -> pd.Series | None:
    """A ``<date>_year`` / ``_month`` / ``_dayofyear`` feature rebuilt from a raw date column, as the reference's
    reader made it."""
    match = _DATE_PART.match(name)
    if not match or match["base"] not in frame.columns:
        return None
    from ..upload import date_parts

    dates = date_parts(frame[match["base"]])
    if dates is None:
        return None
    return getattr(dates.dt, match["part"]).astype("float64")


def align(frame: pd.DataFrame, dataset, name: str = "current", notices: tuple[str, ...] = ()) -> MonitoredTable:
    """``frame`` (raw columns, as read from a file) in ``dataset``'s schema; InputError when features are missing."""
    columns: dict[str, object] = {}
    levels: dict[str, pd.Series] = {}
    unreadable: dict[str, int] = {}
    absent = []
    for info in dataset.schema:
        raw = frame[info.name] if info.name in frame.columns else _date_feature(frame, info.name)
        if raw is None:
            absent.append(info.name)
            continue
        if info.kind == "numeric":
            if pd.api.types.is_bool_dtype(raw):
                raw = raw.astype("float64")
            numbers = pd.to_numeric(raw, errors="coerce").astype("float64")
            if not pd.api.types.is_numeric_dtype(raw):
                lost = int((numbers.isna() & _text(raw).notna()).sum())
                if lost:
                    unreadable[info.name] = lost
            numbers = numbers.where(np.isfinite(numbers.to_numpy()), np.nan)
            columns[info.name] = numbers.to_numpy()
        else:
            text = _text(raw)
            found = pd.Categorical(text.astype("object").where(text.notna(), None))
            counts = pd.Series(np.bincount(found.codes[found.codes >= 0], minlength=len(found.categories)),
                               index=pd.Index(found.categories.astype(str)), dtype="int64")
            levels[info.name] = counts[counts > 0]
            columns[info.name] = found.set_categories(list(info.categories))  # new levels become missing
    if absent:
        raise InputError(f"{name}: the table lacks feature columns of the reference: " + ", ".join(absent[:20])
                         + ("…" if len(absent) > 20 else "") + "; give a table with the same columns.")
    features = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))
    target = None
    spec = dataset.spec
    if spec.target in frame.columns:
        raw_target = frame[spec.target]
        if dataset.task == "classification":
            values = raw_target.astype("object")
            target = values.map(str).where(values.notna(), None).reset_index(drop=True)
        else:
            target = pd.to_numeric(raw_target, errors="coerce").astype("float64").reset_index(drop=True)
    return MonitoredTable(name, features, levels, target, total_rows=len(frame), unreadable=unreadable,
                          notices=tuple(notices))


def reference_table(dataset, seed: int = 0) -> MonitoredTable:
    """The default reference: the training rows of the fixed-seed 80/20 split the default model learnt from."""
    from .. import train_test_indices

    train, _ = train_test_indices(dataset, seed)
    features = dataset.features.iloc[train].reset_index(drop=True)
    levels = {}
    for name in dataset.categorical:
        counts = features[name].value_counts(sort=False)
        levels[name] = counts[counts > 0].astype("int64")
        levels[name].index = levels[name].index.astype(str)
    target = dataset.target.iloc[train].reset_index(drop=True)
    return MonitoredTable("reference", features, levels, target, total_rows=len(features))


def held_out_table(dataset, seed: int = 0) -> MonitoredTable:
    """The held-out rows of the same split: the Overview's test rows, the baseline of performance."""
    from .. import train_test_indices

    _, test = train_test_indices(dataset, seed)
    return MonitoredTable("test", dataset.features.iloc[test].reset_index(drop=True), {},
                          dataset.target.iloc[test].reset_index(drop=True), total_rows=len(test))


def read_bytes(name: str, data: bytes, dataset, limits=None) -> MonitoredTable:
    """An uploaded table (CSV/TXT/TSV, Parquet or Excel), read by the same safe reader as every upload."""
    from ..upload import read_upload

    return align(read_upload(name, data, limits), dataset, name=Path(str(name)).name)


def read_path(path: str | Path, dataset, model=None, limits=None, seed: int = 0,
              batch_root: str | Path | None = None) -> MonitoredTable:
    """A table file on the server's disk (CSV/Parquet/Excel), or a batch results folder (a directory)."""
    path = Path(path)
    if path.is_dir():
        return read_batch(path, dataset, model, seed=seed, root=batch_root)
    from ..upload import Limits

    limits = limits or Limits.from_env()
    if not path.is_file():
        raise InputError(f"current table {path} does not exist; check the path.")
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise InputError(f"{path.name} is {size / 2**20:,.1f} MB, over the limit of {limits.max_bytes / 2**20:,.1f} "
                         "MB (XAI_MAX_MB); use a smaller file or raise the limit.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"could not read {path.name} ({type(exc).__name__}); check its permissions.") from None
    return read_bytes(path.name, data, dataset, limits)


def read_batch(folder: str | Path, dataset, model=None, seed: int = 0, rows: int = MAX_BATCH_ROWS,
               root: str | Path | None = None) -> MonitoredTable:
    """A batch results folder (``python -m explainers batch``): its features, target, and, when it was written by
    ``model``, its stored scores and SHAP values (no recomputation). Above ``rows`` rows, a seeded sample."""
    from ..batch import KEY, SHAP_PREFIX, open_results

    results = open_results(folder, root)
    missing = [f for f in dataset.feature_names if f not in results.features]
    if missing:
        raise InputError(f"{Path(str(folder)).name}: the batch results lack feature columns of the reference: "
                         + ", ".join(missing[:20]) + "; monitor them against the dataset they were made from.")
    total = results.rows
    if total == 0:
        raise InputError(f"{Path(str(folder)).name}: the batch results hold no finished rows yet.")
    frame = results.sample(min(rows, total), seed)
    notices = []
    if len(frame) < total:
        notices.append(f"sampled:{len(frame)}:{total}")
    unseen: dict[str, int] = {}
    for entry in results.complete_partitions:
        for column, count in entry.get("unseen_categories", {}).items():
            unseen[column] = unseen.get(column, 0) + int(count)
    if unseen:
        notices.append("unseen:" + ",".join(f"{k}={v}" for k, v in unseen.items()))
    table = align(frame.drop(columns=[KEY]), dataset, name=Path(str(folder)).name, notices=tuple(notices))
    same_model = model is not None and results.manifest.get("model", {}).get("sha256") == model.model_hash
    if same_model:
        score = frame["score"].to_numpy(dtype="float64")
        predicted = frame["prediction"].to_numpy()
        shap = frame[[SHAP_PREFIX + f for f in dataset.feature_names]].to_numpy(dtype="float64")
        shap_frame = pd.DataFrame(shap, columns=dataset.feature_names)
        return MonitoredTable(table.name, table.features, table.levels, table.target, score, predicted, shap_frame,
                              total_rows=total, unreadable=table.unreadable, notices=table.notices)
    return MonitoredTable(table.name, table.features, table.levels, table.target, total_rows=total,
                          unreadable=table.unreadable, notices=table.notices)
