"""What-if: edit the current row and watch the prediction and its explanation change."""

import math

import pandas as pd
import streamlit as st

from explainers import charts, frame_of
from explainers.counterfactuals import prediction_dict
from explainers.global_views import partial_dependence
from explainers.narrative import narrate, outcome_effects
from explainers.util import plain
from pages.common import (
    chart,
    class_label,
    colour_note,
    current,
    labels,
    language,
    meanings,
    narrative_markdown,
    outcome_phrase,
    prediction_text,
    section_picker,
    tr,
)
from pages.state import page_state, remembered_widget

t = tr()
name, ws, row = current()
dataset, model = ws.dataset, ws.model
names = labels(ws)
help_texts = meanings(ws)
original = dataset.row(row)
original_values = {k: plain(v) for k, v in original.iloc[0].items()}
KEY = "whatif_input_"
MISSING = "__missing__"  # the option id of "no value"; its label comes from the catalogue
store = page_state("whatif")
edits_key = (name, model.model_hash, row)
# Edits are kept per dataset, model and row: leaving the page and coming back finds them again, and another
# row starts from its own values. The Counterfactuals page hands a counterfactual over the same way.
edits: dict = store.setdefault("edits", {}).setdefault(edits_key, {})


def _widget_value(feature: str, value: object) -> object:
    if dataset.info[feature].kind == "numeric":
        return None if value is None else float(value)
    return MISSING if value is None else str(value)


def _reset() -> None:
    edits.clear()


def _edited(feature: str) -> None:
    value = st.session_state[KEY + feature]
    edits[feature] = None if value in (None, MISSING) else value


st.title(t("whatif.title"))
st.caption(t("whatif.intro", row=row))
st.button(t("whatif.reset"), key="whatif_reset", on_click=_reset)

edited: dict[str, object] = {}
with st.container(border=True):
    columns = st.columns(4)
    for i, info in enumerate(dataset.schema):
        value = edits.get(info.name, original_values[info.name])
        st.session_state[KEY + info.name] = _widget_value(info.name, value)  # the widget shows the state
        with columns[i % 4]:
            if info.kind == "numeric":
                step = 1.0 if info.integer else max((info.maximum - info.minimum) / 100, 1e-6)
                st.number_input(
                    names[info.name], min_value=None, max_value=None, step=step, key=KEY + info.name,
                    format="%.0f" if info.integer else "%.4g", on_change=_edited, args=(info.name,),
                    help=t("whatif.observed", meaning=help_texts[info.name], low=t.number(info.minimum, 4),
                           high=t.number(info.maximum, 4)))
                if value is not None and not (info.minimum <= float(value) <= info.maximum):
                    st.caption(t("whatif.outside"))
            else:
                options = [MISSING, *info.categories]
                if st.session_state[KEY + info.name] not in options:  # a value the model never saw
                    st.session_state[KEY + info.name] = MISSING
                st.selectbox(names[info.name], options, key=KEY + info.name, on_change=_edited, args=(info.name,),
                             format_func=lambda o: t("whatif.missing_option") if o == MISSING else t.value(o),
                             help=help_texts[info.name])
                value = None if st.session_state[KEY + info.name] == MISSING else st.session_state[KEY + info.name]
            edited[info.name] = value

edited_frame = frame_of({k: (math.nan if v is None else v) for k, v in edited.items()}, dataset)
both = pd.concat([original, edited_frame], ignore_index=True)  # one model call for the two rows
before, after = prediction_dict(model, both)
score_before, score_after = (
    (p["probabilities"][model.classes[model.positive_index]] if "label" in p else p["value"]) for p in (before, after)
)
changed = [f for f in dataset.feature_names if str(original_values[f]) != str(plain(edited_frame.iloc[0][f]))]

left, middle, right = st.columns(3)
headline, detail = prediction_text(ws, after)
left.metric(t("whatif.prediction"), headline, help=detail)
phrase = outcome_phrase(ws)
difference = score_after - score_before
if model.is_classifier:  # as Local and the narrative state it: a percentage, changes in points
    shown_score, shown_change = t.percent(score_after, 1), t.fixed(100 * difference, 1) + t("narrative.points")
else:
    shown_score, shown_change = t.number(score_after, 2), t.number(difference, 2)
middle.metric(phrase[0].upper() + phrase[1:], shown_score,
              delta=("+" if difference > 0 else "") + shown_change if abs(difference) > 1e-12 else None)
right.metric(t("whatif.changed"), len(changed))
if changed:
    st.caption(t("whatif.changed_list", changes="; ".join(
        f"{names[f]}: {t.value(original_values[f])} → {t.value(plain(edited_frame.iloc[0][f]))}" for f in changed)))
if "label" in after and after["label"] != before["label"]:
    st.success(t("whatif.flips", before=class_label(ws, before["label"]), after=class_label(ws, after["label"])))

# One set of effects for the chart, its table and the narrative: effects on the number shown (probability
# points for classifiers), for the original and the edited row in one call.
effects = outcome_effects(model, both, seed=ws.seed)
with st.container(border=True):
    st.markdown(narrative_markdown(
        narrate(model, edited_frame, lang=language(), seed=ws.seed, effects=effects.select(1)).text))
if section_picker("whatif", ["effects", "curve"]) == "effects":
    effect_before, effect_after = effects.row(0), effects.row(1)
    scale, digits = (100.0, 1) if effects.space == "probability" else (1.0, 3)
    left, right = st.columns([3, 2])
    with left:
        chart(charts.shap_before_after(effect_before, effect_after, names, tr=t, space=effects.space),
              t("whatif.shap_caption", colours=colour_note(ws)), "whatif_shap")
    with right:
        table = pd.DataFrame({t("whatif.original"): [scale * effect_before[f] for f in dataset.feature_names],
                              t("whatif.edited"): [scale * effect_after[f] for f in dataset.feature_names]})
        table[t("whatif.change")] = table[t("whatif.edited")] - table[t("whatif.original")]
        table[t("local.feature")] = [names[f] for f in dataset.feature_names]  # last: the numbers stay in view
        table = table.iloc[table[t("whatif.edited")].abs().to_numpy().argsort()[::-1]]
        for column in table.columns[:3]:
            table[column] = [t.fixed(v, digits) for v in table[column]]
        st.dataframe(table, hide_index=True)
else:
    feature = remembered_widget(st.selectbox, store.setdefault("curve", {}), name, "whatif_curve_feature",
                                t("whatif.curve_feature"), dataset.feature_names, format_func=names.get)
    curve = partial_dependence(model, feature, edited_frame)
    threshold = 0.5 if model.is_classifier and len(model.classes) == 2 else None
    caption = t("whatif.curve_caption", score=outcome_phrase(ws), feature=names[feature])
    if threshold is not None:
        caption += " " + t("whatif.curve_threshold")
    chart(charts.partial_dependence_figure(curve, names[feature], outcome_phrase(ws),
                                           current=plain(edited_frame.iloc[0][feature]), threshold=threshold,
                                           probability=model.is_classifier, tr=t),
          caption, "whatif_curve")

from pages.oversight_ui import save_case_button  # noqa: E402

save_case_button("whatif", name=name, ws=ws, row=row, edits=edits, effects=effects.select(1))
