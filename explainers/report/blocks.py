"""The report laid out once, as a list of blocks that the three renderers (HTML, Markdown, PDF) draw; the
sizes the layout and the figures share; and number formats the report uses in several places."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..i18n import Translator

GLOBAL_ROWS = 2000  # rows behind the global importance
BEESWARM_ROWS = 500  # of those, rows drawn in the beeswarm (keeps the file small and the SVG quick)
TOP_GLOBAL = 10
TOP_LOCAL = 6
WATERFALL_FEATURES = 10
HASH = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Heading:
    text: str
    level: int  # 2: section, 3: subsection, 4: minor
    anchor: str = ""


@dataclass(frozen=True)
class Paragraph:
    text: str  # plain text; **bold** is the only markup
    style: str = "body"  # body | note | lead | code


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...] | None  # None: a key-value table (first column names the row)
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()  # right-aligned columns
    widths: tuple[float, ...] = ()  # relative column widths (PDF)
    small: bool = False


@dataclass(frozen=True, eq=False)
class Chart:
    kind: str  # waterfall | beeswarm
    title: str
    caption: str
    payload: dict
    key: str


Block = Heading | Paragraph | Table | Chart


class Document(Protocol):
    """What a renderer reads of a report (:class:`explainers.report.document.Report`)."""

    lang: str
    title: str
    subtitle: str
    blocks: tuple[Block, ...]
    sections: tuple[tuple[str, str], ...]

    stamp: Any  # explainers.report.content.Stamp

    @property
    def tr(self) -> Translator: ...

    def png(self, chart: Chart) -> bytes: ...


def signed(tr: Translator, value: float, digits: int = 3) -> str:
    """A number with its sign always shown (``+0.120``, ``−0.031``), in the translator's format."""
    return ("+" if value >= 0 else "−") + tr.fixed(abs(float(value)), digits)


def scientific(tr: Translator, value: float) -> str:
    """A small number in scientific notation (``1.2E-7``), in the translator's format."""
    from babel.numbers import format_scientific

    return format_scientific(float(value), format="0.0E0", locale=tr.lang.replace("-", "_"))


def when(tr: Translator, moment: datetime) -> str:
    """A time as the report prints it: the date in the translator's format, then ``HH:MM:SS UTC``."""
    return f"{tr.date(moment)} {moment.strftime('%H:%M:%S')} UTC"
