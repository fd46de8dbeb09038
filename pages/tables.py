"""Tables on the pages: ``st.dataframe`` with text that a spreadsheet would run as a formula escaped, and small
tables as plain HTML.

Streamlit's table toolbar can download any ``st.dataframe`` as CSV and copy cells to the clipboard; the
browser builds that CSV itself, without escaping ``=1+2``, ``@SUM(1)``, ``+1+1`` or a CR- or blank-prefixed
cell. ``client.disableDataExport = true`` in ``.streamlit/config.toml`` switches both off (Streamlit 1.50+).
:func:`safe_dataframe` is the second guard, for an operator who turns export back on: every text cell,
column name and index label goes through :func:`explainers.documents.escape_cell` (a leading ``'``), the same
rule as every CSV the app offers for download. Numbers are untouched.

Not a page: ``app.py`` routes only to the files it names.
"""

from __future__ import annotations

import html
import re
from numbers import Integral

import pandas as pd
import streamlit as st

from explainers.documents import escape_cell


def _escape(value: object) -> object:
    """escape_cell, except for text that is just a number ("-0.12", "+3") or a lone dash, which no
    spreadsheet runs and which tables show for missing values."""
    if isinstance(value, str):
        plain = value.strip()
        if plain in ("-", "–", "—"):
            return value
        try:
            float(plain.replace(",", ""))
            if plain and plain[0] in "+-" and "\n" not in value and "\r" not in value:
                return value
        except ValueError:
            pass
    return escape_cell(value)


def _is_text(dtype) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _text_like(column: pd.Series) -> bool:
    dtype = column.dtype
    return (_is_text(dtype) or isinstance(dtype, pd.CategoricalDtype)) and not pd.api.types.is_bool_dtype(dtype)


def _escape_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex) or not _is_text(index.dtype):
        return index
    return pd.Index([_escape(v) for v in index], name=_escape(index.name))


def escaped(data):
    """``data`` (a DataFrame or Series; anything else is returned as is) with formula-looking text escaped."""
    if isinstance(data, pd.Series):
        out = data.astype(object).map(_escape) if _text_like(data) else data.copy()
        out.index = _escape_index(data.index)
        out.name = _escape(data.name)
        return out
    if not isinstance(data, pd.DataFrame):
        return data
    out = data.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if _text_like(column):
            out.isetitem(position, column.astype(object).map(_escape))
    out.columns = [_escape(c) for c in out.columns] if not isinstance(out.columns, pd.MultiIndex) \
        else out.columns
    out.index = _escape_index(out.index)
    return out


def safe_dataframe(data, **kwargs):
    """``st.dataframe(data, **kwargs)`` with formula-looking text escaped (a Styler is passed through as is:
    export is off in the app's configuration)."""
    return st.dataframe(escaped(data), **kwargs)


def in_locale(frame: pd.DataFrame, t, digits: int) -> pd.DataFrame:
    """``frame`` with its decimal columns written in the session's number format ("0,532" in Portuguese), as the
    charts' ticks and hovers are; a missing value (a group too small to measure) is a dash. Whole numbers stay
    numbers."""
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_float_dtype(column.dtype):
            out.isetitem(position, [t.fixed(v, digits) if v == v else "—" for v in column])
    return out


def _cell(value: object, t=None) -> str:
    """A cell's text, HTML-escaped and on one line: a blank line would end the HTML block, and Markdown would then
    read the rest of an uploaded value as links or images."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if t is not None and isinstance(value, Integral) and not isinstance(value, bool):
        return html.escape(t.number(int(value), 0))
    return html.escape(" ".join(str(value).split()))


NUMBER_TEXT = re.compile(r"^[+\-−]?[\d.,\u00a0 ]*\d[\d.,\u00a0 ]*%?$")  # "4.454", "0,532", "71,8%", "-3"


def static_table(frame: pd.DataFrame, t, *, index: bool = False) -> None:
    """A small table (a few rows) as plain HTML in the page, every value escaped: no scrolling grid, no toolbar.

    Each ``st.dataframe`` is a data grid drawn on a canvas, and the first on a page makes a browser load and compile
    its code: more than half a second of CPU in each reader's browser (ten readers share two cores). A table of a few
    rows reads as well, prints in screenshots, and is text a screen reader (and a test) can read. Whole numbers are
    written in the session's format (4.454 in Portuguese; pass decimals through :func:`in_locale`) and numbers are
    right aligned.
    """
    head = "".join(f"<th>{_cell(c)}</th>" for c in ([frame.index.name or ""] if index else []) + list(frame.columns))
    rows = []
    for label, row in zip(frame.index, frame.itertuples(index=False, name=None), strict=True):  # types per column
        cells = [f"<th>{_cell(label)}</th>"] if index else []
        for value in row:
            text = _cell(value, t)
            style = "text-align:right" if NUMBER_TEXT.match(text) else ""  # numbers, as written in the locale
            cells.append(f'<td style="{style}">{text}</td>' if style else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    st.markdown(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>",
                unsafe_allow_html=True)
