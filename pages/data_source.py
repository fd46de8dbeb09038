"""Data source: bring your own table (and, optionally, model) into this browser session.

Uploads live in this session's ``st.session_state`` only (Streamlit's uploader keeps files in
memory; nothing is written to disk, except an uploaded model for the moment it is loaded, in a
private temporary folder). Any bad input shows one ``st.error`` line and changes nothing: the
dataset and model selected before stay selected.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from explainers.documents import safe_csv
from explainers.errors import InputError
from explainers.privacy import DEFAULT_SAMPLE_ROWS, detect_pii, mask_frame
from explainers.spec import guess_positive_class, infer_task, make_spec
from explainers.upload import TABLE_TYPES, Limits, read_upload, spec_from_upload
from explainers.util import MODEL_TYPES, PICKLE_TYPES, pickle_refusal
from explainers.workspace import build_workspace
from pages.common import add_upload, engine_text, model_name, plain_text, tr
from pages.state import UPLOAD_PREFIX, uploads, view
from pages.tables import safe_dataframe

PREVIEW_ROWS = 20
TASKS = ["classification", "regression"]
SELECTIONS = ("data_target", "data_task", "data_favourable", "data_immutable", "data_sensitive", "data_pii")

t = tr()


def _fail(message: str) -> None:
    """One error line; nothing else changes."""
    st.error(message, icon=":material/error:")
    st.caption(t("data.status_failed"))


def _column_kind(column: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(column.dtype):
        return t("data.type_bool")
    if pd.api.types.is_numeric_dtype(column.dtype):
        return t("data.type_number")
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return t("data.type_date")
    return t("data.type_text")


def _summary(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("data.column"): [str(c) for c in frame.columns],
            t("data.type"): [_column_kind(frame[c]) for c in frame.columns],
            t("data.missing"): [int(frame[c].isna().sum()) for c in frame.columns],
            t("data.distinct"): [int(frame[c].nunique(dropna=True)) for c in frame.columns],
        }
    )


def _table(upload, limits: Limits) -> pd.DataFrame:
    """The uploaded table, parsed once per upload (kept in this session only)."""
    key = (getattr(upload, "file_id", None), upload.name, upload.size, limits)
    cached = st.session_state.get("data_parsed")
    if cached is not None and cached[0] == key:
        return cached[1]
    frame = read_upload(upload.name, upload.getvalue(), limits)  # raises InputError: nothing stored
    st.session_state["data_parsed"] = (key, frame)
    return frame


def _personal(frame: pd.DataFrame) -> dict:
    """The columns detection proposes as personal data (column → finding), once per parsed table."""
    cached = st.session_state.get("data_personal")
    if cached is not None and cached[0] is frame:
        return cached[1]
    found = {f.column: f for f in detect_pii(frame)}
    st.session_state["data_personal"] = (frame, found)
    return found


def _fresh_choices(*files) -> None:
    """A new table or spec: forget the choices made for the previous one (defaults apply again)."""
    key = tuple((getattr(f, "file_id", None), f.name, f.size) if f is not None else None for f in files)
    if st.session_state.get("data_choices_for") != key:
        for name in SELECTIONS:
            st.session_state.pop(name, None)
        st.session_state["data_choices_for"] = key


def _target_changed() -> None:
    for name in SELECTIONS[1:]:  # task, immutable and sensitive start again from the new target's defaults
        st.session_state.pop(name, None)


def _current_upload() -> None:
    name = view()["dataset"]
    ws = uploads().get(name) if name.startswith(UPLOAD_PREFIX) else None
    if ws is None:
        return
    st.success(
        t("data.current", title=ws.dataset.spec.display_title(t.lang), rows=t.number(len(ws.dataset.features), 0),
          model=model_name(ws)),
        icon=":material/check_circle:",
    )
    if ws.dataset.notices:
        with st.expander(t("data.notices")):
            for notice in ws.dataset.notices:  # they quote column names and values: text, never markup
                st.markdown(engine_text(notice))


st.title(t("data.title"))
st.write(t("data.intro"))
try:
    limits = Limits.from_env()
except InputError as exc:
    _fail(exc.text(t.lang))
    st.stop()
st.caption(
    t(
        "data.limits",
        megabytes=t.number(limits.max_megabytes, 0),
        rows=t.number(limits.max_rows, 0),
        columns=t.number(limits.max_columns, 0),
        levels=t.number(limits.max_levels, 0),
        sample=t.number(limits.sample_rows, 0),
    )
)
_current_upload()

table_file = st.file_uploader(t("data.table_label"), type=list(TABLE_TYPES), key="data_table",
                              help=t("data.table_help"))
spec_file = st.file_uploader(t("data.spec_label"), type=["toml"], key="data_spec_file", help=t("data.spec_help"))
if table_file is None:
    st.info(t("data.waiting"))
    st.stop()

try:
    frame = _table(table_file, limits)
    spec = spec_from_upload(spec_file.name, spec_file.getvalue()) if spec_file is not None else None
except InputError as exc:
    _fail(exc.text(t.lang))
    st.stop()
_fresh_choices(table_file, spec_file)
if spec is not None:
    st.caption(t("data.spec_used", name=spec_file.name))

personal = _personal(frame)
proposed = list(spec.pii) if spec is not None and spec.pii is not None else list(personal)
chosen_pii = [c for c in st.session_state.get("data_pii", proposed) if c in frame.columns]
st.subheader(t("data.preview"))
# The preview and its download show the personal columns masked, as every page and report does.
preview = mask_frame(frame.head(PREVIEW_ROWS), {c: personal[c].kind if c in personal else "other" for c in chosen_pii})
safe_dataframe(preview, key="data_preview")
st.caption(t("data.preview_caption", shown=len(preview), total=t.number(len(frame), 0), name=table_file.name))
st.download_button(
    t("data.download_preview"),
    data=safe_csv(preview),
    file_name=f"{Path(table_file.name).stem}-preview.csv",
    mime="text/csv",
    key="data_download",
    help=t("data.download_help"),
)
st.markdown(f"**{t('data.columns')}**")
safe_dataframe(_summary(frame), hide_index=True, key="data_columns")

st.subheader(t("data.setup"))
columns = [str(c) for c in frame.columns]
default_target = spec.target if spec is not None and spec.target in columns else columns[-1]
target = st.selectbox(t("data.target"), columns, index=columns.index(default_target), key="data_target",
                      on_change=_target_changed)
from_spec = spec is not None and spec.target == target
default_task = spec.task if from_spec else infer_task(frame[target])
task = st.radio(t("data.task"), TASKS, index=TASKS.index(default_task), key="data_task", horizontal=True,
                format_func=lambda value: t(f"data.task_{value}"), help=t("data.task_help"))
favourable = None
if task == "classification":
    classes = sorted(frame[target].dropna().astype("object").map(str).unique())
    guess, reason = guess_positive_class(classes)
    if guess is not None:
        if from_spec and spec.positive_class in classes:
            guess, reason = spec.positive_class, "spec"
        # Which class counts as favourable colours every chart and sentence: the user confirms the guess.
        favourable = st.selectbox(t("data.favourable"), classes, index=classes.index(guess), key="data_favourable",
                                  help=t("data.favourable_help"))
        st.caption(plain_text(t(f"data.favourable_{reason}", label=guess)))
features = [c for c in columns if c != target]
immutable = st.multiselect(
    t("data.immutable"), features, key="data_immutable", help=t("data.immutable_help"),
    default=[c for c in spec.immutable if c in features] if from_spec else [],
)
sensitive = st.multiselect(
    t("data.sensitive"), features, key="data_sensitive", help=t("data.sensitive_help"),
    default=[c for c in spec.sensitive if c in features] if from_spec else [],
)
pii = st.multiselect(t("privacy.data_pii"), features, key="data_pii", help=t("privacy.data_pii_help"),
                     default=[c for c in proposed if c in features])
if personal:
    st.caption(plain_text(t("privacy.data_pii_found", columns="; ".join(
        t("privacy.data_pii_reason", column=c, reason=f.reason.text(t.lang)) for c, f in personal.items()))))
else:
    st.caption(t("privacy.data_pii_none", rows=t.number(min(len(frame), DEFAULT_SAMPLE_ROWS), 0)))

source = st.radio(t("data.model_source"), ["train", "upload"], key="data_model_source", horizontal=True,
                  format_func=lambda value: t(f"data.model_{value}"))
model_file = None
ready = True
if source == "upload":
    model_file = st.file_uploader(t("data.model_label"), type=[*MODEL_TYPES, *PICKLE_TYPES], key="data_model",
                                  help=t("data.model_help"))
    if model_file is None:
        st.info(t("data.model_waiting"))
        ready = False
    elif Path(model_file.name).suffix.lower().lstrip(".") in PICKLE_TYPES:
        _fail(pickle_refusal(model_file.name).text(t.lang))  # refused before anything reads it
        ready = False

if st.button(t("data.go"), key="data_go", type="primary", disabled=not ready):
    steps = {
        "checking": t("data.status_checking"),
        "training": t("data.status_training"),
        "loading": t("data.status_loading"),
        "done": t("data.status_done"),
    }
    status = st.status(steps["checking"], expanded=True)
    bar = status.progress(0.0, text=steps["checking"])

    def progress(fraction: float, step: str) -> None:
        bar.progress(fraction, text=steps[step])
        status.update(label=steps[step])

    try:
        chosen_spec = spec
        if favourable is not None:
            chosen_spec, _ = make_spec(frame, target, task=task, immutable=immutable, sensitive=sensitive, base=spec,
                                       name=spec.name if spec is not None else Path(table_file.name).stem, pii=pii)
            chosen_spec = replace(chosen_spec, positive_class=favourable)
        ws = build_workspace(
            frame,
            target,
            task=task,
            immutable=immutable,
            sensitive=sensitive,
            spec=chosen_spec,
            model_bytes=model_file.getvalue() if model_file is not None else None,
            model_name=model_file.name if model_file is not None else None,
            name=spec.name if spec is not None else Path(table_file.name).stem,
            limits=limits,
            progress=progress,
            pii=pii,
        )
    except InputError as exc:
        status.update(label=t("data.status_failed"), state="error", expanded=False)
        _fail(exc.text(t.lang))
    except Exception as exc:  # never a traceback for an upload; the selection stays as it was
        status.update(label=t("data.status_failed"), state="error", expanded=False)
        reason = str(exc).splitlines()[0][:200] if str(exc) else ""
        _fail(t("errors.unexpected", kind=type(exc).__name__, reason=reason))
    else:
        status.update(label=steps["done"], state="complete", expanded=False)
        add_upload(ws)
        st.rerun()
