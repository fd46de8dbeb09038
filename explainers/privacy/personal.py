"""A table's personal data: which columns (declared by the spec's ``pii`` list, else detected), of what kind and
why, and their values, kept apart from the model's features and shown only masked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..errors import InputError
from ..messages import Message
from .detect import PiiFinding, detect_pii
from .mask import mask_frame, mask_mapping

DEFAULT_MIN_GROUP_ROWS = 10  # groups smaller than this are suppressed in group metrics (spec: min_group_rows)


@dataclass(frozen=True, eq=False)
class PersonalData:
    """The personal-data columns of a dataset. ``values`` holds them row by row, aligned with the dataset's rows,
    in this server's memory only; everything shown goes through :meth:`masked` or :meth:`masked_row`."""

    findings: tuple[PiiFinding, ...] = ()
    values: pd.DataFrame | None = None
    declared: bool = False  # the spec's pii list (True) or detection (False)
    in_model: tuple[str, ...] = ()  # personal columns the model uses anyway (an uploaded model): flagged

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.findings]

    @property
    def kinds(self) -> dict[str, str]:
        return {f.column: f.kind for f in self.findings}

    def __bool__(self) -> bool:
        return bool(self.findings)

    def masked(self, rows: Sequence[int] | None = None, key: bytes | None = None) -> pd.DataFrame:
        """The personal columns (of ``rows``, or all) masked."""
        if self.values is None:
            return pd.DataFrame()
        frame = self.values if rows is None else self.values.iloc[list(rows)]
        return mask_frame(frame, self.kinds, key)

    def masked_row(self, row: int, key: bytes | None = None) -> dict[str, object]:
        """One row's personal values, masked (column → masked value)."""
        if self.values is None or not 0 <= int(row) < len(self.values):
            return {}
        return mask_mapping(self.values.iloc[int(row)].to_dict(), self.kinds, key)

    def notice(self) -> Message | None:
        """What the dataset says about its personal data: kept out of the model (or used by it: flagged)."""
        if not self.findings:
            return None
        kept_out = [c for c in self.columns if c not in self.in_model]
        if self.in_model:
            return Message("privacy.notice_in_model", columns=", ".join(self.in_model))
        return Message("privacy.notice_kept_out", columns=", ".join(kept_out))

    def to_dict(self, lang: str = "en") -> dict:
        """What the command line and reports may say: columns, kinds and reasons (in ``lang``); never a value."""
        return {"columns": [f.to_dict(lang) for f in self.findings], "declared": self.declared,
                "in_model": list(self.in_model)}


def find_personal(frame: pd.DataFrame, pii: Sequence[str] | None, target: str,
                  in_model: Sequence[str] = ()) -> PersonalData:
    """The personal data of ``frame``: the columns ``pii`` names that the table has (a spec describes a kind of
    table: a copy without its identifier columns, such as a batch or monitoring table, is fine; the target may not
    be one), or when ``pii`` is None the columns :func:`detect_pii` finds. ``in_model`` are personal columns a
    model uses."""
    columns = [str(c) for c in frame.columns]
    if pii is None:
        findings = tuple(detect_pii(frame, exclude=[target]))
        declared = False
    else:
        if target in pii:
            raise InputError(key="errors.privacy.target_pii", target=target)
        chosen = set(pii)
        detected = {f.column: f for f in detect_pii(frame[[c for c in frame.columns if str(c) in chosen]])}
        findings = tuple(detected.get(c) or PiiFinding(c, "other") for c in columns if c in chosen)
        declared = True
    names = [f.column for f in findings]
    values = frame[[c for c in frame.columns if str(c) in set(names)]].reset_index(drop=True) if names else None
    return PersonalData(findings, values, declared, tuple(c for c in names if c in set(in_model)))
