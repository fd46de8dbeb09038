"""Overview: what the data and the model are, and how well the model does on held-out rows."""

import pandas as pd
import streamlit as st

from explainers import charts
from explainers.metrics import METRIC_KEYS, confusion_at
from pages.common import (
    chart,
    class_label,
    current,
    engine_text,
    evaluation,
    language,
    model_name,
    plain_text,
    presenting,
    section_picker,
    tr,
)
from pages.privacy_ui import personal_section
from pages.tables import in_locale, static_table


def confusion_table(table: pd.DataFrame) -> None:
    """Counts of test rows by actual (rows) and predicted (columns) class, in the classes' words."""
    shown = table.rename_axis(index=None, columns=None).rename(
        index=lambda c: t("charts.actual_label", label=class_label(ws, c)),
        columns=lambda c: t("charts.predicted_label", label=class_label(ws, c)))
    static_table(shown, t, index=True)

t = tr()
name, ws, _ = current()
dataset, model = ws.dataset, ws.model
spec = dataset.spec

# The title, description and notices can come from an uploaded table and spec: shown as text, never markup.
st.title(plain_text(spec.display_title(language())))
if spec.description:
    st.markdown(plain_text(spec.text(spec.description, language(), "")))
for notice in dataset.notices:
    st.info(engine_text(notice))

st.subheader(t("overview.data"))
columns = st.columns(4)
columns[0].metric(t("overview.rows"), t.number(len(dataset.features), 0))
columns[1].metric(t("overview.features"), len(dataset.feature_names))
columns[2].metric(t("overview.missing"), t.number(int(dataset.features.isna().sum().sum()), 0))
columns[3].metric(t("overview.task"), t(f"overview.task_{dataset.task}"))

left, right = st.columns(2)
with left:
    if model.is_classifier:
        counts = dataset.target.value_counts()
        balance = pd.DataFrame({
            t("overview.class"): counts.index,
            t("overview.meaning"): [class_label(ws, c) for c in counts.index],
            t("common.rows"): counts.to_numpy(),
            t("overview.share"): [t.percent(share, 1) for share in counts / counts.sum()],
        })
        st.markdown(f"**{t('overview.balance')}**")
        static_table(balance, t)
    else:
        st.markdown(f"**{t('overview.distribution')}**")
        summary = dataset.target.describe().to_frame().T
        summary["count"] = summary["count"].astype(int)  # a count, not a measurement
        static_table(in_locale(summary, t, 3), t, index=True)
with right:
    missing = dataset.features.isna().sum()
    missing = missing[missing > 0]
    st.markdown(f"**{t('overview.missing_by_feature')}**")
    if missing.empty:
        st.write(t("overview.no_missing"))
    else:
        static_table(pd.DataFrame({t("overview.feature"): missing.index, t("overview.missing"): missing.to_numpy()}), t)

personal_section(ws, name)

st.subheader(t("overview.model"))
result = evaluation(name, model.model_hash)
if not presenting():
    # The model's name is a sentence, too long for a metric box: it goes in words above the figures.
    st.markdown(f"**{t('overview.model_name')}:** {plain_text(model_name(ws))}")
    columns = st.columns(2)
    trees = model.details.get("trees")
    columns[0].metric(t("overview.size"), t("overview.trees", n=trees) if trees else model.kind)
    columns[1].metric(t("overview.test_rows"), t.number(len(result.rows), 0))
    st.caption(t("overview.test_caption", seed=ws.seed, model_hash=model.model_hash[:16],
                 data_hash=dataset.data_hash[:16]))
metric_columns = st.columns(len(result.metrics))
for column, (metric, value) in zip(metric_columns, result.metrics.items(), strict=True):
    key = METRIC_KEYS.get(metric)
    column.metric(t(f"report.metric_{key}") if key else metric, t.fixed(value, 3),
                  help=t(f"report.metric_{key}_help") if key else None)

if model.is_classifier and result.curves and section_picker("overview", ["threshold", "curves"]) == "curves":
    positive = model.classes[model.positive_index]
    one, two, three = st.columns(3)
    with one:
        chart(charts.roc_figure(result.curves["roc"], tr=t), t("overview.roc_caption"), "overview_roc")
    with two:
        chart(charts.precision_recall_figure(result.curves["pr"], tr=t),
              t("overview.pr_caption", label=class_label(ws, positive)), "overview_pr")
    with three:
        chart(charts.calibration_figure(result.curves["calibration"], tr=t), t("overview.calibration_caption"),
              "overview_calibration")
elif model.is_classifier and result.curves:
    positive = model.classes[model.positive_index]
    threshold = st.slider(t("overview.threshold", label=class_label(ws, positive)), 0.0, 1.0, 0.5, 0.01,
                          key="overview_threshold")
    table = confusion_at(result, positive, threshold)
    left, right = st.columns([2, 1])
    with left:
        chart(charts.confusion_figure(table, lambda c: class_label(ws, c), tr=t), t("overview.confusion_caption"),
              "overview_confusion")
    with right:
        confusion_table(table)
        correct = int(pd.Series(table.to_numpy().diagonal()).sum())
        st.metric(t("overview.accuracy_at"), t.fixed(correct / table.to_numpy().sum(), 3))
elif model.is_classifier:
    confusion_table(confusion_at(result, model.classes[model.positive_index]))
else:
    left, right = st.columns(2)
    with left:
        chart(charts.predicted_vs_actual(result.y_true, result.score, spec.target, tr=t),
              t("overview.pred_actual_caption"), "overview_pred_actual")
    with right:
        chart(charts.residuals_figure(result.y_true, result.score, tr=t), t("overview.residuals_caption"),
              "overview_residuals")
