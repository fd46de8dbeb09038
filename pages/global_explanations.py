"""Global explanations: which features drive the model across many rows, and how."""

import streamlit as st

from explainers import charts
from explainers.global_views import (
    DEFAULT_GLOBAL_ROWS,
    GlobalShap,
    PartialDependence,
    global_shap,
    partial_dependence,
    sample_positions,
    strongest_interaction,
)
from pages.common import COLOUR_NOTE, chart, current, labels, meanings, outcome_phrase, workspace

ICE_ROWS = 60


@st.cache_data(show_spinner="Computing SHAP values for the sample…")
def cached_global_shap(name: str, model_hash: str, max_rows: int) -> GlobalShap:
    return global_shap(workspace(name).model, max_rows=max_rows)


@st.cache_data(show_spinner=False)
def cached_interaction(name: str, model_hash: str, max_rows: int, feature: str) -> str | None:
    ws = workspace(name)
    return strongest_interaction(cached_global_shap(name, model_hash, max_rows), ws.dataset, feature)


@st.cache_data(show_spinner=False)
def cached_partial_dependence(name: str, model_hash: str, feature: str) -> PartialDependence:
    ws = workspace(name)
    rows = ws.dataset.features.iloc[sample_positions(ws.dataset, ICE_ROWS, seed=ws.seed)]
    return partial_dependence(ws.model, feature, rows)


name, ws, _ = current()
dataset, model = ws.dataset, ws.model
names = labels(ws)
st.title("Global explanations")
result = cached_global_shap(name, model.model_hash, DEFAULT_GLOBAL_ROWS)
sampled = dataset.features.iloc[result.rows]
if result.is_sample:
    st.info(f"Charts on this page use a seeded sample of {len(result.rows):,} of {result.total_rows:,} rows.")
else:
    st.caption(f"All {result.total_rows:,} rows are used.")

left, right = st.columns([1, 1])
with left:
    chart(charts.importance_bar(result, names),
          "Longer bars mark features that move predictions more, on average, in either direction.",
          "global_importance")
with right:
    table = result.importance.rename("mean |SHAP|").to_frame()
    table["meaning"] = [meanings(ws)[f] for f in table.index]
    st.dataframe(table.round(4), key="global_importance_table")

chart(charts.beeswarm(result, sampled, names, seed=ws.seed),
      f"Each dot is one row. Dots right of the line push the {outcome_phrase(ws)} up, left pull it down; "
      "the colour shows whether the feature's value was low or high.", "global_beeswarm")

st.subheader("One feature in detail")
feature = st.selectbox("Feature", list(result.importance.index), format_func=names.get, key="global_feature")
partner = cached_interaction(name, model.model_hash, DEFAULT_GLOBAL_ROWS, feature)
left, right = st.columns(2)
with left:
    chart(charts.dependence(result, sampled, feature, partner, names),
          f"How {names[feature]} changes its own push on the prediction. "
          + (f"Colour: {names[partner]}, the feature it interacts with most. " if partner else "")
          + COLOUR_NOTE.split(",")[0] + " above zero.", "global_dependence")
with right:
    curve = cached_partial_dependence(name, model.model_hash, feature)
    chart(charts.partial_dependence_figure(curve, names[feature], outcome_phrase(ws),
                                           title=f"Partial dependence of {names[feature]}",
                                           probability=model.is_classifier),
          f"Each grey line is one of {len(curve.ice)} sample rows with only {names[feature]} changed; "
          "the blue line is their average.", "global_pdp")
