"""Transparency report: one document about a model, its data, its explanations and chosen rows.

:func:`build_report` gathers everything (use case, data, model and test metrics, global SHAP, each chosen row's
explanation through :meth:`explainers.workspace.Workspace.explain`, trust signals and fairness, the methods and
their caveats, and a reproducibility stamp) and lays it out once, in one language, as a list of blocks. The
:class:`Report` renders those blocks:

- :meth:`Report.to_html`: one self-contained file that works offline (plotly.js inline, once);
- :meth:`Report.to_markdown`: charts as PNG data URIs drawn with matplotlib, in the same colours;
- :meth:`Report.to_pdf`: fpdf2 with DejaVu Sans (shipped with matplotlib), so accents and ``− → …`` render.

The parts: :mod:`.content` (use case and stamp), :mod:`.rows` (what is computed about the rows and the sensitive
features), :mod:`.layout` with :mod:`.writer`, :mod:`.model_sections`, :mod:`.row_sections` and
:mod:`.trust_sections` (the blocks), :mod:`.figures`, :mod:`.html`, :mod:`.markdown`, :mod:`.pdf` (the
renderings), :mod:`.document` (the :class:`Report`) and :mod:`.build`.

Pure Python, no user-interface code: the Report page and ``python -m explainers report``
(:mod:`explainers.cli.report`) both call it.
"""

from ..documents import EXTENSIONS, FORMATS, MIME_TYPES
from .blocks import Block, Chart, Heading, Paragraph, Table
from .build import build_report
from .content import (
    USE_CASE_FIELDS,
    Stamp,
    UseCase,
    compute_stamp,
    default_use_case,
    is_default_model,
    quote,
    sha256_file,
    stamp_rows,
)
from .document import Report, report_format, write_report
from .rows import COUNTERFACTUALS, MAX_ROWS

SECTIONS = ("use_case", "data", "model", "global", "rows", "trust", "methods", "stamp")

__all__ = [
    "COUNTERFACTUALS",
    "EXTENSIONS",
    "FORMATS",
    "MAX_ROWS",
    "MIME_TYPES",
    "SECTIONS",
    "USE_CASE_FIELDS",
    "Block",
    "Chart",
    "Heading",
    "Paragraph",
    "Report",
    "Stamp",
    "Table",
    "UseCase",
    "build_report",
    "compute_stamp",
    "default_use_case",
    "is_default_model",
    "quote",
    "report_format",
    "sha256_file",
    "stamp_rows",
    "write_report",
]
