"""What users bring: tables (CSV, Parquet, Excel) and spec files, read from bytes, checked and bounded.

Pure Python, no streamlit: the data source page and :func:`explainers.data.read_table` both use it.
Every bad input raises :class:`~explainers.errors.InputError` with one line that says what is wrong
and what to do. Nothing here writes to disk. Uploaded model files are checked by
:func:`explainers.models.check_model_against_data`; a table, its spec and a model become a workspace in
:func:`explainers.workspace.build_workspace`.

Limits come from the environment (see :class:`Limits`): ``XAI_MAX_MB``, ``XAI_MAX_ROWS``,
``XAI_SAMPLE_ROWS``, ``XAI_MAX_COLUMNS`` and ``XAI_MAX_LEVELS``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import os
import re
import tomllib
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from .errors import InputError
from .spec import DatasetSpec, spec_from_mapping
from .util import check_unique_columns, positive_int_setting

MB = 1024 * 1024
TABLE_TYPES = ("csv", "txt", "tsv", "parquet", "xlsx")
SEPARATORS = (",", ";", "\t")
SAMPLE_SEED = 0
MOSTLY_NUMBERS = 0.9  # a text column whose filled cells are at least 90% numbers is a numeric column
_BR_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?")
_BR_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}(?: \d{1,2}:\d{2}(?::\d{2})?)?")


# --------------------------------------------------------------------------------------------
# Limits


@dataclass(frozen=True)
class Limits:
    """How much an upload may hold. Each limit can be set by an environment variable:

    ``XAI_MAX_MB`` (file size, megabytes; default 200, matching ``server.maxUploadSize``),
    ``XAI_MAX_ROWS`` (default 2,000,000), ``XAI_SAMPLE_ROWS`` (default 200,000: above it,
    explanations and charts use a seeded random sample of that many rows), ``XAI_MAX_COLUMNS``
    (default 500) and ``XAI_MAX_LEVELS`` (distinct values of a categorical column; default 1,000).
    """

    max_bytes: int = 200 * MB
    max_rows: int = 2_000_000
    sample_rows: int = 200_000
    max_columns: int = 500
    max_levels: int = 1_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Limits with any of ``XAI_MAX_MB`` ... ``XAI_MAX_LEVELS`` from the environment applied."""
        environ = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for spec in fields(cls):
            number = positive_int_setting(environ, ENVIRONMENT[spec.name])
            if number is not None:
                values[spec.name] = number * MB if spec.name == "max_bytes" else number
        return cls(**values)

    @property
    def max_megabytes(self) -> float:
        return self.max_bytes / MB


ENVIRONMENT = {
    "max_bytes": "XAI_MAX_MB",
    "max_rows": "XAI_MAX_ROWS",
    "sample_rows": "XAI_SAMPLE_ROWS",
    "max_columns": "XAI_MAX_COLUMNS",
    "max_levels": "XAI_MAX_LEVELS",
}


def megabytes(size: int) -> str:
    """A size in megabytes for messages: ``12.3 MB``."""
    return f"{size / MB:,.1f} MB"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.replace("Error tokenizing data. C error: ", "")
    return text[:160]


# --------------------------------------------------------------------------------------------
# Tables


def read_upload(name: str, data: bytes, limits: Limits | None = None) -> pd.DataFrame:
    """Read an uploaded table (CSV/TXT/TSV, Parquet or Excel .xlsx) from its bytes.

    CSV: the separator (comma, semicolon, tab) and encoding (UTF-8 with or without BOM, UTF-16
    with BOM, else Windows-1252/Latin-1) are detected; Brazilian decimal commas ("1.234,56") in a
    semicolon- or tab-separated file, and numbers stored as text, become numbers. Raises
    InputError for an empty or header-only file, binary junk, text in an unknown encoding,
    duplicate column names, or a table over ``limits``.
    """
    limits = limits or Limits.from_env()
    name = Path(str(name or "upload")).name or "upload"
    data = bytes(data or b"")
    if len(data) > limits.max_bytes:
        raise InputError(key="errors.upload.too_big", name=name, size=megabytes(len(data)),
                         limit=megabytes(limits.max_bytes))
    if not data.strip():
        raise InputError(key="errors.upload.empty", name=name)
    suffix = Path(name.lower()).suffix
    if data.startswith(b"\x1f\x8b"):
        data = _gunzip(name, data, limits)
        suffix = Path(Path(name.lower()).stem).suffix or ".csv"
        if not data.strip():
            raise InputError(key="errors.upload.empty", name=name)
    if data.startswith(b"PAR1"):
        frame = _read_parquet(name, data, limits)
        decimal_comma = False
    elif data.startswith(b"PK\x03\x04"):
        frame = _read_excel(name, data, limits)
        decimal_comma = True
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(key="errors.upload.old_excel", name=name)
    elif suffix == ".parquet":
        raise InputError(key="errors.upload.not_parquet", name=name)
    elif suffix == ".xlsx":
        raise InputError(key="errors.upload.not_xlsx", name=name)
    else:
        text = _decode(name, data)
        frame, separator = _read_csv_text(name, text, limits)
        decimal_comma = separator != ","
    return _normalise(name, frame, limits, decimal_comma)


