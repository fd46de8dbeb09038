"""Report: a transparency report about the model and chosen rows, to download as HTML, Markdown or PDF."""

import re
import time
import tomllib

import streamlit as st

from explainers.errors import InputError
from explainers.model_card import USE_CASE_ORDER, use_case_template
from explainers.report import (
    EXTENSIONS,
    MAX_ROWS,
    MIME_TYPES,
    USE_CASE_FIELDS,
    Stamp,
    UseCase,
    build_report,
    compute_stamp,
    default_use_case,
    stamp_rows,
)
from pages.common import current, language, plain_text, tr, workspace
from pages.oversight_ui import record_report_event
from pages.state import page_state

FORMATS = ("html", "markdown", "pdf")
ROW_OPTIONS = 5000  # rows offered in the list (plus the current row)
LONG_FIELDS = ("purpose", "decisions", "limitations")
FIRST_FIELDS = USE_CASE_FIELDS[:5]  # the report's original use case; the rest under "The use case in full"
TECHNICAL = re.compile(r"^[\w.:/\\-]+$")  # hashes, paths, file names: shown as code


@st.cache_data(show_spinner=False, max_entries=16)
def cached_report(name: str, model_hash: str, rows: tuple[int, ...], use_case: tuple[str, ...], lang: str,
                  fmt: str) -> tuple[bytes, Stamp, float]:
    ws = workspace(name)
    started = time.perf_counter()
    report = build_report(ws, list(rows), UseCase(*use_case), lang=lang, seed=ws.seed)
    data = report.to_bytes(fmt)
    return data, report.stamp, time.perf_counter() - started


@st.cache_data(show_spinner=False)
def cached_stamp(name: str, model_hash: str, seed: int) -> Stamp:
    return compute_stamp(workspace(name), seed=seed)


def size_text(size: int) -> str:
    if size >= 1_000_000:
        return t("report.size_mb", value=t.number(size / 1_000_000, 1))
    return t("report.size_kb", value=t.number(max(size / 1000, 0.1), 1))


t = tr()
lang = language()
name, ws, row = current()
dataset, model = ws.dataset, ws.model
st.title(t("report.page_title"))
st.write(t("report.page_intro"))

# The use case lives in page state, per dataset (kept across page switches and language changes); the widgets
# only show it: they are drawn from it with keys that change when a loaded file replaces it.
store = page_state("report").setdefault("use_case", {})
if name not in store or (not store[name]["edited"] and store[name]["lang"] != lang):
    # Until someone edits it, the prefilled use case follows the language.
    store[name] = {"fields": default_use_case(dataset.spec, lang).to_dict(), "lang": lang, "edited": False,
                   "version": store[name]["version"] + 1 if name in store else 0}
use_case_state = store[name]
stored = use_case_state["fields"]
version = use_case_state["version"]
n_rows = len(dataset.features)
options = list(range(min(n_rows, ROW_OPTIONS)))
if row not in options:
    options.append(row)

with st.form("report_form"):
    st.subheader(t("report.form_heading"))
    st.caption(t("report.form_help"))
    values = {}
    for field in FIRST_FIELDS:
        key = f"report_uc_{field}::{name}::{version}"
        if field in LONG_FIELDS:
            values[field] = st.text_area(t(f"report.uc_{field}"), value=stored[field], key=key, height=90)
        else:
            values[field] = st.text_input(t(f"report.uc_{field}"), value=stored[field], key=key)
    with st.expander(t("docs.page.full_heading"), expanded=any(stored[f] for f in USE_CASE_ORDER
                                                                 if f not in FIRST_FIELDS)):
        st.caption(t("docs.page.full_help"))
        for field in (f for f in USE_CASE_ORDER if f not in FIRST_FIELDS):
            values[field] = st.text_area(t(f"report.uc_{field}"), value=stored[field], height=80,
                                         key=f"report_uc_{field}::{name}::{version}",
                                         help=t(f"docs.template.{field}"))
    left, right = st.columns([3, 2])
    chosen = left.multiselect(
        t("report.rows_label"), options, default=[row], max_selections=MAX_ROWS, key=f"report_rows::{name}::{row}",
        help=t("report.rows_help", n=MAX_ROWS) + (" " + t("report.rows_limited", n=t.number(ROW_OPTIONS, 0))
                                                  if n_rows > ROW_OPTIONS else ""),
    )
    fmt = right.radio(t("report.format_label"), FORMATS, format_func=lambda f: t(f"report.format_{f}"),
                      key="report_format")
    submitted = st.form_submit_button(t("report.build"), type="primary", icon=":material/description:")

