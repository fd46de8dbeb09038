"""Monitoring results as Vega-Lite specs (see :mod:`explainers.charts`). Drawing only: every number comes from the
results.

Colours (Okabe-Ito, safe for colour-blind readers, as in :mod:`explainers.charts`): the reference is grey and the
current table bluish green; severities go yellow (minor), orange (moderate), reddish purple (major). Blue keeps
its one meaning: a move of the predictions toward the favourable outcome (vermillion: away from it).
"""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pandas as pd

from ..charts import (
    CATEGORY_PALETTE,
    ENGLISH,
    LABEL_LINES,
    NEUTRAL,
    TOWARD_NEGATIVE,
    TOWARD_POSITIVE,
    Spec,
    finish,
    label_axis,
    lines,
    records,
)
from .drift import MISSING, NEW_LEVEL, FeatureDrift

REFERENCE = NEUTRAL
CURRENT = "#009E73"  # bluish green
SEVERITY_COLOURS = {"none": "#BBBBBB", "minor": "#F0E442", "moderate": "#E69F00", "major": "#CC79A7"}
THRESHOLD = "#444444"
BOTTOM_LEGEND = {"orient": "bottom", "title": None, "labelLimit": 0}

# Period names that are dates or times ("2025-01", "2025-01-31", "2025-01-31 00:00:00"): a time axis.
DATE = re.compile(r"\d{4}-\d{2}(-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?)?")


def _finish(spec: Spec, title: str, height: int = 400) -> Spec:
    return finish(spec, title, height)


def _sides(tr, reference_key: str = "monitoring.reference") -> dict:
    """The colour of the two tables, with a legend under the chart."""
    domain = [tr(reference_key), tr("monitoring.current")]
    return {"field": "side", "type": "nominal", "scale": {"domain": domain, "range": [REFERENCE, CURRENT]},
            "legend": BOTTOM_LEGEND}


def bin_names(drift: FeatureDrift, tr) -> list[str]:
    """Readable names of a feature's bins: "≤ 12", "12 – 25", "> 230", levels, "new level", "missing"."""
    names = []
    for index, label in enumerate(drift.bins.labels):
        if label == MISSING:
            names.append(tr("common.missing"))
        elif label == NEW_LEVEL:
            names.append(tr("monitoring.new_level"))
        elif drift.kind == "numeric":
            low, high = drift.bins.interval(index)
            if not np.isfinite(low) and not np.isfinite(high):
                names.append(tr("monitoring.all_values"))
            elif not np.isfinite(low):
                names.append(f"≤ {tr.value(high)}")
            elif not np.isfinite(high):
                names.append(f"> {tr.value(low)}")
            else:
                names.append(f"{tr.value(low)} – {tr.value(high)}")
        else:
            names.append(str(label))
    return names


def _threshold_rules(lower: tuple[float, str], upper: tuple[float, str], channel: str) -> list[Spec]:
    """Dashed lines at the two PSI thresholds, each named by its severity: above the plot for vertical lines, at
    the right end for horizontal ones; the two names on their far sides, since the lines are often close."""
    position = {channel: {"field": "value", "type": "quantitative"}}
    layers = []
    for (value, name), outward in ((lower, -1), (upper, 1)):
        data = {"values": [{"value": float(value), "name": name}]}
        if channel == "x":
            text = {"align": "left" if outward > 0 else "right", "dx": 3 * outward, "baseline": "bottom", "dy": -4,
                    "y": 0}
        else:
            text = {"align": "right", "baseline": "bottom" if outward > 0 else "top", "dy": -2 * outward,
                    "x": "width"}
        layers += [{"data": data, "encoding": position,
                    "mark": {"type": "rule", "color": THRESHOLD, "strokeDash": [5, 4], "strokeWidth": 1}},
                   {"data": data, "encoding": {**position, "text": {"field": "name"}},
                    "mark": {"type": "text", "color": THRESHOLD, **text}}]
    return layers


