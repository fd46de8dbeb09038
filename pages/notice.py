"""Decision notice: a letter to the person the current row's decision is about (HTML, Markdown or PDF)."""

import re
from dataclasses import replace
from datetime import UTC, datetime

import streamlit as st

from explainers.documents import EXTENSIONS, MIME_TYPES
from explainers.i18n import languages
from explainers.oversight.events import record_notice
from explainers.oversight.notice import (
    DEFAULT_REASONS,
    MAX_REASONS,
    DecisionNotice,
    build_notice,
)
from pages.common import current, language, plain_text, tr, workspace
from pages.oversight_ui import actor_input, event_actor, store
from pages.state import page_state, remembered_widget

FORMATS = ("pdf", "html", "markdown")
LANGUAGE_NAMES = {"en": "English", "pt-BR": "Português (Brasil)"}


@st.cache_data(show_spinner=False, max_entries=64)
def cached_notice(name: str, model_hash: str, row: int, lang: str, reasons: int, seed: int) -> DecisionNotice:
    return build_notice(workspace(name), row, lang=lang, reasons=reasons, seed=seed, dataset_name=name)


def runs_markdown(item) -> str:
    return "".join(f"**{plain_text(text)}**" if bold else plain_text(text) for text, bold in item.runs)


t = tr()
name, ws, row = current()
memory = page_state("notice")
st.title(t("notice.page_title"))
st.caption(t("notice.page_intro", row=row))
left, middle, right = st.columns(3)
with left:
    lang = remembered_widget(st.selectbox, memory, "lang", "notice_lang", t("notice.lang"), languages(),
                             default=language(), format_func=lambda code: LANGUAGE_NAMES.get(code, code))
with middle:
    reasons = remembered_widget(st.number_input, memory, "reasons", "notice_reasons", t("notice.reasons"),
                                1, MAX_REASONS, default=DEFAULT_REASONS, step=1)
with right:
    fmt = remembered_widget(st.selectbox, memory, "format", "notice_format", t("notice.format"), FORMATS,
                            default="pdf", format_func=lambda f: t(f"report.format_{f}"))

with st.spinner("…"):
    notice = cached_notice(name, ws.model.model_hash, row, lang, int(reasons), ws.seed)

with st.container(border=True):
    st.markdown(f"#### {plain_text(notice.title)}")
    for heading, paragraphs, items in notice.sections:
        if heading:
            st.markdown(f"**{plain_text(heading)}**")
        for paragraph in paragraphs:
            st.markdown(runs_markdown(paragraph))
        if items:
            st.markdown("\n".join(f"- {runs_markdown(item)}" for item in items))
    st.caption(plain_text(notice.footer))

who = actor_input("notice_name")
request = (name, ws.model.model_hash, row, lang, int(reasons), fmt)
if st.button(t("notice.write"), key="notice_write", type="primary", icon=":material/mail:"):
    written = replace(notice, generated=datetime.now(UTC).replace(microsecond=0))
    data = written.to_bytes(fmt)
    record_notice(store(), written, fmt, who or event_actor())
    memory["written"] = (request, data)
if memory.get("written") and memory["written"][0] == request:
    data = memory["written"][1]
    st.success(t("notice.written", size=t.number(len(data), 0)), icon=":material/check:")
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", ws.dataset.spec.name).strip("-") or "data"
    name_of_file = f"decision-notice-{slug}-row-{row}-{lang}.{EXTENSIONS[fmt]}"
    st.download_button(t("notice.download"), data, file_name=name_of_file, mime=MIME_TYPES[fmt],
                       key="notice_download", on_click="ignore", type="primary", icon=":material/download:")
