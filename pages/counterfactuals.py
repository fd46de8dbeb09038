"""Counterfactuals: the smallest changes that would give this row a different outcome."""

import pandas as pd
import streamlit as st

from explainers import CounterfactualResult
from explainers.counterfactuals import METHODS, plain, prediction_dict
from pages.common import current, labels, outcome_phrase, prediction_text, show_value, workspace


@st.cache_data(show_spinner="Searching for counterfactuals…")
def cached_counterfactuals(name: str, model_hash: str, row: int, total: int, method: str, desired: str | None,
                           desired_range: tuple | None, vary: tuple, ranges: tuple, seed: int) -> CounterfactualResult:
    ws = workspace(name)
    return ws.counterfactuals.generate(
        ws.dataset.row(row), total=total, method=method, desired_class=desired, desired_range=desired_range,
        features_to_vary=list(vary), permitted_range={k: list(v) for k, v in ranges}, seed=seed)


name, ws, row = current()
dataset, model = ws.dataset, ws.model
spec = dataset.spec
names = labels(ws)
original = dataset.row(row)
st.title("Counterfactuals")
headline, detail = prediction_text(ws, prediction_dict(model, original)[0])
st.write(f"Row {row} is predicted **{headline}** ({detail}). What would have to change for another outcome?")

with st.container(border=True):
    vary = st.multiselect(
        "Features that may change", dataset.feature_names,
        default=[f for f in dataset.feature_names if f not in spec.immutable], format_func=names.get,
        key=f"cf_vary_{name}",
        help="Features the person cannot change (from the dataset's spec) start out fixed.")
    if spec.immutable:
        st.caption("Fixed by default (cannot be changed by the person): "
                   + ", ".join(names[f] for f in spec.immutable) + ".")
    left, middle, right = st.columns(3)
    if model.is_classifier:
        default = ws.counterfactuals.default_desired(original)
        desired = left.selectbox("Desired outcome", list(model.classes), index=list(model.classes).index(default),
                                 format_func=spec.class_label, key="cf_desired")
        desired_range = None
    else:
        low_default, high_default = ws.counterfactuals.default_desired(original)
        low_limit, high_limit = float(dataset.target.min()), float(dataset.target.max())
        desired_range = left.slider("Desired range of the prediction", low_limit, high_limit,
                                    (float(low_default), float(high_default)), key="cf_range")
        desired = None
    total = middle.number_input("How many", 1, 10, 4, key="cf_total")
    method = right.selectbox("Method", METHODS, key="cf_method",
                             help="sparse: this project's batched search, fastest, changes few features; DiCE's "
                                  "random: sampling; genetic: optimises closeness; kdtree: nearest real rows.")
    numeric_vary = [f for f in vary if dataset.info[f].kind == "numeric"]
    ranges: dict[str, list] = {}
    with st.expander("Permitted ranges"):
        editor = pd.DataFrame({
            "feature": numeric_vary,
            "low": [dataset.info[f].minimum for f in numeric_vary],
            "high": [dataset.info[f].maximum for f in numeric_vary],
        })
        edited = st.data_editor(editor, hide_index=True, disabled=["feature"], key=f"cf_ranges_{name}")
        for _, item in edited.iterrows():
            info = dataset.info[item["feature"]]
            if (item["low"], item["high"]) != (info.minimum, info.maximum):
                ranges[item["feature"]] = [float(item["low"]), float(item["high"])]
        for feature in [f for f in vary if dataset.info[f].kind == "categorical"]:
            allowed = st.multiselect(f"Allowed values of {names[feature]}", list(dataset.info[feature].categories),
                                     default=list(dataset.info[feature].categories), key=f"cf_allowed_{feature}")
            if len(allowed) < len(dataset.info[feature].categories):
                ranges[feature] = allowed
    go = st.button("Find counterfactuals", type="primary", key="cf_go")

request = (name, model.model_hash, row, int(total), method, desired,
           None if desired_range is None else tuple(desired_range), tuple(vary),
           tuple((k, tuple(v)) for k, v in sorted(ranges.items())), ws.seed)
if go:
    st.session_state["cf_request"] = request
if st.session_state.get("cf_request") == request:
    try:
        result = cached_counterfactuals(*request)
    except ValueError as error:  # InputError: bad constraints
        st.error(str(error))
        st.stop()
    st.metric("Counterfactuals that passed the re-check", f"{result.valid} of {result.proposed} proposed")
    if result.rejected:
        st.caption("Dropped by the re-check: " + ", ".join(f"{k.replace('_', ' ')}: {v}"
                                                           for k, v in result.rejected.items()))
    if result.message:
        st.warning(result.message)
    if result.counterfactuals:
        score_name = outcome_phrase(ws)
        rows = [{"": "original", score_name: float(model.score(original)[0]),
                 **{names[f]: show_value(plain(original.iloc[0][f])) for f in dataset.feature_names}}]
        for i, cf in enumerate(result.counterfactuals, 1):
            cells = {names[f]: (show_value(cf.changes[f]["to"]) if f in cf.changes else "")
                     for f in dataset.feature_names}
            rows.append({"": f"#{i}", score_name: float(model.score(pd.DataFrame([cf.row]))[0]), **cells})
        table = pd.DataFrame(rows).set_index("")
        shown = [c for c in table.columns if c == score_name or (table[c].iloc[1:] != "").any()]
        table = table[shown]

        def _highlight(column: pd.Series) -> list[str]:
            return ["" if i == 0 or v == "" else "background-color: #FFE9A8; font-weight: 600"
                    for i, v in enumerate(column)]

        st.dataframe(table.style.apply(_highlight, subset=[c for c in shown if c != score_name])
                     .format({score_name: "{:.3f}"}), key="cf_table")
        st.caption("The first line is the row as it is; each numbered line shows only the values that change "
                   f"(highlighted) and the new {score_name}. Features that no counterfactual touches are hidden.")
        for i, cf in enumerate(result.counterfactuals, 1):
            headline, _ = prediction_text(ws, cf.prediction)
            summary = "; ".join(f"{names[f]}: {show_value(c['from'])} → {show_value(c['to'])}"
                                for f, c in cf.changes.items())
            left, right = st.columns([5, 1])
            left.write(f"**#{i}** → {headline}: {summary}")
            if right.button("Open in What-if", key=f"cf_open_{i}"):
                st.session_state["whatif_handover"] = cf.row
                st.switch_page("pages/what_if.py")
else:
    st.info("Set the constraints and press **Find counterfactuals**.")
