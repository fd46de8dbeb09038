"""Shared UI of human oversight: the database, who is acting, "Save case", and audit entries for events.

Not a page itself. The Local explanation, What-if and Counterfactuals pages end with one call to
:func:`save_case_button`; the Cases, Audit trail and Decision notice pages use the rest.
"""

from __future__ import annotations

import logging

import streamlit as st

from explainers.errors import InputError
from pages.common import engine_text, language, plain_text, tr
from pages.state import page_state

LOG = logging.getLogger("xai.pages.oversight")
KIND_PAGES = {"local": "pages/local_explanation.py", "whatif": "pages/what_if.py",
              "counterfactual": "pages/what_if.py"}


@st.cache_resource(show_spinner=False)
def _store(url: str):
    from explainers.oversight.store import Store

    return Store(url)


def store():
    """This server's database (``XAI_DB_URL``, else ``var/oversight.db``), migrated on first use."""
    from explainers.oversight.store import default_url

    return _store(default_url())


def login_actor():
    """The signed-in user when the login gate is on (verified), else None."""
    from explainers.oversight.audit import Actor

    user = getattr(st, "user", None)
    try:
        if user is not None and getattr(user, "is_logged_in", False):
            name = user.get("email") or user.get("name") or user.get("sub")
            if name:
                return Actor(str(name), verified=True)
    except (AttributeError, KeyError, InputError):
        return None
    return None


def known_actor():
    """Who is acting in this session: the signed-in user, or the name typed once (unverified), or None."""
    from explainers.oversight.audit import Actor

    found = login_actor()
    if found is not None:
        return found
    name = page_state("oversight").get("name")
    return Actor(name, verified=False) if name else None


def event_actor():
    """The actor for entries the person did not ask for by name (a report, an upload): as known, or anonymous."""
    from explainers.oversight.audit import Actor

    return known_actor() or Actor("anonymous", verified=False)


def actor_input(key: str):
    """Who is acting: the signed-in user, or a name typed once per session (asked for here when missing)."""
    t = tr()
    found = login_actor()
    if found is not None:
        st.caption(t("oversight.signed_in_as", name=plain_text(found.name)))
        return found
    store_ = page_state("oversight")
    if store_.get("name"):
        left, right = st.columns([4, 1])
        left.caption(t("oversight.working_as", name=plain_text(store_["name"])))
        if right.button(t("oversight.change_name"), key=f"{key}_change"):
            store_.pop("name", None)
            st.rerun()
        return known_actor()
    typed = st.text_input(t("oversight.your_name"), key=key, help=t("oversight.your_name_help"), max_chars=200)
    if typed and typed.strip():
        store_["name"] = " ".join(typed.split())
        return known_actor()
    return None


def _changes_text(counterfactual, names: dict[str, str]) -> str:
    t = tr()
    return "; ".join(f"{names.get(f, f)}: {t.value(c['from'])} → {t.value(c['to'])}"
                     for f, c in counterfactual.changes.items())


def save_case_button(kind: str, *, name: str, ws, row: int, shap=None, lime=None, narrative=None, edits=None,
                     effects=None, result=None) -> int | None:
    """"Save case" at the end of a page: a note, who is saving, and (Counterfactuals) which counterfactual.

    ``kind``: ``local``, ``whatif`` (pass the page's ``edits`` and the edited row's ``effects``) or
    ``counterfactual`` (pass the page's search ``result``, or None before a search). Values the page has
    computed (``shap``, ``lime``, ``narrative``) are saved as shown; the rest is computed on saving.
    Returns the new case id after a save."""
    from explainers.oversight.cases import save_case, snapshot

    t = tr()
    st.divider()
    with st.expander(t("oversight.save_heading"), icon=":material/bookmark_add:"):
        st.caption(t("oversight.save_help"))
        chosen = None
        if kind == "counterfactual":
            found = tuple(result.counterfactuals) if result is not None else ()
            if not found:
                st.info(t("oversight.no_counterfactual"))
                return None
            names = ws.dataset.spec.short_labels(ws.dataset.feature_names, language())
            number = st.selectbox(t("oversight.choose_counterfactual"), list(range(1, len(found) + 1)),
                                  key="oversight_cf_choice",
                                  format_func=lambda n: t("oversight.counterfactual_option", n=n,
                                                          changes=_changes_text(found[n - 1], names)))
            chosen = found[int(number) - 1]
        who = actor_input(f"oversight_name_{kind}")
        note = st.text_area(t("oversight.note"), key=f"oversight_note_{kind}",
                            placeholder=t("oversight.note_placeholder"), max_chars=5000)
        if not st.button(t("oversight.save"), key=f"oversight_save_{kind}", type="primary",
                         icon=":material/bookmark_add:"):
            return None
        if who is None:
            st.warning(t("oversight.name_needed"))
            return None
        try:
            with st.spinner("…"):
                snap = snapshot(ws, int(row), kind, dataset=name, lang=language(), edits=edits, counterfactual=chosen,
                                shap=shap, lime=lime, narrative=narrative, effects=effects)
                case_id = save_case(store(), snap, who, note)
        except InputError as error:
            st.error(t("oversight.save_failed", reason=engine_text(error)))
            return None
        page_state("cases")["selected"] = case_id
        st.success(t("oversight.saved", id=case_id), icon=":material/check:")
        return case_id


def record_report_event(ws, name: str, rows, lang: str, fmt: str) -> None:
    """Audit entry ``report.produced`` (the Report page calls it when a report is built)."""
    from explainers.oversight.events import record_report

    _record(lambda db: record_report(db, ws, rows, fmt, lang, event_actor(), dataset=name))


def record_upload_event(ws, name: str, model_changed: bool = False, source: str | None = None) -> None:
    """Audit entry ``data.uploaded`` or ``model.changed`` (for the Data source page, after an upload)."""
    from explainers.oversight.events import record_upload

    _record(lambda db: record_upload(db, ws, event_actor(), model_changed=model_changed, dataset=name,
                                     source=source))


def _record(write) -> None:
    try:
        write(store())
    except Exception:  # the event already happened; a failed audit write is logged and shown, never hidden
        LOG.exception("audit entry not written")
        st.warning(tr()("oversight.audit_failed"), icon=":material/warning:")
