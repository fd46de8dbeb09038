"""Personal data on the pages: the Overview's section (which columns, why, a masked preview, unmasking for this
session after a typed reason, recorded in the audit trail) and one row's masked identifiers.

Not a page: ``app.py`` routes only to the files it names.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.common import language, plain_text, split_key, tr
from pages.state import page_state
from pages.tables import static_table

PREVIEW_ROWS = 5
MIN_REASON_CHARS = 10


def _memory() -> dict:
    return page_state("privacy")


def unmasked(name: str) -> bool:
    """Whether this session asked (with a reason) to see the personal data of workspace ``name``'s dataset on
    screen (whichever model explains it)."""
    return split_key(name)[0] in _memory().get("unmasked", {})


def row_identity(ws, name: str, row: int) -> None:
    """One caption with the row's personal data, masked (real values only after unmasking)."""
    personal = ws.dataset.personal
    if not personal or personal.values is None:
        return
    t = tr()
    values = personal.values.iloc[int(row)].to_dict() if unmasked(name) else personal.masked_row(int(row))
    text = ", ".join(f"{column} {value}" for column, value in values.items())
    st.caption(plain_text(t("privacy.row_identity", values=text)))


def _findings_table(ws) -> pd.DataFrame:
    t = tr()
    lang = language()
    personal = ws.dataset.personal
    return pd.DataFrame({
        t("privacy.column"): personal.columns,
        t("privacy.kind"): [t(f"privacy.kind_{f.kind}") for f in personal.findings],
        t("privacy.reason"): [f.reason.text(lang) for f in personal.findings],
    })


def _unmask_form(ws, name: str) -> None:
    from pages.oversight_ui import event_actor, store

    t = tr()
    memory = _memory()
    if unmasked(name):
        st.warning(t("privacy.unmasked"), icon=":material/visibility:")
        if st.button(t("privacy.mask_again"), key="privacy_mask_again", icon=":material/visibility_off:"):
            memory.get("unmasked", {}).pop(split_key(name)[0], None)
            st.rerun()
        return
    with st.expander(t("privacy.unmask"), icon=":material/visibility:"):
        reason = st.text_input(t("privacy.unmask_reason"), key="privacy_reason", help=t("privacy.unmask_reason_help"),
                               max_chars=500)
        if st.button(t("privacy.unmask_go"), key="privacy_unmask"):
            if len(reason.strip()) < MIN_REASON_CHARS:
                st.error(t("privacy.unmask_needs_reason", chars=MIN_REASON_CHARS))
                return
            from explainers.oversight.events import record_unmask

            try:  # no audit entry, no unmasking: the record comes first
                record_unmask(store(), ws, reason.strip(), event_actor(), dataset=split_key(name)[0])
            except Exception:
                st.error(t("oversight.audit_failed"))
                return
            memory.setdefault("unmasked", {})[split_key(name)[0]] = reason.strip()
            st.rerun()


def personal_section(ws, name: str) -> None:
    """The Overview's "Personal data" section: nothing when the table has none."""
    personal = ws.dataset.personal
    if not personal:
        return
    t = tr()
    st.subheader(t("privacy.section"))
    if personal.in_model:
        st.error(t("privacy.in_model", columns=plain_text(", ".join(personal.in_model))), icon=":material/warning:")
    st.write(t("privacy.intro"))
    st.caption(t("privacy.declared") if personal.declared else t("privacy.detected"))
    static_table(_findings_table(ws), t)
    if personal.values is not None:
        st.markdown(f"**{t('privacy.preview') if unmasked(name) else t('privacy.masked_preview')}**")
        preview = personal.values.head(PREVIEW_ROWS)
        static_table(preview if unmasked(name) else personal.masked(range(len(preview))), t, index=True)
        st.caption(t("privacy.unmasked_caption") if unmasked(name) else t("privacy.masked_caption"))
    _unmask_form(ws, name)
