"""The transparency report as one object, in one language: what it says (blocks) and its three renderings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..documents import document_bytes, document_format, write_bytes
from ..i18n import Translator, translator
from ..workspace import LocalExplanation
from .blocks import Block, Chart
from .content import Stamp, UseCase
from .figures import png
from .html import render_html
from .markdown import render_markdown
from .pdf import render_pdf


@dataclass(frozen=True, eq=False)
class Report:
    """A transparency report in one language; render it with to_html, to_markdown or to_pdf."""

    lang: str
    title: str
    subtitle: str
    use_case: UseCase
    stamp: Stamp
    rows: tuple[LocalExplanation, ...]
    metrics: dict[str, float]
    importance: pd.Series
    blocks: tuple[Block, ...]
    sections: tuple[tuple[str, str], ...]  # (anchor, heading) of each section, in order
    trust_included: bool
    dataset_name: str
    task: str = "classification"
    _images: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def tr(self) -> Translator:
        return translator(self.lang)

    def to_dict(self) -> dict:
        return {
            "lang": self.lang,
            "title": self.title,
            "use_case": self.use_case.to_dict(),
            "metrics": self.metrics,
            "importance": {k: float(v) for k, v in self.importance.items()},
            "rows": [r.to_dict(self.task) for r in self.rows],
            "stamp": self.stamp.to_dict(),
            "trust_included": self.trust_included,
        }

    def to_html(self) -> str:
        return render_html(self)

    def to_markdown(self) -> str:
        return render_markdown(self)

    def to_pdf(self) -> bytes:
        return render_pdf(self)

    def to_bytes(self, fmt: str) -> bytes:
        """The report as ``html``, ``markdown`` or ``pdf`` bytes (text as UTF-8)."""
        return document_bytes(fmt, self.to_html, self.to_markdown, self.to_pdf, "report")

    def png(self, chart: Chart) -> bytes:
        """The chart drawn with matplotlib (cached: Markdown and PDF share the images)."""
        if chart.key not in self._images:
            self._images[chart.key] = png(chart, self.tr)
        return self._images[chart.key]


def report_format(path: str | Path) -> str:
    """The format a file name asks for (.html, .md, .pdf); InputError for any other extension."""
    return document_format(path, "report")


def write_report(report: Report, path: str | Path) -> Path:
    """Write the report in the format its extension names (.html, .md or .pdf)."""
    return write_bytes(path, report.to_bytes(report_format(path)))
