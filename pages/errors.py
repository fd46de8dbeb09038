"""Where the model errs: the error tree over its test-split errors, named cohorts with metrics and intervals, and
an error heat map over two features."""

import logging
from contextlib import suppress

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from explainers.comparison import metric_key
from explainers.comparison_figures import error_heatmap_figure, error_tree_figure
from explainers.error_analysis import (
    DEFAULT_MAX_DEPTH,
    MAX_DEPTH,
    CohortMetrics,
    Condition,
    ErrorHeatmap,
    ErrorTree,
    cohort_metrics,
    error_heatmap,
    error_tree,
)
from explainers.errors import InputError
from explainers.i18n import translator
from explainers.oversight.cohorts import check_filter, cohort_name, delete_cohort, list_cohorts, save_cohort
from pages.common import chart, current, engine_text, labels, language, plain_text, section_picker, tr, workspace
from pages.oversight_ui import event_actor
from pages.oversight_ui import store as oversight_store
from pages.state import page_state, remembered_widget, view
from pages.tables import escaped, safe_dataframe

LOG = logging.getLogger("xai.pages.errors")


@st.cache_data(show_spinner=False)
def cached_tree(name: str, model_hash: str, max_depth: int, seed: int) -> ErrorTree:
    return error_tree(workspace(name).model, max_depth=max_depth, seed=seed)


@st.cache_data(show_spinner=False)
def cached_cohorts(name: str, model_hash: str, cohorts: tuple[tuple[str, str], ...], seed: int) -> CohortMetrics:
    return cohort_metrics(workspace(name).model, dict(cohorts), seed=seed)


@st.cache_data(show_spinner=False)
def cached_heatmap(name: str, model_hash: str, x: str, y: str, seed: int, lang: str) -> ErrorHeatmap:
    t = translator(lang)
    return error_heatmap(workspace(name).model, x, y, seed=seed, missing=t("common.missing"),
                         number=lambda v: t.number(v, 2))


def condition_text(condition: Condition, names: dict[str, str]) -> str:
    """One step of a rule in the reader's words: "Price ≤ 370", "Home = rent", "Assets > 1,650 (or missing)"."""
    label = names.get(condition.feature, condition.feature)
    if condition.op in ("<=", ">"):
        text = f"{label} {'≤' if condition.op == '<=' else '>'} {t.number(float(condition.value), 2)}"
    else:
        text = f"{label} {'=' if condition.op == '==' else '≠'} {t.value(condition.value)}"
    return t("erroranalysis.or_missing", condition=text) if condition.missing else text


def rule_text(rule: tuple[Condition, ...], names: dict[str, str]) -> str:
    """A leaf's rule in the reader's words, two bounds of one number as one range ("0.42 < income ≤ 0.66")."""
    if not rule:
        return t("erroranalysis.all_rows")
    parts: list[str] = []
    numeric = [c for c in rule if c.op in ("<=", ">")]
    for feature in dict.fromkeys(c.feature for c in numeric):
        steps = [c for c in numeric if c.feature == feature]
        above = max((float(c.value) for c in steps if c.op == ">"), default=None)
        below = min((float(c.value) for c in steps if c.op == "<="), default=None)
        missing = all(c.missing for c in steps)
        if above is not None and below is not None:
            text = f"{t.number(above, 2)} < {names.get(feature, feature)} ≤ {t.number(below, 2)}"
            parts.append(t("erroranalysis.or_missing", condition=text) if missing else text)
        else:
            parts.append(condition_text(Condition(feature, ">" if below is None else "<=",
                                                  above if below is None else below, missing), names))
    parts += [condition_text(c, names) for c in rule if c.op not in ("<=", ">")]
    return t("erroranalysis.and").join(parts)


def saved_cohorts(data_hash: str):
    """The case database, the table's live cohorts in it, and None; or None, None and why it cannot be opened."""
    try:
        database = oversight_store()
        return database, list_cohorts(database, data_hash), None
    except InputError as exc:
        return None, None, engine_text(exc)
    except (SQLAlchemyError, OSError) as exc:  # e.g. a file that is not a database, a folder not writable
        LOG.warning("cohorts kept in the session: %s", exc)
        return None, None, type(exc).__name__


def add_cohort(cohort: str, expression: str, source: str = "filter") -> None:
    """Save a cohort in the database (or the session when it cannot be opened); one error line when refused."""
    try:
        if database is None:
            cohort = cohort_name(cohort)
            session_cohorts[cohort] = check_filter(dataset, expression, cohort)
            return
        found = save_cohort(database, dataset, cohort, expression, event_actor(), dataset_name=view()["dataset"],
                            source=source, model_sha256=model.model_hash if source == "leaf" else None)
    except InputError as exc:
        st.error(engine_text(exc), icon=":material/filter_alt_off:")
        return
    cohorts[found.name], saved_by[found.name] = found.expression, found.actor
    st.toast(t("erroranalysis.cohort_saved", name=plain_text(found.name)), icon=":material/check:")