def _gunzip(name: str, data: bytes, limits: Limits) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            out = handle.read(limits.max_bytes + 1)
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(key="errors.upload.bad_gzip", name=name, reason=_reason(exc)) from None
    if len(out) > limits.max_bytes:
        raise InputError(key="errors.upload.gzip_too_big", name=name, limit=megabytes(limits.max_bytes))
    return out


def _decode(name: str, data: bytes) -> str:
    """Bytes to text: BOM first, then UTF-8, then Windows-1252, then Latin-1; refuse binary data."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(key="errors.upload.bad_utf8", name=name) from None
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(key="errors.upload.bad_utf16", name=name) from None
    else:
        head = data[:8192]
        zeros = sorted(part.count(0) / max(len(part), 1) for part in (head[0::2], head[1::2]))
        if zeros[1] > 0.3 and zeros[0] < 0.05:
            raise InputError(key="errors.upload.utf16_without_bom", name=name)
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    sample = text[:200_000].rstrip("\x1a")
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f\v") or 0x7F <= ord(ch) < 0xA0)
    if "\x00" in sample or controls > max(1, len(sample) // 100):
        raise InputError(key="errors.upload.binary", name=name)
    return text


def _records(text: str, separator: str, limit: int = 30) -> list[list[str]]:
    """Up to ``limit`` non-empty records of the first 64 KB, read with ``separator``."""
    chunk = text[:65536]
    if len(text) > len(chunk) and "\n" in chunk:
        chunk = chunk[: chunk.rindex("\n")]
    out = []
    try:
        for record in csv.reader(io.StringIO(chunk, newline=""), delimiter=separator):
            if record and any(cell.strip() for cell in record):
                out.append(record)
                if len(out) >= limit:
                    break
    except csv.Error:
        return out
    return out


def detect_separator(text: str) -> str:
    """The separator (comma, semicolon or tab) that splits the header into the most fields that the
    next rows repeat; a comma when none splits it (a one-column table)."""
    best, best_score = ",", (False, 0.0, 0)
    for separator in SEPARATORS:
        records = _records(text, separator)
        if not records:
            continue
        width = len(records[0])
        rows = records[1:]
        consistent = sum(len(r) == width for r in rows) / len(rows) if rows else 1.0
        score = (width > 1, consistent, width)
        if score > best_score:
            best, best_score = separator, score
    return best


def _header(name: str, text: str, separator: str) -> list[str]:
    try:
        for record in csv.reader(io.StringIO(text[:1_000_000], newline=""), delimiter=separator):
            if record and any(cell.strip() for cell in record):
                return record
    except csv.Error as exc:
        raise InputError(key="errors.upload.bad_header", name=name, reason=_reason(exc)) from None
    return []


def _check_shape(name: str, rows: int, columns: int, limits: Limits) -> None:
    if columns > limits.max_columns:
        raise InputError(key="errors.upload.too_many_columns", name=name, columns=columns, limit=limits.max_columns)
    if rows > limits.max_rows:
        raise InputError(key="errors.upload.too_many_rows", name=name, limit=limits.max_rows)


def _header_only(name: str) -> InputError:
    return InputError(key="errors.upload.header_only", name=name)


def _read_csv_text(name: str, text: str, limits: Limits) -> tuple[pd.DataFrame, str]:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InputError(key="errors.upload.empty", name=name)
    separator = detect_separator(text)
    header = _header(name, text, separator)
    check_unique_columns([c for c in header if c != ""], name, ordered=True)
    _check_shape(name, 0, len(header), limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=separator,
                index_col=False,
                nrows=limits.max_rows + 1,
                low_memory=False,
            )
    except pd.errors.EmptyDataError:
        raise InputError(key="errors.upload.empty", name=name) from None
    except pd.errors.ParserWarning:
        raise InputError(key="errors.upload.ragged_rows", name=name) from None
    except Exception as exc:  # the parser of untrusted text: any failure is the file's
        raise InputError(key="errors.upload.bad_csv", name=name, reason=_reason(exc)) from None
    if len(frame) == 0:
        raise _header_only(name)
    return frame, separator


def _read_parquet(name: str, data: bytes, limits: Limits) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(io.BytesIO(data))
        meta = handle.metadata
        schema = handle.schema_arrow
    except Exception as exc:
        raise InputError(key="errors.upload.bad_parquet", name=name, reason=_reason(exc)) from None
    _check_shape(name, meta.num_rows, len(schema), limits)
    check_unique_columns(schema.names, name, ordered=True)
    nested = [f.name for f in schema if pa.types.is_nested(f.type)]
    if nested:
        raise InputError(key="errors.upload.nested_columns", name=name, columns=", ".join(nested))
    try:
        table = handle.read()
        columns = []
        for column, spec in zip(table.columns, table.schema, strict=True):
            if pa.types.is_decimal(spec.type):
                column = column.cast(pa.float64())
            elif pa.types.is_binary(spec.type) or pa.types.is_large_binary(spec.type):
                column = column.cast(pa.string())
            columns.append(column)
        table = pa.table(columns, names=table.schema.names)
        frame = table.to_pandas().reset_index(drop=True)
    except Exception as exc:
        raise InputError(key="errors.upload.bad_parquet", name=name, reason=_reason(exc)) from None
    if len(frame) == 0:
        raise _header_only(name)
    return frame


def _read_excel(name: str, data: bytes, limits: Limits) -> pd.DataFrame:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            unpacked = sum(entry.file_size for entry in entries)
            names = {entry.filename for entry in entries}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(key="errors.upload.bad_xlsx", name=name, reason=_reason(exc)) from None
    if "xl/workbook.xml" not in names:
        raise InputError(key="errors.upload.zip_not_xlsx", name=name)
    if unpacked > 5 * limits.max_bytes:
        raise InputError(key="errors.upload.xlsx_too_big", name=name, size=megabytes(unpacked),
                         limit=megabytes(5 * limits.max_bytes))
    try:
        raw = pd.read_excel(io.BytesIO(data), sheet_name=0, header=None, engine="openpyxl",
                            nrows=limits.max_rows + 2)  # the header row, and one row too many
    except Exception as exc:  # openpyxl on untrusted bytes: any failure is the file's
        raise InputError(key="errors.upload.unreadable_xlsx", name=name, reason=_reason(exc)) from None
    raw = raw.dropna(how="all").dropna(axis=1, how="all")
    if raw.empty:
        raise InputError(key="errors.upload.empty_sheet", name=name)
    header = []
    for i, value in enumerate(raw.iloc[0].tolist()):
        if value is None or (isinstance(value, float) and value != value):
            header.append(f"Unnamed: {i}")
        elif isinstance(value, float) and value.is_integer():
            header.append(str(int(value)))
        else:
            header.append(str(value).strip() if isinstance(value, str) else str(value))
    check_unique_columns(header, name, ordered=True)
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = header
    _check_shape(name, len(frame), len(header), limits)
    if len(frame) == 0:
        raise _header_only(name)
    return frame.infer_objects()


def _is_text(column: pd.Series) -> bool:
    return column.dtype == object or pd.api.types.is_string_dtype(column.dtype)


def _normalise(name: str, frame: pd.DataFrame, limits: Limits, decimal_comma: bool) -> pd.DataFrame:
    """Column names as text; numbers stored as text (and decimal commas, where allowed) as numbers."""
    frame.columns = [str(c) for c in frame.columns]
    check_unique_columns(frame.columns, name, ordered=True)
    _check_shape(name, len(frame), frame.shape[1], limits)
    for column_name in frame.columns:
        column = frame[column_name]
        if _is_text(column):
            converted = _text_numbers(column, decimal_comma)
            if converted is not None:
                frame[column_name] = converted
    return frame


def _text_numbers(column: pd.Series, decimal_comma: bool) -> pd.Series | None:
    """The column as floats when every filled cell is a number stored as text (or, with
    ``decimal_comma``, a number written the Brazilian way, "1.234,56"); None otherwise."""
    present = column.dropna()
    if present.empty or not all(isinstance(v, str) for v in present.head(1000)):
        return None
    filled = present.astype(str).str.strip()
    filled = filled[filled != ""]
    if filled.empty:
        return None
    head = filled.head(1000)
    if pd.to_numeric(head, errors="coerce").notna().all():
        numbers = pd.to_numeric(filled, errors="coerce")
        if numbers.notna().all():
            return _spread(numbers, column.index)
    if (
        decimal_comma
        and head.str.fullmatch(_BR_NUMBER.pattern).all()
        and filled.str.contains(",", regex=False).any()
        and filled.str.fullmatch(_BR_NUMBER.pattern).all()
    ):
        plain = filled.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        try:  # every cell matched the pattern, so the plain cast (faster than to_numeric) succeeds
            return _spread(plain.astype("float64"), column.index)
        except (TypeError, ValueError):
            return _spread(pd.to_numeric(plain, errors="coerce"), column.index)
    return None


def _spread(values: pd.Series, index: pd.Index) -> pd.Series:
    """``values`` (a subset of rows) on the whole ``index``, missing elsewhere, as floats."""
    out = pd.Series(float("nan"), index=index, dtype="float64")
    out.loc[values.index] = values.to_numpy(dtype="float64")
    return out


# --------------------------------------------------------------------------------------------
# Data checks used by prepare_dataset (explainers.data)


def date_parts(column: pd.Series) -> pd.Series | None:
    """The column as datetimes when it holds dates (a datetime type, or text where every filled cell
    is an ISO date "2024-03-31" or a Brazilian one "31/03/2024"); None otherwise. Raises InputError
    for a date-looking column with an impossible date."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column
    if not _is_text(column):
        return None
    present = column.dropna()
    if present.empty or not all(isinstance(v, str) for v in present.head(1000)):
        return None
    stripped = present.astype(str).str.strip()
    filled = stripped[stripped != ""]
    if filled.empty:
        return None
    for pattern, fmt in ((_ISO_DATE, "%Y-%m-%d"), (_BR_DATE, "%d/%m/%Y")):
        if not filled.head(200).str.fullmatch(pattern.pattern).all():
            continue
        if not filled.str.fullmatch(pattern.pattern).all():
            continue
        day = filled.str.split(r"[ T]", n=1, regex=True).str[0]
        parsed = pd.to_datetime(day, format=fmt, errors="coerce")
        if parsed.isna().any():
            bad = filled[parsed.isna()].iloc[0]
            raise InputError(key="errors.upload.bad_date", column=column.name, value=bad)
        out = pd.Series(pd.NaT, index=column.index, dtype=parsed.dtype)
        out.loc[parsed.index] = parsed
        return out
    return None


