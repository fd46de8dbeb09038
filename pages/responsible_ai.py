"""Responsible AI: can this row's explanation be trusted, and does the model treat groups alike?"""

import pandas as pd
import streamlit as st

from explainers import trust
from explainers.charts import (
    ACCENT,
    NEUTRAL,
    TOWARD_NEGATIVE,
    TOWARD_POSITIVE,
    direction_colours,
    finish,
    label_axis,
    lines,
    records,
    zero_rule,
)
from pages.cached import (
    cached_agreement_sample,
    cached_counterfactual_quality,
    cached_fairness,
    cached_flip_test,
    cached_row_checks,
    cached_stability,
    fairness_features,
)
from pages.common import chart, class_label, current, labels, language, section_picker, tr
from pages.state import page_state, remembered_widget
from pages.tables import in_locale

VERDICT_COLOURS = {"agree": TOWARD_POSITIVE, "partly": NEUTRAL, "disagree": TOWARD_NEGATIVE}
MAX_FLIPS_SHOWN = 200
OWN_COLOUR = {"field": "colour", "type": "nominal", "scale": None, "legend": None}  # each row's colour as it is


def labelled_bars(data: pd.DataFrame, x_title: str, y: dict, tooltip: list, extra: list | None = None) -> dict:
    """Upright bars, one per category in the data's order, each with its text above it (``extra``: layers drawn
    between the two)."""
    x = {"field": "x", "type": "nominal", "sort": None, "title": x_title,
         "axis": label_axis(x_title, labelAngle=0, vertical=False)}
    bars = {"mark": "bar", "encoding": {"x": x, "y": y, "color": OWN_COLOUR, "tooltip": tooltip}}
    words = {"mark": {"type": "text", "baseline": "bottom", "dy": -4},
             "encoding": {"x": x, "y": {**y, "field": "text_at"}, "text": {"field": "text", "type": "nominal"}}}
    return {"data": {"values": records(data)}, "layer": [bars, *(extra or []), words]}  # the text over any line


t = tr()
lang = language()
name, ws, row = current()
dataset, model = ws.dataset, ws.model
names = labels(ws)
key = (name, model.model_hash)
verdict_names = {v: t(f"trust.verdict_{v}") for v in trust.VERDICTS}

remembered = page_state("responsible_ai").setdefault(name, {})


