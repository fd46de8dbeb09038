"""AppTest helpers shared by the page tests: every part of a busy page, in turn; the page's small HTML tables."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

import pandas as pd
from streamlit.testing.v1 import AppTest

# The parts of each busy page (``pages.common.section_picker``), by the picker's key. A test that walks every part
# fails when a page offers a part that is not listed here, so a new part is never left untested.
SECTIONS = {
    "global_section": ("importance", "spread", "detail"),
    "rai_section": ("row", "sample", "groups"),
    "overview_section": ("threshold", "curves"),
    "compare_section": ("metrics", "curves", "importance", "disagree", "row"),
    "local_section": ("why", "methods"),
    "whatif_section": ("effects", "curve"),
    "errors_section": ("tree", "heatmap"),
    "monitoring_section": ("data", "feature", "prediction", "attribution", "performance", "timeline"),
}


def each_section(at: AppTest) -> Iterator[str | None]:
    """Run every part of the page ``at`` shows, one after another, yielding each part's id after its run (``None``
    once for a page that is not cut into parts); the page is left on its first part."""
    pickers = [group for group in at.button_group if str(group.key or "").endswith("_section")]
    if not pickers:
        yield None
        return
    key = pickers[0].key
    picker = pickers[0]
    offered = [section for section in SECTIONS[key] if picker.format_func(section) in picker.options]
    assert len(offered) == len(picker.options), f"{key} offers {picker.options}; known: {SECTIONS[key]}"
    for section in offered:
        at.button_group(key=key).set_value(section).run()
        yield section
    at.button_group(key=key).set_value(offered[0]).run()


class _TableReader(HTMLParser):
    """The cells of each ``<table>`` (``pages.tables.static_table``), row by row, as the reader sees them."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def read_tables(html: str) -> list[pd.DataFrame]:
    """Each ``<table>`` in ``html`` as text: the first row is the header; with a row header (an empty top-left
    cell) the first column is the index."""
    reader = _TableReader()
    reader.feed(html)
    out = []
    for rows in reader.tables:
        head, body = rows[0], rows[1:]
        frame = pd.DataFrame(body, columns=head)
        if head and head[0] == "":
            frame = frame.set_index(head[0])
            frame.index.name = None
        out.append(frame)
    return out


def static_tables(at: AppTest) -> list[pd.DataFrame]:
    """Every small HTML table the page drew (``pages.tables.static_table``), as text."""
    return [frame for element in at.markdown if "<table>" in element.value for frame in read_tables(element.value)]


def vega_specs(at: AppTest) -> list[dict]:
    """The Vega-Lite specs of the charts the last run drew, in order, their inline rows back in ``data.values``
    (Streamlit sends a spec's top-level rows apart, as an Arrow table)."""
    import json

    import pyarrow as pa

    specs = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        if chart.proto.data.data:
            rows = pa.ipc.open_stream(chart.proto.data.data).read_all().to_pandas()
            spec["data"] = {"values": json.loads(rows.to_json(orient="records"))}
        specs.append(spec)
    return specs


def chart_title(spec: dict) -> str:
    text = spec.get("title", {}).get("text", "")
    return " ".join(text) if isinstance(text, list) else str(text)


def chart_rows(spec: dict) -> list[dict]:
    """Every inline data row of a spec and its layers."""
    rows = list(spec.get("data", {}).get("values", []))
    for layer in spec.get("layer", []):
        rows += chart_rows(layer)
    return rows
