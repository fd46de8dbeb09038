"""What-if: edit the current row and watch the prediction and its explanation change."""

import math

import pandas as pd
import streamlit as st

from explainers import charts, frame_of, shap_values
from explainers.counterfactuals import plain, prediction_dict
from explainers.global_views import partial_dependence
from pages.common import COLOUR_NOTE, chart, current, labels, meanings, outcome_phrase, prediction_text

name, ws, row = current()
dataset, model = ws.dataset, ws.model
names = labels(ws)
help_texts = meanings(ws)
original = dataset.row(row)
original_values = {k: plain(v) for k, v in original.iloc[0].items()}
KEY = "whatif_input_"


def _load(values: dict) -> None:
    for feature, value in values.items():
        if dataset.info[feature].kind == "numeric":
            st.session_state[KEY + feature] = None if value is None else float(value)
        else:
            st.session_state[KEY + feature] = "(missing)" if value is None else str(value)


# Another page may hand over a row to try (the Counterfactuals page does); otherwise start from the row.
handed = st.session_state.pop("whatif_handover", None)
if handed is not None:
    _load(handed)
    st.session_state["whatif_loaded"] = (name, row)
elif st.session_state.get("whatif_loaded") != (name, row):
    _load(original_values)
    st.session_state["whatif_loaded"] = (name, row)

st.title("What-if")
st.caption(f"Start from row {row}, change any input, and the prediction updates at once.")
st.button("Reset to the original row", key="whatif_reset", on_click=_load, args=(original_values,))

edited: dict[str, object] = {}
with st.container(border=True):
    columns = st.columns(4)
    for i, info in enumerate(dataset.schema):
        with columns[i % 4]:
            if info.kind == "numeric":
                step = 1.0 if info.integer else max((info.maximum - info.minimum) / 100, 1e-6)
                value = st.number_input(names[info.name], min_value=None, max_value=None, step=step,
                                        key=KEY + info.name, format="%.0f" if info.integer else "%.4g",
                                        help=f"{help_texts[info.name]}. Observed from {info.minimum:,.4g} to "
                                        f"{info.maximum:,.4g}.")
                if value is not None and not (info.minimum <= value <= info.maximum):
                    st.caption("Outside the observed range: the model never saw such values.")
                edited[info.name] = value
            else:
                options = ["(missing)", *info.categories]
                choice = st.selectbox(names[info.name], options, key=KEY + info.name, help=help_texts[info.name])
                edited[info.name] = None if choice == "(missing)" else choice

edited_frame = frame_of({k: (math.nan if v is None else v) for k, v in edited.items()}, dataset)
before, after = prediction_dict(model, original)[0], prediction_dict(model, edited_frame)[0]
score_before, score_after = float(model.score(original)[0]), float(model.score(edited_frame)[0])
changed = [f for f in dataset.feature_names
           if str(original_values[f]) != str(plain(edited_frame.iloc[0][f]))]

left, middle, right = st.columns(3)
headline, detail = prediction_text(ws, after)
left.metric("Prediction for the edited row", headline, help=detail)
phrase = outcome_phrase(ws)
difference = score_after - score_before
middle.metric(phrase[0].upper() + phrase[1:], f"{score_after:.4g}",
              delta=f"{difference:+.4g}" if abs(difference) > 1e-12 else None)
right.metric("Changed inputs", len(changed))
if changed:
    st.caption("Changed: " + "; ".join(
        f"{names[f]}: {original_values[f]} → {plain(edited_frame.iloc[0][f])}" for f in changed))
if "label" in after and after["label"] != before["label"]:
    st.success(f"The outcome flips from {dataset.spec.class_label(before['label'])} to "
               f"{dataset.spec.class_label(after['label'])}.")

shap_before = shap_values(model, original).row()
shap_after = shap_values(model, edited_frame).row()
left, right = st.columns([3, 2])
with left:
    chart(charts.shap_before_after(shap_before, shap_after, names),
          f"Each feature's push on the prediction before (faded) and after (solid) your edits. {COLOUR_NOTE}",
          "whatif_shap")
with right:
    table = pd.DataFrame({"original": shap_before, "edited": shap_after})
    table["change"] = table["edited"] - table["original"]
    table.index = [names[f] for f in table.index]
    st.dataframe(table.round(4), key="whatif_shap_table")

feature = st.selectbox("Show the prediction across the range of", dataset.feature_names, format_func=names.get,
                       key="whatif_curve_feature")
curve = partial_dependence(model, feature, edited_frame)
threshold = 0.5 if model.is_classifier and len(model.classes) == 2 else None
current_value = edited_frame.iloc[0][feature]
chart(charts.partial_dependence_figure(curve, names[feature], outcome_phrase(ws), current=plain(current_value),
                                       threshold=threshold, probability=model.is_classifier),
      f"The {outcome_phrase(ws)} if only {names[feature]} changed (other inputs as edited). "
      + ("Where the line crosses the dashed threshold, the outcome flips." if threshold is not None else ""),
      "whatif_curve")
