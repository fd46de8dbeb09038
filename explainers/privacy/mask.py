"""Masking personal data wherever it would be shown: a keyed pseudonym (HMAC-SHA256, so one person has one
pseudonym within a deployment and the key never leaves the server) or a partial mask that keeps the shape
(``***.***.***-25``).

The key comes from ``XAI_PRIVACY_KEY`` or, without it, from a file made once with owner-only permissions
(``XAI_PRIVACY_KEY_FILE``, default ``var/privacy.key`` in the project). It is never written to any output.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .recognisers import digits, plain_word

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_KEY_FILE = PROJECT_ROOT / "var" / "privacy.key"
KEY_VARIABLE = "XAI_PRIVACY_KEY"
KEY_FILE_VARIABLE = "XAI_PRIVACY_KEY_FILE"
MIN_KEY_CHARS = 16
PSEUDONYM_CHARS = 12
_DIGIT = re.compile(r"\d")


def _key_file(path: Path) -> bytes:
    """The key in ``path``, made first (32 random bytes, mode 0600, created exclusively so that two processes
    starting together end up with the same key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
    text = path.read_text(encoding="ascii").strip()
    if len(text) < MIN_KEY_CHARS:  # a file still being written by another process
        raise InputError(key="errors.privacy.bad_key_file", path=str(path))
    return text.encode()


def privacy_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The deployment's masking key: ``XAI_PRIVACY_KEY`` (at least 16 characters), else the key file."""
    environ = os.environ if environ is None else environ
    given = environ.get(KEY_VARIABLE, "")
    if given.strip():
        if len(given.strip()) < MIN_KEY_CHARS:
            raise InputError(key="errors.privacy.short_key", variable=KEY_VARIABLE, chars=MIN_KEY_CHARS)
        return given.strip().encode()
    return _cached_key_file(str(environ.get(KEY_FILE_VARIABLE) or DEFAULT_KEY_FILE))


@cache
def _cached_key_file(path: str) -> bytes:
    return _key_file(Path(path))


def _as_text(value: object) -> str:
    if isinstance(value, float) and value == round(value):
        return str(int(value))
    return str(value).strip()


def normalised(value: object, kind: str) -> str:
    """The form a value is pseudonymised in, so that "529.982.247-25" and "52998224725", or "Ana@X.com" and
    "ana@x.com", are the same person."""
    text = _as_text(value)
    if kind in ("cpf", "cnpj", "phone", "card") and digits(text):
        return digits(text) if kind != "cnpj" else re.sub(r"[^0-9A-Z]", "", text.upper())
    return " ".join(plain_word(text).split())


def pseudonym(value: object, kind: str, key: bytes) -> str:
    """``#`` and 12 hex characters of HMAC-SHA256(key, kind group and normalised value)."""
    group = "document" if kind in ("cpf", "cnpj", "document") else kind
    message = f"{group}\x1f{normalised(value, kind)}".encode()
    return "#" + hmac.new(key, message, hashlib.sha256).hexdigest()[:PSEUDONYM_CHARS]


def _keep_last_digits(text: str, keep: int) -> str:
    """Every digit but the last ``keep`` as ``*``; separators stay, so the shape can still be read."""
    count = len(digits(text))
    seen = 0

    def star(match: re.Match) -> str:
        nonlocal seen
        seen += 1
        return match.group(0) if seen > count - keep else "*"

    return _DIGIT.sub(star, text)


def partial_mask(value: object, kind: str) -> str | None:
    """A mask that keeps the shape: CPF ``***.***.***-25`` and CNPJ ``**.***.***/****-81`` (the check digits only),
    a phone with its last two digits, a card with its last four; None for kinds that have no partial form."""
    text = _as_text(value)
    number = digits(text)
    if kind == "cpf" and len(number) >= 2:
        return f"***.***.***-{number[-2:]}"
    if kind == "cnpj" and len(number) >= 2:
        return f"**.***.***/****-{number[-2:]}"
    if kind == "phone" and len(number) > 4:  # no leading "+": a spreadsheet would take it for a formula
        return _keep_last_digits(text, 2).lstrip("+")
    if kind == "card" and len(number) > 8:
        return _keep_last_digits(text, 4)
    return None


def mask_value(value: object, kind: str, key: bytes) -> object:
    """A value as it may be shown: missing stays missing; documents, phones and cards as a partial mask,
    everything else as its pseudonym."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return value
    partial = partial_mask(value, kind)
    return partial if partial is not None else pseudonym(value, kind, key)


def mask_series(column: pd.Series, kind: str, key: bytes) -> pd.Series:
    """A column masked value by value (each distinct value once), as text; missing stays missing."""
    distinct = column.dropna().unique()
    lookup = {value: mask_value(value, kind, key) for value in distinct}
    masked = column.map(lookup)
    return masked.astype("object").where(column.notna(), None)


def mask_frame(frame: pd.DataFrame, kinds: Mapping[str, str], key: bytes | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with each column named in ``kinds`` (column → kind) masked; other columns unchanged.
    The one function every table that is shown or exported goes through."""
    present = [c for c in frame.columns if str(c) in kinds]
    if not present:
        return frame
    key = privacy_key() if key is None else key
    out = frame.copy()
    for column in present:
        out[column] = mask_series(frame[column], kinds[str(column)], key)
    return out


def mask_mapping(values: Mapping[str, object], kinds: Mapping[str, str], key: bytes | None = None) -> dict:
    """A row given as column → value with its personal-data columns masked (for JSON, notices and narratives)."""
    if not any(str(c) in kinds for c in values):
        return dict(values)
    key = privacy_key() if key is None else key
    return {c: mask_value(v, kinds[str(c)], key) if str(c) in kinds else v for c, v in values.items()}
