"""The dashboard pages, run with Streamlit's AppTest: every page on every dataset, and what they show."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from explainers import builtin_names, frame_of, load_builtin, train_default_model
from tests.apptest_support import chart_rows, chart_title, each_section, read_tables, static_tables, vega_specs

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = [
    "pages/overview.py",
    "pages/global_explanations.py",
    "pages/local_explanation.py",
    "pages/what_if.py",
    "pages/counterfactuals.py",
]
OTHER_PAGES = ["pages/data_source.py", "pages/responsible_ai.py", "pages/report.py"]




def open_app(dataset: str = "credit", row: int = 0, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["dataset"] = dataset
    at.query_params["row"] = str(row)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page is not None:
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "This page failed" in e.value]  # the guard caught something
    return at


def number(text: str) -> float:
    """A number as an English page shows it ("1,234.5", "96.4%" → 0.964)."""
    text = text.replace(",", "").replace("−", "-")
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


def metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}; have {[m.label for m in at.metric]}"
    return found[0]


def table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table on the page that has all these columns."""
    for frame in at.dataframe:
        value = frame.value
        if all(c in value.columns for c in columns):
            return value
    raise AssertionError(f"no table with columns {columns}")


@pytest.fixture(scope="module")
def credit():
    dataset = load_builtin("credit")
    return dataset, train_default_model(dataset)


@pytest.mark.parametrize("dataset", builtin_names())
def test_every_page_renders_on_every_dataset(dataset):
    at = open_app(dataset)
    for page in PAGES + OTHER_PAGES:
        at.switch_page(page).run()
        for section in each_section(at):
            assert not at.exception, (page, section, [e.value for e in at.exception])
            assert not at.error, (page, section, [e.value for e in at.error])
            assert at.title, (page, section)


def test_local_prediction_equals_engine(credit):
    dataset, model = credit
    at = open_app("credit", row=11, page="pages/local_explanation.py")
    frame = dataset.row(11)
    expected_label = dataset.spec.class_label(model.predict(frame)[0])
    assert metric(at, "Prediction for row 11").value == expected_label
    assert number(metric(at, "Score").value) == pytest.approx(float(model.score(frame)[0]), abs=5e-4)
    at.button_group(key="local_section").set_value("methods").run()  # SHAP beside LIME: one click away
    shown = table(at, "SHAP (log-odds)", "LIME").set_index("column")
    from explainers import shap_values

    expected = shap_values(model, frame).row()
    for feature, value in expected.items():
        assert number(shown.loc[feature, "SHAP (log-odds)"]) == pytest.approx(value, abs=1e-4)


def test_local_chart_table_and_narrative_tell_one_story(credit):
    """The waterfall's table holds the narrative's effects, in probability points, in the same order, and
    base + effects = the probability shown."""
    from explainers.narrative import outcome_effects

    dataset, model = credit
    at = open_app("credit", row=5, page="pages/local_explanation.py")
    effects = outcome_effects(model, dataset.row(5), seed=0)
    shown = table(at, "effect", "feature", "column")
    expected = sorted(effects.row().items(), key=lambda item: -abs(item[1]))
    assert list(shown["column"]) == [f for f, _ in expected]
    for (_, value), cell in zip(expected, shown["effect"], strict=True):
        assert number(cell) == pytest.approx(100 * value, abs=0.051)
    narrative = [m.value for m in at.markdown if "The strongest reasons" in m.value][0]
    top_label = shown["feature"].iloc[0]
    assert top_label in narrative and narrative.index(top_label) < narrative.index(shown["feature"].iloc[1])
    score = number(metric(at, "Score").value)
    assert effects.base_value + sum(effects.row().values()) == pytest.approx(score, abs=5e-4)


def test_changing_the_row_changes_the_local_explanation():
    at = open_app("credit", row=3, page="pages/local_explanation.py")
    at.button_group(key="local_section").set_value("methods").run()
    column = "SHAP (log-odds)"
    before = table(at, column, "LIME").set_index("column")[column].map(number)
    at.number_input(key="sidebar_row").set_value(4).run()
    assert not at.exception
    after = table(at, column, "LIME").set_index("column")[column].map(number)
    assert metric(at, "Prediction for row 4")
    assert not np.allclose(before.sort_index(), after.sort_index())


def test_shortcut_button_selects_the_most_confident_row(credit):
    dataset, model = credit
    at = open_app("credit", row=0, page="pages/local_explanation.py")
    at.button(key="local_shortcut_most_confident").click().run()
    row = int(at.number_input(key="sidebar_row").value)
    confidence = model.predict_proba(dataset.features).max(axis=1)
    assert confidence[row] == pytest.approx(confidence.max())


