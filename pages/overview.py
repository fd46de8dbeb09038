"""Overview: what the data and the model are, and how well the model does on held-out rows."""

import pandas as pd
import streamlit as st

from explainers import charts
from explainers.metrics import confusion_at
from pages.common import chart, current, evaluation

name, ws, _ = current()
dataset, model = ws.dataset, ws.model
spec = dataset.spec

st.title(spec.display_title())
if spec.description:
    st.write(spec.text(spec.description, "en", ""))
for notice in dataset.notices:
    st.info(notice)

st.subheader("The data")
columns = st.columns(4)
columns[0].metric("Rows", f"{len(dataset.features):,}")
columns[1].metric("Features", len(dataset.feature_names))
columns[2].metric("Missing values", f"{int(dataset.features.isna().sum().sum()):,}")
columns[3].metric("Task", dataset.task)

left, right = st.columns(2)
with left:
    if model.is_classifier:
        balance = dataset.target.value_counts().rename_axis("class").reset_index(name="rows")
        balance["share"] = (balance["rows"] / balance["rows"].sum()).round(3)
        balance["meaning"] = [spec.class_label(c) for c in balance["class"]]
        st.markdown("**Target balance**")
        st.dataframe(balance, hide_index=True, key="overview_balance")
    else:
        st.markdown("**Target distribution**")
        st.dataframe(dataset.target.describe().to_frame().T.round(3), key="overview_target")
with right:
    missing = dataset.features.isna().sum()
    missing = missing[missing > 0].rename_axis("feature").reset_index(name="missing")
    st.markdown("**Missing values by feature**")
    if missing.empty:
        st.write("No missing values.")
    else:
        st.dataframe(missing, hide_index=True, key="overview_missing")

st.subheader("The model")
result = evaluation(name, model.model_hash)
columns = st.columns(3)
columns[0].metric("Model", model.source.split(" (")[0])
columns[1].metric("Size", f"{model.details.get('trees', '?')} trees" if model.kind == "xgboost" else model.kind)
columns[2].metric("Test rows", f"{len(result.rows):,}")
st.caption(
    f"Test metrics on a fixed 20% of the rows (seed {ws.seed}) the model never saw in training. "
    f"Model SHA-256 {model.model_hash[:16]}…, data SHA-256 {dataset.data_hash[:16]}…"
)
metric_columns = st.columns(len(result.metrics))
for column, (metric, value) in zip(metric_columns, result.metrics.items(), strict=True):
    column.metric(metric, f"{value:.3f}")

if model.is_classifier and result.curves:
    positive = model.classes[model.positive_index]
    one, two, three = st.columns(3)
    with one:
        chart(charts.roc_figure(result.curves["roc"]),
              "Higher and further left is better; the dashed line is guessing.", "overview_roc")
    with two:
        chart(charts.precision_recall_figure(result.curves["pr"]),
              f"Of the rows called {spec.class_label(positive)}, the share that truly are (precision), "
              "against the share found (recall).", "overview_pr")
    with three:
        chart(charts.calibration_figure(result.curves["calibration"]),
              "Points on the dashed line mean the probabilities can be taken at face value.",
              "overview_calibration")
    threshold = st.slider(f"Decision threshold on the probability of {spec.class_label(positive)}",
                          0.0, 1.0, 0.5, 0.01, key="overview_threshold")
    table = confusion_at(result, positive, threshold)
    left, right = st.columns([2, 1])
    with left:
        chart(charts.confusion_figure(table),
              "Each cell counts test rows: the diagonal is right, the rest are mistakes. "
              "Move the threshold to trade one kind of mistake for the other.", "overview_confusion")
    with right:
        st.dataframe(table, key="overview_confusion_table")
        correct = int(pd.Series(table.to_numpy().diagonal()).sum())
        st.metric("Accuracy at this threshold", f"{correct / table.to_numpy().sum():.3f}")
elif model.is_classifier:
    st.dataframe(confusion_at(result, model.classes[model.positive_index]), key="overview_confusion_table")
else:
    left, right = st.columns(2)
    with left:
        chart(charts.predicted_vs_actual(result.y_true, result.score, spec.target),
              "Each dot is a test row; the closer to the dashed line, the better the prediction.",
              "overview_pred_actual")
    with right:
        chart(charts.residuals_figure(result.y_true, result.score),
              "The error of each test row; dots should scatter evenly around zero.", "overview_residuals")
