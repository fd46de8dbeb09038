"""Small helpers that the whole engine shares, each in one place: JSON values, seeded row samples, equal codes,
package versions, model file kinds and the refusal of pickles.

The lowest layer with :mod:`explainers.errors` and :mod:`explainers.i18n`: it imports nothing else from the
engine.
"""

from __future__ import annotations

import math
import os
import platform
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError

# --------------------------------------------------------------------------------------------
# JSON values


def plain(value: object) -> object:
    """A JSON-friendly Python value: NumPy scalars as Python numbers, whole floats as ints, NaN and missing
    values as None, anything else that is not a number or text as text."""
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value if isinstance(value, int | str | bool) else str(value)


def finite(value: float | None) -> float | None:
    """A float for JSON: NaN and infinities become None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def plain_json(value: Any) -> Any:
    """:func:`plain` all the way down mappings and lists, with infinities as None too (strict JSON)."""
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    value = plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --------------------------------------------------------------------------------------------
# Settings


def positive_int_setting(environ: Mapping[str, str], variable: str) -> int | None:
    """The whole number an environment variable sets (None when unset or blank); InputError for anything else."""
    raw = environ.get(variable)
    if raw is None or not raw.strip():
        return None
    try:
        number = int(raw.strip())
    except ValueError:
        number = 0
    if number <= 0:
        raise InputError(key="errors.setting_not_positive", variable=variable, value=raw)
    return number


# --------------------------------------------------------------------------------------------
# Rows and codes


def sample_positions(rows: int, size: int, seed: int = 0) -> np.ndarray:
    """Sorted positions of a seeded sample of ``size`` of ``rows`` rows (all rows, in order, when there are no
    more than ``size``). The one way the engine samples rows: the same seed gives the same rows everywhere."""
    if size < 1:
        raise InputError(key="errors.base.sample_size", size=str(size))
    if rows <= size:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, size=size, replace=False))


def check_unique_columns(columns: Sequence[object], where: str = "", ordered: bool = False) -> None:
    """InputError naming the column names that occur more than once, compared as text (``1`` and ``"1"`` are the
    same name), in the order they first repeat or (``ordered`` False) sorted; ``where`` (a file name) first."""
    seen: set[str] = set()
    dupes: list[str] = []
    for column in columns:
        text = str(column)
        if text in seen and text not in dupes:
            dupes.append(text)
        seen.add(text)
    if dupes:
        names = dupes if ordered else sorted(dupes)
        raise InputError(key="errors.duplicate_columns", where=f"{where}: " if where else "", names=", ".join(names))


def equal_codes(matrix: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Per value: whether ``matrix`` (rows of codes, :meth:`Dataset.to_codes`) equals ``row`` there, missing
    equal to missing, numbers within 1e-9."""
    with np.errstate(invalid="ignore"):
        return (np.isnan(matrix) & np.isnan(row)) | np.isclose(matrix, row, rtol=1e-9, atol=1e-9)

# --------------------------------------------------------------------------------------------
# Files written whole or not at all


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (``.NAME.<random>.tmp``) to write to; when the block ends without an
    error it replaces ``path`` in one step, so that readers (other processes too) see the old file or the whole
    new one, never a part. The temporary file is removed in any case."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through :func:`replacing`."""
    with replacing(path) as temporary:
        temporary.write_bytes(data)


# --------------------------------------------------------------------------------------------
# Package versions (reproducibility stamps)

PACKAGES = ("shap", "lime", "dice-ml", "xgboost", "pandas", "numpy", "scikit-learn", "fairlearn", "plotly",
            "matplotlib", "fpdf2")


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Versions of the packages an explanation depends on (for reproducibility stamps)."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


# --------------------------------------------------------------------------------------------
# Model files: which kinds are read, and pickles, which are not

MODEL_TYPES = ("json", "ubj", "skops", "txt", "cbm", "onnx")
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav", ".dill")
PICKLE_TYPES = tuple(suffix.lstrip(".") for suffix in PICKLE_SUFFIXES)


def looks_like_pickle(data: bytes) -> bool:
    """Whether ``data`` starts like a pickle (protocol 2 to 5), whatever the file is called."""
    return len(data) > 2 and data[0] == 0x80 and 2 <= data[1] <= 5


def pickle_refusal(name: str) -> InputError:
    """The error for an uploaded pickle or joblib file: always refused."""
    return InputError(key="errors.base.pickle_upload", name=name)


def pickle_file_refusal(name: str) -> InputError:
    """The error for a pickle file on the server's disk, loaded without ``--allow-pickle``."""
    return InputError(key="errors.base.pickle_file", name=name)
