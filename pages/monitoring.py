"""Monitoring: has the data, the model's behaviour or its reasons drifted since the reference?

The current data is a simulated shifted sample (the default: the page works without an upload), uploaded
tables (several make a timeline) or a batch results folder. The views and caches are in ``pages/monitoring_ui.py``.
"""

import streamlit as st

from explainers import InputError
from explainers.batch import list_results, open_results, results_root
from explainers.monitoring import thresholds_for
from explainers.upload import TABLE_TYPES
from pages import monitoring_ui as ui
from pages.common import current, engine_text, labels, section_picker, tr
from pages.state import page_state, remembered_widget

t = tr()
name, ws, _ = current()
model = ws.model
names = labels(ws)
memory = page_state("monitoring")
st.title(t("monitoring.title"))
st.caption(t("monitoring.intro"))

sources = ("demo", "upload", "batch")
source = remembered_widget(st.radio, memory, "source", "monitoring_source", t("monitoring.source"), sources,
                           format_func=lambda s: t(f"monitoring.source_{s}"), horizontal=True, default="demo")
spec_thresholds = thresholds_for(ws.dataset.spec)
with st.expander(t("monitoring.thresholds")):
    st.caption(t("monitoring.thresholds_help"))
    columns = st.columns(4)
    chosen = {
        "psi_moderate": remembered_widget(columns[0].number_input, memory, "psi_moderate", "monitoring_psi_moderate",
                                          t("monitoring.psi_moderate"), 0.01, 5.0, step=0.01,
                                          default=spec_thresholds.psi_moderate),
        "psi_major": remembered_widget(columns[1].number_input, memory, "psi_major", "monitoring_psi_major",
                                       t("monitoring.psi_major"), 0.01, 5.0, step=0.01,
                                       default=spec_thresholds.psi_major),
        "alpha": remembered_widget(columns[2].number_input, memory, "alpha", "monitoring_alpha", t("monitoring.alpha"),
                                   0.001, 0.5, step=0.01, format="%.3f", default=spec_thresholds.alpha),
        "top_k": remembered_widget(columns[3].number_input, memory, "top_k", "monitoring_top_k", t("monitoring.top_k"),
                                   1, max(1, len(ws.dataset.feature_names)), step=1, default=spec_thresholds.top_k),
    }
try:
    thresholds = spec_thresholds.updated(chosen)
except InputError as exc:
    st.error(engine_text(exc), icon=":material/error:")
    st.stop()
key = ui.key_of(thresholds)

with st.spinner(t("monitoring.computing")):
    if source == "demo":
        st.caption(ui.demo_caption(name, model.model_hash, key, names))
        left, right = st.columns([2, 1])
        strength = remembered_widget(left.slider, memory, "strength", "monitoring_strength",
                                     t("monitoring.demo_strength"), 0.0, 2.0, step=0.25,
                                     help=t("monitoring.demo_strength_help"), default=1.0)
        periods = 4 if remembered_widget(right.toggle, memory, "timeline", "monitoring_timeline",
                                         t("monitoring.demo_timeline")) else 1
        results = ui.demo_results(name, model.model_hash, key, float(strength), periods, t("monitoring.demo_period"))
    elif source == "upload":
        files = st.file_uploader(t("monitoring.upload"), type=list(TABLE_TYPES), accept_multiple_files=True,
                                 key="monitoring_upload", help=t("monitoring.upload_help"))
        if not files:
            st.info(t("monitoring.upload_prompt"))
            st.stop()
        loaded = sorted(((f.name, f.getvalue()) for f in files), key=lambda item: item[0])
        try:
            results = ui.upload_results(name, model.model_hash, key, tuple(ui.digest(d) for _, d in loaded), loaded)
        except InputError as exc:
            st.error(engine_text(exc), icon=":material/error:")
            st.stop()
    else:
        root = str(results_root())
        folders = list_results(root)
        if not folders:
            st.info(t("monitoring.batch_none"))
            st.stop()
        folder = st.selectbox(t("monitoring.batch_folder"), folders, key="monitoring_batch_folder")
        try:
            opened = open_results(folder, root)
            stamp = f"{opened.manifest.get('updated')}|{len(opened.complete_partitions)}"
            by = ""
            if opened.kept:  # columns the batch kept (batch --keep): one may split the folder into periods
                by = st.selectbox(t("monitoring.batch_by"), ["", *opened.kept], key="monitoring_batch_by",
                                  format_func=lambda c: c or t("monitoring.batch_by_none"),
                                  help=t("monitoring.batch_by_help"))
            results = ui.batch_results(name, model.model_hash, key, folder, root, stamp, by)
        except InputError as exc:
            st.error(engine_text(exc), icon=":material/error:")
            st.stop()

result = results[-1]
if len(results) > 1:
    period = st.selectbox(t("monitoring.period"), [r.name for r in results], index=len(results) - 1,
                          key="monitoring_period")
    result = next(r for r in results if r.name == period)
ui.notices(result)
ui.alerts(result, ws, names)


def feature_section() -> None:
    """One feature's reference and current distributions."""
    st.subheader(t("monitoring.feature_heading"))
    ordered = list(result.feature_table()["feature"])
    feature = st.selectbox(t("monitoring.feature_pick"), ordered, format_func=lambda f: names.get(f, f),
                           key="monitoring_feature")
    ui.feature_view(result, names, feature)


SECTIONS = {"data": lambda: ui.data_view(result, names), "feature": feature_section,
            "prediction": lambda: ui.prediction_view(result, ws),
            "attribution": lambda: ui.attribution_view(result, names),
            "performance": lambda: ui.performance_view(result)}
if len(results) > 1:
    SECTIONS["timeline"] = lambda: ui.timeline_view(results, ws, names)
SECTIONS[section_picker("monitoring", list(SECTIONS))]()