def this_row() -> None:
    """Can this row's explanation be trusted: the SHAP check, LIME's agreement and stability, the
    counterfactuals' quality."""
    st.header(t("trust.row_heading", row=row))
    with st.spinner(t("trust.computing")):
        check, agreed = cached_row_checks(*key, row, ws.seed)
        stability = cached_stability(*key, row, trust.DEFAULT_STABILITY_SEEDS)
    columns = st.columns(3)
    columns[0].metric(t("trust.shap_check"), t("trust.passed") if check.passed else t("trust.failed"),
                      help=t("trust.shap_check_help"))
    columns[1].metric(t("trust.agreement"), verdict_names[agreed.verdict], help=t("trust.agreement_help"))
    columns[2].metric(t("trust.stability_score"), t.percent(stability.score), help=t("trust.stability_help"))
    st.caption(t("trust.shap_check_caption", base=t.number(check.base_value, 4), total=t.number(check.total, 4),
                 reconstructed=t.number(check.reconstructed, 4), output=t.number(check.model_output, 4),
                 gap=f"{check.gap:.1e}", space=t(f"space.{check.space}")))
    st.caption(t("trust.agreement_caption", overlap=t.percent(agreed.overlap, 0),
                 rho=t.number(agreed.rho, 2), k=agreed.k, shap_top=", ".join(names[f] for f in agreed.shap_top),
                 lime_top=", ".join(names[f] for f in agreed.lime_top)))

    left, right = st.columns([3, 2])
    table = stability.table()
    with left:
        shown = table.head(12)  # the largest average weights, the largest at the top
        spread = shown["std"].fillna(0).to_numpy()
        data = pd.DataFrame({"label": [lines(names.get(f, f)) for f in shown["feature"]],
                             "column": [str(f) for f in shown["feature"]], "mean": shown["mean"].to_numpy(),
                             "std": shown["std"].to_numpy(), "low": shown["mean"].to_numpy() - spread,
                             "high": shown["mean"].to_numpy() + spread,
                             "colour": direction_colours(shown["mean"])})
        y = {"field": "label", "type": "nominal", "sort": None, "axis": label_axis()}
        weight = t("trust.lime_weight")
        tooltip = [{"field": "column", "title": t("charts.column")},
                   {"field": "mean", "title": t("trust.col_mean"), "format": ",.4f"},
                   {"field": "std", "title": t("trust.col_std"), "format": ",.4f"}]
        figure = finish({"data": {"values": records(data)}, "layer": [
            {"mark": "bar", "encoding": {"y": y, "x": {"field": "mean", "type": "quantitative", "title": weight},
                                         "color": OWN_COLOUR, "tooltip": tooltip}},
            {"mark": {"type": "rule", "color": "#444444"},  # the spread between runs, either side of the mean
             "encoding": {"y": y, "x": {"field": "low", "type": "quantitative"}, "x2": {"field": "high"},
                          "tooltip": tooltip}},
            zero_rule("x"),
        ]}, t("trust.stability_title", seeds=len(stability.seeds)),
            height=max(320, 22 * sum(label.count("\n") + 1 for label in data["label"]) + 14 * len(shown) + 100))
        note = t("trust.unstable_note") if stability.unstable else t("trust.stable_note")
        chart(figure, t("trust.stability_caption", seeds=len(stability.seeds), k=stability.k) + " " + note,
              "rai_stability_chart")
    with right:
        weights = pd.DataFrame({
            t("trust.col_mean"): table["mean"].to_numpy(),
            t("trust.col_std"): table["std"].to_numpy(),
            t("trust.col_in_top", k=stability.k): table["in_top_k"].to_numpy(),
        }, index=pd.Index([names.get(f, f) for f in table["feature"]], name=t("trust.col_feature")))
        st.dataframe(in_locale(weights, t, 4), key="rai_stability_table")
        st.caption(t("trust.top_sets", sets="; ".join(", ".join(names[f] for f in s) for s in stability.top_sets)))

    st.header(t("trust.cf_heading"))
    with st.spinner(t("trust.computing")):
        quality = cached_counterfactual_quality(*key, row, ws.seed)
    if not quality.items:
        st.info(t("trust.cf_none"))
    else:
        summary = quality.summary()
        columns = st.columns(5)
        columns[0].metric(t("trust.cf_validity"), t.percent(summary["validity"], 0), help=t("trust.cf_validity_help"))
        columns[1].metric(t("trust.cf_sparsity"), t.number(summary["sparsity"], 1), help=t("trust.cf_sparsity_help"))
        columns[2].metric(t("trust.cf_proximity"), t.number(summary["proximity"], 2), help=t("trust.cf_proximity_help"))
        columns[3].metric(t("trust.cf_diversity"), t.number(summary["diversity"], 2), help=t("trust.cf_diversity_help"))
        columns[4].metric(t("trust.cf_plausibility"), t.number(summary["plausibility"], 2),
                          help=t("trust.cf_plausibility_help"))
        left, right = st.columns([3, 2])
        numbers = [f"#{item.index + 1}" for item in quality.items]
        with left:
            measures = [t("trust.cf_proximity"), t("trust.cf_plausibility")]
            data = pd.DataFrame([{"number": number, "measure": measure, "value": value,
                                  "proximity": item.proximity, "plausibility": item.plausibility}
                                 for number, item in zip(numbers, quality.items, strict=True)
                                 for measure, value in zip(measures, (item.proximity, item.plausibility),
                                                           strict=True)])
            figure = finish({
                "data": {"values": records(data)},
                "mark": "bar",
                "encoding": {
                    "x": {"field": "number", "type": "nominal", "sort": numbers, "title": None,
                          "axis": {"labelAngle": 0}},
                    "xOffset": {"field": "measure", "type": "nominal", "sort": measures},
                    "y": {"field": "value", "type": "quantitative", "title": t("trust.cf_distance_axis")},
                    "color": {"field": "measure", "type": "nominal",
                              "scale": {"domain": measures, "range": [TOWARD_POSITIVE, ACCENT]},
                              "legend": {"title": None, "orient": "bottom", "labelLimit": 0}},
                    "tooltip": [{"field": "number", "title": t("trust.col_counterfactual")},
                                {"field": "proximity", "title": measures[0], "format": ",.3f"},
                                {"field": "plausibility", "title": measures[1], "format": ",.3f"}],
                },
            }, t("trust.cf_chart_title"), height=380)
            chart(figure, t("trust.cf_chart_caption"), "rai_cf_chart")
        with right:
            st.dataframe(pd.DataFrame({
                t("trust.col_valid"): [t("trust.yes") if i.valid else t("trust.no") for i in quality.items],
                t("trust.col_changed"): [i.sparsity for i in quality.items],
                t("trust.cf_proximity"): [t.fixed(i.proximity, 3) for i in quality.items],
                t("trust.cf_plausibility"): [t.fixed(i.plausibility, 3) for i in quality.items],
                t("trust.col_nearest"): [i.nearest_row for i in quality.items],
                t("trust.col_in_range"): [t("trust.yes") if i.in_range else ", ".join(i.out_of_range)
                                          for i in quality.items],
            }, index=pd.Index(numbers, name=t("trust.col_counterfactual"))), key="rai_cf_table")


