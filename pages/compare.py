"""Compare models: the chosen models' test metrics with intervals, curves, importance ranks, the rows where
they disagree, and one row through each model."""

import pandas as pd
import streamlit as st

from explainers.comparison import Comparison, RowView, compare, compare_row, metric_key, row_sentence
from explainers.comparison_figures import curves_figure, importance_figure, metric_intervals_figure
from explainers.errors import InputError
from explainers.expressions import select_rows
from explainers.util import MODEL_TYPES
from explainers.workspace import Workspace
from pages.common import (
    add_model,
    chart,
    class_label,
    current,
    labels,
    language,
    model_title,
    plain_text,
    prediction_text,
    section_picker,
    tr,
    workspace,
    workspace_key,
)
from pages.state import (
    BASELINE_MODEL,
    DEFAULT_MODEL,
    model_ids,
    page_state,
    remembered_widget,
    set_view,
    url_params,
    view,
)
from pages.tables import escaped, safe_dataframe

MAX_SHOWN_ROWS = 500
BIG_MOVE = 3  # a rank change of this many places or more is marked in a darker orange


@st.cache_data(show_spinner=False)
def cached_comparison(keys: tuple[str, ...], model_hashes: tuple[str, ...], seed: int) -> Comparison:
    return compare({key: workspace(key).model for key in keys}, seed=seed)


@st.cache_data(show_spinner=False)
def cached_row(keys: tuple[str, ...], model_hashes: tuple[str, ...], row: int, seed: int) -> list[RowView]:
    return compare_row({key: workspace(key) for key in keys}, row, seed=seed)


def add_model_form(dataset_name: str, ws: Workspace) -> None:
    """Upload a model file for this table; it joins the sidebar's models for this session."""
    t = tr()
    with st.expander(t("compare.add_model"), icon=":material/upload_file:"):
        upload = st.file_uploader(t("compare.add_model_file"), type=sorted(MODEL_TYPES), key="compare_model_file",
                                  help=t("compare.add_model_help"))
        if upload is not None and st.button(t("compare.add_model_button"), key="compare_add_model"):
            from explainers.models import check_model_against_data

            try:
                with st.spinner(t("compare.checking_model")):
                    model = check_model_against_data(upload.getvalue(), ws.dataset, name=upload.name)
            except InputError as exc:
                st.error(plain_text(exc.text(language())), icon=":material/error:")
                return
            added = add_model(dataset_name, Workspace(ws.dataset, model, seed=ws.seed))
            chosen = page_state("compare").setdefault(dataset_name, {}).setdefault("models", [])
            if added not in chosen:
                chosen.append(added)
            st.rerun()


t = tr()
name, ws, row = current()
dataset_name, current_model = view()["dataset"], view()["model"]
dataset = ws.dataset
names = labels(ws)
st.title(t("compare.title"))
st.caption(t("compare.intro"))
add_model_form(dataset_name, ws)

available = model_ids(dataset_name)
titles = {model: model_title(dataset_name, model) for model in available}
store = page_state("compare").setdefault(dataset_name, {})
other = BASELINE_MODEL if current_model != BASELINE_MODEL else DEFAULT_MODEL
store["models"] = [m for m in store.get("models", [current_model, other]) if m in available]
chosen = remembered_widget(st.multiselect, store, "models", "compare_models", t("compare.models"), available,
                           format_func=titles.get, help=t("compare.models_help"))
if len(chosen) < 2:
    st.info(t("compare.choose_two"), icon=":material/info:")
    st.stop()

keys = tuple(workspace_key(dataset_name, model) for model in chosen)
hashes = tuple(workspace(key).model.model_hash for key in keys)
by_key = dict(zip(keys, chosen, strict=True))
shown_titles = {key: titles[by_key[key]] for key in keys}
with st.spinner(t("compare.computing")):
    result = cached_comparison(keys, hashes, ws.seed)

def metrics_section() -> None:
    """The test metrics side by side, with their intervals."""
    st.subheader(t("compare.metrics"))
    metric_names = list(result.metrics.loc[keys[0]].index)
    table = pd.DataFrame({
        t(metric_key(metric)): [t("compare.value_interval", value=t.fixed(r["value"], 3), low=t.fixed(r["low"], 3),
                                  high=t.fixed(r["high"], 3))
                                for r in (result.metrics.loc[(key, metric)] for key in keys)]
        for metric in metric_names
    }, index=pd.Index([shown_titles[k] for k in keys], name=t("compare.model")))
    safe_dataframe(table, key="compare_metrics_table")
    st.caption(t("compare.metrics_caption", rows=t.number(result.rows, 0), resamples=result.resamples,
                 percent=t.percent(result.confidence, 0)))
    left, right = st.columns([1, 2])
    with left:
        metric = remembered_widget(st.selectbox, store, "metric", "compare_metric", t("compare.metric"), metric_names,
                                   format_func=lambda m: t(metric_key(m)))
    with right:
        chart(metric_intervals_figure(result, metric, shown_titles, tr=t),
              t("compare.interval_caption", metric=t(metric_key(metric)), better=t(
                  "compare.higher_better" if bool(result.metrics.loc[(keys[0], metric), "higher_is_better"])
                  else "compare.lower_better")), "compare_interval")


def curves_section() -> None:
    """ROC, precision-recall and calibration curves overlaid."""
    st.subheader(t("compare.curves"))
    columns = st.columns(3)
    for column, curve in zip(columns, ("roc", "pr", "calibration"), strict=True):
        with column:
            chart(curves_figure(result, curve, shown_titles, tr=t), t(f"compare.curve_caption_{curve}"),
                  f"compare_curve_{curve}")


