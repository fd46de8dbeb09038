"""Local explanation: why the model predicted what it did for one row (SHAP, LIME, and in words)."""

import pandas as pd
import streamlit as st

from explainers import CounterfactualResult, LimeExplanation, ShapValues, charts, shap_values
from explainers.counterfactuals import prediction_dict
from explainers.global_views import row_shortcuts
from explainers.narrative import Narrative, narrate, outcome_effects
from pages.common import (
    chart,
    class_label,
    colour_note,
    current,
    evaluation,
    labels,
    language,
    meanings,
    narrative_markdown,
    outcome_phrase,
    prediction_text,
    presenting,
    section_picker,
    select_row,
    tr,
    workspace,
)
from pages.privacy_ui import row_identity
from pages.state import page_state, remembered_widget


@st.cache_data(show_spinner=False)
def cached_shap(name: str, model_hash: str, row: int) -> ShapValues:
    ws = workspace(name)
    return shap_values(ws.model, ws.dataset.row(row))


@st.cache_data(show_spinner=False)
def cached_lime(name: str, model_hash: str, row: int, seed: int) -> LimeExplanation:
    ws = workspace(name)
    return ws.lime.explain(ws.dataset.row(row), seed=seed)


@st.cache_data(show_spinner=False)
def cached_best_counterfactuals(name: str, model_hash: str, row: int, seed: int) -> CounterfactualResult:
    ws = workspace(name)
    return ws.counterfactuals.generate(ws.dataset.row(row), seed=seed)


@st.cache_data(show_spinner=False)
def cached_effects(name: str, model_hash: str, row: int, seed: int) -> ShapValues:
    """What the reader sees: effects on the probability shown (classifiers) or on the predicted value."""
    ws = workspace(name)
    return outcome_effects(ws.model, ws.dataset.row(row), seed)


@st.cache_data(show_spinner=False)
def cached_narrative(name: str, model_hash: str, row: int, seed: int, lang: str) -> Narrative:
    ws = workspace(name)
    found = cached_best_counterfactuals(name, model_hash, row, seed).counterfactuals
    return narrate(ws.model, ws.dataset.row(row), found[0] if found else None, lang=lang, seed=seed,
                   effects=cached_effects(name, model_hash, row, seed))


@st.cache_data(show_spinner=False)
def cached_shortcuts(name: str, model_hash: str) -> dict[str, int]:
    ws = workspace(name)
    return row_shortcuts(ws.model, evaluation(name, model_hash).rows)


t = tr()
name, ws, row = current()
dataset, model = ws.dataset, ws.model
names = labels(ws)
st.title(t("local.title"))
row_identity(ws, name, row)  # who this row is, masked

if not presenting():
    with st.expander(t("local.find"), expanded=False):
        shortcuts = cached_shortcuts(name, model.model_hash)
        buttons = st.columns(len(shortcuts))
        for column, (what, position) in zip(buttons, shortcuts.items(), strict=True):
            column.button(t("local.shortcut", what=t(f"local.{what}"), row=position), key=f"local_shortcut_{what}",
                          on_click=select_row, args=(position,))
        feature = st.selectbox(t("local.filter_by"), dataset.feature_names, format_func=names.get,
                               key="local_filter_feature")
        column = dataset.features[feature]
        info = dataset.info[feature]
        if info.kind == "categorical":
            chosen = st.multiselect(t("local.values"), list(info.categories), default=list(info.categories)[:1],
                                    key="local_filter_values")
            mask = column.isin(chosen)
        else:
            low, high = st.slider(t("local.range"), float(info.minimum), float(info.maximum),
                                  (float(info.minimum), float(info.maximum)), key="local_filter_range")
            mask = column.between(low, high)
        matches = dataset.features.index[mask.fillna(False).to_numpy()]
        st.caption(t("local.matches", n=t.number(len(matches), 0)))
        if len(matches):
            pick = st.selectbox(t("local.matching_rows"), list(matches[:500]), key="local_filter_pick")
            if st.button(t("local.explain_this"), key="local_filter_go"):
                select_row(pick)
                st.rerun()  # the sidebar, drawn before this page, shows the new row on the next run

frame = dataset.row(row)
prediction = prediction_dict(model, frame)[0]
headline, detail = prediction_text(ws, prediction)
shap = cached_shap(name, model.model_hash, row)

