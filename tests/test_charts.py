"""Every chart the pages draw, run with AppTest: a valid Vega-Lite spec with data, in the session's number format,
and no Plotly left on a page (its browser code costs each reader about as much as a whole page; see bench/)."""

from __future__ import annotations

import re
from pathlib import Path

import altair as alt
import pytest
from altair.utils.schemapi import validate_jsonschema
from streamlit.testing.v1 import AppTest

from tests.apptest_support import chart_rows, chart_title, each_section, vega_specs

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SCHEMA = alt.vegalite.v6.schema.core.load_schema()
CHART_PAGES = ["pages/overview.py", "pages/global_explanations.py", "pages/local_explanation.py", "pages/what_if.py",
               "pages/responsible_ai.py", "pages/compare.py", "pages/errors.py", "pages/monitoring.py",
               "pages/batch_results.py"]
# Plotly's hover and layout markup; a Vega-Lite text never needs it.
PLOTLY_MARKUP = re.compile(r"<br>|%\{|<extra>")


def every_chart(dataset: str, lang: str):
    """(page, part, spec) for every chart of every part of every page."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(dataset=dataset, row="3", lang=lang)
    at.run()
    for page in CHART_PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        for part in each_section(at):
            assert not at.get("plotly_chart"), f"a Plotly chart on {page} ({part})"
            for spec in vega_specs(at):
                yield page, part, spec


@pytest.mark.parametrize(("dataset", "lang", "decimal"), [("credit", "en", "."), ("hmda", "pt-BR", ",")])
def test_every_chart_is_valid_vega_lite_with_data_in_the_locale(dataset, lang, decimal):
    seen = set()
    for page, part, spec in every_chart(dataset, lang):
        where = f"{page} ({part}): {chart_title(spec)!r}"
        problem = validate_jsonschema(spec, SCHEMA, raise_error=False)
        assert problem is None, f"{where}: {str(problem)[:600]}"
        assert chart_rows(spec), f"{where} has no data"
        assert spec["config"]["locale"]["number"]["decimal"] == decimal, where
        assert chart_title(spec), f"{where} has no title"
        assert not PLOTLY_MARKUP.search(str(spec)), f"{where} carries Plotly markup"
        seen.add(page)
    # Pages whose first view needs no action draw charts.
    assert {"pages/overview.py", "pages/global_explanations.py", "pages/local_explanation.py",
            "pages/what_if.py", "pages/responsible_ai.py"} <= seen, seen