def psi_bars(result, labels: dict[str, str], tr) -> Spec:
    """Each feature's PSI, coloured by its severity, with the two thresholds as lines."""
    table = result.feature_table()
    data = pd.DataFrame({
        "label": [lines(labels.get(f, f)) for f in table["feature"]], "column": [str(f) for f in table["feature"]],
        "psi": table["psi"].to_numpy(dtype="float64"),
        "verdict": [tr(f"monitoring.severity_{s}") for s in table["severity"]],
        "colour": [SEVERITY_COLOURS[s] for s in table["severity"]],
    })
    axis = tr("monitoring.psi_axis")
    bars = {"data": {"values": records(data)},
            "mark": {"type": "bar", "stroke": THRESHOLD, "strokeWidth": 0.5},
            "encoding": {
                "y": {"field": "label", "type": "nominal", "sort": None, "axis": label_axis()},
                "x": {"field": "psi", "type": "quantitative", "title": axis},
                "color": {"field": "colour", "type": "nominal", "scale": None, "legend": None},
                "tooltip": [{"field": "column", "title": tr("charts.column")},
                            {"field": "psi", "title": "PSI", "format": ",.3f"},
                            {"field": "verdict", "title": tr("monitoring.col_verdict")}]}}
    rules = _threshold_rules((result.thresholds.psi_moderate, tr("monitoring.severity_moderate")),
                             (result.thresholds.psi_major, tr("monitoring.severity_major")), "x")
    return _finish({"layer": [bars, *rules]}, tr("monitoring.chart_psi"),
                   height=max(340, 32 * len(table) + 110))


def _across(names: list[str], title: str, room: int = 470) -> tuple[list[str], dict]:
    """Category labels across the bottom of a chart about ``room`` pixels wide, and their axis: on short lines
    (a range "12 – 25" breaks after its dash) while they fit side by side, else slanted on one line each."""
    shown = [n.replace(" – ", " –\n") if " – " in n else "\n".join(textwrap.wrap(n, 12, break_long_words=False)) or n
             for n in names]
    longest = max((len(line) for n in shown for line in n.split("\n")), default=0)
    if names and 6 * longest <= room / len(names):  # about 6 px a character
        return shown, label_axis(title, labelAngle=0, vertical=False)
    return list(names), {"title": title, "labelAngle": -40, "labelLimit": 0, "labelOverlap": False}


def feature_bins(drift: FeatureDrift, label: str, tr) -> Spec:
    """Reference and current shares in each of the reference's bins of one feature."""
    keep = (drift.reference_counts + drift.current_counts) > 0
    names = [n for n, k in zip(bin_names(drift, tr), keep, strict=True) if k]
    shown, axis = _across(names, tr("monitoring.bins_axis"))
    data = pd.DataFrame({
        "bin": shown * 2, "name": names * 2,
        "side": [tr("monitoring.reference")] * len(names) + [tr("monitoring.current")] * len(names),
        "share": np.concatenate([drift.reference_shares[keep], drift.current_shares[keep]]).astype("float64"),
    })
    share = tr("monitoring.share_axis")
    return _finish({
        "data": {"values": records(data)},
        "mark": "bar",
        "encoding": {
            "x": {"field": "bin", "type": "nominal", "sort": shown, "axis": axis},
            "xOffset": {"field": "side", "type": "nominal", "sort": None},
            "y": {"field": "share", "type": "quantitative", "title": share, "axis": {"format": ".0%"}},
            "color": _sides(tr),
            "tooltip": [{"field": "name", "title": tr("monitoring.col_bin")},
                        {"field": "side", "title": tr("monitoring.table")},
                        {"field": "share", "title": share, "format": ".1%"}],
        },
    }, tr("monitoring.chart_bins", feature=label))


