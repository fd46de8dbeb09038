"""Batch results: global views and row lookups over the Parquet files that ``python -m explainers batch`` wrote.

The folder is chosen from a list of the results folders under the results root (``XAI_BATCH_ROOT``, default
``results/`` in the working directory), never typed: a visitor cannot make the server open another path,
and the messages name only the folder as listed, never a server path.
Every number comes from :mod:`explainers.batch` (DuckDB over the files, never loaded whole): mean |SHAP|
over all rows, a seeded sample for the beeswarm and dependence charts, and one row by its key.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import streamlit as st

from explainers import charts
from explainers.batch import BASE_COLUMN, BatchFolderError, BatchResults, list_results, open_results, results_root
from pages.common import chart, tr
from pages.state import leave_legacy_multipage_mode
from pages.tables import in_locale, safe_dataframe

SAMPLE_ROWS = 2000


@st.cache_data(show_spinner=False)
def cached_importance(folder: str, root: str, stamp: str) -> pd.Series:
    return open_results(folder, root).importance()


@st.cache_data(show_spinner=False)
def cached_summary(folder: str, root: str, stamp: str) -> dict:
    return open_results(folder, root).summary()


@st.cache_data(show_spinner=False)
def cached_sample(folder: str, root: str, stamp: str, rows: int, seed: int) -> pd.DataFrame:
    return open_results(folder, root).sample(rows, seed)


@st.cache_data(show_spinner=False)
def cached_row(folder: str, root: str, stamp: str, key: int) -> pd.DataFrame:
    return open_results(folder, root).row(key)


@st.cache_data(show_spinner=False)
def cached_counterfactuals(folder: str, root: str, stamp: str, key: int) -> pd.DataFrame:
    return open_results(folder, root).counterfactuals(key)


def _stamp(results: BatchResults) -> str:
    """Changes whenever the run writes its manifest, so cached views follow a run still in progress."""
    return f"{results.manifest.get('updated')}|{len(results.complete_partitions)}"


def _changes_text(changes: dict) -> str:
    return "; ".join(f"{name}: {t.value(c.get('from'))} → {t.value(c.get('to'))}" for name, c in changes.items())


leave_legacy_multipage_mode()  # a deep link straight into pages/ on a fresh server

t = tr()
st.title(t("batch.title"))
st.caption(t("batch.intro"))
root = str(results_root())
choices = list_results(root)
if not choices:
    st.info(t("batch.none"))
    st.stop()
folder = st.selectbox(t("batch.folder"), choices, index=None, key="batch_folder", help=t("batch.folder_help"),
                      placeholder=t("batch.prompt"))
if folder is None:
    st.info(t("batch.prompt"))
    st.stop()
try:
    results = open_results(folder, root)
except BatchFolderError as exc:
    st.error(t(f"batch.{exc.code}", folder=folder), icon=":material/error:")
    st.stop()

stamp = _stamp(results)
manifest = results.manifest
partitions = manifest["partitions"]
done = len(results.complete_partitions)
if done == 0:
    st.warning(t("batch.no_parts"))
    st.stop()
if done < len(partitions):
    st.warning(t("batch.incomplete", done=done, total=len(partitions), rows=t.number(results.rows, 0)))

names = {feature: feature.replace("_", " ") for feature in results.features}
space = manifest.get("shap", {}).get("space", "raw")
summary = cached_summary(folder, root, stamp)
columns = st.columns(4)
columns[0].metric(t("batch.rows"), t.number(summary["rows"], 0))
columns[1].metric(t("batch.partitions"), f"{done} / {len(partitions)}")
columns[2].metric(t("batch.device"), manifest.get("device") or "-")
if summary["mean_score"] is not None:
    mean = summary["mean_score"]
    columns[3].metric(t("batch.mean_score"), t.percent(mean) if results.is_classifier else t.number(mean, 3))
versions = manifest.get("versions", {})
st.caption(t("batch.stamp", data=manifest["data"]["sha256"][:12], model=manifest["model"]["sha256"][:12],
             created=manifest.get("created", "-"), xgboost=versions.get("xgboost", "-"),
             dask=versions.get("dask", "-"), seed=manifest.get("seed", 0)))
unseen: dict[str, int] = {}
for entry in results.complete_partitions:
    for column, count in entry.get("unseen_categories", {}).items():
        unseen[column] = unseen.get(column, 0) + count
for column, count in unseen.items():
    st.caption(t("batch.unseen", column=column, count=t.number(count, 0)))
stage = manifest.get("counterfactuals") or {}
if stage.get("selected", 0) > stage.get("settings", {}).get("max_rows", float("inf")):
    st.caption(t("batch.cf_capped", selected=t.number(stage["selected"], 0),
                 limit=t.number(stage["settings"]["max_rows"], 0)))

# --- importance over every row (DuckDB: one scan of the SHAP columns)
st.subheader(t("batch.importance"))
importance = cached_importance(folder, root, stamp)
left, right = st.columns([1, 1])
with left:
    view = SimpleNamespace(importance=importance, shap=SimpleNamespace(space=space))
    chart(charts.importance_bar(view, names, tr=t), t("batch.importance_caption", rows=t.number(results.rows, 0)),
          "batch_importance_chart")
with right:
    safe_dataframe(in_locale(importance.rename("mean |SHAP|").to_frame(), t, 4), key="batch_importance_table")

# --- a seeded sample for the beeswarm and dependence charts
seed = int(manifest.get("seed", 0))
sample = cached_sample(folder, root, stamp, SAMPLE_ROWS, seed)
sampled = results.global_shap(sample)
features = results.feature_frame(sample)
ordered = [f for f in importance.index if f in names]
chart(charts.beeswarm(SimpleNamespace(importance=importance, shap=sampled.shap), features, names, seed=seed, tr=t),
      t("batch.beeswarm_caption", n=t.number(len(sample), 0), seed=seed), "batch_beeswarm")

st.subheader(t("batch.detail"))
feature = st.selectbox(t("batch.feature"), ordered, format_func=names.get, key="batch_feature")
chart(charts.dependence(sampled, features, feature, None, names, tr=t),
      t("batch.dependence_caption", n=t.number(len(sample), 0), feature=names[feature]), "batch_dependence")

# --- one row by its key
st.subheader(t("batch.lookup"))
key = int(st.number_input(t("batch.row"), min_value=0, max_value=max(results.total_rows - 1, 0), step=1,
                          key="batch_row", help=t("batch.row_help")))
row = cached_row(folder, root, stamp, key)
if row.empty:
    st.warning(t("batch.row_missing", row=key))
    st.stop()
shap = results.shap(row)
values = results.feature_frame(row).iloc[0]
left, right = st.columns(2)
prediction = row["prediction"].iloc[0]
left.metric(t("batch.prediction", row=key), str(prediction) if results.is_classifier else t.number(prediction, 3))
score = float(row["score"].iloc[0])
right.metric(t("batch.score"), t.percent(score) if results.is_classifier else t.number(score, 3))
chart(charts.waterfall(shap, values, names, tr=t),
      t("batch.waterfall_caption", base=t.fixed(float(row[BASE_COLUMN].iloc[0])), output=t.fixed(shap.output[0])),
      "batch_waterfall")
table = pd.DataFrame({t("batch.value"): [t.value(v) for v in values], "SHAP": shap.values.iloc[0].to_numpy()},
                     index=results.features)
safe_dataframe(table, key="batch_row_table")

if manifest.get("counterfactuals"):
    st.subheader(t("batch.counterfactuals"))
    found = cached_counterfactuals(folder, root, stamp, key)
    if found.empty:
        st.caption(t("batch.no_counterfactuals"))
    else:
        shown = pd.DataFrame({
            "#": found["rank"].to_numpy(),
            t("batch.change"): [_changes_text(c) for c in found["changes"]],
            t("batch.score"): found["score"].to_numpy(),
        })
        safe_dataframe(shown, hide_index=True, key="batch_counterfactuals")
        st.caption(t("batch.counterfactuals_caption"))