left, middle, right = st.columns(3)
left.metric(t("local.prediction_for", row=row), headline, help=detail)
score = float(model.score(frame)[0])  # shown as the narrative states it: a percentage, or the target's units
middle.metric(t("local.score"), t.percent(score, 1) if model.is_classifier else t.number(score, 2),
              help=outcome_phrase(ws))
actual = dataset.target.iloc[row]
right.metric(t("local.actual"), class_label(ws, actual) if model.is_classifier else t.number(float(actual), 3))

narrative = cached_narrative(name, model.model_hash, row, ws.seed, language())
with st.container(border=True):
    st.markdown(f"**{t('local.narrative')}.** " + narrative_markdown(narrative.text))


def why_section() -> None:
    """Why this prediction: the waterfall of the narrative's own effects and its table."""
    # One story: by default the waterfall shows the narrative's own effects (probability points that add up to
    # the probability shown); analysts can switch to TreeSHAP in log-odds, labelled as such.
    effects = cached_effects(name, model.model_hash, row, ws.seed)
    spaces = {"reader": effects}
    if shap.space != effects.space:
        spaces["analyst"] = shap
    if len(spaces) > 1 and not presenting():
        choice = remembered_widget(st.segmented_control, page_state("local"), "space", "local_space",
                                   t("local.units"), list(spaces), default="reader",
                                   format_func=lambda key: t(f"local.units_{key}"))
    else:
        choice = "reader"
    shown = spaces[choice or "reader"]
    scale, digits = (100.0, 1) if shown.space == "probability" else (1.0, 4)
    left, right = st.columns([3, 2])
    with left:
        chart(charts.waterfall(shown, frame.iloc[0], names, tr=t),
              t("local.waterfall_caption", colours=colour_note(ws),
                space=t("charts.probability_points") if shown.space == "probability" else t(f"space.{shown.space}")),
              "local_waterfall")
    with right:
        effect_table = pd.DataFrame({
            t("local.effect"): [t.fixed(scale * shown.row()[f], digits) for f in dataset.feature_names],
            t("local.value"): [t.value(v) for v in frame.iloc[0].tolist()],
            t("local.feature"): [names[f] for f in dataset.feature_names],
            t("local.column"): dataset.feature_names,
        })
        order = pd.Series(shown.row()).abs().reindex(dataset.feature_names).to_numpy().argsort()[::-1]
        st.dataframe(effect_table.iloc[order], hide_index=True)
    if not presenting():
        gap = abs(shown.base_value + sum(shown.row().values()) - float(shown.output[0]))
        st.caption(t("local.check", base=t.fixed(scale * shown.base_value, digits),
                     output=t.fixed(scale * float(shown.output[0]), digits), gap=f"{gap:.1e}"))


def methods_section() -> LimeExplanation:
    """SHAP beside LIME for this row: two methods, one question (an analyst's check, a click away)."""
    lime = cached_lime(name, model.model_hash, row, ws.seed)
    left, right = st.columns([3, 2])
    with left:
        chart(charts.attribution_comparison(shap.row(), lime, names, tr=t), t("local.compare_caption"),
              "local_compare")
    with right:
        table = pd.DataFrame({
            t("local.shap_space", space=t(f"space.{shap.space}")): [shap.row()[f] for f in dataset.feature_names],
            "LIME": [lime.weights[f] for f in dataset.feature_names],
            t("local.feature"): [names[f] for f in dataset.feature_names],
            t("local.column"): dataset.feature_names,
            t("local.meaning"): [meanings(ws)[f] for f in dataset.feature_names],
        })
        table = table.iloc[table.iloc[:, 0].abs().to_numpy().argsort()[::-1]]
        for number_column in table.columns[:2]:  # in the session's number format, as the chart's hovers
            table[number_column] = [t.fixed(v, 4) for v in table[number_column]]
        st.dataframe(table, hide_index=True)
        st.caption(t("local.lime_fit", score=t.fixed(lime.score, 2), seed=lime.seed,
                     samples=t.number(lime.num_samples, 0)))
    return lime


from pages.oversight_ui import save_case_button  # noqa: E402

lime = None  # computed only on the part that shows it; "Save case" computes it otherwise
if section_picker("local", ["why", "methods"]) == "methods":
    lime = methods_section()
else:
    why_section()
save_case_button("local", name=name, ws=ws, row=row, shap=shap, lime=lime, narrative=narrative)
