"""Batch explanations on Dask: prediction and exact TreeSHAP for every row of a table too big for memory.

``python -m explainers batch --data 'in/*.parquet' --model model.json --out results/``

The input (CSV or Parquet: a file, a folder or a glob) is cut into partitions of row ranges that are
read lazily on the Dask workers (``pyarrow``), so a worker holds one partition at a time, never the
table. Each partition runs the engine's own code: :meth:`Dataset.coerce` to the model's typed schema,
:func:`explainers.shap_values` (XGBoost ``pred_contribs``, original columns) and the model adapter's
prediction, so a batch row equals the single-row result. Output: ``DIR/part-00000.parquet`` ... with
``__row__`` (global row position), the features, the target when given, ``prediction``, ``score``,
``shap__<feature>`` and ``shap__base``, plus ``DIR/manifest.json`` (hashes, versions, partitions and
their status). Each partition is written under a temporary name and renamed; the manifest is updated
after each one, so running the same command again only computes what is missing.

:func:`open_results` reads a results folder for the dashboard with DuckDB, without loading it whole.
Nothing here imports streamlit; Dask, pyarrow, XGBoost and DuckDB are imported when first needed.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import hashlib
import io
import itertools
import json
import logging
import math
import os
import re
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .models import usable_device
from .util import sample_positions

FORMAT = "explainers-batch/1"
MANIFEST = "manifest.json"
KEY = "__row__"
SHAP_PREFIX = "shap__"
BASE_COLUMN = "shap__base"
OUTPUT_COLUMNS = ("prediction", "score")
DEFAULT_PARTITION_ROWS = 100_000
MIN_PARTITION_ROWS = 100
DEFAULT_MAX_COUNTERFACTUAL_ROWS = 10_000
REFERENCE_ROWS = 20_000  # rows read on the client: typed-schema statistics and the counterfactual donor pool
REFERENCE_PIECES = 20
PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
HASH_CHUNK = 8 * 2**20
READ_BATCH = 65_536
ROW_GROUP_ROWS = 65_536
BATCH_ROOT_VARIABLE = "XAI_BATCH_ROOT"
_PART_NAME = re.compile(r"^part-\d{5}\.parquet$")
_COUNTERFACTUAL_NAME = re.compile(r"^counterfactuals-\d{5}\.parquet$")
_TEMP_NAME = re.compile(r"^\.(part|counterfactuals)-\d{5}\.parquet\..*\.tmp$")
_DEVICE_LOCK = threading.Lock()


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def counterfactual_name(index: int) -> str:
    return f"counterfactuals-{index:05d}.parquet"


# ----------------------------------------------------------------------------------------------------------
# Options and summary


@dataclass
class BatchOptions:
    """What ``python -m explainers batch`` takes (see :mod:`explainers.cli.batch` for the meaning of each)."""

    data: str
    model: str
    out: str
    target: str | None = None
    spec: str | None = None
    scheduler: str | None = None
    workers: int | None = None
    partition_rows: int = DEFAULT_PARTITION_ROWS
    counterfactuals: int = 0
    where: str | None = None
    max_counterfactual_rows: int = DEFAULT_MAX_COUNTERFACTUAL_ROWS
    seed: int = 0
    lang: str = "en"
    device: str = "auto"
    stop_after: int | None = None  # stop once this many partitions finished (tests: a simulated interruption)
    log: Callable[[str], None] | None = None  # progress lines; default: standard error


@dataclass
class BatchSummary:
    """What a run did; :meth:`to_dict` is what the command prints on standard output."""

    out: Path
    rows: int
    partitions: int
    computed: list[int]
    skipped: list[int]
    failed: list[int]
    complete: bool
    workers: int
    device: str
    seconds: float
    compute_seconds: float
    cluster_seconds: float
    counterfactual_rows: int = 0
    counterfactuals: int = 0
    notices: list[str] = field(default_factory=list)
    partition_rows: dict[int, int] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        """Rows computed in this run per second of the compute phase (cluster start and planning excluded)."""
        rows = sum(self.partition_rows.get(i, 0) for i in self.computed)
        return rows / self.compute_seconds if self.compute_seconds > 0 else 0.0

    def to_dict(self) -> dict:
        return {
            "out": str(self.out),
            "manifest": str(self.out / MANIFEST),
            "complete": self.complete,
            "rows": self.rows,
            "partitions": self.partitions,
            "computed": len(self.computed),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
            "workers": self.workers,
            "device": self.device,
            "seconds": round(self.seconds, 3),
            "compute_seconds": round(self.compute_seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
            "counterfactual_rows": self.counterfactual_rows,
            "counterfactuals": self.counterfactuals,
            "notices": self.notices,
        }


# ----------------------------------------------------------------------------------------------------------
# Input files: which, their hash, their columns, and partitions of row ranges


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    return None


def input_files(data: str) -> tuple[list[Path], str]:
    """The input files in name order, and their format (``parquet`` or ``csv``).

    ``data`` is a file, a folder (its ``.parquet`` / ``.csv`` files) or a glob such as ``in/*.parquet``.
    """
    path = Path(data).expanduser()
    if any(ch in data for ch in "*?["):
        candidates = sorted(Path(p) for p in glob.glob(os.path.expanduser(data), recursive=True) if Path(p).is_file())
        candidates = [p for p in candidates if _kind(p)]
        if not candidates:
            raise InputError(f"no .parquet or .csv file matches {data!r}; check the pattern.")
    elif path.is_dir():
        candidates = sorted(p for p in path.iterdir() if p.is_file() and _kind(p) and not p.name.startswith("."))
        if not candidates:
            raise InputError(f"folder {data} holds no .parquet or .csv file; check the path.")
    elif path.is_file():
        if path.name.lower().endswith((".gz", ".bz2", ".zip", ".xz", ".zst")):
            raise InputError(
                f"{path.name} is compressed and cannot be split into partitions; decompress it or convert it "
                "to Parquet."
            )
        if _kind(path) is None:
            raise InputError(f"{path.name}: unsupported file type {path.suffix!r}; give .csv or .parquet files.")
        candidates = [path]
    else:
        raise InputError(f"data file {data} does not exist; check the path or the glob pattern.")
    kinds = {_kind(p) for p in candidates}
    if len(kinds) > 1:
        raise InputError("the input mixes CSV and Parquet files; give files of one kind.")
    return candidates, kinds.pop()


def hash_files(paths: list[Path]) -> str:
    """SHA-256 of the files' bytes, one after the other, read in chunks (never whole)."""
    digest = hashlib.sha256()
    for path in paths:
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(HASH_CHUNK):
                    digest.update(chunk)
        except OSError as exc:
            raise InputError(f"could not read {path} ({exc.strerror or type(exc).__name__}); check it.") from None
    return digest.hexdigest()


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


@dataclass(frozen=True)
class _Source:
    """The input files and how to read a row range of them (shipped to the workers)."""

    fmt: str
    paths: tuple[str, ...]
    rows: tuple[int, ...]  # Parquet: rows per file (CSV: -1 until the first pass counts them)
    delimiters: tuple[str, ...] = ()
    header_ends: tuple[int, ...] = ()
    headers: tuple[bytes, ...] = ()
    columns: tuple[str, ...] = ()

    def read(self, piece: dict, columns: list[str], text_columns: tuple[str, ...] = ()) -> pd.DataFrame:
        """Rows of one partition, only ``columns``; ``text_columns`` come as text (CSV)."""
        if self.fmt == "parquet":
            return _read_parquet_rows(self.paths[piece["file"]], piece["start"], piece["stop"], columns)
        return self._read_csv(piece, columns)

    def _read_csv(self, piece: dict, columns: list[str]) -> pd.DataFrame:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        i = piece["file"]
        with open(self.paths[i], "rb") as handle:
            handle.seek(piece["byte_start"])
            body = handle.read(piece["byte_stop"] - piece["byte_start"])
        # Everything as text: numbers are parsed by Dataset.coerce, as for any other table.
        types = dict.fromkeys(columns, pa.string())
        try:
            table = pacsv.read_csv(
                io.BytesIO(self.headers[i] + body),
                read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 24),
                parse_options=pacsv.ParseOptions(delimiter=self.delimiters[i]),
                convert_options=pacsv.ConvertOptions(include_columns=columns, column_types=types,
                                                     strings_can_be_null=True),
            )
        except pa.ArrowInvalid as exc:
            reason = str(exc).splitlines()[0][:160]
            raise InputError(f"{Path(self.paths[i]).name}: could not parse bytes {piece['byte_start']:,}-"
                             f"{piece['byte_stop']:,} ({reason}); check the file.") from None
        return table.to_pandas()


def _read_parquet_rows(path: str, start: int, stop: int, columns: list[str]) -> pd.DataFrame:
    """Rows ``[start, stop)`` of a Parquet file, streamed batch by batch from the row groups that hold them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as parquet:
        metadata = parquet.metadata
        groups, first, position = [], None, 0
        for g in range(metadata.num_row_groups):
            n = metadata.row_group(g).num_rows
            if position + n > start and position < stop:
                groups.append(g)
                first = position if first is None else first
            position += n
        batches = []
        at = first or 0
        if groups:
            for batch in parquet.iter_batches(batch_size=READ_BATCH, row_groups=groups, columns=columns,
                                              use_threads=False):
                low, high = max(start - at, 0), min(stop - at, batch.num_rows)
                if high > low:
                    batches.append(batch.slice(low, high - low))
                at += batch.num_rows
                if at >= stop:
                    break
        schema = parquet.schema_arrow
        wanted = pa.schema([schema.field(c) for c in columns])
    return pa.Table.from_batches(batches, schema=wanted).to_pandas()


def _describe_files(files: list[Path], fmt: str) -> _Source:
    """Columns of every file (they must agree), and rows per file (Parquet) or the CSV header and delimiter."""
    columns: tuple[str, ...] | None = None
    rows, delimiters, header_ends, headers = [], [], [], []
    for path in files:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            try:
                with pq.ParquetFile(path) as parquet:
                    names = tuple(parquet.schema_arrow.names)
                    rows.append(int(parquet.metadata.num_rows))
            except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
                reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
                raise InputError(f"{path.name} is not a readable Parquet file ({reason}); check it.") from None
        else:
            with open(path, "rb") as handle:
                header = handle.readline()
                header_ends.append(handle.tell())
            text = header.decode("utf-8-sig", errors="replace").rstrip("\r\n")
            if not text.strip():
                raise InputError(f"{path.name} has no header row; the first line must name the columns.")
            delimiter = _sniff_delimiter(text)
            names = tuple(next(csv.reader([text], delimiter=delimiter)))
            delimiters.append(delimiter)
            headers.append(header if header.endswith(b"\n") else header + b"\n")
            rows.append(-1)
        if len(set(names)) != len(names):
            raise InputError(f"{path.name} has duplicate column names; rename them and retry.")
        if columns is None:
            columns = names
        elif set(names) != set(columns):
            differ = sorted(set(names) ^ set(columns))
            raise InputError(f"{path.name} has other columns than {files[0].name} ({', '.join(differ[:8])}); "
                             "give files with the same columns.")
    return _Source(fmt, tuple(str(p) for p in files), tuple(rows), tuple(delimiters), tuple(header_ends),
                   tuple(headers), columns or ())


def _parquet_pieces(source: _Source, partition_rows: int) -> list[dict]:
    pieces, offset = [], 0
    for i, rows in enumerate(source.rows):
        for start in range(0, rows, partition_rows):
            stop = min(start + partition_rows, rows)
            pieces.append({"index": len(pieces), "file": i, "start": start, "stop": stop, "offset": offset,
                           "rows": stop - start})
            offset += stop - start
    return pieces


def _line_start(handle, position: int, header_end: int, size: int) -> int:
    """The first byte of the first line that starts at or after ``position``."""
    if position <= header_end:
        return header_end
    if position >= size:
        return size
    handle.seek(position - 1)
    handle.readline()
    return min(handle.tell(), size)


def _csv_pieces(source: _Source, partition_rows: int) -> list[dict]:
    """Byte ranges of about ``partition_rows`` lines each, cut at line starts (rows counted later)."""
    pieces = []
    for i, path in enumerate(source.paths):
        size = os.path.getsize(path)
        header_end = source.header_ends[i]
        with open(path, "rb") as handle:
            handle.seek(header_end)
            sample = handle.read(1 << 20)
            lines = max(sample.count(b"\n"), 1)
            block = max(int(partition_rows * len(sample) / lines), 1 << 16)
            cuts = sorted({_line_start(handle, p, header_end, size) for p in range(header_end, size, block)} | {size})
        for start, stop in itertools.pairwise(cuts):
            if stop > start:
                pieces.append({"index": len(pieces), "file": i, "byte_start": start, "byte_stop": stop})
    return pieces


def _scan_piece(source: _Source, piece: dict, label_columns: list[str], text_columns: list[str]) -> dict:
    """First pass over one partition: its row count, distinct target labels and category values."""
    from .data import _as_text

    columns = list(dict.fromkeys([*label_columns, *text_columns])) or [source.columns[0]]
    frame = source.read(piece, columns)
    values = {}
    for name in label_columns:
        column = frame[name]
        values[name] = sorted({str(v) for v in column[column.notna()].astype("object")})
    for name in text_columns:
        values[name] = sorted(set(_as_text(frame[name]).dropna()))
    return {"index": piece["index"], "rows": len(frame), "values": values}


# ----------------------------------------------------------------------------------------------------------
# The model and the typed schema


@dataclass(frozen=True)
class _BoosterInfo:
    features: list[str] | None
    types: list[str]
    objective: str
    num_class: int
    num_features: int
    categories: dict[str, list[str]]


def _check_model_path(model: str) -> Path:
    path = Path(model).expanduser()
    if not path.exists():
        raise InputError(f"model file {model} does not exist; check the path.")
    if path.suffix.lower() not in (".json", ".ubj"):
        raise InputError(
            f"{path.name}: batch explanations need an XGBoost model saved as .json or .ubj "
            "(model.save_model('model.json')); other models have no exact TreeSHAP to run in batch."
        )
    return path


def _read_booster(path: Path) -> _BoosterInfo:
    import xgboost as xgb

    from .models import read_xgboost_file

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
    return _BoosterInfo(
        features=list(booster.feature_names) if booster.feature_names else None,
        types=list(booster.feature_types or []),
        objective=objective,
        num_class=num_class,
        num_features=int(booster.num_features()),
        categories=categories,
    )


def _resolve_spec(options: BatchOptions, files: list[Path]):
    """The spec (given, or ``<stem>.toml`` beside a single data file) and the SHA-256 of its file."""
    from .spec import load_spec

    if options.spec:
        path = Path(options.spec).expanduser()
        if not path.exists():
            raise InputError(f"spec file {options.spec} does not exist; check the path.")
        spec = load_spec(path)
        if options.target is not None and options.target != spec.target:
            raise InputError(f"the spec names target {spec.target!r}, not {options.target!r}; make them agree.")
        return spec, hashlib.sha256(path.read_bytes()).hexdigest()
    beside = files[0].with_suffix(".toml") if len(files) == 1 else None
    if beside is not None and beside.exists():
        spec = load_spec(beside)
        if options.target is None or options.target == spec.target:
            return spec, hashlib.sha256(beside.read_bytes()).hexdigest()
    return None, None


def _task(info: _BoosterInfo) -> str:
    return "classification" if info.objective.startswith(("binary:", "multi:")) else "regression"


def _resolve_columns(options, spec, info: _BoosterInfo, source: _Source) -> tuple[list[str], str | None]:
    """The feature columns (the model's, in its order) and the target column (or None)."""
    columns = list(source.columns)
    target = options.target or (spec.target if spec is not None else None)
    if target is not None and target not in columns:
        if options.target is not None:
            raise InputError(f"target column {target!r} is not in the data; choose one of: "
                             + ", ".join(columns[:20]) + ".")
        target = None  # the spec's target is optional in a batch: the rows are explained all the same
    if info.features is not None:
        features = info.features
        missing = [c for c in features if c not in columns]
        if missing:
            raise InputError("the data lack the model's feature columns: " + ", ".join(missing[:10])
                             + "; give the table the model was trained on.")
    else:
        dropped = set(spec.drop) if spec is not None else set()
        features = [c for c in columns if c != target and c not in dropped and c != KEY]
        if len(features) != info.num_features:
            raise InputError(f"the model expects {info.num_features} features but the data have {len(features)} "
                             "columns besides the target; give the table the model was trained on.")
    if target in features:
        raise InputError(f"target column {target!r} is one of the model's features; choose another target.")
    clashes = [c for c in [*features, target] if c is not None and (c in (KEY, BASE_COLUMN, *OUTPUT_COLUMNS)
                                                                    or c.startswith(SHAP_PREFIX))]
    if clashes:
        raise InputError(f"column {clashes[0]!r} clashes with an output column ({KEY}, prediction, score, "
                         f"{SHAP_PREFIX}*); rename it.")
    return list(features), target


# ----------------------------------------------------------------------------------------------------------
# What the workers get: the model bound to a small typed sample, and how to read the input


@dataclass(eq=False)
class _Context:
    """Shipped once to every worker (``client.scatter(..., broadcast=True)``); state is set up lazily there."""

    model: object  # TabularModel
    source: _Source
    target: str | None
    where: str | None
    counterfactuals: int
    seed: int
    device: str
    arrow_schema: object
    state: dict = field(default_factory=dict)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "state": {}}

    @property
    def read_columns(self) -> list[str]:
        features = self.model.dataset.feature_names
        return [*features, self.target] if self.target else list(features)


def _worker_model(ctx: _Context):
    """The model, set up once per worker process: one XGBoost thread per task, on the GPU when there is one."""
    with _DEVICE_LOCK:
        if "device" not in ctx.state:
            model = ctx.model
            booster = model.estimator
            sample = model.dataset.features.iloc[:2]
            device = usable_device(booster, sample, ctx.device)
            params = {"nthread": 1}
            if device == "cuda":
                params["device"] = "cuda"
            booster.set_param(params)
            model.details["batch_booster"] = booster  # the same booster for any number of rows
            ctx.state["device"] = device
    return ctx.model, ctx.state["device"]


def _arrow_schema(dataset, target: str | None, classifier: bool):
    import pyarrow as pa

    fields = [pa.field(KEY, pa.int64())]
    for info in dataset.schema:
        fields.append(pa.field(info.name, pa.string() if info.kind == "categorical" else pa.float64()))
    if target:
        fields.append(pa.field(target, pa.string() if classifier else pa.float64()))
    fields.append(pa.field("prediction", pa.string() if classifier else pa.float64()))
    fields.append(pa.field("score", pa.float64()))
    fields += [pa.field(SHAP_PREFIX + name, pa.float64()) for name in dataset.feature_names]
    fields.append(pa.field(BASE_COLUMN, pa.float64()))
    return pa.schema(fields)


def _text(column: pd.Series) -> pd.Series:
    """Category values as Python strings, missing as None (how they are written to Parquet)."""
    return column.astype("object").where(column.notna(), None)


def _target_column(raw: pd.Series, classifier: bool) -> pd.Series:
    if classifier:
        values = raw.astype("object")
        return values.map(str).where(values.notna(), None)
    return pd.to_numeric(raw, errors="coerce").astype("float64")


def _predict(model, typed: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Label (or value) and score of each row, as ``model.predict`` and ``model.score`` give them."""
    if model.is_classifier:
        probabilities = model.predict_proba(typed)
        labels = np.asarray(model.classes, dtype=object)[probabilities.argmax(axis=1)]
        return labels, probabilities[:, model.positive_index]
    values = model.predict_value(typed)
    return values, values


def _result_frame(ctx: _Context, model, raw: pd.DataFrame, offset: int, with_shap: bool = True):
    """The output rows of one partition, and how many category values each column lost as unseen."""
    from .attributions import shap_values

    dataset = model.dataset
    typed = dataset.coerce(raw)
    unseen = {}
    for name in dataset.categorical:
        lost = int((raw[name].notna() & typed[name].isna()).sum())
        if lost:
            unseen[name] = lost
    for name in dataset.numeric:
        if np.isinf(typed[name].to_numpy()).any():
            raise InputError(f"column {name!r} contains infinite values in rows {offset:,} to "
                             f"{offset + len(raw) - 1:,}; replace them with numbers or blanks.")
    prediction, score = _predict(model, typed)
    out: dict[str, object] = {KEY: np.arange(offset, offset + len(raw), dtype="int64")}
    for info in dataset.schema:
        column = typed[info.name]
        out[info.name] = _text(column).to_numpy() if info.kind == "categorical" else column.to_numpy()
    if ctx.target:
        out[ctx.target] = _target_column(raw[ctx.target], model.is_classifier).to_numpy()
    out["prediction"] = prediction
    out["score"] = np.asarray(score, dtype="float64")
    if with_shap:
        shap = shap_values(model, typed)
        for name in dataset.feature_names:
            out[SHAP_PREFIX + name] = shap.values[name].to_numpy(dtype="float64")
        out[BASE_COLUMN] = np.full(len(raw), shap.base_value, dtype="float64")
    return pd.DataFrame(out), unseen


def _select(frame: pd.DataFrame, where: str) -> np.ndarray:
    """The rows that a ``--where`` filter picks (as a boolean array). The filter is parsed by
    :mod:`explainers.expressions` (columns, literals, comparisons, in, and/or/not), never run as code."""
    from .expressions import FilterError, parse_filter

    try:
        return parse_filter(where).mask(frame)
    except FilterError as exc:
        raise InputError(f"--where {where!r} could not be evaluated: the filter {exc.detail}") from None


def _empty_outputs(info: _BoosterInfo, features: list[str], target: str | None) -> pd.DataFrame:
    """No rows, but the columns (and kinds) that ``--where`` sees."""
    classifier = _task(info) == "classification"
    kinds = dict(zip(features, info.types or [], strict=False))
    columns = {KEY: pd.Series(dtype="int64")}
    columns |= {f: pd.Series(dtype=object if kinds.get(f) == "c" else "float64") for f in features}
    if target:
        columns[target] = pd.Series(dtype=object if classifier else "float64")
    columns["prediction"] = pd.Series(dtype=object if classifier else "float64")
    columns["score"] = pd.Series(dtype="float64")
    return pd.DataFrame(columns)


def _write_parquet(table, folder: Path, name: str) -> int:
    """Write under a temporary name, then rename: a file with the final name is always whole."""
    import pyarrow.parquet as pq

    temporary = folder / f".{name}.{uuid.uuid4().hex}.tmp"
    try:
        pq.write_table(table, temporary, row_group_size=ROW_GROUP_ROWS)
        os.replace(temporary, folder / name)
    finally:
        temporary.unlink(missing_ok=True)
    return (folder / name).stat().st_size


def _explain_piece(ctx: _Context, piece: dict, out: str) -> dict:
    """Worker task: read one partition, explain it, write ``part-NNNNN.parquet``."""
    import pyarrow as pa

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, device = _worker_model(ctx)
        raw = ctx.source.read(piece, ctx.read_columns)
        if len(raw) != piece["rows"]:
            raise InputError(f"partition {piece['index']} has {len(raw):,} rows, not {piece['rows']:,}: the data "
                             "changed since the run began; use another --out.")
        frame, unseen = _result_frame(ctx, model, raw, piece["offset"])
        selected = int(_select(frame, ctx.where).sum()) if ctx.where else None
        table = pa.Table.from_pandas(frame, schema=ctx.arrow_schema, preserve_index=False)
        size = _write_parquet(table, Path(out), part_name(piece["index"]))
    return {"index": piece["index"], "rows": len(frame), "seconds": time.perf_counter() - started,
            "device": device, "bytes": size, "selected": selected, "unseen": unseen, "pid": os.getpid()}


def _count_piece(ctx: _Context, piece: dict, out: str) -> dict:
    """Worker task: how many rows of a finished partition the ``--where`` expression picks."""
    frame = _read_outputs(ctx, Path(out) / part_name(piece["index"]))
    return {"index": piece["index"], "selected": int(_select(frame, ctx.where).sum())}


def _read_outputs(ctx: _Context, path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    columns = [KEY, *ctx.model.dataset.feature_names, *([ctx.target] if ctx.target else []), *OUTPUT_COLUMNS]
    return pq.read_table(path, columns=columns).to_pandas()


def _counterfactual_schema(classifier: bool):
    import pyarrow as pa

    return pa.schema([
        pa.field(KEY, pa.int64()), pa.field("rank", pa.int32()), pa.field("changes", pa.string()),
        pa.field("prediction", pa.string() if classifier else pa.float64()), pa.field("score", pa.float64()),
        pa.field("distance", pa.float64()),
    ])


def _counterfactual_piece(ctx: _Context, piece: dict, quota: int, out: str) -> dict:
    """Worker task: counterfactuals (sparse search) for the first ``quota`` selected rows of a partition."""
    import pyarrow as pa

    from .counterfactuals import CounterfactualSearch

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, _ = _worker_model(ctx)
        if "search" not in ctx.state:
            ctx.state["search"] = CounterfactualSearch(model)
        search = ctx.state["search"]
        frame = _read_outputs(ctx, Path(out) / part_name(piece["index"]))
        chosen = frame[_select(frame, ctx.where)].head(quota)
        typed = model.dataset.coerce(chosen)
        positive = model.classes[model.positive_index] if model.is_classifier else None
        records, without = [], 0
        for i, key in enumerate(chosen[KEY].to_numpy()):
            result = search.generate(typed.iloc[[i]], total=ctx.counterfactuals, method="sparse", seed=ctx.seed)
            if not result.counterfactuals:
                without += 1
            for rank, found in enumerate(result.counterfactuals, start=1):
                predicted = found.prediction
                records.append({
                    KEY: int(key), "rank": rank,
                    "changes": json.dumps(found.changes, ensure_ascii=False),
                    "prediction": predicted["label"] if positive is not None else float(predicted["value"]),
                    "score": float(predicted["probabilities"][positive]) if positive is not None
                    else float(predicted["value"]),
                    "distance": float(found.distance),
                })
        schema = _counterfactual_schema(model.is_classifier)
        table = pa.Table.from_pylist(records, schema=schema)
        size = _write_parquet(table, Path(out), counterfactual_name(piece["index"]))
    return {"index": piece["index"], "rows": len(chosen), "found": len(records), "without": without,
            "seconds": time.perf_counter() - started, "bytes": size}


# ----------------------------------------------------------------------------------------------------------
# The manifest


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _versions() -> dict[str, str]:
    from importlib import metadata

    from .util import package_versions

    versions = package_versions()
    for name in ("dask", "distributed", "pyarrow", "duckdb"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def save_manifest(folder: Path, manifest: dict) -> None:
    """Write ``manifest.json`` atomically (temporary file, then rename)."""
    manifest["updated"] = _now()
    temporary = folder / f".{MANIFEST}.{uuid.uuid4().hex}.tmp"
    temporary.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, folder / MANIFEST)


def _load_manifest(folder: Path) -> dict | None:
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(f"{path} cannot be read; use another --out.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"{path} is not a batch manifest; use another --out.")
    return manifest


def _check_existing(out: Path, data_hash: str, model_hash: str, settings: dict) -> dict | None:
    """The manifest of an earlier run of the same command into ``out``; refuses anything else there."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder.")
    manifest = _load_manifest(out) if out.is_dir() else None
    if manifest is None:
        if out.is_dir() and any(not _TEMP_NAME.match(p.name) for p in out.iterdir()):
            raise InputError(f"--out {out} is not empty and holds no batch manifest; give a new or empty folder.")
        return None
    if manifest["data"]["sha256"] != data_hash or manifest["model"]["sha256"] != model_hash:
        which = "data" if manifest["data"]["sha256"] != data_hash else "model"
        raise InputError(f"{out} holds results of another {which} (SHA-256 {manifest[which]['sha256'][:12]}…); "
                         "use another --out for this run.")
    differ = [k for k, v in settings.items() if manifest.get("settings", {}).get(k) != v]
    if differ:
        name = differ[0]
        raise InputError(f"{out} holds a run with another {name.replace('_', ' ')} "
                         f"({manifest['settings'].get(name)!r}, not {settings[name]!r}); run with the same options "
                         "to finish it, or use another --out.")
    return manifest


def _partition_entry(piece: dict, source: _Source) -> dict:
    entry = {"index": piece["index"], "file": part_name(piece["index"]),
             "rows": [piece["offset"], piece["offset"] + piece["rows"]],
             "source": {"file": Path(source.paths[piece["file"]]).name}, "status": "pending"}
    if "start" in piece:
        entry["source"]["rows"] = [piece["start"], piece["stop"]]
    else:
        entry["source"]["bytes"] = [piece["byte_start"], piece["byte_stop"]]
    return entry


def _piece_of(entry: dict, files: list[Path]) -> dict:
    """A partition entry of the manifest back into what a worker reads."""
    source = entry["source"]
    names = [p.name for p in files]
    piece = {"index": entry["index"], "file": names.index(source["file"]) if source["file"] in names else 0,
             "offset": entry["rows"][0], "rows": entry["rows"][1] - entry["rows"][0]}
    if "rows" in source:
        piece["start"], piece["stop"] = source["rows"]
    else:
        piece["byte_start"], piece["byte_stop"] = source["bytes"]
    return piece


def _columns_of(schema) -> list[dict]:
    roles = {KEY: "key", "prediction": "prediction", "score": "score", BASE_COLUMN: "shap_base"}
    out = []
    for f in schema:
        role = roles.get(f.name) or ("shap" if f.name.startswith(SHAP_PREFIX) else None)
        out.append({"name": f.name, "type": str(f.type), "role": role or "input"})
    return out


# ----------------------------------------------------------------------------------------------------------
# The run


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _cluster(options: BatchOptions, log, tr) -> Iterator[tuple[object, int]]:
    """A Dask client: to the scheduler given, or to a local cluster of one single-threaded process per core."""
    from distributed import Client, LocalCluster

    if options.scheduler:
        if options.workers:
            log(tr("batch.workers_ignored"))
        try:
            client = Client(options.scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            raise InputError(f"could not connect to the Dask scheduler at {options.scheduler} ({reason}); check "
                             "the address, or leave out --scheduler to start a local cluster.") from None
        try:
            client.wait_for_workers(1, timeout=60)
            workers = len(client.nthreads())
            log(tr("batch.cluster_remote", address=options.scheduler, workers=workers))
            yield client, workers
        finally:
            client.close()
        return
    workers = options.workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        log(tr("batch.cluster_local", workers=workers))
        yield client, workers
    finally:
        client.close()
        cluster.close()


def _check_options(options: BatchOptions) -> None:
    if options.partition_rows < MIN_PARTITION_ROWS:
        raise InputError(f"--partition-rows must be at least {MIN_PARTITION_ROWS}.")
    if options.workers is not None and options.workers < 1:
        raise InputError("--workers must be at least 1.")
    if options.counterfactuals and not options.where:
        raise InputError("--counterfactuals needs --where EXPR to choose the rows, e.g. --where \"score < 0.5\".")
    if options.where and not options.counterfactuals:
        raise InputError("--where chooses rows for counterfactuals; give --counterfactuals K too.")
    if not 0 <= options.counterfactuals <= 20:
        raise InputError("--counterfactuals must be between 0 and 20.")
    if options.max_counterfactual_rows < 1:
        raise InputError("--max-counterfactual-rows must be at least 1.")
    if options.device not in ("auto", "cpu", "cuda"):
        raise InputError("--device must be auto, cpu or cuda.")


def _reference_rows(source: _Source, pieces: list[dict], columns: list[str], seed: int) -> pd.DataFrame:
    """A seeded sample of up to REFERENCE_ROWS rows: windows read from partitions spread over the input."""
    rng = np.random.default_rng(seed)
    spread = np.linspace(0, len(pieces) - 1, min(len(pieces), REFERENCE_PIECES))
    chosen = sorted({int(x) for x in np.rint(spread)})
    per = math.ceil(REFERENCE_ROWS / len(chosen))
    parts = []
    for index in chosen:
        piece = pieces[index]
        start = int(rng.integers(0, max(piece["rows"] - per, 0) + 1))
        if source.fmt == "parquet":
            first = piece["start"] + start
            window = {**piece, "start": first, "stop": min(first + per, piece["stop"])}
            parts.append(source.read(window, columns))
        else:
            parts.append(source.read(piece, columns).iloc[start:start + per])
    return pd.concat(parts, ignore_index=True)


def _classes(info: _BoosterInfo, spec, labels: list[str] | None, notices: list[str]) -> tuple[str, ...]:
    if _task(info) == "regression":
        return ()
    count = info.num_class if info.objective.startswith("multi:") else 2
    if labels:
        return tuple(labels)
    known = sorted(spec.class_labels) if spec is not None else []
    if len(known) == count:
        return tuple(known)
    notices.append(f"No target column: the {count} classes are named by the model's indices 0 to {count - 1}.")
    return tuple(str(i) for i in range(count))


def _build_context(options, spec, info, source, pieces, schema_doc, features, target, data_hash, model_path):
    """The typed schema Dataset (a small sample of rows), the loaded model, and what the workers need."""
    from .data import Dataset, FeatureInfo, _schema
    from .models import load_model
    from .spec import DatasetSpec

    task = _task(info)
    columns = [*features, target] if target else list(features)
    raw = _reference_rows(source, pieces, columns, options.seed)
    infos = []
    for item in schema_doc["features"]:
        if item["kind"] == "categorical":
            infos.append(FeatureInfo(item["name"], "categorical", categories=tuple(item["categories"])))
        else:
            infos.append(FeatureInfo(item["name"], "numeric"))
    if spec is None:
        stem = Path(source.paths[0]).stem
        spec = DatasetSpec(name=stem, target=target or "__target__", task=task)
    elif target is None:
        from dataclasses import replace

        spec = replace(spec, target="__target__")
    classes = tuple(schema_doc["classes"])
    draft = Dataset(spec=spec, features=pd.DataFrame(), target=pd.Series(dtype=object), schema=tuple(infos),
                    classes=classes)
    typed = draft.coerce(raw)
    stats = {f.name: f for f in _schema(typed)}
    schema = tuple(
        FeatureInfo(f.name, f.kind, categories=f.categories, minimum=stats[f.name].minimum,
                    maximum=stats[f.name].maximum, integer=stats[f.name].integer,
                    fill_value=stats[f.name].fill_value if f.kind == "numeric" or f.categories else "")
        for f in infos
    )
    if target:
        labels = _target_column(raw[target], task == "classification")
    else:
        labels = pd.Series([None] * len(raw), dtype=object)
    dataset = Dataset(spec=spec, features=typed, target=labels.rename(spec.target), schema=schema, classes=classes,
                      data_hash=data_hash, extra={"batch": True})
    model = load_model(model_path, dataset)
    if target is None or labels.isna().any():
        # Rows without a target (none given, or blank): what the counterfactual search uses in their place is
        # the model's own prediction.
        predicted, _ = _predict(model, typed)
        filled = labels.where(labels.notna(), pd.Series(predicted, index=labels.index))
        object.__setattr__(dataset, "target", filled.rename(spec.target))
    # Copies made on this machine (many threads, or the GPU's); workers make their own.
    model.details.pop("batch_booster", None)
    model.details.pop("gpu_booster", None)
    ctx = _Context(model=model, source=source, target=target, where=options.where,
                   counterfactuals=options.counterfactuals, seed=options.seed, device=options.device,
                   arrow_schema=_arrow_schema(dataset, target, model.is_classifier))
    return ctx, raw


def _plan(client, options, info, source, features, target, spec, notices, log, tr) -> tuple[list[dict], dict]:
    """Partitions (row ranges) and the typed schema; a first pass over the data on the workers when needed."""
    classifier = _task(info) == "classification"
    if source.fmt == "parquet":
        pieces = _parquet_pieces(source, options.partition_rows)
    else:
        pieces = _csv_pieces(source, options.partition_rows)
    types = info.types or ["float"] * len(features)
    categorical = [name for name, kind in zip(features, types, strict=False) if kind == "c"]
    need_values = [c for c in categorical if c not in info.categories]
    labels = [target] if classifier and target else []
    values: dict[str, set[str]] = {c: set() for c in [*labels, *need_values]}
    if source.fmt == "csv" or values:
        log(tr("batch.scan", partitions=len(pieces)))
        futures = [client.submit(_scan_piece, source, piece, labels, need_values, pure=False) for piece in pieces]
        for result in client.gather(futures):
            pieces[result["index"]]["rows"] = result["rows"]
            for name, found in result["values"].items():
                values[name].update(found)
        if source.fmt == "csv":
            pieces = [p for p in pieces if p["rows"] > 0]
            offset = 0
            for index, piece in enumerate(pieces):
                piece["index"], piece["offset"] = index, offset
                offset += piece["rows"]
    if not pieces or sum(p["rows"] for p in pieces) == 0:
        raise InputError("the data have no rows; give files with at least one data row.")
    class_labels = sorted(values[target]) if labels else None
    if labels and not class_labels:
        class_labels = None
    classes = _classes(info, spec, class_labels, notices)
    expected = info.num_class if info.objective.startswith("multi:") else (2 if classifier else 0)
    if classifier and len(classes) != expected:
        raise InputError(f"the model predicts {expected} classes but the target {target!r} has {len(classes)} "
                         f"({', '.join(classes[:10])}); choose the matching target.")
    positive = spec.positive_class if spec is not None else None
    if positive is not None and classifier and positive not in classes:
        raise InputError(f"positive class {positive!r} is not a value of {target!r}; "
                         f"choose one of: {', '.join(classes)}.")
    schema = {
        "features": [
            {"name": name, "kind": "categorical" if name in categorical else "numeric",
             **({"categories": info.categories.get(name) or sorted(values.get(name, ()))} if name in categorical
                else {})}
            for name in features
        ],
        "categories_from": "model" if not need_values else ("data" if len(need_values) == len(categorical)
                                                              else "model and data"),
        "target": target,
        "task": _task(info),
        "classes": list(classes),
        "positive_class": positive,
    }
    return pieces, schema


def batch_explain(options: BatchOptions) -> BatchSummary:
    """Explain every row of the input; see the module's docstring. Raises InputError on bad input."""
    from .i18n import translator

    began = time.perf_counter()
    tr = translator(options.lang)
    log = options.log or _stderr
    _check_options(options)
    files, fmt = input_files(options.data)
    model_path = _check_model_path(options.model)
    spec, spec_hash = _resolve_spec(options, files)
    source = _describe_files(files, fmt)
    info = _read_booster(model_path)
    features, target = _resolve_columns(options, spec, info, source)
    if options.where:
        _select(_empty_outputs(info, features, target), options.where)  # names and syntax, before any work
    data_hash = hash_files(files)
    model_hash = hash_files([model_path])
    settings = {"target": target, "spec_sha256": spec_hash, "partition_rows": int(options.partition_rows),
                "format": fmt, "files": [p.name for p in files],
                "file_bytes": [os.path.getsize(p) for p in files]}
    out = Path(options.out).expanduser()
    inside = [p.name for p in files if out.resolve() in p.resolve().parents]
    if inside:
        raise InputError(f"--out {out} holds input files ({inside[0]}); give a folder outside the data.")
    manifest = _check_existing(out, data_hash, model_hash, settings)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.iterdir():
        if _TEMP_NAME.match(stale.name):
            stale.unlink(missing_ok=True)
    notices: list[str] = []
    cluster_started = time.perf_counter()
    with _cluster(options, log, tr) as (client, workers):
        cluster_seconds = time.perf_counter() - cluster_started
        if manifest is None:
            pieces, schema_doc = _plan(client, options, info, source, features, target, spec, notices, log, tr)
            manifest = {
                "format": FORMAT,
                "created": _now(),
                "status": "running",
                "data": {"sha256": data_hash, "format": fmt, "input": options.data,
                         "files": [{"name": p.name, "path": str(p.resolve()), "bytes": os.path.getsize(p)}
                                   for p in files]},
                "model": {"sha256": model_hash, "path": str(model_path.resolve()), "objective": info.objective},
                "settings": settings,
                "seed": options.seed,
                "rows": int(sum(p["rows"] for p in pieces)),
                "schema": schema_doc,
                "partitions": [_partition_entry(p, source) for p in pieces],
                "notices": notices,
            }
        else:
            pieces = [_piece_of(entry, files) for entry in manifest["partitions"]]
            schema_doc = manifest["schema"]
            notices = list(manifest.get("notices", []))
        ctx, reference = _build_context(options, spec, info, source, pieces, schema_doc, features, target,
                                        data_hash, model_path)
        model = ctx.model
        from .attributions import shap_values

        base = shap_values(model, model.dataset.features.iloc[:1]) if len(reference) else None
        manifest.update({
            "seed": options.seed,
            "versions": _versions(),
            "columns": _columns_of(ctx.arrow_schema),
            "shap": {"space": "log-odds" if model.is_classifier else "raw",
                     "class": model.classes[model.positive_index] if model.is_classifier else None,
                     "method": "tree", "source": "XGBoost pred_contribs (exact TreeSHAP), original columns",
                     "base_value": float(base.base_value) if base is not None else None},
            "task": model.task,
            "classes": list(model.classes),
        })
        if options.where:
            sample_frame, _ = _result_frame(ctx, model, reference, 0, with_shap=False)
            _select(sample_frame, options.where)  # a bad expression fails here, before any work
        model.details.pop("batch_booster", None)
        model.details.pop("gpu_booster", None)
        save_manifest(out, manifest)
        entries = manifest["partitions"]
        done = [e["index"] for e in entries if e["status"] == "complete" and (out / e["file"]).exists()
                and (out / e["file"]).stat().st_size == e.get("bytes")]
        todo = [p for p in pieces if p["index"] not in set(done)]
        if done:
            log(tr("batch.resume", done=len(done), partitions=len(pieces), out=str(out)))
        if todo:
            log(tr("batch.start", rows=tr.number(sum(p["rows"] for p in todo), 0), partitions=len(todo),
                   workers=workers))
        shared = client.scatter(ctx, broadcast=True, hash=False)
        computed, failed, errors = [], [], []
        compute_started = time.perf_counter()
        futures = [client.submit(_explain_piece, shared, piece, str(out), pure=False,
                                 key=f"explain-{piece['index']:05d}-{uuid.uuid4().hex[:8]}") for piece in todo]
        stopped = False
        from distributed import as_completed

        finished = len(done)
        for future in as_completed(futures):
            entry_index = None
            try:
                result = future.result()
            except Exception as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                index = int(str(future.key).split("-")[1])
                reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                entries[index].update(status="failed", error=f"{type(exc).__name__}: {reason}")
                failed.append(index)
                errors.append(exc)
                save_manifest(out, manifest)
                log(tr("batch.failed", index=index, reason=reason))
                continue
            entry_index = result["index"]
            entry = entries[entry_index]
            entry.update(status="complete", seconds=round(result["seconds"], 3), device=result["device"],
                         bytes=result["bytes"], finished=_now())
            entry.pop("error", None)
            if result["unseen"]:
                entry["unseen_categories"] = result["unseen"]
            if result["selected"] is not None:
                entry["selected"] = {"where": options.where, "rows": result["selected"]}
            computed.append(entry_index)
            finished += 1
            save_manifest(out, manifest)
            first, last = entry["rows"][0], entry["rows"][1] - 1
            log(tr("batch.progress", done=finished, total=len(pieces), index=entry_index,
                   first=tr.number(first, 0), last=tr.number(last, 0), seconds=tr.number(result["seconds"], 1),
                   rate=tr.number(result["rows"] / max(result["seconds"], 1e-9), 0), device=result["device"]))
            if options.stop_after is not None and len(computed) >= options.stop_after:
                for other in futures:
                    other.cancel()
                stopped = True
                break
        compute_seconds = time.perf_counter() - compute_started
        complete = all(e["status"] == "complete" for e in entries)
        unseen: dict[str, int] = {}
        for e in entries:
            for name, count in e.get("unseen_categories", {}).items():
                unseen[name] = unseen.get(name, 0) + count
        for name, count in unseen.items():
            line = tr("batch.unseen", column=name, count=tr.number(count, 0))
            if line not in notices:
                notices.append(line)
                log(line)
        devices = sorted({e.get("device") for e in entries if e.get("device")})
        manifest["device"] = "+".join(devices) if devices else None
        cf_rows = cf_found = 0
        if complete and options.counterfactuals:
            cf_rows, cf_found = _counterfactual_stage(client, shared, options, manifest, pieces, out, notices,
                                                      log, tr)
        manifest["notices"] = notices
        manifest["status"] = "complete" if complete else ("stopped" if stopped else "incomplete")
        save_manifest(out, manifest)
    if errors and not complete:
        first_error = errors[0]
        if isinstance(first_error, InputError):
            raise InputError(f"{len(failed)} partition(s) failed, first: {first_error}")
        raise first_error
    summary = BatchSummary(
        out=out, rows=int(manifest["rows"]), partitions=len(pieces), computed=sorted(computed), skipped=sorted(done),
        failed=sorted(failed), complete=complete, workers=workers, device=manifest.get("device") or "",
        seconds=time.perf_counter() - began, compute_seconds=compute_seconds, cluster_seconds=cluster_seconds,
        counterfactual_rows=cf_rows, counterfactuals=cf_found, notices=notices,
        partition_rows={p["index"]: p["rows"] for p in pieces},
    )
    if complete:
        log(tr("batch.finished", rows=tr.number(summary.rows, 0), seconds=tr.number(summary.seconds, 1),
               rate=tr.number(summary.rows_per_second, 0), out=str(out)))
    elif stopped:
        log(tr("batch.stopped", done=len(done) + len(computed), partitions=len(pieces)))
    return summary


def _counterfactual_stage(client, shared, options, manifest, pieces, out: Path, notices, log, tr) -> tuple[int, int]:
    """Counterfactuals for the rows ``--where`` picks, at most ``--max-counterfactual-rows`` (first by row key)."""
    from distributed import as_completed

    settings = {"k": options.counterfactuals, "where": options.where, "max_rows": options.max_counterfactual_rows,
                "seed": options.seed, "method": "sparse"}
    stage = manifest.get("counterfactuals")
    if not stage or stage.get("settings") != settings:
        for old in out.iterdir():
            if _COUNTERFACTUAL_NAME.match(old.name):
                old.unlink()
        stage = {"settings": settings, "partitions": []}
        manifest["counterfactuals"] = stage
    entries = manifest["partitions"]
    stale = [p for p in pieces if (entries[p["index"]].get("selected") or {}).get("where") != options.where]
    if stale:
        for result in client.gather([client.submit(_count_piece, shared, p, str(out), pure=False) for p in stale]):
            entries[result["index"]]["selected"] = {"where": options.where, "rows": result["selected"]}
    selected = sum(e["selected"]["rows"] for e in entries)
    remaining = options.max_counterfactual_rows
    quotas = {}
    for entry in entries:
        quota = min(entry["selected"]["rows"], remaining)
        remaining -= quota
        if quota:
            quotas[entry["index"]] = quota
    stage.update(selected=selected, explained=sum(quotas.values()))
    if selected > options.max_counterfactual_rows:
        line = tr("batch.cf_capped", selected=tr.number(selected, 0),
                  limit=tr.number(options.max_counterfactual_rows, 0))
        stage["notice"] = line
        if line not in notices:
            notices.append(line)
        log(line)
    known = {e["index"]: e for e in stage["partitions"]}
    stage["partitions"] = [known.get(i) or {"index": i, "file": counterfactual_name(i), "rows": q, "status": "pending"}
                           for i, q in quotas.items()]
    todo = [e for e in stage["partitions"]
            if not (e["status"] == "complete" and (out / e["file"]).exists())]
    save_manifest(out, manifest)
    log(tr("batch.cf_start", rows=tr.number(sum(e["rows"] for e in todo), 0), k=options.counterfactuals))
    futures = [client.submit(_counterfactual_piece, shared, pieces[e["index"]], e["rows"], str(out), pure=False)
               for e in todo]
    by_index = {e["index"]: e for e in stage["partitions"]}
    finished = len(stage["partitions"]) - len(todo)
    for future in as_completed(futures):
        result = future.result()
        entry = by_index[result["index"]]
        entry.update(status="complete", found=result["found"], without=result["without"],
                     seconds=round(result["seconds"], 3), bytes=result["bytes"])
        finished += 1
        save_manifest(out, manifest)
        log(tr("batch.cf_progress", done=finished, total=len(stage["partitions"]), index=result["index"],
               rows=tr.number(result["rows"], 0), found=tr.number(result["found"], 0),
               seconds=tr.number(result["seconds"], 1)))
    rows = sum(e["rows"] for e in stage["partitions"])
    found = sum(e.get("found", 0) for e in stage["partitions"])
    return rows, found


# ----------------------------------------------------------------------------------------------------------
# Reading results (the dashboard's Batch results page): DuckDB over the Parquet files, never loaded whole


class BatchFolderError(InputError):
    """A results folder that cannot be opened; ``code`` says why (for translated messages)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def results_root() -> Path:
    """The folder the dashboard may read batch results from: ``XAI_BATCH_ROOT``, else ``results/`` in the
    working directory."""
    configured = os.environ.get(BATCH_ROOT_VARIABLE, "").strip()
    return Path(configured).expanduser() if configured else Path.cwd() / "results"


def list_results(root: str | Path | None = None, depth: int = 3) -> list[str]:
    """The results folders under ``root`` (default :func:`results_root`): paths relative to it, with ``/``,
    of every folder up to ``depth`` levels down that holds a ``manifest.json``. Links that lead outside the
    root are not followed; a missing root gives an empty list."""
    base = Path(root if root is not None else results_root())
    try:
        resolved = base.resolve(strict=True)
    except (OSError, RuntimeError):
        return []
    found: list[str] = []
    stack: list[tuple[Path, int]] = [(resolved, 0)]
    while stack and len(found) < 1000:
        folder, level = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            try:
                if not entry.is_dir() or entry.name.startswith("."):
                    continue
                real = Path(entry.path).resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if real != resolved and resolved not in real.parents:
                continue
            if (real / MANIFEST).is_file():
                found.append(Path(entry.path).relative_to(resolved).as_posix())
            if level + 1 < depth:
                stack.append((Path(entry.path), level + 1))
    return sorted(found)


def open_results(folder: str | Path, root: str | Path | None = None) -> BatchResults:
    """Open a results folder written by the batch command (it must hold ``manifest.json``).

    ``root``: when given (or set in ``XAI_BATCH_ROOT``), ``folder`` is a path relative to it (an absolute path
    must lie inside it); ``..``, and links that lead outside it, are refused. A folder that is missing and one
    that is not allowed get the same error (code ``not_found``), which names only ``folder`` as given.
    """
    text = str(folder).strip()
    root = root if root is not None else (os.environ.get(BATCH_ROOT_VARIABLE) or None)
    unavailable = BatchFolderError("not_found", f"{text} is not a batch results folder here; choose one from the list.")
    if not text or "\x00" in text:
        raise unavailable
    if root:
        if ".." in Path(text).parts or ".." in text.replace("\\", "/").split("/"):
            raise unavailable
        try:
            base = Path(root).expanduser().resolve(strict=True)
            path = (base / text).resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            raise unavailable from None
        if path != base and base not in path.parents:
            raise unavailable
    else:
        path = Path(text).expanduser()
    if not path.is_dir():
        raise unavailable
    if not (path / MANIFEST).is_file():
        if root:
            raise unavailable
        raise BatchFolderError("no_manifest", f"{text} holds no {MANIFEST}; give the --out folder of a batch run.")
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BatchFolderError("bad_manifest", f"the {MANIFEST} of {text} cannot be read.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "schema" not in manifest:
        raise BatchFolderError("bad_manifest", f"the {MANIFEST} of {text} is not a batch manifest.")
    return BatchResults(path, manifest)


@dataclass(frozen=True, eq=False)
class BatchResults:
    """A results folder: its manifest, and queries over its finished partitions."""

    folder: Path
    manifest: dict

    @property
    def features(self) -> list[str]:
        return [f["name"] for f in self.manifest["schema"]["features"]]

    @property
    def categories(self) -> dict[str, list[str]]:
        return {f["name"]: f["categories"] for f in self.manifest["schema"]["features"] if f["kind"] == "categorical"}

    @property
    def complete_partitions(self) -> list[dict]:
        return [e for e in self.manifest["partitions"]
                if e.get("status") == "complete" and (self.folder / e["file"]).is_file()]

    @property
    def files(self) -> list[str]:
        return [str(self.folder / e["file"]) for e in self.complete_partitions]

    @property
    def rows(self) -> int:
        """Rows in finished partitions."""
        return sum(e["rows"][1] - e["rows"][0] for e in self.complete_partitions)

    @property
    def total_rows(self) -> int:
        return int(self.manifest["rows"])

    @property
    def is_classifier(self) -> bool:
        return self.manifest.get("task") == "classification"

    @property
    def stamp(self) -> dict:
        """What a reader needs to reproduce the numbers."""
        m = self.manifest
        return {"data_sha256": m["data"]["sha256"], "model_sha256": m["model"]["sha256"], "rows": m["rows"],
                "created": m.get("created"), "seed": m.get("seed"), "device": m.get("device"),
                "versions": m.get("versions", {})}

    def _connect(self):
        import duckdb

        return duckdb.connect()

    def importance(self) -> pd.Series:
        """Mean |SHAP| of each feature over every finished row, largest first (one DuckDB scan)."""
        if not self.files:
            return pd.Series(dtype="float64")
        select = ", ".join(f"avg(abs({_quote(SHAP_PREFIX + f)}))" for f in self.features)
        with self._connect() as con:
            row = con.execute(f"SELECT {select} FROM read_parquet(?)", [self.files]).fetchall()[0]
        return pd.Series([float(v) for v in row], index=self.features, dtype="float64").sort_values(ascending=False)

    def summary(self) -> dict:
        """Row count, mean score and the count of each predicted label (classifiers) over finished rows."""
        if not self.files:
            return {"rows": 0, "mean_score": None, "labels": {}}
        with self._connect() as con:
            rows, mean = con.execute("SELECT count(*), avg(score) FROM read_parquet(?)", [self.files]).fetchall()[0]
            labels = {}
            if self.is_classifier:
                labels = dict(con.execute("SELECT prediction, count(*) FROM read_parquet(?) GROUP BY prediction "
                                          "ORDER BY prediction", [self.files]).fetchall())
        return {"rows": int(rows), "mean_score": float(mean) if mean is not None else None, "labels": labels}

    def sample(self, n: int = 2000, seed: int | None = None) -> pd.DataFrame:
        """A seeded uniform sample of ``n`` finished rows (row keys drawn with NumPy, rows fetched by DuckDB)."""
        seed = int(self.manifest.get("seed", 0)) if seed is None else seed
        ranges = [e["rows"] for e in self.complete_partitions]
        total = sum(stop - start for start, stop in ranges)
        if total == 0:
            return pd.DataFrame(columns=[KEY, *self.features])
        positions = sample_positions(total, n, seed)
        starts = np.cumsum([0] + [stop - start for start, stop in ranges])
        which = np.searchsorted(starts, positions, side="right") - 1
        keys = np.array([ranges[w][0] for w in which], dtype="int64") + positions - starts[which]
        with self._connect() as con:
            con.register("wanted", pd.DataFrame({KEY: keys}))
            frame = con.execute(f"SELECT * FROM read_parquet(?) WHERE {_quote(KEY)} IN (SELECT {_quote(KEY)} "
                                f"FROM wanted) ORDER BY {_quote(KEY)}", [self.files]).df()
        return self._typed(frame)

    def row(self, key: int) -> pd.DataFrame:
        """The stored row with ``__row__ == key`` (an empty frame when no finished partition holds it)."""
        entry = next((e for e in self.complete_partitions if e["rows"][0] <= int(key) < e["rows"][1]), None)
        if entry is None:
            return pd.DataFrame(columns=[KEY, *self.features])
        with self._connect() as con:
            frame = con.execute(f"SELECT * FROM read_parquet(?) WHERE {_quote(KEY)} = ?",
                                [str(self.folder / entry["file"]), int(key)]).df()
        return self._typed(frame)

    def counterfactuals(self, key: int) -> pd.DataFrame:
        """Counterfactuals stored for row ``key`` (rank, changes as a dict, new prediction and score)."""
        stage = self.manifest.get("counterfactuals") or {}
        entry = next((e for e in stage.get("partitions", []) if e.get("status") == "complete"
                      and self.manifest["partitions"][e["index"]]["rows"][0] <= int(key)
                      < self.manifest["partitions"][e["index"]]["rows"][1]), None)
        if entry is None or not (self.folder / entry["file"]).is_file():
            return pd.DataFrame(columns=[KEY, "rank", "changes", "prediction", "score", "distance"])
        with self._connect() as con:
            frame = con.execute(f"SELECT * FROM read_parquet(?) WHERE {_quote(KEY)} = ? ORDER BY rank",
                                [str(self.folder / entry["file"]), int(key)]).df()
        frame["changes"] = [json.loads(text) for text in frame["changes"]]
        return frame

    def _typed(self, frame: pd.DataFrame) -> pd.DataFrame:
        for name, categories in self.categories.items():
            if name in frame:
                frame[name] = pd.Categorical(frame[name].astype("object"), categories=categories)
        return frame.reset_index(drop=True)

    def feature_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The feature columns of stored rows (categories as pandas categoricals), indexed by row key."""
        return frame.set_index(KEY)[self.features]

    def shap(self, frame: pd.DataFrame):
        """A :class:`~explainers.attributions.ShapValues` of stored rows, from their stored values."""
        from .attributions import ShapValues

        values = frame[[SHAP_PREFIX + f for f in self.features]].to_numpy(dtype="float64")
        base = frame[BASE_COLUMN].to_numpy(dtype="float64")
        shap = self.manifest.get("shap", {})
        return ShapValues(
            values=pd.DataFrame(values, columns=self.features, index=frame[KEY].to_numpy()),
            base_value=float(base[0]) if len(base) else float(shap.get("base_value") or 0.0),
            output=base + values.sum(axis=1),
            space=shap.get("space", "raw"),
            class_name=shap.get("class"),
            method="tree",
        )

    def global_shap(self, frame: pd.DataFrame):
        """A :class:`~explainers.global_views.GlobalShap` of sampled rows, for the beeswarm and dependence charts."""
        from .global_views import GlobalShap

        return GlobalShap(self.shap(frame), frame[KEY].to_numpy(), self.rows)