def across_rows() -> None:
    """How often SHAP and LIME agree over a seeded sample of rows."""
    st.header(t("trust.sample_heading"))
    sample_size = remembered_widget(st.slider, remembered, "sample_rows", "rai_sample_rows", t("trust.sample_rows"),
                                    10, 200, default=trust.DEFAULT_SAMPLE_ROWS, step=10)
    with st.spinner(t("trust.sample_spinner", rows=sample_size)):
        sample = cached_agreement_sample(*key, sample_size, ws.seed)
    counts, shares = sample.counts, sample.shares
    left, right = st.columns([3, 2])
    with left:
        data = pd.DataFrame({"x": [verdict_names[v] for v in trust.VERDICTS],
                             "count": [counts[v] for v in trust.VERDICTS],
                             "share": [shares[v] for v in trust.VERDICTS],
                             "text": [t.percent(shares[v], 0) for v in trust.VERDICTS],
                             "colour": [VERDICT_COLOURS[v] for v in trust.VERDICTS]})
        data["text_at"] = data["count"]
        # Headroom above the tallest bar for its share.
        y = {"field": "count", "type": "quantitative", "title": t("trust.rows_axis"),
             "scale": {"domainMax": max(1, int(data["count"].max())) * 1.15, "nice": False}}
        figure = finish(labelled_bars(data, None, y, [
            {"field": "x", "title": t("trust.col_verdict")},
            {"field": "count", "title": t("trust.col_rows"), "format": ",d"},
            {"field": "share", "title": t("trust.col_share"), "format": ".1%"}]),
            t("trust.sample_title", rows=len(sample.rows)), height=380)
        chart(figure, t("trust.sample_caption", rows=len(sample.rows), k=sample.k, rho=t.number(sample.median_rho, 2)),
              "rai_sample_chart")
    with right:
        st.dataframe(pd.DataFrame({
            t("trust.col_rows"): [counts[v] for v in trust.VERDICTS],
            t("trust.col_share"): [t.fixed(shares[v], 4) for v in trust.VERDICTS],
        }, index=pd.Index([verdict_names[v] for v in trust.VERDICTS], name=t("trust.col_verdict"))),
            key="rai_sample_table")
        st.caption(t("trust.thresholds"))
    with st.expander(t("trust.sample_rows_table")):
        per_row = sample.table()
        per_row["verdict"] = per_row["verdict"].map(verdict_names)
        per_row = per_row.rename(columns={column: t(f"trust.col_{column}") for column in per_row.columns})
        st.dataframe(in_locale(per_row, t, 3), hide_index=True, key="rai_sample_rows_table")


