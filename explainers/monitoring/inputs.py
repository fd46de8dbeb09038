"""The two tables monitoring compares: the reference (by default the rows the default model trained on) and a
current table (an upload, a file on the server's disk, or a batch results folder), both in the reference's
schema.

A current table is aligned, not re-typed: a numeric feature's cells that are not numbers become missing; a
categorical feature keeps every level it has, so levels the reference never had are counted (the model itself
sees them as missing, as :meth:`explainers.Dataset.coerce` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import InputError

MAX_BATCH_ROWS = 1_000_000  # most rows of a batch results folder read (a seeded sample above it)
MAX_PERIODS = 60  # most periods one folder may be grouped into (five years of months)
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
        raise InputError(key="errors.monitoring.missing_columns", name=name,
                         columns=", ".join(absent[:20]) + ("…" if len(absent) > 20 else ""))
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


def _parquet_rows(path: Path) -> int | None:
    """Rows of a Parquet file from its footer (None when it is not one)."""
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as parquet:
            return int(parquet.metadata.num_rows)
    except Exception:  # pyarrow raises several types for a file that is not Parquet
        return None


def read_parquet_files(paths: list[Path], dataset, name: str, rows: int = MAX_BATCH_ROWS,
                       seed: int = 0) -> MonitoredTable:
    """Parquet files on the server's disk read as one table without loading them whole: only the columns the
    reference needs, and above ``rows`` rows in all a seeded uniform sample (row positions drawn with NumPy, rows
    fetched file by file by DuckDB), so memory is bounded by the sample."""
    import duckdb
    import pyarrow.parquet as pq

    from ..util import sample_positions

    counts = []
    for path in paths:
        found = _parquet_rows(path)
        if found is None:
            raise InputError(key="errors.monitoring_scale.not_parquet", file=path.name)
        counts.append(found)
    total = sum(counts)
    if total == 0:
        raise InputError(key="errors.monitoring_scale.empty", file=name)
    with pq.ParquetFile(paths[0]) as parquet:
        present = parquet.schema_arrow.names
    wanted = {*dataset.feature_names, dataset.spec.target}
    wanted |= {m["base"] for f in dataset.feature_names if (m := _DATE_PART.match(f))}
    columns = [c for c in present if c in wanted]
    select = ", ".join('"' + c.replace('"', '""') + '"' for c in columns) or "*"
    positions = sample_positions(total, rows, seed)
    starts = np.cumsum([0, *counts])
    frames = []
    with duckdb.connect() as con:
        for i, path in enumerate(paths):
            chosen = positions[(positions >= starts[i]) & (positions < starts[i + 1])] - starts[i]
            if len(chosen) == counts[i]:
                frames.append(con.execute(f"SELECT {select} FROM read_parquet(?)", [str(path)]).df())
            elif len(chosen):
                con.register("wanted", pd.DataFrame({"r": chosen.astype("int64")}))
                frames.append(con.execute(
                    f"SELECT {select} FROM read_parquet(?, file_row_number = true) WHERE file_row_number IN "
                    "(SELECT r FROM wanted) ORDER BY file_row_number", [str(path)]).df())
                con.unregister("wanted")
    frame = pd.concat(frames, ignore_index=True)
    notices = (f"sampled:{len(frame)}:{total}",) if len(frame) < total else ()
    table = align(frame, dataset, name=name, notices=notices)
    return replace(table, total_rows=total)


def _expand(path: Path) -> list[Path] | None:
    """The files a glob (``months/*.parquet``) or a folder of table files (not a batch results folder) stands
    for, sorted; None for one file or a batch folder."""
    text = str(path)
    if any(ch in text for ch in "*?["):
        found = sorted(p for p in Path(text).parent.glob(Path(text).name) if p.is_file())
        if not found:
            raise InputError(key="errors.monitoring_scale.glob_empty", pattern=text)
        return found
    if path.is_dir() and not (path / "manifest.json").is_file():
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".parquet", ".csv"))
        if not found:
            raise InputError(key="errors.monitoring_scale.folder_empty", folder=path.name)
        return found
    return None


def read_path(path: str | Path, dataset, model=None, limits=None, seed: int = 0,
              batch_root: str | Path | None = None) -> MonitoredTable:
    """A table file on the server's disk (CSV/Parquet/Excel), a glob or folder of such files (read as one table),
    or a batch results folder. Parquet above ``MAX_BATCH_ROWS`` rows is sampled, never loaded whole."""
    path = Path(path)
    files = _expand(path)
    if files is not None:
        name = path.name if path.is_dir() else str(path)
        if all(p.suffix.lower() == ".parquet" for p in files):
            return read_parquet_files(files, dataset, name, seed=seed)
        frame = pd.concat([_read_file(p, limits) for p in files], ignore_index=True)
        return align(frame, dataset, name=name)
    if path.is_dir():
        return read_batch(path, dataset, model, seed=seed, root=batch_root)
    if path.suffix.lower() == ".parquet" and (_parquet_rows(path) or 0) > MAX_BATCH_ROWS:
        return read_parquet_files([path], dataset, path.name, seed=seed)
    return align(_read_file(path, limits), dataset, name=path.name)


def _read_file(path: Path, limits=None) -> pd.DataFrame:
    """One table file's raw columns, through the safe reader of every upload, within its limits."""
    from ..upload import Limits, megabytes, read_upload

    limits = limits or Limits.from_env()
    if not path.is_file():
        raise InputError(key="errors.monitoring.missing_file", path=path)
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise InputError(key="errors.read.too_big", name=path.name, size=megabytes(size),
                         limit=megabytes(limits.max_bytes))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(key="errors.monitoring.unreadable", name=path.name, reason=type(exc).__name__) from None
    return read_upload(path.name, data, limits)


def _open_batch(folder: str | Path, dataset, root: str | Path | None):
    from ..batch import open_results

    results = open_results(folder, root)
    missing = [f for f in dataset.feature_names if f not in results.features]
    if missing:
        raise InputError(key="errors.monitoring.batch_columns", name=Path(str(folder)).name,
                         columns=", ".join(missing[:20]))
    if results.rows == 0:
        raise InputError(key="errors.monitoring.batch_empty", name=Path(str(folder)).name)
    return results


def _batch_table(results, frame: pd.DataFrame, total: int, name: str, dataset, model,
                 notices: tuple[str, ...]) -> MonitoredTable:
    """Stored rows as a monitored table; their stored scores and SHAP values when ``model`` wrote them."""
    from ..batch import KEY, SHAP_PREFIX

    notices = (*((f"sampled:{len(frame)}:{total}",) if len(frame) < total else ()), *notices)
    table = align(frame.drop(columns=[KEY, *results.kept]), dataset, name=name, notices=notices)
    same_model = model is not None and results.manifest.get("model", {}).get("sha256") == model.model_hash
    if not same_model:
        return MonitoredTable(table.name, table.features, table.levels, table.target, total_rows=total,
                              unreadable=table.unreadable, notices=table.notices)
    score = frame["score"].to_numpy(dtype="float64")
    predicted = frame["prediction"].to_numpy()
    shap = frame[[SHAP_PREFIX + f for f in dataset.feature_names]].to_numpy(dtype="float64")
    shap_frame = pd.DataFrame(shap, columns=dataset.feature_names)
    return MonitoredTable(table.name, table.features, table.levels, table.target, score, predicted, shap_frame,
                          total_rows=total, unreadable=table.unreadable, notices=table.notices)


def read_batch(folder: str | Path, dataset, model=None, seed: int = 0, rows: int = MAX_BATCH_ROWS,
               root: str | Path | None = None) -> MonitoredTable:
    """A batch results folder (``python -m explainers batch``): its features, target, and, when it was written by
    ``model``, its stored scores and SHAP values (no recomputation). Above ``rows`` rows, a seeded sample."""
    results = _open_batch(folder, dataset, root)
    total = results.rows
    frame = results.sample(min(rows, total), seed)
    unseen: dict[str, int] = {}
    for entry in results.complete_partitions:
        for column, count in entry.get("unseen_categories", {}).items():
            unseen[column] = unseen.get(column, 0) + int(count)
    notices = ("unseen:" + ",".join(f"{k}={v}" for k, v in unseen.items()),) if unseen else ()
    return _batch_table(results, frame, total, Path(str(folder)).name, dataset, model, notices)


def read_batch_periods(folder: str | Path, column: str, dataset, model=None, seed: int = 0,
                       rows: int = MAX_BATCH_ROWS, root: str | Path | None = None) -> list[MonitoredTable]:
    """One batch results folder grouped by a kept period column (``batch --keep month``): one monitored table per
    value, in the values' order, named by it; above ``rows`` rows in all, each period a seeded sample of its
    share of ``rows``."""
    results = _open_batch(folder, dataset, root)
    counts = results.periods(column)
    if counts.empty:
        raise InputError(key="errors.batch_keep.no_periods", column=column)
    if len(counts) > MAX_PERIODS:
        raise InputError(key="errors.batch_keep.too_many_periods", column=column, count=len(counts),
                         limit=MAX_PERIODS)
    per_period = max(rows // len(counts), 1)
    tables = []
    for value, total in counts.items():
        frame = results.period_sample(column, value, per_period, seed)
        tables.append(_batch_table(results, frame, int(total), str(value), dataset, model, ()))
    return tables