def test_what_if_edit_changes_prediction_to_the_engines(credit):
    dataset, model = credit
    at = open_app("credit", row=2, page="pages/what_if.py")
    original = float(model.score(dataset.row(2))[0])
    assert metric(at, "Changed inputs").value == "0"
    at.number_input(key="whatif_input_Income").set_value(20.0).run()
    at.number_input(key="whatif_input_Amount").set_value(5000.0).run()
    assert not at.exception
    edited = dataset.row(2).iloc[0].to_dict()
    edited.update(Income=20.0, Amount=5000.0)
    expected = float(model.score(frame_of({k: (math.nan if pd.isna(v) else v) for k, v in edited.items()},
                                          dataset))[0])
    assert expected != pytest.approx(original, abs=1e-3)
    shown = [m for m in at.metric if m.label.lower().startswith("probability of")][0]
    assert number(shown.value) == pytest.approx(expected, abs=5e-4)
    assert metric(at, "Changed inputs").value == "2"
    at.button(key="whatif_reset").click().run()
    assert metric(at, "Changed inputs").value == "0"


def test_counterfactuals_shown_are_valid(credit):
    dataset, model = credit
    row = 2
    at = open_app("credit", row=row, page="pages/counterfactuals.py")
    original_label = model.predict(dataset.row(row))[0]
    at.button(key="cf_go").click().run()
    assert not at.exception
    summary = metric(at, "Counterfactuals that passed the re-check").value
    valid = int(summary.split(" of ")[0])
    assert valid >= 1
    shown = [t.value for t in at.dataframe if any(str(c).startswith("probability of") for c in t.value.columns)][0]
    score_column = [c for c in shown.columns if c.startswith("probability of")][0]
    scores = shown[score_column].to_numpy(dtype=float)
    positive_side = scores[0] >= 0.5
    assert len(scores) == valid + 1
    assert all((s >= 0.5) != positive_side for s in scores[1:])
    # Immutable features never change, so their columns are hidden or empty.
    for feature in dataset.spec.immutable:
        if feature in shown.columns:
            assert (shown[feature].iloc[1:] == "").all()
    assert original_label in model.classes


def test_counterfactual_opens_in_what_if(credit):
    dataset, model = credit
    at = open_app("credit", row=2, page="pages/counterfactuals.py")
    at.button(key="cf_go").click().run()
    at.button(key="cf_open_1").click().run()
    assert not at.exception
    assert at.title[0].value == "What-if"
    changed = int(metric(at, "Changed inputs").value)
    assert changed >= 1
    original = model.predict(dataset.row(2))[0]
    flipped = [m for m in at.metric if m.label == "Prediction for the edited row"][0].value
    assert flipped != dataset.spec.class_label(original)


def test_deep_link_opens_dataset_and_row():
    at = open_app("hmda", row=5, page="pages/local_explanation.py")
    assert at.selectbox(key="sidebar_dataset").value == "hmda"
    assert at.number_input(key="sidebar_row").value == 5
    assert metric(at, "Prediction for row 5")
    assert at.query_params["dataset"] == ["hmda"] or at.query_params["dataset"] == "hmda"


def test_bad_deep_link_warns_and_keeps_a_working_view():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["dataset"] = "no-such-data"
    at.query_params["row"] = "abc"
    at.run()
    assert not at.exception
    assert at.selectbox(key="sidebar_dataset").value == "credit"
    assert any("showing" in w.value for w in at.warning)


def test_deep_link_text_is_shown_as_typed_never_as_markdown():
    """A link's values can come from anyone: a Markdown link or image in ``?dataset=`` is shown escaped."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["dataset"] = "[click](https://example.org) ![x](https://example.org/a.png)"
    at.run()
    assert not at.exception
    shown = [w.value for w in at.warning if "click" in w.value]
    assert shown and "\\[click\\]" in shown[0] and not re.search(r"(?<!\\)\]\(", shown[0])  # no live link
    assert at.query_params["dataset"] in ("credit", ["credit"])


def test_a_failing_page_shows_one_line_and_keeps_the_sidebar(monkeypatch):
    """The guard around each page: an unexpected exception becomes one translated line with a reference;
    no traceback, and the sidebar (dataset, row) still works."""
    from explainers import charts

    def broken(*args, **kwargs):
        raise RuntimeError("/secret/server/path exploded")

    monkeypatch.setattr(charts, "importance_bar", broken)
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({"dataset": "credit", "row": "2", "lang": "pt-BR"})
    at.run()
    at.switch_page("pages/global_explanations.py").run()
    assert not at.exception
    failed = [e.value for e in at.error if "Esta página falhou" in e.value]
    assert len(failed) == 1 and "Referência" in failed[0] and "/secret" not in failed[0]
    at.number_input(key="sidebar_row").set_value(5).run()
    assert at.session_state["view"]["row"] == 5 and at.session_state["view"]["lang"] == "pt-BR"


def confusion_counts(at: AppTest) -> pd.DataFrame:
    """The Overview's confusion-matrix table (plain HTML), as counts."""
    for frame in static_tables(at):
        if "predicted Good payer" in frame.columns:
            return frame.map(lambda text: int(text.replace(",", "")))
    raise AssertionError("no confusion matrix on the page")


