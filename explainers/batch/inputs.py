"""The input files: which, their hash, their columns, partitions of row ranges (Parquet row groups or CSV byte
ranges cut at line starts), and reading one partition on a worker, lazily, with pyarrow."""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import itertools
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import as_text
from ..errors import InputError
from ..util import check_unique_columns
from .names import CSV_SUFFIXES, HASH_CHUNK, PARQUET_SUFFIXES, READ_BATCH, REFERENCE_PIECES, REFERENCE_ROWS


def file_kind(path: Path) -> str | None:
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
        candidates = [p for p in candidates if file_kind(p)]
        if not candidates:
            raise InputError(key="errors.batch.no_match", pattern=data)
    elif path.is_dir():
        candidates = sorted(p for p in path.iterdir() if p.is_file() and file_kind(p) and not p.name.startswith("."))
        if not candidates:
            raise InputError(key="errors.batch.empty_folder", folder=data)
    elif path.is_file():
        if path.name.lower().endswith((".gz", ".bz2", ".zip", ".xz", ".zst")):
            raise InputError(key="errors.batch.compressed", name=path.name)
        if file_kind(path) is None:
            raise InputError(key="errors.batch.unsupported", name=path.name, suffix=repr(path.suffix))
        candidates = [path]
    else:
        raise InputError(key="errors.batch.missing", data=data)
    kinds = {file_kind(p) for p in candidates}
    if len(kinds) > 1:
        raise InputError(key="errors.batch.mixed")
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
            raise InputError(key="errors.batch.unreadable", path=path,
                             reason=exc.strerror or type(exc).__name__) from None
    return digest.hexdigest()


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


@dataclass(frozen=True)
class Source:
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
            raise InputError(key="errors.batch.bad_bytes", name=Path(self.paths[i]).name, start=piece['byte_start'],
                             stop=piece['byte_stop'], reason=reason) from None
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


def describe_files(files: list[Path], fmt: str) -> Source:
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
                raise InputError(key="errors.batch.bad_parquet", name=path.name, reason=reason) from None
        else:
            with open(path, "rb") as handle:
                header = handle.readline()
                header_ends.append(handle.tell())
            text = header.decode("utf-8-sig", errors="replace").rstrip("\r\n")
            if not text.strip():
                raise InputError(key="errors.batch.no_header", name=path.name)
            delimiter = _sniff_delimiter(text)
            names = tuple(next(csv.reader([text], delimiter=delimiter)))
            delimiters.append(delimiter)
            headers.append(header if header.endswith(b"\n") else header + b"\n")
            rows.append(-1)
        check_unique_columns(names, path.name, ordered=True)
        if columns is None:
            columns = names
        elif set(names) != set(columns):
            differ = sorted(set(names) ^ set(columns))
            raise InputError(key="errors.batch.other_columns", name=path.name, first=files[0].name,
                             columns=', '.join(differ[:8]))
    return Source(fmt, tuple(str(p) for p in files), tuple(rows), tuple(delimiters), tuple(header_ends),
                   tuple(headers), columns or ())


def column_types(source: Source, names) -> dict:
    """Arrow types of columns copied to the output unchanged: the first Parquet file's, text for CSV (which is
    read as text)."""
    import pyarrow as pa

    if not names:
        return {}
    if source.fmt != "parquet":
        return dict.fromkeys(names, pa.string())
    import pyarrow.parquet as pq

    with pq.ParquetFile(source.paths[0]) as parquet:
        schema = parquet.schema_arrow
    return {name: schema.field(name).type for name in names}


def parquet_pieces(source: Source, partition_rows: int) -> list[dict]:
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


def csv_pieces(source: Source, partition_rows: int) -> list[dict]:
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


def scan_piece(source: Source, piece: dict, label_columns: list[str], text_columns: list[str]) -> dict:
    """First pass over one partition: its row count, distinct target labels and category values."""
    columns = list(dict.fromkeys([*label_columns, *text_columns])) or [source.columns[0]]
    frame = source.read(piece, columns)
    values = {}
    for name in label_columns:
        column = frame[name]
        values[name] = sorted({str(v) for v in column[column.notna()].astype("object")})
    for name in text_columns:
        values[name] = sorted(set(as_text(frame[name]).dropna()))
    return {"index": piece["index"], "rows": len(frame), "values": values}




def reference_rows(source: Source, pieces: list[dict], columns: list[str], seed: int) -> pd.DataFrame:
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