def score_histogram(drift, outcome: str, classifier: bool, tr) -> Spec:
    """The distribution of the model's score in both tables, and the move of its mean (blue: toward the favourable
    outcome or up, vermillion: away from it or down)."""
    histogram = drift.histogram
    number = ".1%" if classifier else ",.3f"
    written = tr.percent if classifier else (lambda v: tr.number(v, 3))
    sides = {"reference": tr("monitoring.reference"), "current": tr("monitoring.current")}
    data = pd.DataFrame([
        {"side": name, "low": float(row["low"]), "high": float(row["high"]), "share": float(row[side]),
         "bin": f"{written(row['low'])} – {written(row['high'])}"}
        for side, name in sides.items() for _, row in histogram.iterrows()
    ], columns=["side", "low", "high", "share", "bin"])
    share = tr("monitoring.share_axis")
    x_axis = {"title": outcome, **({"format": ".0%"} if classifier else {})}
    bars = {"data": {"values": records(data)},
            "mark": {"type": "rect", "opacity": 0.6},
            "encoding": {
                "x": {"field": "low", "type": "quantitative", "axis": x_axis, "scale": {"zero": False}},
                "x2": {"field": "high"},
                "y": {"field": "share", "type": "quantitative", "title": share, "axis": {"format": ".0%"}},
                "y2": {"datum": 0},
                "color": _sides(tr),
                "tooltip": [{"field": "side", "title": tr("monitoring.table")},
                            {"field": "bin", "title": outcome},
                            {"field": "share", "title": share, "format": ".1%"}]}}
    top = float(max(histogram["reference"].max(), histogram["current"].max(), 0.01)) if len(histogram) else 1.0
    colour = TOWARD_POSITIVE if drift.change >= 0 else TOWARD_NEGATIVE
    height = top * 1.12  # the means above the bars, joined by an arrow from the reference's to the current one
    means = pd.DataFrame({"side": list(sides.values()), "mean": [drift.reference_mean, drift.current_mean],
                          "y": [height, height]})
    move = {"data": {"values": [{"from": drift.reference_mean, "to": drift.current_mean, "y": height}]},
            "mark": {"type": "rule", "color": colour, "strokeWidth": 2.5},
            "encoding": {"x": {"field": "from", "type": "quantitative"}, "x2": {"field": "to"},
                         "y": {"field": "y", "type": "quantitative"}}}
    rightward = drift.current_mean >= drift.reference_mean
    head = {"data": {"values": [{"x": drift.current_mean, "y": height}]},
            "mark": {"type": "point", "shape": "triangle-right" if rightward else "triangle-left", "filled": True,
                     "color": colour, "size": 110, "xOffset": -11 if rightward else 11},
            "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}}}
    points = {"data": {"values": records(means)},
              "mark": {"type": "point", "filled": True, "size": 120, "stroke": colour, "strokeWidth": 2,
                       "opacity": 1},
              "encoding": {"x": {"field": "mean", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"},
                           "color": _sides(tr),
                           "tooltip": [{"field": "side", "title": tr("monitoring.table")},
                                       {"field": "mean", "title": tr("monitoring.mean_axis", outcome=outcome),
                                        "format": number}]}}
    layers = [bars, move, head, points] if np.isfinite(drift.change) else [bars]
    return _finish({"layer": layers}, tr("monitoring.chart_predictions"))


def attribution_bars(drift, labels: dict[str, str], tr, space: str) -> Spec:
    """Mean |SHAP| of each feature, reference beside current, in the reference's order."""
    table = drift.table
    axis = tr("charts.mean_abs_shap", space=tr(f"space.{space}"))
    names = [lines(labels.get(f, f)) for f in table.index]
    data = pd.DataFrame({
        "label": names * 2, "column": [str(f) for f in table.index] * 2,
        "side": [tr("monitoring.reference")] * len(table) + [tr("monitoring.current")] * len(table),
        "value": np.concatenate([table["reference"], table["current"]]).astype("float64"),
    })
    return _finish({
        "data": {"values": records(data)},
        "mark": "bar",
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": names, "axis": label_axis()},
            "yOffset": {"field": "side", "type": "nominal", "sort": None},
            "x": {"field": "value", "type": "quantitative", "title": axis},
            "color": _sides(tr),
            "tooltip": [{"field": "column", "title": tr("charts.column")},
                        {"field": "side", "title": tr("monitoring.table")},
                        {"field": "value", "title": axis, "format": ",.4f"}],
        },
    }, tr("monitoring.chart_attributions"), height=max(380, 38 * len(table) + 150))


def performance_points(drift, tr) -> Spec:
    """Each metric on the held-out reference rows and on the current rows, with bootstrap intervals."""
    from ..metrics import METRIC_KEYS

    table = drift.table
    names = [tr(f"report.metric_{METRIC_KEYS[m]}") if m in METRIC_KEYS else str(m) for m in table.index]
    sides = (("reference", "monitoring.reference_test"), ("current", "monitoring.current"))
    data = pd.DataFrame([
        {"metric": name, "side": tr(key), "value": float(row[side]), "low": float(row[f"{side}_low"]),
         "high": float(row[f"{side}_high"])}
        for side, key in sides for name, (_, row) in zip(names, table.iterrows(), strict=True)
    ], columns=["metric", "side", "value", "low", "high"])
    axis = tr("monitoring.metric_axis")
    # The two tables a little apart on each metric's line, so their intervals do not hide each other.
    position = {"y": {"field": "metric", "type": "nominal", "sort": names, "scale": {"type": "band"},
                      "axis": label_axis()},
                "yOffset": {"field": "side", "type": "nominal", "sort": None},
                "color": _sides(tr, "monitoring.reference_test")}
    intervals = {"mark": {"type": "rule", "strokeWidth": 2},
                 "encoding": {**position, "x": {"field": "low", "type": "quantitative", "title": axis,
                                                "scale": {"zero": False}},
                              "x2": {"field": "high"}}}
    points = {"mark": {"type": "point", "filled": True, "size": 110, "opacity": 1},
              "encoding": {**position, "x": {"field": "value", "type": "quantitative"},
                           "tooltip": [{"field": "metric", "title": tr("monitoring.col_metric")},
                                       {"field": "side", "title": tr("monitoring.table")},
                                       {"field": "value", "title": axis, "format": ",.3f"},
                                       {"field": "low", "title": tr("monitoring.col_low"), "format": ",.3f"},
                                       {"field": "high", "title": tr("monitoring.col_high"), "format": ",.3f"}]}}
    return _finish({"data": {"values": records(data)}, "layer": [intervals, points]},
                   tr("monitoring.chart_performance"), height=max(300, 60 * len(table) + 110))


def _period_axis(periods: list[str], tr) -> tuple[list, dict]:
    """The x of a timeline: a time axis when every period is a date or time (a batch folder grouped by a month
    column), else the period names in their order."""
    title = tr("monitoring.col_period")
    if periods and all(DATE.fullmatch(p) for p in periods):
        stamps = pd.to_datetime(pd.Series(periods), errors="coerce", format="mixed")
        if stamps.notna().all() and stamps.is_unique:
            # Milliseconds on a UTC scale: no time zone of the reader's browser moves a month into the one before.
            values = [int(s.value // 1_000_000) for s in stamps]
            # The ticks as Vega-Lite date-times (a bare number there is read as a year); labels as numbers in
            # UTC, in no language (Vega's own names of months are English).
            ticks = [{"year": s.year, "month": s.month, "date": s.day, "hours": s.hour, "minutes": s.minute,
                      "utc": True} for s in stamps]
            midnight = (stamps.dt.normalize() == stamps).all()
            form = ("%Y-%m" if (stamps.dt.day == 1).all() else "%Y-%m-%d") if midnight else "%Y-%m-%d %H:%M"
            return values, {"type": "temporal", "title": title, "scale": {"type": "utc"},
                            "axis": {"values": ticks, "labelExpr": f"utcFormat(datum.value, '{form}')",
                                     "labelAngle": 0}}
    shown, axis = _across(periods, title)
    return shown, {"type": "ordinal", "sort": shown, "axis": axis}


def _lines(frame: pd.DataFrame, labels: dict[str, str], title: str, axis: str, reference: pd.Series | None = None,
           percent: bool = False, tr=ENGLISH, features: bool = True) -> Spec:
    """One line per column over the periods (``reference``: each column's reference value, a dotted line of its
    colour). ``features``: the columns are features (their names in the tooltip)."""
    periods = [str(p) for p in frame.index]
    xs, x = _period_axis(periods, tr)
    names: list[str] = []
    for column in frame.columns:  # two columns with one label would share a line
        name = labels.get(column, str(column))
        names.append(name if name not in names else f"{name} ({column})")
    colours = [CATEGORY_PALETTE[i % len(CATEGORY_PALETTE)] for i in range(len(names))]
    keys = [lines(name, 34) for name in names]  # the legend's labels, on short lines
    data = pd.DataFrame([{"x": x_value, "period": period, "series": key, "name": name, "column": str(column),
                          "value": float(frame.iloc[i][column])}
                         for column, name, key in zip(frame.columns, names, keys, strict=True)
                         for i, (x_value, period) in enumerate(zip(xs, periods, strict=True))],
                        columns=["x", "period", "series", "name", "column", "value"])
    number = ".1%" if percent else ",.3f"
    tooltip = [{"field": "period", "title": tr("monitoring.col_period")},
               *([{"field": "name", "title": tr("monitoring.col_feature")},
                  {"field": "column", "title": tr("charts.column")}] if features else []),
               {"field": "value", "title": axis, "format": number}]
    # The y title on lines short enough to stand beside the plot (a long outcome name would push the chart's title
    # out of sight).
    y = {"field": "value", "type": "quantitative", "title": textwrap.wrap(axis, 34) or axis,
         **({"axis": {"format": ".0%"}} if percent else {})}
    # A legend under the plot, in two columns, when there is more than one line (the y axis names a lone one).
    legend = {**BOTTOM_LEGEND, "columns": 2, "labelExpr": LABEL_LINES} if len(names) > 1 else None
    rows = -(-sum(key.count("\n") + 1 for key in keys) // 2) if legend else 0
    layers: list[Spec] = [{
        "data": {"values": records(data)},
        "mark": {"type": "line", "point": True},
        "encoding": {"x": {"field": "x", **x}, "y": y,
                     "color": {"field": "series", "type": "nominal", "scale": {"domain": keys, "range": colours},
                               "legend": legend},
                     "tooltip": tooltip},
    }]
    if reference is not None:
        levels = pd.DataFrame([{"level": float(reference[column]), "colour": colour}
                               for column, colour in zip(frame.columns, colours, strict=True)
                               if column in reference.index], columns=["level", "colour"])
        layers.append({"data": {"values": records(levels)},
                       "mark": {"type": "rule", "strokeDash": [2, 3], "strokeWidth": 1},
                       "encoding": {"y": {"field": "level", "type": "quantitative"},
                                    "color": {"field": "colour", "type": "nominal", "scale": None, "legend": None}}})
    # Independent colour scales: the reference levels carry their own colours, the lines the palette.
    return _finish({"layer": layers, "resolve": {"scale": {"color": "independent"}}}, title, height=380 + 22 * rows)


def timeline_psi(timeline, labels: dict[str, str], thresholds, tr, features: int = 8) -> Spec:
    spec = _lines(timeline.psi.iloc[:, :features], labels, tr("monitoring.chart_timeline_psi"),
                  tr("monitoring.psi_axis"), tr=tr)
    spec["layer"] += _threshold_rules((thresholds.psi_moderate, tr("monitoring.severity_moderate")),
                                      (thresholds.psi_major, tr("monitoring.severity_major")), "y")
    return spec


def timeline_prediction(timeline, outcome: str, classifier: bool, tr) -> Spec:
    frame = timeline.prediction[["current"]].rename(columns={"current": outcome})
    reference = pd.Series({outcome: float(timeline.prediction["reference"].iloc[0])}) if len(frame) else None
    return _lines(frame, {}, tr("monitoring.chart_timeline_prediction"), tr("monitoring.mean_axis", outcome=outcome),
                  reference, percent=classifier, tr=tr, features=False)


def timeline_attributions(timeline, labels: dict[str, str], tr, space: str) -> Spec:
    return _lines(timeline.attributions, labels, tr("monitoring.chart_timeline_attributions"),
                  tr("charts.mean_abs_shap", space=tr(f"space.{space}")), timeline.reference_attributions, tr=tr)
