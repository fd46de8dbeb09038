"""AppTest helpers shared by the page tests: every part of a busy page, in turn."""

from __future__ import annotations

from collections.abc import Iterator

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