t = tr()
name, ws, _ = current()
dataset, model = ws.dataset, ws.model
names = labels(ws)
st.title(t("erroranalysis.title"))
st.caption(t("erroranalysis.intro_classification" if model.is_classifier else "erroranalysis.intro_regression"))

store = page_state("errors")
if section_picker("errors", ["tree", "heatmap"]) == "tree":
    # The error tree
    depth = remembered_widget(st.slider, store, "max_depth", "errors_max_depth", t("erroranalysis.max_depth"),
                              1, MAX_DEPTH, default=DEFAULT_MAX_DEPTH, help=t("erroranalysis.max_depth_help"))
    with st.spinner(t("erroranalysis.computing")):
        tree = cached_tree(name, model.model_hash, int(depth), ws.seed)
    first, second, third = st.columns(3)
    first.metric(t("erroranalysis.test_rows"), t.number(len(tree.rows), 0))
    second.metric(t("erroranalysis.errors"), t.number(tree.total_errors, 0))
    third.metric(t("erroranalysis.error_rate"), t.percent(tree.error_rate))
    if tree.threshold is not None:
        st.caption(t("erroranalysis.regression_threshold", threshold=t.number(tree.threshold, 3)))

    last_step = {node.node: (condition_text(node.rule[-1], names) if node.rule else t("erroranalysis.all_rows"))
                 for node in tree.nodes}
    chart(error_tree_figure(tree, last_step, tr=t),
          t("erroranalysis.tree_caption", rate=t.percent(tree.error_rate)), "errors_tree")
    leaves = tree.leaves
    leaf_rules = {leaf.node: rule_text(leaf.rule, names) for leaf in leaves}
    leaf_table = pd.DataFrame({
        t("erroranalysis.leaf"): [f"#{leaf.node}" for leaf in leaves],
        t("erroranalysis.rule"): [leaf_rules[leaf.node] for leaf in leaves],
        t("erroranalysis.rows"): [leaf.rows for leaf in leaves],
        t("erroranalysis.errors"): [leaf.errors for leaf in leaves],
        t("erroranalysis.error_rate"): [t.percent(leaf.error_rate) for leaf in leaves],
        t("erroranalysis.share_of_errors"): [t.percent(tree.share_of_errors(leaf)) for leaf in leaves],
    })
    st.table(escaped(leaf_table.set_index(t("erroranalysis.leaf"))))  # a table wraps the long rules
    st.caption(t("erroranalysis.leaves_caption"))

    # Cohorts: saved in the case database with the table's content (so every model, session and a restarted server
    # sees them); kept in the session only when the database cannot be opened.
    session_cohorts: dict[str, str] = store.setdefault("cohorts", {}).setdefault(view()["dataset"], {})
    database, saved, problem = saved_cohorts(dataset.data_hash)
    cohorts = session_cohorts if database is None else {c.name: c.expression for c in saved}
    saved_by = {} if database is None else {c.name: c.actor for c in saved}
    if problem is not None:
        st.info(t("erroranalysis.session_only", reason=problem), icon=":material/cloud_off:")

    left, right = st.columns([2, 1])
    chosen_leaf = left.selectbox(t("erroranalysis.leaf_to_cohort"), list(leaf_rules),
                                 format_func=lambda n: f"#{n} · {leaf_rules[n]}", key="errors_leaf_choice")
    right.write("")
    if right.button(t("erroranalysis.open_as_cohort"), key="errors_leaf_cohort", icon=":material/group_add:"):
        leaf = next(x for x in leaves if x.node == chosen_leaf)
        leaf_name, expression = t("erroranalysis.leaf_cohort_name", node=leaf.node), leaf.expression()
        already = next((n for n, e in cohorts.items() if e == expression), None)
        if already is not None:
            st.info(t("erroranalysis.leaf_already", node=leaf.node, name=already))
        else:
            # The same leaf number at another depth is another group of rows: it gets the next free name.
            taken, number = set(cohorts), 2
            unique_name = leaf_name
            while unique_name in taken:
                unique_name, number = f"{leaf_name} ({number})", number + 1
            add_cohort(unique_name, expression, source="leaf")

    st.subheader(t("erroranalysis.cohorts"))
    with st.form("errors_new_cohort", clear_on_submit=True, border=True):
        typed_name = st.text_input(t("erroranalysis.cohort_name"), max_chars=60, key="errors_cohort_name")
        typed_filter = st.text_input(t("erroranalysis.cohort_filter"), help=t("compare.filter_help"),
                                      placeholder="Age > 30 and Home == 'rent'", key="errors_cohort_filter")
        if st.form_submit_button(t("erroranalysis.add_cohort")):
            if typed_name.strip() and typed_filter.strip():
                add_cohort(typed_name, typed_filter)
            else:
                st.warning(t("erroranalysis.cohort_incomplete"))
    if cohorts:
        removed = st.multiselect(t("erroranalysis.remove_cohorts"), list(cohorts), key="errors_remove")
        if removed and st.button(t("erroranalysis.remove"), key="errors_remove_button"):
            for cohort in removed:
                if database is None:
                    cohorts.pop(cohort, None)
                else:
                    with suppress(InputError):  # another session removed it first: it is gone either way
                        delete_cohort(database, dataset.data_hash, cohort, event_actor())
            st.rerun()
    everyone = t("erroranalysis.all_rows")
    requested = ((everyone, ""), *cohorts.items())
    try:
        measured = cached_cohorts(name, model.model_hash, requested, ws.seed)
    except InputError as exc:  # a saved filter naming a column this table lacks
        st.error(plain_text(exc.text(language())), icon=":material/filter_alt_off:")
        measured = cached_cohorts(name, model.model_hash, ((everyone, ""),), ws.seed)
    table = measured.table
    shown = pd.DataFrame({
        t("erroranalysis.cohort"): list(table.index),
        t("erroranalysis.filter"): [dict(requested).get(c, "") for c in table.index],
        t("erroranalysis.saved_by"): [saved_by.get(c, "") for c in table.index],
        t("erroranalysis.rows"): [int(v) for v in table["rows"]],
        t("erroranalysis.error_rate"): [t.percent(v) if v == v else "—" for v in table["error_rate"]],
    })
    for metric in measured.metrics:
        shown[t(metric_key(metric))] = [
            t("compare.value_interval", value=t.fixed(r[metric], 3), low=t.fixed(r[f"{metric}:low"], 3),
              high=t.fixed(r[f"{metric}:high"], 3)) if pd.notna(r.get(metric)) else "—"
            for _, r in table.iterrows()]
    safe_dataframe(shown, hide_index=True, key="errors_cohort_table")
    st.caption(t("erroranalysis.cohorts_caption", percent=t.percent(measured.confidence, 0),
                 resamples=measured.resamples))
    if measured.suppressed:  # too few rows to show their errors without singling someone out
        st.caption(plain_text(t("privacy.suppressed_cohorts", k=measured.min_group_rows,
                                groups=", ".join(measured.suppressed))))
