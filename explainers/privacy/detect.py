"""Finding the columns of a table that hold personal data: by name, and by content on a seeded sample of rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..messages import Message
from ..util import sample_positions
from .recognisers import VALUE_RECOGNISERS, kind_from_name, luhn_valid, valid_cnpj, valid_cpf

DEFAULT_SAMPLE_ROWS = 1000  # rows looked at per table: enough to tell a column of e-mails from a stray one
SAMPLE_SEED = 0
MIN_SHARE = 0.5  # at least half of the sampled values must match one recogniser
MIN_MATCHES = 3


@dataclass(frozen=True)
class PiiFinding:
    """One column found to hold personal data: what kind, whether its name said so (the word), and the share of
    sampled values a recogniser took (None when the content was not what gave it away)."""

    column: str
    kind: str
    word: str | None = None
    share: float | None = None
    sampled: int = 0

    @property
    def reason(self) -> Message:
        """Why the column was taken, as a message (``.text(lang)`` in any language)."""
        kind = Message(f"privacy.kind_{self.kind}")
        if self.share is not None and self.word is not None:
            return Message("privacy.reason_both", word=self.word, share=round(100 * self.share), kind=kind,
                           sampled=self.sampled)
        if self.share is not None:
            return Message("privacy.reason_content", share=round(100 * self.share), kind=kind, sampled=self.sampled)
        return Message("privacy.reason_name", word=self.word or self.column, kind=kind)

    def to_dict(self, lang: str = "en") -> dict:
        return {"column": self.column, "kind": self.kind, "word": self.word, "share": self.share,
                "sampled": self.sampled, "reason": self.reason.text(lang)}


def _text_values(column: pd.Series) -> list[str] | None:
    """The sampled values as text, for a text column, or digits for a column of whole numbers (a CPF read as a
    number loses its leading zeros: they are put back); None for any other column."""
    values = column.dropna()
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("object")
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        if not len(numbers) or not np.all(np.isfinite(numbers)) or not np.all(numbers == np.round(numbers)):
            return None
        if np.abs(numbers).max() < 1e8:  # fewer than nine digits: no document number
            return None
        return [f"{int(n):d}" for n in numbers]
    if pd.api.types.is_datetime64_any_dtype(values):
        return None
    return [str(v) for v in values.tolist()]


def _number_kind(text: str) -> str | None:
    """A whole number that is a CPF, a CNPJ or a payment card (with its leading zeros put back)."""
    if 9 <= len(text) <= 11 and valid_cpf(text.zfill(11)):
        return "cpf"
    if 12 <= len(text) <= 14 and valid_cnpj(text.zfill(14)):
        return "cnpj"
    if 13 <= len(text) <= 19 and text[0] in "23456" and luhn_valid(text):
        return "card"
    return None


def content_kind(values: list[str], numbers: bool = False) -> tuple[str, float] | None:
    """The kind most of ``values`` are (share ≥ :data:`MIN_SHARE`, at least :data:`MIN_MATCHES` of them), and its
    share; None when no recogniser takes enough."""
    if not values:
        return None
    counts: dict[str, int] = {}
    for value in values:
        if numbers:
            kind = _number_kind(value)
        else:
            kind = next((k for k, recognise in VALUE_RECOGNISERS if recognise(value)), None)
        if kind is not None:
            counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        return None
    kind, count = max(counts.items(), key=lambda item: item[1])
    share = count / len(values)
    if share < MIN_SHARE or count < min(MIN_MATCHES, len(values)):
        return None
    return kind, share


def detect_pii(frame: pd.DataFrame, exclude: Iterable[str] = (), sample_rows: int = DEFAULT_SAMPLE_ROWS,
               seed: int = SAMPLE_SEED) -> list[PiiFinding]:
    """The columns of ``frame`` (except ``exclude``, such as the target) that hold personal data, in table order.

    Names are read in English and Portuguese; content is checked on one seeded sample of ``sample_rows`` rows
    (all rows of a smaller table), so the time does not grow with the table."""
    excluded = {str(c) for c in exclude}
    rows = sample_positions(len(frame), sample_rows, seed) if len(frame) else np.arange(0)
    sample = frame.iloc[rows]
    found = []
    for name in frame.columns:
        column = str(name)
        if column in excluded:
            continue
        by_name = kind_from_name(column)
        values = _text_values(sample[name])
        numbers = values is not None and pd.api.types.is_numeric_dtype(sample[name].dropna())
        by_content = content_kind(values, numbers=numbers) if values else None
        if by_content is not None:
            found.append(PiiFinding(column, by_content[0], by_name[1] if by_name else None, by_content[1],
                                    len(values or ())))
        elif by_name is not None:
            found.append(PiiFinding(column, by_name[0], by_name[1], None, len(values or ())))
    return found
