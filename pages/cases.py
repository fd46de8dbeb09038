"""Cases: saved cases with filters, the review queue, one case as saved, reopening it, and reviews."""

import pandas as pd
import streamlit as st

from explainers import builtin_names
from explainers.errors import InputError
from explainers.oversight.cases import (
    STATUSES,
    VERDICTS,
    distinct_values,
    get_case,
    list_cases,
    record_review,
    review_queue,
)
from pages.common import engine_text, language, plain_text, split_key, tr, workspace
from pages.oversight_ui import KIND_PAGES, actor_input, store
from pages.state import model_ids, page_state, remembered_widget, set_view, uploads, url_params
from pages.tables import safe_dataframe

LIMIT = 2000  # cases listed at most (the count says how many match)

t = tr()
lang = language()
db = store()
memory = page_state("cases")
st.title(t("cases.title"))
st.caption(t("cases.intro"))
if memory.get("flash"):
    st.success(memory.pop("flash"), icon=":material/check:")


def status_label(status: str) -> str:
    return t(f"cases.status_{status}")


def kind_label(kind: str) -> str:
    return t(f"oversight.kind_{kind}")


def summary_table(items) -> pd.DataFrame:
    return pd.DataFrame({
        t("cases.col_id"): [i.id for i in items],
        t("cases.col_saved"): [i.created_at[:19].replace("T", " ") for i in items],
        t("cases.col_dataset"): [i.dataset for i in items],
        t("cases.col_row"): [i.row for i in items],
        t("cases.col_kind"): [kind_label(i.kind) for i in items],
        t("cases.col_prediction"): [i.prediction for i in items],
        t("cases.col_status"): [status_label(i.status) for i in items],
        t("cases.col_reviewer"): [i.reviewer or "" for i in items],
        t("cases.col_actor"): [i.actor for i in items],
        t("cases.col_note"): [" ".join(i.note.split())[:120] for i in items],
    })


options = distinct_values(db)
with st.expander(t("cases.filters"), expanded=True, icon=":material/filter_list:"):
    first, second, third = st.columns(3)
    with first:
        dataset = remembered_widget(st.selectbox, memory, "dataset", "cases_dataset", t("cases.dataset"),
                                    ["", *options["dataset"]], format_func=lambda v: v or t("cases.any"))
        search = remembered_widget(st.text_input, memory, "search", "cases_search", t("cases.search"))
    with second:
        status = remembered_widget(st.selectbox, memory, "status", "cases_status", t("cases.status"),
                                   ["", *STATUSES], format_func=lambda v: status_label(v) if v else t("cases.any"))
        reviewer = remembered_widget(st.selectbox, memory, "reviewer", "cases_reviewer", t("cases.reviewer"),
                                     ["", *options["reviewer"]], format_func=lambda v: v or t("cases.any"))
    with third:
        since = st.date_input(t("cases.dates"), value=None, key="cases_since", format="YYYY-MM-DD")
        until = st.date_input(t("cases.dates"), value=None, key="cases_until", format="YYYY-MM-DD",
                              label_visibility="collapsed")

found = list_cases(db, dataset=dataset or None, status=status or None, reviewer=reviewer or None, since=since,
                   until=until, search=search or None, limit=LIMIT)
if found:
    st.caption(t("cases.count", n=t.number(len(found), 0)))
    safe_dataframe(summary_table(found), hide_index=True, key="cases_table")
else:
    st.info(t("cases.none"))

st.subheader(t("cases.queue_heading"))
queue = review_queue(db, limit=200)
if queue:
    st.caption(t("cases.queue_intro"))
    safe_dataframe(summary_table(queue), hide_index=True, key="cases_queue")
else:
    st.caption(t("cases.queue_empty"))

choices = {i.id: i for i in [*queue, *found]}
if memory.get("selected") is not None and memory["selected"] not in choices:
    try:
        chosen = get_case(db, memory["selected"])
        choices[chosen.id] = chosen
    except InputError:
        memory.pop("selected")
if not choices:
    st.stop()
ids = sorted(choices, reverse=True)
selected = remembered_widget(
    st.selectbox, memory, "selected", "cases_selected", t("cases.choose"), ids,
    format_func=lambda i: t("cases.case_option", id=i, dataset=choices[i].dataset, row=choices[i].row,
                            kind=kind_label(choices[i].kind), status=status_label(choices[i].status)))
case = get_case(db, selected)
snap = case.snapshot
st.divider()
st.subheader(t("cases.case_heading", id=case.id))
st.caption(t("cases.saved_by", actor=plain_text(case.actor),
             when=case.created_at[:19].replace("T", " ") + " UTC", kind=kind_label(case.kind), row=case.row,
             dataset=plain_text(case.dataset))
           + f" ({t('cases.verified') if case.actor_verified else t('cases.unverified')})")
if case.note:
    with st.container(border=True):
        st.markdown(f"**{t('cases.note_label')}:** " + plain_text(case.note))

# Reopen in the page it came from, when this session has the same data and model; else the snapshot only.
current = None
case_dataset, case_model = split_key(case.dataset)  # a case saved with another model names it: "credit@baseline"
if (case_dataset in builtin_names() or case_dataset in uploads()) and case_model in model_ids(case_dataset):
    current = workspace(case.dataset)
if current is None:
    st.info(t("cases.unavailable"), icon=":material/info:")