def groups() -> None:
    """Does the model treat groups alike: rates by group, then the flip test."""
    st.header(t("trust.fairness_heading"))
    sensitive = [f for f in dataset.spec.sensitive if f in dataset.feature_names]
    options = fairness_features(name)
    if not sensitive:
        st.info(t("trust.no_sensitive"))
    feature = remembered_widget(
        st.selectbox, remembered, "feature", "rai_feature", t("trust.feature"), options,
        format_func=lambda f: names.get(f, f) + (f" ({t('trust.sensitive_tag')})" if f in sensitive else ""),
    )
    numeric = dataset.info[feature].kind == "numeric"
    bins = trust.DEFAULT_BINS
    if numeric:
        bins = remembered_widget(st.slider, remembered, "bins", "rai_bins", t("trust.bins"), 2, 10,
                                 default=trust.DEFAULT_BINS, help=t("trust.bins_help"))
    with st.spinner(t("trust.computing")):
        fairness = cached_fairness(*key, feature, bins, lang)
    groups = fairness.groups
    headline = fairness.metrics.headline
    measured = groups.dropna(subset=[headline])  # small groups are counted but not measured (privacy)
    overall = float((measured[headline] * measured["count"]).sum() / measured["count"].sum())
    st.info(trust.fairness_summary(fairness, lang))

    if model.is_classifier:
        favourable = class_label(ws, model.classes[model.positive_index])
        gaps = fairness.gaps
        columns = st.columns(3)
        columns[0].metric(t("trust.dp_difference"), t.number(gaps["demographic_parity_difference"], 3),
                          help=t("trust.dp_difference_help"))
        columns[1].metric(t("trust.dp_ratio"), t.number(gaps["demographic_parity_ratio"], 3),
                          help=t("trust.dp_ratio_help"))
        columns[2].metric(t("trust.eo_difference"), t.number(gaps["equalized_odds_difference"], 3),
                          help=t("trust.eo_difference_help"))
    else:
        favourable = dataset.spec.target
        gaps = fairness.gaps
        columns = st.columns(2)
        columns[0].metric(t("trust.mean_difference"), t.number(gaps["mean_prediction_difference"], 3))
        columns[1].metric(t("trust.mae_difference"), t.number(gaps["mean_absolute_error_difference"], 3))

    left, right = st.columns([3, 2])
    with left:
        values = groups[headline].astype("float64")
        data = pd.DataFrame({"x": [lines(str(g), 16) for g in groups.index], "group": [str(g) for g in groups.index],
                             "value": values.to_numpy(), "count": groups["count"].to_numpy(),
                             "text": ["—" if v != v else t.percent(v) if model.is_classifier else t.number(v, 2)
                                      for v in values],
                             "text_at": values.fillna(0).to_numpy(),  # an unmeasured group's dash sits on the axis
                             "colour": TOWARD_POSITIVE})
        if model.is_classifier:
            axis = t("trust.selection_axis", outcome=favourable)
            title = t("trust.selection_title", feature=names.get(feature, feature))
            caption = t("trust.selection_caption", outcome=favourable, rows=fairness.rows)
        else:
            axis = t("trust.mean_axis", target=favourable)
            title = t("trust.mean_title", feature=names.get(feature, feature))
            caption = t("trust.mean_caption", target=favourable, rows=fairness.rows)
        number = ".1%" if model.is_classifier else ",.2~f"
        top = max(float(values.max()) if values.notna().any() else 0.0, overall if overall == overall else 0.0)
        y = {"field": "value", "type": "quantitative", "title": axis,
             "axis": {"format": ".0%"} if model.is_classifier else {},
             "scale": {"domainMax": top * 1.15, "nice": False} if top > 0 else {}}
        level = {"data": {"values": [{"overall": overall, "text": t("trust.overall")}]}, "layer": [
            {"mark": {"type": "rule", "color": ACCENT, "strokeDash": [6, 4], "strokeWidth": 2},
             "encoding": {"y": {"field": "overall", "type": "quantitative"},
                          "tooltip": [{"field": "overall", "title": t("trust.overall"), "format": number}]}},
            {"mark": {"type": "text", "align": "left", "baseline": "bottom", "dx": 4, "dy": -3, "color": ACCENT},
             "encoding": {"x": {"value": 0}, "y": {"field": "overall", "type": "quantitative"},
                          "text": {"field": "text", "type": "nominal"}}},
        ]}
        figure = finish(labelled_bars(data, names.get(feature, feature), y, [
            {"field": "group", "title": t("trust.col_group")},
            {"field": "value", "title": axis, "format": number},
            {"field": "count", "title": t("trust.col_count"), "format": ",d"}],
            [level] if overall == overall else []), title, height=380)  # no line when no group is measured
        chart(figure, caption, "rai_fairness_chart")
    with right:
        columns_named = {c: t(f"trust.col_{c}") for c in groups.columns}
        shown = groups.rename(columns=columns_named)
        shown.index.name = t("trust.col_group")
        st.dataframe(in_locale(shown, t, 4), key="rai_fairness_table")
        st.caption(t("trust.fairness_table_caption" if model.is_classifier
                     else "trust.fairness_table_caption_regression"))

    st.header(t("trust.flip_heading"))
    with st.spinner(t("trust.computing")):
        flips = cached_flip_test(*key, feature, bins, ws.seed)
    columns = st.columns(3)
    columns[0].metric(t("trust.flip_changed"), f"{t.number(flips.changed, 0)} / {t.number(flips.variants, 0)}",
                      help=t("trust.flip_changed_help"))
    columns[1].metric(t("trust.flip_rows"), f"{t.number(flips.rows_changed, 0)} / {t.number(flips.rows_tested, 0)}")
    columns[2].metric(t("trust.flip_mean_change"), t.number(flips.mean_abs_change, 4))
    if model.is_classifier:
        st.write(t("trust.flip_summary", rows=t.number(flips.rows_tested, 0), feature=names.get(feature, feature),
                   changed=t.number(flips.changed, 0), variants=t.number(flips.variants, 0),
                   share=t.percent(flips.share)))
    else:
        st.write(t("trust.flip_summary_regression", rows=t.number(flips.rows_tested, 0),
                   feature=names.get(feature, feature), changed=t.number(flips.changed, 0),
                   variants=t.number(flips.variants, 0), tolerance=t.number(flips.tolerance or 0.0, 3)))
    left, right = st.columns([2, 3])
    with left:
        by_value = flips.by_value.rename(columns={"new": t("trust.col_new"), "variants": t("trust.col_variants"),
                                                  "changed": t("trust.col_changed_outcome"),
                                                  "mean_change": t("trust.col_mean_change")})
        st.dataframe(in_locale(by_value, t, 4), hide_index=True, key="rai_flip_by_value")
        st.caption(t("trust.flip_by_value_caption"))
    with right:
        if flips.flips.empty:
            st.success(t("trust.flip_none"))
        else:
            table = flips.flips.head(MAX_FLIPS_SHOWN).copy()
            for column in ("label_before", "label_after"):
                if column in table:
                    table[column] = [class_label(ws, v) for v in table[column]]
            table = table.rename(columns={
                "row": t("trust.col_row"), "original": t("trust.col_original"), "new": t("trust.col_new"),
                "score_before": t("trust.col_score_before"), "score_after": t("trust.col_score_after"),
                "label_before": t("trust.col_label_before"), "label_after": t("trust.col_label_after"),
            })
            st.dataframe(in_locale(table, t, 4), hide_index=True, key="rai_flip_table")
            st.caption(t("trust.flip_table_caption", shown=t.number(min(len(flips.flips), MAX_FLIPS_SHOWN), 0),
                         total=t.number(len(flips.flips), 0)))


st.title(t("trust.title"))
st.write(t("trust.intro"))
SECTIONS = {"row": this_row, "sample": across_rows, "groups": groups}
SECTIONS[section_picker("rai", list(SECTIONS))]()
