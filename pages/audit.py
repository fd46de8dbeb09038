"""Audit trail: the hash-chained log of cases, reviews, notices, reports and uploads; verify, filter, export."""

import pandas as pd
import streamlit as st

from explainers.oversight.audit import ACTIONS, actors, count, entries, export_csv, export_json, verify
from pages.common import tr
from pages.oversight_ui import store
from pages.state import page_state, remembered_widget
from pages.tables import safe_dataframe

SHOWN = 1000  # entries drawn at most; the exports hold every matching entry

t = tr()
db = store()
memory = page_state("audit")
st.title(t("auditlog.title"))
st.caption(t("auditlog.intro"))


def action_label(action: str) -> str:
    return t("auditlog.action_" + action.replace(".", "_"))


if st.button(t("auditlog.verify"), key="audit_verify", type="primary", icon=":material/verified:"):
    memory["verification"] = verify(db).to_dict()
result = memory.get("verification")
if result is not None:
    if result["ok"]:
        st.success(t("auditlog.ok", n=t.number(result["entries"], 0), head=result["head"]) if result["entries"]
                   else t("auditlog.ok_empty"), icon=":material/verified:")
    else:
        st.error(t("auditlog.broken", seq=result["first_broken"], reason=t(f"auditlog.reason_{result['code']}")),
                 icon=":material/gpp_bad:")

left, middle, right = st.columns(3)
with left:
    chosen_actions = remembered_widget(st.multiselect, memory, "actions", "audit_actions", t("auditlog.action"),
                                       list(ACTIONS), format_func=action_label)
    search = remembered_widget(st.text_input, memory, "search", "audit_search", t("auditlog.search"))
with middle:
    actor = remembered_widget(st.selectbox, memory, "actor", "audit_actor", t("auditlog.actor"), ["", *actors(db)],
                              format_func=lambda v: v or t("cases.any"))
with right:
    since = st.date_input(t("auditlog.dates"), value=None, key="audit_since", format="YYYY-MM-DD")
    until = st.date_input(t("auditlog.dates"), value=None, key="audit_until", format="YYYY-MM-DD",
                          label_visibility="collapsed")
filters = {"action": chosen_actions or None, "actor": actor or None, "search": search or None, "since": since,
           "until": until}
shown = entries(db, limit=SHOWN, **filters)
total = count(db)
if not shown:
    st.info(t("auditlog.none"))
else:
    st.caption(t("auditlog.count", shown=t.number(len(shown), 0), total=t.number(total, 0)))
    table = pd.DataFrame({
        t("auditlog.col_seq"): [e.seq for e in shown],
        t("auditlog.col_at"): [e.at[:23].replace("T", " ") for e in shown],
        t("auditlog.col_actor"): [e.actor for e in shown],
        t("auditlog.col_verified"): [e.verified for e in shown],
        t("auditlog.col_action"): [action_label(e.action) for e in shown],
        t("auditlog.col_object"): [e.object for e in shown],
        t("auditlog.col_data"): [(e.data_sha256 or "")[:12] for e in shown],
        t("auditlog.col_model"): [(e.model_sha256 or "")[:12] for e in shown],
        t("auditlog.col_details"): [", ".join(f"{k}={v}" for k, v in e.details.items()) for e in shown],
        t("auditlog.col_hash"): [e.hash[:16] for e in shown],
    })
    safe_dataframe(table, hide_index=True, key="audit_table")
    left, right = st.columns(2)
    # The files are made when clicked (every matching entry, oldest first), not on every run.
    left.download_button(t("auditlog.export_csv"), lambda: export_csv(entries(db, newest_first=False, **filters)),
                         file_name="audit-trail.csv", mime="text/csv", key="audit_csv", on_click="ignore",
                         icon=":material/download:")
    right.download_button(t("auditlog.export_json"), lambda: export_json(entries(db, newest_first=False, **filters)),
                          file_name="audit-trail.json", mime="application/json", key="audit_json", on_click="ignore",
                          icon=":material/download:")
st.caption(t("auditlog.database", url=db.display_url))
