"""What the Monitoring page draws, and its caches. Not a page: ``app.py`` routes only to the files it names.

Every number comes from :mod:`explainers.monitoring`; this module lays out charts (with a caption a
non-expert can read) and, beside each, a table of the same numbers.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from explainers.monitoring import MonitoringResult, Thresholds, monitor_all, prepare_reference
from explainers.monitoring import figures as fig
from explainers.monitoring.inputs import align, read_batch, read_batch_periods, read_bytes
from explainers.monitoring.simulate import recipe, simulate, simulate_periods
from explainers.monitoring.timeline import timeline
from pages.common import chart, outcome_phrase, plain_text, tr, workspace
from pages.tables import safe_dataframe

ICONS = {"major": ":material/error:", "moderate": ":material/warning:", "minor": ":material/info:"}


def key_of(thresholds: Thresholds) -> tuple:
    return tuple(sorted(thresholds.to_dict().items()))


@st.cache_resource(show_spinner=False, max_entries=8)
def reference_for(name: str, model_hash: str, thresholds: tuple):
    ws = workspace(name)
    return prepare_reference(ws.dataset, ws.model, Thresholds(**dict(thresholds)))


def _reference(name: str, model_hash: str, thresholds: tuple):
    sampling = {k: v for k, v in thresholds if k in ("bootstrap", "sample_rows", "performance_rows", "seed")}
    return reference_for(name, model_hash, key_of(Thresholds(**sampling)))


@st.cache_data(show_spinner=False, max_entries=16)
def demo_results(name: str, model_hash: str, thresholds: tuple, strength: float, periods: int,
                 period_name: str) -> list[MonitoringResult]:
    reference = _reference(name, model_hash, thresholds)
    frames = simulate_periods(reference, periods) if periods > 1 else [simulate(reference, strength)]
    tables = [align(frame, reference.dataset, period_name.format(n=i + 1)) for i, frame in enumerate(frames)]
    return monitor_all(reference, tables, Thresholds(**dict(thresholds)))


@st.cache_data(show_spinner=False, max_entries=8)
def upload_results(name: str, model_hash: str, thresholds: tuple, digests: tuple[str, ...],
                   _files: list[tuple[str, bytes]]) -> list[MonitoringResult]:
    reference = _reference(name, model_hash, thresholds)
    tables = [read_bytes(file_name, data, reference.dataset) for file_name, data in _files]
    return monitor_all(reference, tables, Thresholds(**dict(thresholds)))


@st.cache_data(show_spinner=False, max_entries=8)
def batch_results(name: str, model_hash: str, thresholds: tuple, folder: str, root: str,
                  stamp: str, by: str = "") -> list[MonitoringResult]:
    """One batch folder as one current table, or (``by``: a column the batch kept) one table per period."""
    reference = _reference(name, model_hash, thresholds)
    if by:
        tables = read_batch_periods(folder, by, reference.dataset, reference.model, root=root)
    else:
        tables = [read_batch(folder, reference.dataset, reference.model, root=root)]
    return monitor_all(reference, tables, Thresholds(**dict(thresholds)))


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def demo_caption(name: str, model_hash: str, thresholds: tuple, labels: dict[str, str]) -> str:
    plan = recipe(_reference(name, model_hash, thresholds))
    shown = {k: labels.get(v, v) if v else "–" for k, v in vars(plan).items()}
    return tr()("monitoring.demo_caption", shifted=shown["shifted"], new_level=shown["new_level"],
                missing=shown["missing"])


# ---------------------------------------------------------------------------------------------------------
# Views


def notices(result: MonitoringResult) -> None:
    t = tr()
    for notice in result.notices:
        kind, _, rest = notice.partition(":")
        if kind == "sampled":
            rows, total = rest.split(":")
            st.caption(t("monitoring.sampled", rows=t.number(int(rows), 0), total=t.number(int(total), 0)))
        elif kind == "unseen":
            for item in rest.split(","):
                column, _, count = item.partition("=")
                st.caption(plain_text(t("monitoring.unseen", column=column, count=t.number(int(count), 0))))
    for column, count in result.unreadable.items():
        st.caption(plain_text(t("monitoring.unreadable", column=column, count=t.number(count, 0))))


def alerts(result: MonitoringResult, ws, labels: dict[str, str]) -> None:
    t = tr()
    st.subheader(t("monitoring.alerts"))
    counts = {s: sum(a.severity == s for a in result.alerts) for s in ("major", "moderate", "minor")}
    st.caption(t("monitoring.alerts_count", **{k: t.number(v, 0) for k, v in counts.items()}))
    if not result.alerts:
        st.success(t("monitoring.no_alerts"), icon=":material/check_circle:")
    draw = {"major": st.error, "moderate": st.warning, "minor": st.info}
    for alert in result.alerts:
        text = f"{t(f'monitoring.severity_{alert.severity}')}: {alert.text(t, ws.dataset.spec, labels)}"
        draw[alert.severity](plain_text(text), icon=ICONS[alert.severity])


def _p(value) -> str:
    t = tr()
    if value is None or value != value:
        return "–"
    return "< 0,001" if value < 0.001 and t.lang != "en" else "< 0.001" if value < 0.001 else t.fixed(value, 3)


def data_view(result: MonitoringResult, labels: dict[str, str]) -> None:
    t = tr()
    st.subheader(t("monitoring.data_heading"))
    left, right = st.columns([3, 2])
    with left:
        chart(fig.psi_bars(result, labels, t), t("monitoring.psi_caption"), "monitoring_psi")
    with right:
        table = result.feature_table()
        safe_dataframe(pd.DataFrame({
            t("monitoring.col_feature"): [labels.get(f, f) for f in table["feature"]],
            "PSI": [t.fixed(v, 3) for v in table["psi"]],
            t("monitoring.col_test"): ["KS" if v == "ks" else "χ²" for v in table["test"]],
            t("monitoring.col_p_holm"): [_p(v) for v in table["p_adjusted"]],
            t("monitoring.col_wasserstein"): ["–" if v != v or v is None else t.number(v, 3)
                                              for v in table["wasserstein"]],
            t("monitoring.col_missing_change"): [t.percent(v) for v in table["missing_change"]],
            t("monitoring.col_new_levels"): [t.number(v, 0) for v in table["new_levels"]],
            t("monitoring.col_verdict"): [t(f"monitoring.severity_{s}") for s in table["severity"]],
        }), hide_index=True, key="monitoring_features_table")


def feature_view(result: MonitoringResult, labels: dict[str, str], chosen: str) -> None:
    t = tr()
    drift = result.feature(chosen)
    left, right = st.columns([3, 2])
    with left:
        chart(fig.feature_bins(drift, labels.get(chosen, chosen), t), t("monitoring.bins_caption"), "monitoring_bins")
    with right:
        bins = drift.bin_table()
        safe_dataframe(pd.DataFrame({
            t("monitoring.col_bin"): fig.bin_names(drift, t),
            t("monitoring.reference"): [t.percent(v) for v in bins["reference"]],
            t("monitoring.current"): [t.percent(v) for v in bins["current"]],
            "PSI": [t.fixed(v, 4) for v in bins["psi"]],
        }), hide_index=True, key="monitoring_bins_table")


def prediction_view(result: MonitoringResult, ws) -> None:
    t = tr()
    st.subheader(t("monitoring.predictions_heading"))
    drift, classifier = result.prediction, ws.model.is_classifier
    shown = t.percent if classifier else (lambda v: t.number(v, 3))
    left, right = st.columns([3, 2])
    with left:
        chart(fig.score_histogram(drift, outcome_phrase(ws), classifier, t), t("monitoring.predictions_caption"),
              "monitoring_predictions")
    with right:
        rows = [(t("monitoring.row_mean"), shown(drift.reference_mean), shown(drift.current_mean)),
                ("PSI", "", t.fixed(drift.psi, 3)), (t("monitoring.row_ks_p"), "", _p(drift.p_value))]
        if drift.class_shares is not None:
            rows += [(t("common.predicted", target=ws.dataset.spec.class_label(str(r["class"]), t.lang)),
                      t.percent(r["reference"]), t.percent(r["current"]))
                     for r in drift.class_shares.to_dict(orient="records")]
        safe_dataframe(pd.DataFrame(rows, columns=["", t("monitoring.reference"), t("monitoring.current")]),
                       hide_index=True, key="monitoring_predictions_table")


def attribution_view(result: MonitoringResult, labels: dict[str, str]) -> None:
    t = tr()
    st.subheader(t("monitoring.attributions_heading"))
    drift = result.attributions
    left, right = st.columns([3, 2])
    with left:
        chart(fig.attribution_bars(drift, labels, t, drift.space),
              t("monitoring.attributions_caption", reference=t.number(drift.rows_reference, 0),
                current=t.number(drift.rows_current, 0)), "monitoring_attributions")
    with right:
        table = drift.table
        safe_dataframe(pd.DataFrame({
            t("monitoring.col_feature"): [labels.get(f, f) for f in table.index],
            t("monitoring.reference"): [t.fixed(v, 3) for v in table["reference"]],
            t("monitoring.current"): [t.fixed(v, 3) for v in table["current"]],
            t("monitoring.col_change"): [t.fixed(v, 3) for v in table["change"]],
            t("monitoring.col_rank"): [f"{a} → {b}" for a, b in zip(table["rank_reference"], table["rank_current"],
                                                                  strict=True)],
        }), hide_index=True, key="monitoring_attributions_table")


def performance_view(result: MonitoringResult) -> None:
    from explainers.metrics import METRIC_KEYS

    t = tr()
    st.subheader(t("monitoring.performance_heading"))
    drift = result.performance
    if drift is None:
        st.info(t("monitoring.no_target"))
        return
    left, right = st.columns([3, 2])
    with left:
        chart(fig.performance_points(drift, t),
              t("monitoring.performance_caption", confidence=t.percent(drift.confidence, 0)), "monitoring_performance")
    with right:
        table = drift.table
        safe_dataframe(pd.DataFrame({
            t("monitoring.col_metric"): [t(f"report.metric_{METRIC_KEYS[m]}") if m in METRIC_KEYS else m
                                         for m in table.index],
            t("monitoring.reference_test"): [t.fixed(v, 3) for v in table["reference"]],
            t("monitoring.current"): [t.fixed(v, 3) for v in table["current"]],
            t("monitoring.col_low"): [t.fixed(v, 3) for v in table["change_low"]],
            t("monitoring.col_high"): [t.fixed(v, 3) for v in table["change_high"]],
            t("monitoring.col_verdict"): [t("monitoring.worse") if d else t("monitoring.within_chance")
                                          for d in table["dropped"]],
        }), hide_index=True, key="monitoring_performance_table")


def timeline_view(results: list[MonitoringResult], ws, labels: dict[str, str]) -> None:
    t = tr()
    st.subheader(t("monitoring.timeline_heading"))
    line = timeline(results)
    thresholds = results[0].thresholds
    periods = [str(p) for p in line.psi.index]
    left, right = st.columns([3, 2])
    with left:
        chart(fig.timeline_psi(line, labels, thresholds, t), t("monitoring.timeline_psi_caption"),
              "monitoring_timeline_psi")
    with right:
        table = line.psi.map(lambda v: t.fixed(v, 3))
        table.columns = [labels.get(c, c) for c in table.columns]
        safe_dataframe(table.T.rename_axis(t("monitoring.col_feature")), key="monitoring_timeline_psi_table")
    classifier = ws.model.is_classifier
    shown = t.percent if classifier else (lambda v: t.number(v, 3))
    left, right = st.columns([3, 2])
    with left:
        chart(fig.timeline_prediction(line, outcome_phrase(ws), classifier, t),
              t("monitoring.timeline_prediction_caption"), "monitoring_timeline_prediction")
    with right:
        safe_dataframe(pd.DataFrame({t("monitoring.col_period"): periods,
                                     t("monitoring.row_mean"): [shown(v) for v in line.prediction["current"]],
                                     "PSI": [t.fixed(v, 3) for v in line.prediction["psi"]],
                                     t("monitoring.col_verdict"): [t(f"monitoring.severity_{s}")
                                                                   for s in line.severity]}),
                       hide_index=True, key="monitoring_timeline_prediction_table")
    left, right = st.columns([3, 2])
    with left:
        chart(fig.timeline_attributions(line, labels, t, results[0].attributions.space),
              t("monitoring.timeline_attributions_caption"), "monitoring_timeline_attributions")
    with right:
        table = line.attributions.map(lambda v: t.fixed(v, 3))
        table.columns = [labels.get(c, c) for c in table.columns]
        safe_dataframe(table.T.rename_axis(t("monitoring.col_feature")), key="monitoring_timeline_shap_table")
