"""Counterfactuals: the smallest changes that would give this row a different outcome."""

import pandas as pd
import streamlit as st

from explainers import CounterfactualResult
from explainers.counterfactuals import METHODS, NONE_PASSED, prediction_dict
from explainers.narrative import narrate
from explainers.util import plain
from pages.common import (
    class_label,
    current,
    engine_text,
    labels,
    language,
    narrative_markdown,
    outcome_phrase,
    prediction_text,
    presenting,
    tr,
    workspace,
)
from pages.state import page_state, remembered_widget, url_params


@st.cache_data(show_spinner=False)
def cached_counterfactuals(name: str, model_hash: str, row: int, total: int, method: str, desired: str | None,
                           desired_range: tuple | None, vary: tuple, ranges: tuple, seed: int) -> CounterfactualResult:
    ws = workspace(name)
    return ws.counterfactuals.generate(
        ws.dataset.row(row), total=total, method=method, desired_class=desired, desired_range=desired_range,
        features_to_vary=list(vary), permitted_range={k: list(v) for k, v in ranges}, seed=seed)


t = tr()
name, ws, row = current()
dataset, model = ws.dataset, ws.model
spec = dataset.spec
names = labels(ws)
original = dataset.row(row)
st.title(t("cf.title"))
headline, detail = prediction_text(ws, prediction_dict(model, original)[0])
st.write(t("cf.intro", row=row, label=headline, detail=detail))

# The constraints and the last search are kept per dataset and model, so leaving the page (e.g. to open a
# counterfactual in What-if) and coming back finds them again.
store = page_state("counterfactuals").setdefault((name, model.model_hash), {})
with st.container(border=True):
    vary = remembered_widget(
        st.multiselect, store, "vary", f"cf_vary_{name}", t("cf.vary"), dataset.feature_names,
        default=[f for f in dataset.feature_names if f not in spec.immutable], format_func=names.get,
        help=t("cf.vary_help"))
    if spec.immutable:
        st.caption(t("cf.fixed", features=", ".join(names[f] for f in spec.immutable)))
    left, middle, right = st.columns(3)
    if model.is_classifier:
        with left:
            desired = remembered_widget(st.selectbox, store, f"desired_{row}", "cf_desired", t("cf.desired"),
                                        list(model.classes), default=ws.counterfactuals.default_desired(original),
                                        format_func=lambda c: class_label(ws, c))
        desired_range = None
    else:
        low_default, high_default = ws.counterfactuals.default_desired(original)
        low_limit, high_limit = float(dataset.target.min()), float(dataset.target.max())
        with left:
            desired_range = remembered_widget(st.slider, store, f"range_{row}", "cf_range", t("cf.desired_range"),
                                              low_limit, high_limit, default=(float(low_default), float(high_default)))
        desired = None
    with middle:
        total = remembered_widget(st.number_input, store, "total", "cf_total", t("cf.how_many"), 1, 10, default=4)
    if presenting():
        method = METHODS[0]
    else:
        with right:
            method = remembered_widget(st.selectbox, store, "method", "cf_method", t("cf.method"), METHODS,
                                       default=METHODS[0], help=t("cf.method_help"))
    numeric_vary = [f for f in vary if dataset.info[f].kind == "numeric"]
    ranges: dict[str, list] = {}
    if not presenting():
        with st.expander(t("cf.ranges")):
            kept = store.setdefault("ranges", {})
            # No key: the editor starts from the kept ranges each run, and its edits are read back at once.
            editor = pd.DataFrame({
                "feature": numeric_vary,
                t("cf.low"): [kept.get(f, [dataset.info[f].minimum])[0] for f in numeric_vary],
                t("cf.high"): [kept.get(f, [None, dataset.info[f].maximum])[1] for f in numeric_vary],
            })
            edited = st.data_editor(editor, hide_index=True, disabled=["feature"])
            for _, item in edited.iterrows():
                info = dataset.info[item["feature"]]
                low, high = float(item[t("cf.low")]), float(item[t("cf.high")])
                if (low, high) != (info.minimum, info.maximum):
                    ranges[item["feature"]] = [low, high]
            kept.clear()
            kept.update(ranges)
            for feature in [f for f in vary if dataset.info[f].kind == "categorical"]:
                categories = list(dataset.info[feature].categories)
                allowed = remembered_widget(st.multiselect, store, f"allowed_{feature}", f"cf_allowed_{feature}",
                                            t("cf.allowed", feature=names[feature]), categories, default=categories)
                if len(allowed) < len(categories):
                    ranges[feature] = allowed
    go = st.button(t("cf.go"), type="primary", key="cf_go")