if submitted:
    edited = {k: v.strip() for k, v in values.items()}
    use_case_state["edited"] = use_case_state["edited"] or edited != stored
    stored.update(edited)  # kept for the next visit and the download
    if not chosen:
        st.warning(t("report.no_rows"))
    else:
        use_case = UseCase(**stored)
        st.session_state["report_request"] = (name, model.model_hash, tuple(sorted(set(int(r) for r in chosen))),
                                              use_case.astuple(), lang, fmt)
        record_report_event(ws, name, sorted(set(int(r) for r in chosen)), lang, fmt)  # pages/oversight_ui.py

# Beside the form: load a use-case file into it, or download the use case as last saved.
slug = re.sub(r"[^A-Za-z0-9_-]+", "-", dataset.spec.name).strip("-") or "data"
load_column, download_column = st.columns([3, 2], vertical_alignment="bottom")
with load_column:
    loaded = st.file_uploader(t("docs.page.load"), type=["toml"], help=t("docs.page.load_help"),
                              key=f"report_uc_file::{name}")
download_column.download_button(
    t("docs.page.download"), use_case_template(lang, UseCase(**stored)).encode("utf-8"),
    file_name=f"use_case-{slug}.toml", mime="application/toml", key="report_uc_download", on_click="ignore",
    icon=":material/download:", help=t("docs.page.download_help"))
if loaded is not None and use_case_state.get("loaded") != loaded.file_id:
    try:
        stored.update(UseCase.from_mapping(tomllib.loads(loaded.getvalue().decode("utf-8")),
                                           where=loaded.name).to_dict())
        use_case_state.update(version=use_case_state["version"] + 1, loaded=loaded.file_id, edited=True)
        st.toast(t("docs.page.loaded", name=plain_text(loaded.name)), icon=":material/check:")
        st.rerun()  # the form, drawn above, shows the loaded use case
    except InputError as error:
        st.error(plain_text(error.text(lang)))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        st.error(t("docs.page.bad_file", name=plain_text(loaded.name)))

built_stamp = None
request = st.session_state.get("report_request")
if request and request[:2] == (name, model.model_hash):
    _, _, rows, _, request_lang, request_fmt = request
    with st.spinner(t("report.building")):
        data, built_stamp, seconds = cached_report(*request)
    st.success(t("report.built", size=size_text(len(data)), seconds=t.fixed(seconds, 1)))
    st.download_button(
        t("report.download"),
        data,
        file_name=f"transparency-report-{slug}-rows-{'-'.join(map(str, rows))}-{request_lang}."
                  f"{EXTENSIONS[request_fmt]}",
        mime=MIME_TYPES[request_fmt],
        key="report_download",
        on_click="ignore",
        type="primary",
        icon=":material/download:",
    )

st.subheader(t("report.stamp_page_heading"))
st.caption(t("report.stamp_page_note"))
stamp = built_stamp or cached_stamp(name, model.model_hash, ws.seed)
lines = stamp_rows(stamp, t, with_time=built_stamp is not None)
st.markdown("\n".join(f"- **{label}:** " + (f"`{value}`" if TECHNICAL.match(value) else value)
                      for label, value in lines))
st.caption(" · ".join(f"{package} {version}" for package, version in stamp.versions.items()))