def importance_section() -> None:
    """Global importance side by side, rank changes marked."""
    st.subheader(t("compare.importance"))
    changes = result.rank_changes()
    chart(importance_figure(result, names, shown_titles, marked_from=BIG_MOVE, tr=t),
          t("compare.importance_caption", big=BIG_MOVE), "compare_importance")
    ranks = pd.DataFrame({t("local.feature"): [names.get(f, f) for f in result.importance.index]})
    for key in keys:
        ranks[t("compare.rank_of", model=shown_titles[key])] = result.importance[f"rank:{key}"].to_numpy()
    ranks[t("compare.rank_change")] = changes.to_numpy()
    # Orange marks a feature whose rank moved: light for one or two places, darker from BIG_MOVE places.
    shades = ["background-color: #F5B971" if c >= BIG_MOVE else "background-color: #FBE3C6" if c else ""
              for c in changes.to_numpy()]
    styled = escaped(ranks).style.apply(lambda column: shades, axis=0)
    st.dataframe(styled, hide_index=True, key="compare_ranks_table")
    st.caption(t("compare.ranks_caption", moved=int((changes > 0).sum()), big=BIG_MOVE))


def disagree_section() -> None:
    """The rows where the models disagree, filterable, each opening the local views."""
    st.subheader(t("compare.disagree"))
    st.metric(t("compare.disagree_rate"), t.percent(result.disagreement_rate),
              help=t("compare.disagree_help_regression", tolerance=t.number(result.tolerance, 3))
              if result.tolerance is not None else t("compare.disagree_help"))
    st.caption(t("compare.disagree_count", rows=t.number(len(result.disagree), 0), total=t.number(result.rows, 0)))
    if len(result.disagree):
        frame = dataset.features.iloc[result.disagree]
        filter_text = remembered_widget(st.text_input, store, "filter", "compare_filter", t("compare.filter"),
                                        help=t("compare.filter_help"), placeholder="Age > 30")
        picked = pd.Series(True, index=range(len(frame)))
        if filter_text.strip():
            try:
                picked = pd.Series(select_rows(frame.reset_index(drop=True), filter_text))
            except InputError as exc:
                st.error(plain_text(exc.text(language())), icon=":material/filter_alt_off:")
        positions = result.disagree[picked.to_numpy()][:MAX_SHOWN_ROWS]
        predictions = result.predictions.loc[positions]
        shown = pd.DataFrame({t("compare.row"): positions})
        for key in keys:
            if result.task == "classification":
                shown[shown_titles[key]] = [class_label(ws, v) for v in predictions[f"predicted:{key}"]]
            else:
                shown[shown_titles[key]] = [t.number(v, 3) for v in predictions[f"score:{key}"]]
        shown[t("compare.actual")] = [class_label(ws, v) if result.task == "classification" else t.number(v, 3)
                                      for v in predictions["actual"]]
        for feature in list(result.importance.index[:4]):
            shown[names.get(feature, feature)] = [t.value(v) for v in dataset.features[feature].iloc[positions]]
        safe_dataframe(shown, hide_index=True, key="compare_disagree_table")
        st.caption(t("compare.disagree_caption", shown=t.number(len(positions), 0)))
        if len(positions):
            left, right = st.columns([2, 1])
            target_row = left.selectbox(t("compare.open_row"), [int(p) for p in positions], key="compare_open_row")
            right.write("")
            if right.button(t("compare.open_local"), key="compare_open_local", icon=":material/person_search:"):
                set_view(row=int(target_row))
                st.switch_page("pages/local_explanation.py", query_params=url_params())


def row_section() -> None:
    """The current row through each model: prediction, reasons, smallest counterfactual."""
    st.subheader(t("compare.one_row", row=row))
    with st.spinner(t("compare.computing_row")):
        views = cached_row(keys, hashes, row, ws.seed)
    columns = st.columns(len(views))
    for column, item in zip(columns, views, strict=True):
        with column, st.container(border=True):
            headline, detail = prediction_text(ws, item.prediction)
            st.markdown(f"**{plain_text(shown_titles[item.name])}**")
            st.metric(t("compare.prediction"), headline, help=detail)
            st.caption(detail)
            st.markdown(t("compare.reasons"))
            for feature, value in item.reasons:
                arrow = "▲" if value >= 0 else "▼"
                st.markdown(f"- {arrow} {plain_text(names.get(feature, feature))} = "
                            f"{plain_text(t.value(dataset.features[feature].iloc[row]))}")
            if item.best is None:
                st.caption(t("compare.no_counterfactual"))
            else:
                changes = "; ".join(f"{names.get(f, f)}: {t.value(c['from'])} → {t.value(c['to'])}"
                                    for f, c in item.best.changes.items())
                st.markdown(t("compare.best_counterfactual") + " " + plain_text(changes))
    outcomes = {str(c): class_label(ws, c) for c in ws.model.classes}
    with st.container(border=True):
        st.markdown(plain_text(row_sentence(views, shown_titles, names, outcomes, language())))
    st.caption(t("compare.sentence_caption"))


SECTIONS = {"metrics": metrics_section, "curves": curves_section, "importance": importance_section,
            "disagree": disagree_section, "row": row_section}
if result.task != "classification" or not all(result.evaluations[k].curves for k in keys):
    SECTIONS.pop("curves")
SECTIONS[section_picker("compare", list(SECTIONS))]()