def test_overview_threshold_moves_the_confusion_matrix():
    at = open_app("credit")
    before = confusion_counts(at)
    assert list(before.index) == ["actual Bad payer", "actual Good payer"]
    from explainers.metrics import confusion_at, evaluate

    model = train_default_model(load_builtin("credit"))
    expected = confusion_at(evaluate(model), "good", 0.5)
    assert before.to_numpy().tolist() == expected.to_numpy().tolist()  # bad, good in both
    at.slider(key="overview_threshold").set_value(0.9).run()
    after = confusion_counts(at)
    assert before.to_numpy().sum() == after.to_numpy().sum()
    assert not before.equals(after)
    # A higher threshold can only call fewer rows positive.
    positive = "predicted Good payer"
    assert after[positive].sum() < before[positive].sum()
    # The heat map beside the table shows the same counts.
    spec = next(spec for spec in vega_specs(at) if chart_title(spec) == "Confusion matrix")
    shown = pd.DataFrame(chart_rows(spec)).pivot(index="actual", columns="predicted", values="count")
    assert shown.loc[after.index, after.columns].to_numpy().tolist() == after.to_numpy().tolist()


def test_small_tables_are_escaped_on_one_line_and_in_the_locale(monkeypatch):
    from explainers.i18n import translator
    from pages import tables

    drawn = []
    monkeypatch.setattr(tables.st, "markdown", lambda body, **kwargs: drawn.append((body, kwargs)))
    hostile = ["<img src=x onerror=alert(1)>", "first line\n\n[a link](javascript:alert(1)) ![](http://x/y.png)"]
    frame = pd.DataFrame({"name": hostile, "rows": [4454, 3], "share": ["71,8%", None]},
                         index=pd.Index(["a & b", "c"], name="<b>"))
    tables.static_table(frame, translator("pt-BR"), index=True)
    (body, kwargs), = drawn
    assert kwargs == {"unsafe_allow_html": True}
    assert "\n" not in body and "<img" not in body and "<b>" not in body  # one HTML block; markup only as text
    shown = read_tables(body)[0]
    assert list(shown.columns) == ["<b>", "name", "rows", "share"] and shown["<b>"].tolist() == ["a & b", "c"]
    assert shown["name"].tolist() == [hostile[0], " ".join(hostile[1].split())]
    assert shown["rows"].tolist() == ["4.454", "3"] and shown["share"].tolist() == ["71,8%", "—"]
    assert body.count('style="text-align:right"') == 3  # 4.454, 3 and 71,8%


def test_portuguese_everywhere():
    from explainers.i18n import catalogue

    english = catalogue("en")
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = "pt-BR"
    at.run()
    assert at.selectbox(key="sidebar_lang").value == "pt-BR"
    titles = []
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        titles.append(at.title[0].value)
        for metric_element in at.metric:
            assert metric_element.label not in {"Rows", "Prediction for the edited row", "Changed inputs"}
    assert titles[1:] == ["Explicações globais", "Explicação local", "E se…", "Contrafactuais"]
    assert english["nav.global"] not in titles


def test_presentation_mode_hides_technical_controls_and_keeps_the_row():
    at = open_app("credit", row=9, page="pages/counterfactuals.py")
    assert any(s.key == "cf_method" for s in at.selectbox)
    at.toggle(key="sidebar_presentation").set_value(True).run()
    assert not at.exception
    assert not any(s.key == "cf_method" for s in at.selectbox)
    assert at.number_input(key="sidebar_row").value == 9


def test_login_gate_is_off_by_default_and_on_with_an_auth_section():
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not any(b.key == "app_login" for b in at.button)
    gated = AppTest.from_file(APP, default_timeout=180)
    gated.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s",
                             "client_id": "id", "client_secret": "secret",
                             "server_metadata_url": "https://provider.example/.well-known/openid-configuration"}
    gated.run()
    assert not gated.exception
    assert [b.key for b in gated.button] == ["app_login"]
    assert not gated.title and not gated.metric  # nothing of the data before logging in


def test_first_page_starts_a_warm_up_that_the_next_run_waits_for():
    """The first page is drawn without XGBoost; a background warm-up imports it, and a run that starts
    before the warm-up has finished starts it at once and waits (two threads never import together)."""
    from pages import common

    common._WARM_UPS.pop("hmda", None)
    at = open_app("hmda")
    assert "hmda" in common._WARM_UPS, "the first run should start a warm-up for its dataset"
    start_now, thread = common._WARM_UPS["hmda"]
    at.switch_page("pages/what_if.py").run()
    assert not at.exception
    assert start_now.is_set() and not thread.is_alive()
