"""Global explanations: which features drive the model across many rows, and how."""

import pandas as pd
import streamlit as st

from explainers import charts
from explainers.global_views import DEFAULT_GLOBAL_ROWS
from pages.cached import cached_global_shap, cached_interaction, cached_partial_dependence
from pages.common import chart, current, labels, meanings, outcome_phrase, section_picker, tr
from pages.state import page_state, remembered_widget

BEESWARM_ROWS = 600  # dots per feature: enough to see the spread, light enough for ten readers at once

t = tr()
name, ws, _ = current()
dataset, model = ws.dataset, ws.model
names = labels(ws)
st.title(t("global.title"))
with st.spinner("SHAP…"):
    result = cached_global_shap(name, model.model_hash, DEFAULT_GLOBAL_ROWS)
sampled = dataset.features.iloc[result.rows]
if result.is_sample:
    st.info(t("global.sample", shown=t.number(len(result.rows), 0), total=t.number(result.total_rows, 0)))
else:
    st.caption(t("global.all_rows", total=t.number(result.total_rows, 0)))

drawn = t("global.dots_drawn", dots=t.number(min(BEESWARM_ROWS, len(sampled)), 0), seed=ws.seed)
section = section_picker("global", ["importance", "spread", "detail"])
if section == "importance":
    left, right = st.columns([1, 1])
    with left:
        chart(charts.importance_bar(result, names, tr=t), t("global.importance_caption"), "global_importance")
    with right:
        importance = result.importance
        st.dataframe(pd.DataFrame({
            t("charts.mean_abs_shap", space=t(f"space.{result.shap.space}")): [t.fixed(v, 4) for v in importance],
            t("local.feature"): [names[f] for f in importance.index],
            t("local.column"): list(importance.index),
            t("global.meaning"): [meanings(ws)[f] for f in importance.index],
        }), hide_index=True)
elif section == "spread":
    chart(charts.beeswarm(result, sampled, names, seed=ws.seed, tr=t, max_rows=BEESWARM_ROWS),
          t("global.beeswarm_caption", score=outcome_phrase(ws)) + " " + drawn, "global_beeswarm")
else:
    feature = remembered_widget(st.selectbox, page_state("global"), name, "global_feature", t("global.feature"),
                                list(result.importance.index), format_func=names.get)
    partner = cached_interaction(name, model.model_hash, DEFAULT_GLOBAL_ROWS, feature)
    left, right = st.columns(2)
    with left:
        caption = t("global.dependence_caption" if model.is_classifier else "global.dependence_caption_regression",
                    feature=names[feature])
        if partner:
            caption += " " + t("global.dependence_partner", partner=names[partner])
        caption += " " + drawn
        chart(charts.dependence(result, sampled, feature, partner, names, tr=t, max_rows=BEESWARM_ROWS, seed=ws.seed),
              caption, "global_dependence")
    with right:
        curve = cached_partial_dependence(name, model.model_hash, feature)
        chart(charts.partial_dependence_figure(curve, names[feature], outcome_phrase(ws),
                                               title=t("charts.pdp_title", feature=names[feature]),
                                               probability=model.is_classifier, tr=t),
              t("global.pdp_caption", n=len(curve.ice), feature=names[feature]), "global_pdp")