request = (name, model.model_hash, row, int(total), method, desired,
           None if desired_range is None else tuple(desired_range), tuple(vary),
           tuple((k, tuple(v)) for k, v in sorted(ranges.items())), ws.seed)
if go:
    store["request"] = request
if store.get("request") == request:
    try:
        with st.spinner("…"):
            result = cached_counterfactuals(*request)
    except ValueError as error:  # InputError: constraints that cannot be met as given
        st.error(engine_text(error))
        st.stop()
    st.metric(t("cf.passed"), t("cf.passed_value", valid=result.valid, proposed=result.proposed))
    if result.rejected:
        reasons = ", ".join(f"{t('cf.reason_' + k)}: {v}" for k, v in result.rejected.items())
        st.caption(t("cf.dropped", reasons=reasons))
    if result.message:
        st.warning(t("cf.none_found") if result.message_key == NONE_PASSED else engine_text(result.message))
    if result.counterfactuals:
        score_name = outcome_phrase(ws)
        rows = [{"": t("cf.original"), score_name: float(model.score(original)[0]),
                 **{names[f]: t.value(plain(original.iloc[0][f])) for f in dataset.feature_names}}]
        for i, cf in enumerate(result.counterfactuals, 1):
            cells = {names[f]: (t.value(cf.changes[f]["to"]) if f in cf.changes else "") for f in dataset.feature_names}
            rows.append({"": f"#{i}", score_name: float(model.score(pd.DataFrame([cf.row]))[0]), **cells})
        table = pd.DataFrame(rows).set_index("")
        shown = [c for c in table.columns if c == score_name or (table[c].iloc[1:] != "").any()]
        table = table[shown]

        def _highlight(column: pd.Series) -> list[str]:
            return ["" if i == 0 or v == "" else "background-color: #FFE9A8; font-weight: 600"
                    for i, v in enumerate(column)]

        st.dataframe(table.style.apply(_highlight, subset=[c for c in shown if c != score_name])
                     .format({score_name: "{:.3f}"}))
        st.caption(t("cf.table_caption", score=score_name))
        with st.container(border=True):
            st.markdown(narrative_markdown(
                narrate(model, original, result.counterfactuals[0], lang=language(), seed=ws.seed).text))
        for i, cf in enumerate(result.counterfactuals, 1):
            headline, _ = prediction_text(ws, cf.prediction)
            summary = "; ".join(f"{names[f]}: {t.value(c['from'])} → {t.value(c['to'])}" for f, c in cf.changes.items())
            left, right = st.columns([5, 1])
            left.write(f"**#{i}** → {headline}: {summary}")
            if right.button(t("cf.open"), key=f"cf_open_{i}"):
                # What-if keeps edits per dataset, model and row: hand the counterfactual over as edits.
                whatif_edits = page_state("whatif").setdefault("edits", {})
                whatif_edits[(name, model.model_hash, row)] = {f: cf.row[f] for f in dataset.feature_names}
                st.switch_page("pages/what_if.py", query_params=url_params())
else:
    st.info(t("cf.press"))

from pages.oversight_ui import save_case_button  # noqa: E402

save_case_button("counterfactual", name=name, ws=ws, row=row,
                 result=result if store.get("request") == request else None)
