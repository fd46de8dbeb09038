"""Local explanation: why the model predicted what it did for one row (SHAP and LIME)."""

import pandas as pd
import streamlit as st

from explainers import LimeExplanation, ShapValues, charts, shap_values
from explainers.counterfactuals import prediction_dict
from explainers.global_views import row_shortcuts
from pages.common import (
    COLOUR_NOTE,
    chart,
    current,
    evaluation,
    labels,
    meanings,
    outcome_phrase,
    prediction_text,
    show_value,
    workspace,
)


@st.cache_data(show_spinner=False)
def cached_shap(name: str, model_hash: str, row: int) -> ShapValues:
    ws = workspace(name)
    return shap_values(ws.model, ws.dataset.row(row))


@st.cache_data(show_spinner="Fitting LIME around this row…")
def cached_lime(name: str, model_hash: str, row: int, seed: int) -> LimeExplanation:
    ws = workspace(name)
    return ws.lime.explain(ws.dataset.row(row), seed=seed)


@st.cache_data(show_spinner=False)
def cached_shortcuts(name: str, model_hash: str) -> dict[str, int]:
    ws = workspace(name)
    return row_shortcuts(ws.model, evaluation(name, model_hash).rows)


def _go_to(row: int) -> None:
    st.session_state["row"] = int(row)


name, ws, row = current()
dataset, model = ws.dataset, ws.model
names = labels(ws)
st.title("Local explanation")

with st.expander("Find a row", expanded=False):
    shortcuts = cached_shortcuts(name, model.model_hash)
    buttons = st.columns(len(shortcuts))
    for column, (what, position) in zip(buttons, shortcuts.items(), strict=True):
        column.button(f"{what.replace('_', ' ').capitalize()} (row {position})", key=f"local_shortcut_{what}",
                      on_click=_go_to, args=(position,))
    feature = st.selectbox("Filter by", dataset.feature_names, format_func=names.get, key="local_filter_feature")
    column = dataset.features[feature]
    if dataset.info[feature].kind == "categorical":
        chosen = st.multiselect("Values", list(dataset.info[feature].categories),
                                default=list(dataset.info[feature].categories)[:1], key="local_filter_values")
        mask = column.isin(chosen)
    else:
        info = dataset.info[feature]
        low, high = st.slider("Range", float(info.minimum), float(info.maximum),
                              (float(info.minimum), float(info.maximum)), key="local_filter_range")
        mask = column.between(low, high)
    matches = dataset.features.index[mask.fillna(False).to_numpy()]
    st.caption(f"{len(matches):,} rows match.")
    if len(matches):
        pick = st.selectbox("Matching rows", list(matches[:500]), key="local_filter_pick")
        st.button("Explain this row", key="local_filter_go", on_click=_go_to, args=(pick,))

frame = dataset.row(row)
prediction = prediction_dict(model, frame)[0]
headline, detail = prediction_text(ws, prediction)
shap = cached_shap(name, model.model_hash, row)
lime = cached_lime(name, model.model_hash, row, ws.seed)

left, middle, right = st.columns(3)
left.metric(f"Prediction for row {row}", headline, help=detail)
middle.metric("Score", f"{model.score(frame)[0]:.4g}", help=outcome_phrase(ws))
actual = dataset.target.iloc[row]
right.metric("Actual outcome", dataset.spec.class_label(actual) if model.is_classifier else f"{actual:.4g}")
st.caption(detail)

chart(charts.waterfall(shap, frame.iloc[0], names),
      f"Start at the average model output (bottom) and follow each feature's push to this row's output (top). "
      f"{COLOUR_NOTE} Units: {shap.space}.", "local_waterfall")
gap = abs(shap.base_value + sum(shap.row().values()) - float(shap.output[0]))
st.caption(f"Check: base value {shap.base_value:.4f} + sum of SHAP values = {float(shap.output[0]):.4f} "
           f"(gap {gap:.1e}).")

left, right = st.columns([3, 2])
with left:
    chart(charts.attribution_comparison(shap.row(), lime, names),
          "Two methods, side by side: solid bars are SHAP, hatched bars LIME, each scaled to its biggest effect. "
          "When both point the same way for the top features, the explanation is more trustworthy.",
          "local_compare")
with right:
    table = pd.DataFrame({
        "value": [show_value(v) for v in frame.iloc[0].tolist()],
        "SHAP": [shap.row()[f] for f in dataset.feature_names],
        "LIME": [lime.weights[f] for f in dataset.feature_names],
        "meaning": [meanings(ws)[f] for f in dataset.feature_names],
    }, index=dataset.feature_names)
    table = table.reindex(table["SHAP"].abs().sort_values(ascending=False).index)
    st.dataframe(table.round(4), key="local_table")
    st.caption(f"LIME's local fit R² = {lime.score:.2f} (seed {lime.seed}, {lime.num_samples:,} samples); "
               "a low value means the straight-line summary fits this row poorly.")