else:
    # Heat map over two features
    st.subheader(t("erroranalysis.heatmap"))
    # The tree's own splits come first among the suggested axes (the depth the reader last chose).
    tree = cached_tree(name, model.model_hash, int(store.get("max_depth", DEFAULT_MAX_DEPTH)), ws.seed)
    splits = [c.feature for node in tree.nodes for c in node.rule[-1:]]
    defaults = list(dict.fromkeys([*splits, *dataset.feature_names]))
    left, right = st.columns(2)
    x = remembered_widget(left.selectbox, store, "heat_x", "errors_heat_x", t("erroranalysis.heat_x"),
                          dataset.feature_names, default=defaults[0], format_func=names.get)
    y_default = next((f for f in defaults if f != x), x)
    y = remembered_widget(right.selectbox, store, "heat_y", "errors_heat_y", t("erroranalysis.heat_y"),
                          dataset.feature_names, default=y_default, format_func=names.get)
    heat = cached_heatmap(name, model.model_hash, x, y, ws.seed, language())
    left, right = st.columns([3, 2])
    with left:
        chart(error_heatmap_figure(heat, names.get(x, x), names.get(y, y), tr=t),
              t("erroranalysis.heat_caption", x=names.get(x, x), y=names.get(y, y)), "errors_heatmap")
    with right:
        cells = heat.rate.stack(future_stack=True).rename("rate").to_frame().join(
            heat.rows.stack(future_stack=True).rename("rows"))
        cells = cells[cells["rows"] > 0].sort_values("rate", ascending=False)
        safe_dataframe(pd.DataFrame({
            t("erroranalysis.error_rate"): [t.percent(v) for v in cells["rate"]],
            t("erroranalysis.rows"): cells["rows"].astype(int).to_numpy(),
            names.get(y, y): [str(i[0]) for i in cells.index], names.get(x, x): [str(i[1]) for i in cells.index],
        }), hide_index=True, key="errors_heat_table")
