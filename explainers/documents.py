"""Documents the engine writes (the transparency report, decision notices, CSV downloads): their formats, the
fonts of their PDFs, and the escaping that keeps text from the data from running or linking anything in them.

The lowest layer with :mod:`explainers.errors`: nothing here knows what a report or a notice says.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .errors import InputError

FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown", ".pdf": "pdf"}
MIME_TYPES = {"html": "text/html", "markdown": "text/markdown", "pdf": "application/pdf"}
EXTENSIONS = {"html": "html", "markdown": "md", "pdf": "pdf"}
BOLD = re.compile(r"\*\*(.+?)\*\*")


# --------------------------------------------------------------------------------------------
# Formats, files and fonts


def document_format(path: str | Path, what: str = "report") -> str:
    """The format a file name asks for (.html, .md, .pdf); InputError for any other extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(key="errors.base.document_extension", name=Path(path).name, suffix=repr(suffix or '(none)'))
    return FORMATS[suffix]


def document_bytes(fmt: str, to_html: Callable[[], str], to_markdown: Callable[[], str],
                   to_pdf: Callable[[], bytes], what: str = "report") -> bytes:
    """A document as ``html``, ``markdown`` or ``pdf`` bytes (text as UTF-8)."""
    if fmt == "html":
        return to_html().encode("utf-8")
    if fmt == "markdown":
        return to_markdown().encode("utf-8")
    if fmt == "pdf":
        return to_pdf()
    raise InputError(key="errors.base.document_format", fmt=repr(fmt))


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path``; a place that cannot be written is one InputError line."""
    path = Path(path)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(key="errors.base.cannot_write", path=path, reason=exc.strerror or type(exc).__name__) \
            from None
    return path


def font_paths() -> dict[str, Path]:
    """DejaVu Sans (shipped with matplotlib), so that accents and ``− → …`` render in PDFs."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {"": folder / "DejaVuSans.ttf", "B": folder / "DejaVuSans-Bold.ttf",
            "I": folder / "DejaVuSans-Oblique.ttf", "mono": folder / "DejaVuSansMono.ttf"}


def start_pdf(pdf, title: str, lang: str, creator: str, generated, margin: float) -> None:
    """The set-up every PDF of the product shares: A4 margins, the DejaVu fonts (regular, bold, italic,
    mono), the document's title, language, creator and date, and a first page. ``pdf`` is an ``fpdf.FPDF``."""
    fonts = font_paths()
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(True, margin=margin)
    pdf.add_font("DejaVu", "", str(fonts[""]))
    pdf.add_font("DejaVu", "B", str(fonts["B"]))
    pdf.add_font("DejaVu", "I", str(fonts["I"]))
    pdf.add_font("DejaVuMono", "", str(fonts["mono"]))
    pdf.set_title(title)
    pdf.set_lang(lang)
    pdf.set_creator(creator)
    pdf.set_creation_date(generated)
    pdf.add_page()


# --------------------------------------------------------------------------------------------
# HTML


def inline_html(text: str) -> str:
    """Text as HTML: everything escaped, the catalogue's own **bold** as ``<strong>``, line breaks as ``<br>``."""
    escaped = html.escape(text, quote=False)
    escaped = BOLD.sub(r"<strong>\1</strong>", escaped)
    return escaped.replace("\n", "<br>")


# --------------------------------------------------------------------------------------------
# Markdown


# Text from the data (column names, values, class labels, spec and use-case texts) reaches the Markdown
# as text, never as markup: HTML is written as entities (&lt; &gt;), Markdown's punctuation is backslash-
# escaped, line starts that would open a heading, list, quote or setext underline are escaped, and
# "://" and "www." get a zero-width space so that no viewer turns a value into a link. The only markup kept
# is the report's own **bold** (the message catalogue's), re-applied around escaped text.
_MD_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^( {0,3})([#+=-])", re.MULTILINE)
_MD_ORDERED = re.compile(r"^( {0,3}\d{1,9})([.)])", re.MULTILINE)
_ZERO_WIDTH = "\u200b"


def md_text(text: object, line_starts: bool = True) -> str:
    """``text`` as Markdown that shows exactly these characters and runs or links nothing (``line_starts``:
    also escape what would open a block at the start of a line; not needed inside a table cell)."""
    out = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _MD_PUNCTUATION.sub(r"\\\1", out)
    out = out.replace("://", ":" + _ZERO_WIDTH + "//")
    out = re.sub(r"(?i)\b(www)\.", lambda m: m.group(1) + _ZERO_WIDTH + ".", out)
    if not line_starts:
        return out
    out = _MD_LINE_START.sub(r"\1\\\2", out)
    return _MD_ORDERED.sub(r"\1\\\2", out)


def md_inline(text: str, line_starts: bool = True) -> str:
    """Escaped text (:func:`md_text`) with the report's own **bold** kept: for narratives and other texts
    built from the message catalogue around data values (pages can pass them to ``st.markdown``)."""
    parts = BOLD.split(str(text))
    out = []
    for i, part in enumerate(parts):
        escaped = md_text(part, line_starts)
        out.append(f"**{escaped}**" if i % 2 else escaped)
    return "".join(out)


# --------------------------------------------------------------------------------------------
# CSV

# A spreadsheet runs a cell as a formula when it starts with one of these, also after leading blanks or
# line breaks (which some spreadsheets strip when they import); the full-width forms count too.
_FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_BLANKS = " \t\r\n\x0b\x0c\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u3000\ufeff"


def escape_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, with a leading ``'`` so that it shows as text:
    one that starts with =, +, -, @ (or their full-width forms), also after leading blanks or line breaks, and
    one that starts with a tab, carriage return or line feed. Anything else (numbers too) is returned as is."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "\t\r\n" or value.lstrip(_BLANKS).startswith(_FORMULA_START):
        return "'" + value
    return value



def safe_csv(frame: pd.DataFrame, index: bool = False) -> bytes:
    """CSV bytes (UTF-8 with BOM, so spreadsheets show accents) that a spreadsheet cannot run: text cells,
    column names and index labels that :func:`escape_cell` finds (=, +, -, @ first, also after blanks or line
    breaks; a tab, CR or LF first) get a leading quote. Number cells are written as they are (a negative
    number is not a formula). The one CSV writer for anything a user downloads."""
    out = frame.copy()
    out.columns = [escape_cell(str(c)) for c in out.columns]
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_datetime64_any_dtype(column.dtype):
            continue
        out.isetitem(position, column.astype(object).map(escape_cell))
    if index:
        out.index = out.index.map(escape_cell)
    return out.to_csv(index=index, lineterminator="\r\n").encode("utf-8-sig")  # RFC 4180: quotes any CR/LF