def mixed_numbers(column: pd.Series) -> tuple[str, pd.Series | None, str] | None:
    """For a text column that mixes numbers and text: ``(kind, numbers, example)``.

    ``kind`` is ``"numeric"`` when at least 90% of the filled cells are numbers (``numbers`` then
    holds the column with the text cells as missing), else ``"categorical"``. ``example`` is one of
    the text values. None when the column is not mixed.
    """
    if not _is_text(column):
        return None
    present = column.dropna()
    if present.empty:
        return None
    stripped = present.astype(str).str.strip()
    filled = stripped[stripped != ""]
    if filled.empty:
        return None
    parsed = pd.to_numeric(filled, errors="coerce")
    numbers = int(parsed.notna().sum())
    text = len(filled) - numbers
    if numbers == 0 or text == 0:
        return None
    example = str(filled[parsed.isna()].iloc[0])
    if numbers / len(filled) >= MOSTLY_NUMBERS:
        return "numeric", _spread(parsed, column.index), example
    return "categorical", None, example


# --------------------------------------------------------------------------------------------
# Specs


def spec_from_upload(name: str, data: bytes) -> DatasetSpec:
    """A dataset spec from an uploaded TOML file (its ``source`` and ``loader`` keys are ignored)."""
    name = Path(str(name or "spec.toml")).name
    if len(data) > MB:
        raise InputError(key="errors.upload.spec_too_big", name=name)
    try:
        raw = tomllib.loads(bytes(data).decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(key="errors.upload.bad_spec", name=name, reason=_reason(exc)) from None
    raw.pop("source", None)
    raw.pop("loader", None)
    return spec_from_mapping(raw, Path(name).stem)