elif case.matches(current):
    st.success(t("cases.matches"), icon=":material/verified:")
    label = t("cases.open_local") if case.kind == "local" else t("cases.open_whatif")
    if st.button(label, key="cases_open", type="primary", icon=":material/open_in_new:"):
        set_view(dataset=case_dataset, model=case_model, row=case.row)
        if case.kind != "local":
            edits = snap["edits"] if case.kind == "whatif" else snap["counterfactual"]["row"]
            page_state("whatif").setdefault("edits", {})[(case.dataset, case.model_sha256, case.row)] = dict(edits)
        st.switch_page(KIND_PAGES[case.kind], query_params=url_params())
else:
    st.warning(t("cases.changed", data=case.data_sha256[:12], model=case.model_sha256[:12]), icon=":material/history:")

# The snapshot, as saved.
prediction = snap["prediction"]
left, right = st.columns(2)
if "label" in prediction:
    shown_label = current.dataset.spec.class_label(str(prediction["label"]), lang) if current is not None \
        else str(prediction["label"])
    left.metric(t("cases.prediction"), shown_label)
    right.metric(t("cases.score"), t.percent(float(snap["score"]), 1))
else:
    left.metric(t("cases.prediction"), t.number(float(prediction["value"]), 2))
    right.metric(t("cases.score"), t.number(float(snap["score"]), 2))
with st.container(border=True):
    st.markdown(f"**{t('cases.narrative')}.** " + plain_text(snap["narrative"]["text"].replace("**", "")))
if case.kind == "whatif" and snap.get("edits"):
    st.markdown(f"**{t('cases.edits')}:** " + plain_text("; ".join(
        t("cases.change_line", feature=f, before=t.value(snap["features"].get(f)), after=t.value(v))
        for f, v in snap["edits"].items())))
if case.kind == "counterfactual" and snap.get("counterfactual"):
    changes = snap["counterfactual"]["changes"]
    st.markdown(f"**{t('cases.counterfactual')}:** " + plain_text("; ".join(
        t("cases.change_line", feature=f, before=t.value(c["from"]), after=t.value(c["to"]))
        for f, c in changes.items())))

st.markdown(f"**{t('cases.values_heading')}**")
shap_values = snap["shap"]["values"]
lime_weights = (snap.get("lime") or {}).get("weights") or {}
features = list(shap_values)
values_table = pd.DataFrame({
    t("cases.col_feature"): features,
    t("cases.col_value"): [t.value(snap["shown"].get(f)) for f in features],
    t("cases.col_shap", space=t(f"space.{snap['shap']['space']}")): [t.fixed(shap_values[f], 4) for f in features],
    t("cases.col_lime"): [t.fixed(lime_weights[f], 4) if f in lime_weights else "" for f in features],
})
order = pd.Series([abs(shap_values[f]) for f in features]).to_numpy().argsort()[::-1]
safe_dataframe(values_table.iloc[order], hide_index=True, key="cases_values")
versions = snap.get("versions") or {}
st.caption(t("cases.stamp", seed=snap.get("seed"), data=case.data_sha256, model=case.model_sha256,
             versions=", ".join(f"{k} {v}" for k, v in versions.items() if k in ("python", "xgboost", "shap",
                                                                                  "lime", "dice-ml"))))

st.markdown(f"**{t('cases.reviews_heading')}**")
if not case.reviews:
    st.caption(t("cases.no_reviews"))
for item in case.reviews:
    lines = [t("cases.review_line", when=item.created_at[:19].replace("T", " "), reviewer=plain_text(item.reviewer),
               verified=t("cases.verified") if item.reviewer_verified else t("cases.unverified"),
               verdict=t(f"cases.verdict_{item.verdict}"))]
    if item.outcome:
        lines.append(t("cases.review_outcome", outcome=plain_text(item.outcome)))
    if item.reason:
        lines.append(t("cases.review_reason", reason=plain_text(item.reason)))
    if item.comment:
        lines.append(t("cases.review_comment", comment=plain_text(item.comment)))
    st.markdown("- " + "  \n  ".join(lines))

with st.container(border=True):
    st.markdown(f"**{t('cases.review_heading')}**")
    who = actor_input("cases_reviewer_name")
    verdict = st.radio(t("cases.verdict"), VERDICTS, key=f"cases_verdict_{case.id}", horizontal=True,
                       format_func=lambda v: t(f"cases.verdict_{v}"))
    outcome = None
    if verdict == "override":
        if snap.get("task") == "classification":
            outcome = st.selectbox(t("cases.outcome"), snap.get("classes") or [], key=f"cases_outcome_{case.id}")
        else:
            outcome = st.number_input(t("cases.outcome"), value=None, key=f"cases_outcome_value_{case.id}")
    reason = st.text_area(t("cases.reason"), key=f"cases_reason_{case.id}", max_chars=5000)
    comment = st.text_area(t("cases.comment"), key=f"cases_comment_{case.id}", max_chars=5000)
    if st.button(t("cases.record"), key="cases_record", type="primary", icon=":material/gavel:"):
        if who is None:
            st.warning(t("oversight.name_needed"))
        else:
            try:
                review_id = record_review(db, case.id, verdict, who, outcome=outcome, reason=reason, comment=comment)
            except InputError as error:
                st.error(t("cases.refused", reason=engine_text(error)))
            else:
                memory["flash"] = t("cases.recorded", id=review_id)
                st.rerun()
