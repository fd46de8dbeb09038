"""The dashboard's charts as Vega-Lite specs (plain, JSON-ready dicts). Drawing only: every number comes from the
engine.

Vega-Lite, drawn by Streamlit's own chart element, costs the reader's browser about a fifth of what Plotly's
code does when a page first opens (measured in ``bench/concurrency.py``: ten readers share two cores). The HTML
report keeps Plotly (:mod:`explainers.report.figures`), since it must carry its drawing code inside the file.

One colour means "pushes toward the positive outcome" (or "raises the prediction" for regression)
everywhere; the palette is Okabe-Ito, safe for colour-blind readers. Every function takes a
:class:`~explainers.i18n.Translator` for its titles and axes; the page adds the locale's number format
(:func:`vega_config`), so ticks and tooltips read 1.234,5 in Portuguese.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import numpy as np
import pandas as pd

from .attributions import LimeExplanation, ShapValues
from .global_views import GlobalShap, PartialDependence
from .i18n import Translator

Spec = dict[str, Any]  # a Vega-Lite specification

TOWARD_POSITIVE = "#0072B2"  # blue
TOWARD_NEGATIVE = "#D55E00"  # vermillion
NEUTRAL = "#999999"
ACCENT = "#E69F00"  # orange: the current value, thresholds
CATEGORY_PALETTE = ["#56B4E9", "#CC79A7", "#009E73", "#F0E442", "#000000", "#E69F00", "#0072B2", "#D55E00"]
LOW_HIGH_SCALE = [[0.0, "#56B4E9"], [0.5, "#F0E442"], [1.0, "#CC79A7"]]
LOW_HIGH_RANGE = [colour for _, colour in LOW_HIGH_SCALE]
ENGLISH = Translator("en")

TITLE_WIDTH = 52  # characters of a title line: half a 1366 px page holds about this many
# Axis labels are wrapped in Python (lines joined by "\n") and split into lines by Vega.
LABEL_LINES = "split(datum.label, '\\n')"
# Half of a label line's height (Vega's 13 px at its 11 px labels), per line after the first; the page raises it
# for presentation mode's larger labels (:func:`for_page`).
HALF_LINE = "label_half_line"
CENTRE_LINES = f"isString(datum.label) ? -{HALF_LINE} * (length(split(datum.label, '\\n')) - 1) : 0"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as Vega's inline rows: plain numbers and text, missing values as null."""
    return json.loads(frame.to_json(orient="records", double_precision=10))


def lines(label: str, width: int = 42) -> str:
    """A long label over several lines (joined by a newline; :data:`LABEL_LINES` splits an axis label)."""
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def label_axis(title: str | None = None, *, vertical: bool = True, **more: Any) -> dict[str, Any]:
    """An axis whose labels are wrapped lines, never cut with "…". Vega hangs a label's extra lines below its tick;
    on a vertical axis they are moved up by half, so each label stays centred on its bar."""
    axis = {"title": title, "labelExpr": LABEL_LINES, "labelLimit": 0, "labelOverlap": False}
    if vertical:
        axis["labelOffset"] = {"expr": CENTRE_LINES}
    return {**axis, **more}


def finish(spec: Spec, title: str, height: int = 420) -> Spec:
    """Every chart's title (wrapped, on the left) and height; the width follows the page."""
    return {"title": {"text": textwrap.wrap(title, TITLE_WIDTH) or [title], "anchor": "start"},
            "height": height, "params": [{"name": HALF_LINE, "value": 6.5}], **spec}


def for_page(spec: Spec, tr: Translator, presenting: bool = False) -> Spec:
    """A chart as the page draws it: the locale's numbers, and larger text (with label lines spaced to match)
    for a projector."""
    params = [p for p in spec.get("params", []) if p.get("name") != HALF_LINE]
    return {**spec, "params": [*params, {"name": HALF_LINE, "value": 9.5 if presenting else 6.5}],
            "config": vega_config(tr, presenting)}


def number_locale(tr: Translator) -> dict[str, Any]:
    """d3-format's locale for the session's language: the decimal and thousands marks."""
    decimal, group = tr.plotly_separators
    return {"decimal": decimal, "thousands": group, "grouping": [3], "currency": ["", ""]}


def vega_config(tr: Translator, presenting: bool = False) -> dict[str, Any]:
    """The page's settings for every chart: the locale's numbers; larger text for a projector."""
    config: dict[str, Any] = {"locale": {"number": number_locale(tr)}}
    if presenting:  # readable from the back of a room
        config.update(title={"fontSize": 22}, axis={"labelFontSize": 16, "titleFontSize": 17},
                      legend={"labelFontSize": 16, "titleFontSize": 17}, text={"fontSize": 17})
    return config


def direction_colours(values) -> list[str]:
    return [TOWARD_POSITIVE if v >= 0 else TOWARD_NEGATIVE for v in values]


def zero_rule(channel: str) -> Spec:
    """A thin grey line at zero on ``channel`` ("x" or "y"), as a layer."""
    return {"data": {"values": [{"zero": 0}]}, "mark": {"type": "rule", "color": "#666666"},
            "encoding": {channel: {"field": "zero", "type": "quantitative"}}}


def _space(tr: Translator, space: str) -> str:
    return tr(f"space.{space}")


def waterfall_steps(
    shap: ShapValues, features: pd.Series, labels: dict[str, str], max_features: int, tr: Translator
) -> tuple[list[str], list[float], list[str]]:
    """The bars of a waterfall, smallest first: "feature = value" (plain text: each drawing wraps it), its push,
    and the column names behind it; the smallest effects are grouped into one bar only when that hides at least
    two features."""
    values = shap.values.iloc[0]
    order = values.abs().sort_values(ascending=False).index
    cut = max_features if len(order) > max_features + 1 else len(order)
    shown, rest = list(order[:cut]), list(order[cut:])
    names = [f"{labels.get(c, c)} = {tr.value(features[c])}" for c in shown]
    deltas = [float(values[c]) for c in shown]
    columns = [str(c) for c in shown]
    if rest:
        names.append(tr("charts.others", n=len(rest)))
        deltas.append(float(values[rest].sum()))
        columns.append(", ".join(str(c) for c in rest))
    return names[::-1], deltas[::-1], columns[::-1]


_FRAME = 120  # pixels of a chart's height that its title, x axis and padding take (Streamlit's "fit" autosize)


def _wrapped_height(labels: list[str], minimum: int = 240, least: int = 16) -> int:
    """A bar chart's height that gives every (wrapped) label its lines, and each row at least ``least`` pixels
    (two bars of a pair need more than one line)."""
    return max(minimum, sum(max(16 * (label.count("\n") + 1), least) + 14 for label in labels) + _FRAME)


def waterfall(
    shap: ShapValues, features: pd.Series, labels: dict[str, str], max_features: int = 12, tr: Translator = ENGLISH
) -> Spec:
    """Base value, then each feature's push, ending at the model output (on top); small ones are grouped.

    Probabilities are drawn in percentage points with one decimal, as the narrative states them."""
    names, deltas, columns = waterfall_steps(shap, features, labels, max_features, tr)
    scale, digits = (100.0, 1) if shap.space == "probability" else (1.0, 3)
    base, output = scale * shap.base_value, scale * float(shap.output[0])
    deltas = [scale * d for d in deltas]
    steps = [{"feature": tr("charts.base"), "column": "", "start": 0.0, "end": base, "colour": NEUTRAL,
              "text": tr.fixed(base, digits)}]
    position = base
    for name, delta, column in zip(names, deltas, columns, strict=True):
        steps.append({"feature": name, "column": column, "start": position, "end": position + delta,
                      "colour": TOWARD_POSITIVE if delta >= 0 else TOWARD_NEGATIVE,
                      "text": ("+" if delta >= 0 else "") + tr.fixed(delta, digits)})
        position += delta
    steps.append({"feature": tr("charts.this_prediction"), "column": "", "start": 0.0, "end": output,
                  "colour": NEUTRAL, "text": tr.fixed(output, digits)})
    for step in steps:
        step["label"] = lines(step["feature"])
        # The number sits beyond the bar's end: right of a push up, left of a push down.
        up = step["end"] >= step["start"]
        step["side"], step["at"] = ("right", max(step["start"], step["end"])) if up else ("left", min(
            step["start"], step["end"]))
    for step, following in zip(steps, [*steps[1:], None], strict=True):
        step["next"] = following["label"] if following else None
    order = [step["label"] for step in steps][::-1]  # the model output on top, the base at the bottom
    axis = tr("charts.probability_points") if shap.space == "probability" else tr(
        "charts.model_output", space=_space(tr, shap.space))
    # Room on both sides for the numbers printed beside the bars.
    path = np.cumsum([base, *deltas])
    low, high = min(path.min(), 0.0), path.max()
    pad = 0.15 * max(high - low, 1e-9)
    y = {"field": "label", "type": "nominal", "sort": order, "axis": label_axis()}
    x = {"field": "start", "type": "quantitative", "title": axis,
         "scale": {"domain": [low - pad, high + pad], "nice": True, "zero": False}, "axis": {"labelFlush": True}}
    tooltip = [{"field": "feature", "title": tr("charts.feature")}, {"field": "column", "title": tr("charts.column")},
               {"field": "text", "title": axis}]
    bars = {"mark": {"type": "bar"}, "encoding": {
        "y": y, "x": x, "x2": {"field": "end"}, "tooltip": tooltip,
        "color": {"field": "colour", "type": "nominal", "scale": None, "legend": None}}}
    # Thin connectors from each bar's end to the next bar, as Plotly's waterfall draws them.
    connectors = {"transform": [{"filter": "datum.next != null"}],
                  "mark": {"type": "rule", "color": "#888888"},
                  "encoding": {"y": y, "y2": {"field": "next"}, "x": {**x, "field": "end"}}}
    numbers = [{"transform": [{"filter": f"datum.side == '{side}'"}],
                "mark": {"type": "text", "align": align, "dx": dx, "color": "#333333"},
                "encoding": {"y": y, "x": {**x, "field": "at"}, "text": {"field": "text"}, "tooltip": tooltip}}
               for side, align, dx in (("right", "left", 4), ("left", "right", -4))]
    return finish({"data": {"values": steps}, "layer": [connectors, bars, *numbers]}, tr("charts.why"),
                  height=_wrapped_height(order, 360))


def attribution_comparison(
    shap_row: dict[str, float], lime: LimeExplanation, labels: dict[str, str], max_features: int = 10,
    tr: Translator = ENGLISH,
) -> Spec:
    """SHAP and LIME side by side, each scaled to its largest absolute value (their units differ): SHAP solid,
    LIME light, each bar in its direction's colour."""
    shap_series = pd.Series(shap_row)
    lime_series = pd.Series(lime.weights)
    combined = (shap_series.abs() / max(shap_series.abs().max(), 1e-12)).add(
        lime_series.abs() / max(lime_series.abs().max(), 1e-12), fill_value=0
    )
    order = list(combined.sort_values(ascending=False).index[:max_features])  # the largest on top
    methods = ["SHAP", "LIME"]
    rows = []
    for name, series in zip(methods, (shap_series, lime_series), strict=True):
        largest = max(series.abs().max(), 1e-12)
        for column in order:
            value = float(series.get(column, 0.0))
            rows.append({"label": lines(labels.get(column, column)), "feature": labels.get(column, column),
                         "column": str(column), "method": name, "value": value, "scaled": value / largest,
                         "colour": TOWARD_POSITIVE if value >= 0 else TOWARD_NEGATIVE})
    shown = [lines(labels.get(c, c)) for c in order]
    bars = {"mark": {"type": "bar"}, "encoding": {
        "y": {"field": "label", "type": "nominal", "sort": shown, "axis": label_axis()},
        "yOffset": {"field": "method", "type": "nominal", "sort": methods},
        "x": {"field": "scaled", "type": "quantitative", "title": tr("charts.scaled"),
              "scale": {"domain": [-1.15, 1.15], "nice": False}},
        "color": {"field": "colour", "type": "nominal", "scale": None, "legend": None},
        # Opacity, not fillOpacity: Vega-Lite draws no legend for fillOpacity.
        "opacity": {"field": "method", "type": "nominal", "scale": {"domain": methods, "range": [1.0, 0.4]},
                    "legend": {"title": None, "orient": "top", "symbolType": "square", "symbolStrokeColor": NEUTRAL,
                               "symbolFillColor": NEUTRAL}},
        "tooltip": [{"field": "feature", "title": tr("charts.feature")},
                    {"field": "column", "title": tr("charts.column")},
                    {"field": "method", "title": tr("charts.method")},
                    {"field": "value", "title": tr("charts.unscaled"), "format": ",.4f"}]}}
    return finish({"data": {"values": rows}, "layer": [bars, zero_rule("x")]}, tr("charts.side_by_side"),
                  height=_wrapped_height(shown, 360, least=30))


def importance_bar(result: GlobalShap, labels: dict[str, str], max_features: int = 15,
                   tr: Translator = ENGLISH) -> Spec:
    """Mean |SHAP| per feature, largest on top; the hover names the column."""
    top = result.importance.iloc[:max_features]
    data = pd.DataFrame({"label": [lines(labels.get(c, c)) for c in top.index], "column": [str(c) for c in top.index],
                         "value": top.to_numpy(dtype="float64")})
    axis = tr("charts.mean_abs_shap", space=_space(tr, result.shap.space))
    return finish({
        "data": {"values": records(data)},
        "mark": {"type": "bar", "color": NEUTRAL},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": None, "axis": label_axis()},
            "x": {"field": "value", "type": "quantitative", "title": axis},
            "tooltip": [{"field": "column", "title": tr("charts.column")},
                        {"field": "value", "title": axis, "format": ",.4f"}],
        },
    }, tr("charts.importance"), height=_wrapped_height(list(data["label"]), 360, least=24))


def scaled_colour(raw: pd.Series) -> np.ndarray:
    """Feature values mapped to 0..1 (categories by code), NaN where missing."""
    if isinstance(raw.dtype, pd.CategoricalDtype):
        colour = raw.cat.codes.replace(-1, np.nan).to_numpy(dtype="float64")
    else:
        colour = raw.to_numpy(dtype="float64")
    if not np.isfinite(colour).any():
        return np.full(len(colour), np.nan)
    low, high = np.nanmin(colour), np.nanmax(colour)
    return (colour - low) / (high - low) if high > low else np.zeros_like(colour)


def _shown_rows(count: int, max_rows: int | None, rng: np.random.Generator) -> np.ndarray:
    """The rows a scatter draws: all, or a seeded choice of ``max_rows`` (the reader's browser draws each dot)."""
    if max_rows is not None and count > max_rows:
        return np.sort(rng.choice(count, size=max_rows, replace=False))
    return np.arange(count)


def _words(raw: pd.Series, tr: Translator) -> list[str]:
    """Each value in the reader's words (numbers in the locale, categories translated, blanks as "missing");
    each category's words are looked up once."""
    if isinstance(raw.dtype, pd.CategoricalDtype):
        words = [tr.value(c) for c in raw.cat.categories] + [tr.value(None)]
        return [words[code] for code in raw.cat.codes.to_numpy()]  # code -1 (missing) is the last
    return [tr.value(v) for v in raw.tolist()]


def _category_axis(categories: list[str]) -> dict[str, Any]:
    """Categories on an x axis: level when they fit side by side in half a page, else slanted; upright when
    there are many (US states)."""
    if sum(len(c) + 2 for c in categories) <= 64:
        return {"labelAngle": 0}
    return {"labelAngle": -90 if len(categories) > 20 else -45, "labelLimit": 0}


def _title_lines(title: str, width: int = 50) -> list[str]:
    """An axis or legend title over several lines: Vega cuts a long one with "…"."""
    return lines(title, width).split("\n")


def _is_numeric(raw: pd.Series) -> bool:
    return not isinstance(raw.dtype, pd.CategoricalDtype) and pd.api.types.is_numeric_dtype(raw.dtype)


def beeswarm(result: GlobalShap, features: pd.DataFrame, labels: dict[str, str], max_features: int = 15,
             seed: int = 0, tr: Translator = ENGLISH, max_rows: int | None = None) -> Spec:
    """One dot per row and feature: x is the SHAP value, colour the feature's value (low to high), a seeded
    vertical jitter so the dots spread. ``max_rows``: draw at most this many rows (a seeded choice)."""
    rng = np.random.default_rng(seed)
    top = list(result.importance.index[:max_features])
    shown = _shown_rows(len(features), max_rows, rng)
    parts = []
    # The same jitter as before the move (least important feature first), so a seed draws the same picture.
    for position, name in enumerate(top[::-1]):
        raw = features[name].iloc[shown]
        part = pd.DataFrame({"f": len(top) - 1 - position,
                             "x": np.round(result.shap.values[name].to_numpy(dtype="float64")[shown], 5),
                             "j": np.round(rng.uniform(-0.3, 0.3, len(shown)), 3),
                             "c": np.round(np.nan_to_num(scaled_colour(raw), nan=0.5), 3)})
        # Numbers travel as numbers (the page's locale formats them); categories and blanks as words.
        if _is_numeric(raw):
            number = raw.to_numpy(dtype="float64")
            part["n"] = number
            part["v"] = np.where(np.isnan(number), tr.value(None), None)
        else:
            part["n"] = np.nan
            part["v"] = _words(raw, tr)
        parts.append(part)
    # Short field names and a lookup for each feature's label: thousands of dots reach every reader's browser.
    dots = records(pd.concat(parts[::-1], ignore_index=True)) if parts else []
    names = [{"f": i, "label": lines(labels.get(c, c)), "feature": labels.get(c, c), "column": str(c)}
             for i, c in enumerate(top)]
    axis = "charts.beeswarm_axis_regression" if result.shap.space == "raw" else "charts.beeswarm_axis"
    x_title = tr(axis, space=_space(tr, result.shap.space))
    value = tr("charts.feature_value")
    swarm = {
        "transform": [
            {"lookup": "f", "from": {"data": {"values": names}, "key": "f", "fields": ["label", "feature", "column"]}},
            {"calculate": "isValid(datum.v) ? datum.v : format(datum.n, ',.4~g')", "as": "value"},
        ],
        "mark": {"type": "circle", "size": 14, "opacity": 0.85},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": [n["label"] for n in names], "axis": label_axis()},
            "yOffset": {"field": "j", "type": "quantitative", "scale": {"domain": [-0.5, 0.5]}},
            "x": {"field": "x", "type": "quantitative", "title": x_title},
            "color": {"field": "c", "type": "quantitative",
                      "scale": {"domain": [0, 1], "range": LOW_HIGH_RANGE, "interpolate": "rgb"},
                      "legend": {"title": value, "values": [0, 1], "gradientLength": 120,
                                 "labelExpr": f"datum.value < 0.5 ? {json.dumps(tr('charts.low'))} : "
                                              f"{json.dumps(tr('charts.high'))}"}},
            "tooltip": [{"field": "feature", "title": tr("charts.feature")},
                        {"field": "column", "title": tr("charts.column")},
                        {"field": "value", "title": value},
                        {"field": "x", "title": "SHAP", "format": ".3f"}],
        },
    }
    return finish({"data": {"values": dots}, "layer": [zero_rule("x"), swarm]}, tr("charts.beeswarm"),
                  height=_wrapped_height([n["label"] for n in names], 380, least=24))


def dependence(result: GlobalShap, features: pd.DataFrame, feature: str, colour_by: str | None,
               labels: dict[str, str], tr: Translator = ENGLISH, max_rows: int | None = None,
               seed: int = 0) -> Spec:
    """A feature's value against its own SHAP value, coloured by another feature; at most ``max_rows`` dots (a
    seeded choice of the rows), which the reader's browser draws on every visit."""
    shown = _shown_rows(len(features), max_rows, np.random.default_rng(seed))
    features = features.iloc[shown]
    x = features[feature]
    label = labels.get(feature, feature)
    data = pd.DataFrame({"y": np.round(result.shap.values[feature].to_numpy(dtype="float64")[shown], 5)})
    if _is_numeric(x):
        data["x"] = x.to_numpy(dtype="float64")
        x_encoding = {"field": "x", "type": "quantitative", "title": _title_lines(label), "scale": {"zero": False}}
        x_tooltip = {"field": "x", "title": label, "format": ",.4~g"}
    else:  # categories as words, in the category order
        data["x"] = _words(x, tr)
        order = [tr.value(c) for c in x.cat.categories] if isinstance(x.dtype, pd.CategoricalDtype) else None
        x_encoding = {"field": "x", "type": "nominal", "title": _title_lines(label), "sort": order,
                      "axis": _category_axis(order or sorted(set(data["x"])))}
        x_tooltip = {"field": "x", "title": label}
    tooltip = [x_tooltip, {"field": "y", "title": tr("charts.shap_of", feature=label), "format": ".3f"}]
    encoding: dict[str, Any] = {"color": {"value": NEUTRAL}}
    if colour_by is not None:
        colour = features[colour_by]
        partner = labels.get(colour_by, colour_by)
        if _is_numeric(colour):
            data["c"] = colour.to_numpy(dtype="float64")
            encoding["color"] = {"field": "c", "type": "quantitative",
                                 "scale": {"range": LOW_HIGH_RANGE, "interpolate": "rgb"},
                                 "legend": {"title": _title_lines(partner, 16), "titleLimit": 0},
                                 "condition": {"test": "!isValid(datum.c)", "value": NEUTRAL}}
            tooltip.append({"field": "c", "title": partner, "format": ",.4~g"})
        else:
            data["c"] = _words(colour, tr)
            categories = ([tr.value(c) for c in colour.cat.categories]
                          if isinstance(colour.dtype, pd.CategoricalDtype) else sorted(set(data["c"])))
            palette = [CATEGORY_PALETTE[i % len(CATEGORY_PALETTE)] for i in range(len(categories))]
            if colour.isna().any():
                categories, palette = [*categories, tr.value(None)], [*palette, NEUTRAL]
            # Under the plot: a long feature name at the side would squeeze the dots.
            encoding["color"] = {"field": "c", "type": "nominal",
                                 "scale": {"domain": categories, "range": palette},
                                 "legend": {"title": _title_lines(partner, 48), "orient": "bottom",
                                            "direction": "horizontal", "columns": 4, "labelLimit": 0,
                                            "titleLimit": 0}}
            tooltip.append({"field": "c", "title": partner})
    dots = {"mark": {"type": "circle", "size": 22, "opacity": 0.8},
            "encoding": {"x": x_encoding, "y": {"field": "y", "type": "quantitative",
                                                "title": _title_lines(tr("charts.shap_of", feature=label), 30)},
                         "tooltip": tooltip, **encoding}}
    return finish({"data": {"values": records(data)}, "layer": [dots, zero_rule("y")]},
                  tr("charts.effect_of", feature=label), height=440)


def partial_dependence_figure(result: PartialDependence, label: str, score_name: str,
                              current: object | None = None, threshold: float | None = None,
                              title: str | None = None, probability: bool = False,
                              tr: Translator = ENGLISH) -> Spec:
    """ICE lines (thin, grey) and their average (thick); the current value and threshold marked."""
    categorical = bool(getattr(result, "categorical", False)) or isinstance(result.grid[0], str)
    grid = [tr.value(g) for g in result.grid] if categorical else [float(g) for g in result.grid]
    x: dict[str, Any] = ({"field": "x", "type": "nominal", "title": _title_lines(label), "sort": grid,
                          "axis": _category_axis(grid)}
                         if categorical else {"field": "x", "type": "quantitative", "title": _title_lines(label),
                                              "scale": {"zero": False}})
    y_scale = {"domain": [-0.02, 1.02], "nice": False} if probability else {"zero": False}
    y = {"field": "y", "type": "quantitative", "title": _title_lines(score_name, 40), "scale": y_scale}
    layers: list[Spec] = []
    ice = result.ice[: min(len(result.ice), 100)] if len(result.ice) > 1 else []
    curves = [{"i": i, "x": g, "y": float(v)} for i, line in enumerate(ice)
              for g, v in zip(grid, np.asarray(line, dtype="float64").tolist(), strict=True)]
    if curves:
        layers.append({"mark": {"type": "line", "color": "#787878", "opacity": 0.25, "strokeWidth": 1},
                       "encoding": {"x": x, "y": y, "detail": {"field": "i", "type": "nominal"}}})
    name = tr("charts.average") if len(result.ice) > 1 else tr("charts.prediction")
    average = [{"x": g, "y": float(v)} for g, v in zip(grid, np.asarray(result.average, dtype="float64"), strict=True)]
    layers.append({"data": {"values": average},
                   "mark": {"type": "line", "color": TOWARD_POSITIVE, "strokeWidth": 3,
                            "point": {"color": TOWARD_POSITIVE, "size": 40}},
                   "encoding": {"x": x, "y": y, "tooltip": [
                       {"field": "x", "title": label, **({} if categorical else {"format": ",.4~g"})},
                       {"field": "y", "title": f"{name}: {score_name}", "format": ",.3f"}]}})
    at: object = None
    if current is not None and not (isinstance(current, float) and np.isnan(current)):
        at = tr.value(current) if categorical else float(current)
        if categorical and at not in grid:
            at = None
    # The current value's label goes on the side of its line with more room, the threshold's on the other side.
    right = at is not None and (grid.index(at) >= len(grid) / 2 if categorical
                                else at >= (min(grid) + max(grid)) / 2)
    if threshold is not None:
        marker = {"data": {"values": [{"y": float(threshold),
                                       "text": tr("charts.threshold", value=tr.number(threshold))}]},
                  "encoding": {"y": {"field": "y", "type": "quantitative"}}}
        layers.append({**marker, "mark": {"type": "rule", "color": ACCENT, "strokeDash": [6, 4], "strokeWidth": 2}})
        layers.append({**marker, "mark": {"type": "text", "align": "left" if right else "right", "baseline": "bottom",
                                          "dy": -3, "x": 2 if right else "width", "color": "#333333"},
                       "encoding": {**marker["encoding"], "text": {"field": "text"}}})
    if at is not None:
        marker = {"data": {"values": [{"x": at, "text": tr("charts.current_value")}]},
                  "encoding": {"x": {k: v for k, v in x.items() if k != "title"}}}
        layers.append({**marker, "mark": {"type": "rule", "color": "#000000", "strokeDash": [2, 3],
                                          "strokeWidth": 1.5}})
        # Above the plot, as Plotly placed it: inside, it would sit on the curves.
        layers.append({**marker, "mark": {"type": "text", "align": "right" if right else "left", "baseline": "bottom",
                                          "dx": -4 if right else 4, "y": -3, "color": "#000000"},
                       "encoding": {**marker["encoding"], "text": {"field": "text"}}})
    spec = {"data": {"values": curves}, "layer": layers} if curves else {"layer": layers}
    return finish(spec, title or tr("charts.prediction_as", feature=label), height=420)


def _diagonal(low: float = 0.0, high: float = 1.0) -> Spec:
    """The dashed line of a perfect model, as a layer."""
    return {"data": {"values": [{"x": low, "y": low}, {"x": high, "y": high}]},
            "mark": {"type": "line", "strokeDash": [6, 4], "color": NEUTRAL},
            "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}}}


def _curve(frame: pd.DataFrame, x: str, y: str, x_title: str, y_title: str, points: bool = False) -> Spec:
    data = pd.DataFrame({"x": frame[x].to_numpy(dtype="float64"), "y": frame[y].to_numpy(dtype="float64")})
    scale = {"domain": [0, 1]}
    return {"data": {"values": records(data)},
            "mark": {"type": "line", "color": TOWARD_POSITIVE, "point": points},
            "encoding": {"x": {"field": "x", "type": "quantitative", "title": x_title, "scale": scale},
                         "y": {"field": "y", "type": "quantitative", "title": y_title, "scale": scale},
                         "tooltip": [{"field": "x", "title": x_title, "format": ".3f"},
                                     {"field": "y", "title": y_title, "format": ".3f"}]}}


def roc_figure(curve: pd.DataFrame, tr: Translator = ENGLISH) -> Spec:
    line = _curve(curve, curve.columns[0], curve.columns[1], tr("charts.fpr"), tr("charts.tpr"))
    return finish({"layer": [line, _diagonal()]}, tr("charts.roc"), height=360)


def precision_recall_figure(curve: pd.DataFrame, tr: Translator = ENGLISH) -> Spec:
    return finish(_curve(curve, "recall", "precision", tr("charts.recall"), tr("charts.precision")), tr("charts.pr"),
                  height=360)


def calibration_figure(curve: pd.DataFrame, tr: Translator = ENGLISH) -> Spec:
    line = _curve(curve, "predicted", "observed", tr("charts.predicted_probability"), tr("charts.observed_share"),
                  points=True)
    return finish({"layer": [line, _diagonal()]}, tr("charts.calibration"), height=360)


def confusion_figure(table: pd.DataFrame, class_label=str, tr: Translator = ENGLISH) -> Spec:
    """Counts of test rows by actual (rows) and predicted (columns) class: shaded cells with their count."""
    predicted = [tr("charts.predicted_label", label=class_label(c)) for c in table.columns]
    actual = [tr("charts.actual_label", label=class_label(c)) for c in table.index]
    counts = table.to_numpy()
    data = pd.DataFrame([{"actual": actual[i], "predicted": predicted[j], "count": int(counts[i, j]),
                          "dark": bool(counts[i, j] > counts.max() / 2)}
                         for i in range(len(actual)) for j in range(len(predicted))])
    position = {"y": {"field": "actual", "type": "nominal", "sort": actual, "axis": label_axis(labelAngle=0)},
                "x": {"field": "predicted", "type": "nominal", "sort": predicted,
                      "axis": label_axis(labelAngle=0, orient="top", vertical=False)}}
    cells = {"mark": "rect", "encoding": {
        **position, "color": {"field": "count", "type": "quantitative", "scale": {"scheme": "blues"}, "legend": None},
        "tooltip": [{"field": "actual", "title": tr("overview.class")},
                    {"field": "predicted", "title": tr("charts.prediction")},
                    {"field": "count", "title": tr("common.rows"), "format": ",d"}]}}
    numbers = {"mark": {"type": "text", "fontSize": 16}, "encoding": {
        **position, "text": {"field": "count", "type": "quantitative", "format": ",d"},
        "color": {"condition": {"test": "datum.dark", "value": "#ffffff"}, "value": "#000000"}}}
    return finish({"data": {"values": records(data)}, "layer": [cells, numbers]}, tr("charts.confusion"),
                  height=70 * len(actual) + _FRAME)


def _scatter(x: np.ndarray, y: np.ndarray, x_title: str, y_title: str, colour: str) -> Spec:
    data = pd.DataFrame({"x": np.asarray(x, dtype="float64"), "y": np.asarray(y, dtype="float64")})
    return {"data": {"values": records(data)}, "mark": {"type": "circle", "size": 16, "color": colour, "opacity": 0.7},
            "encoding": {"x": {"field": "x", "type": "quantitative", "title": x_title, "scale": {"zero": False}},
                         "y": {"field": "y", "type": "quantitative", "title": y_title, "scale": {"zero": False}},
                         "tooltip": [{"field": "x", "title": x_title, "format": ",.4~g"},
                                     {"field": "y", "title": y_title, "format": ",.4~g"}]}}


def predicted_vs_actual(actual: np.ndarray, predicted: np.ndarray, target: str,
                        tr: Translator = ENGLISH) -> Spec:
    low = float(min(actual.min(), predicted.min()))
    high = float(max(actual.max(), predicted.max()))
    dots = _scatter(actual, predicted, tr("charts.actual_label", label=target),
                    tr("charts.predicted_label", label=target), TOWARD_POSITIVE)
    return finish({"layer": [dots, _diagonal(low, high)]}, tr("charts.pred_vs_actual"), height=380)


def residuals_figure(actual: np.ndarray, predicted: np.ndarray, tr: Translator = ENGLISH) -> Spec:
    dots = _scatter(predicted, actual - predicted, tr("charts.predicted_axis"), tr("charts.residual_axis"),
                    TOWARD_NEGATIVE)
    return finish({"layer": [dots, zero_rule("y")]}, tr("charts.residuals"), height=380)


def shap_before_after(before: dict[str, float], after: dict[str, float], labels: dict[str, str],
                      max_features: int = 10, tr: Translator = ENGLISH, space: str = "log-odds") -> Spec:
    """SHAP of the original row (faded) and the edited row, feature by feature (probabilities in points)."""
    scale, digits = (100.0, 1) if space == "probability" else (1.0, 3)
    both = scale * pd.DataFrame({"original": pd.Series(before), "edited": pd.Series(after)})
    order = list(both.abs().max(axis=1).sort_values(ascending=False).index[:max_features])  # the largest on top
    versions = [tr("whatif.original"), tr("whatif.edited")]
    rows = [{"label": lines(labels.get(c, c)), "feature": labels.get(c, c), "column": str(c), "version": version,
             "value": float(both.loc[c, key]),
             "colour": TOWARD_POSITIVE if both.loc[c, key] >= 0 else TOWARD_NEGATIVE}
            for key, version in zip(("original", "edited"), versions, strict=True) for c in order]
    shown = [lines(labels.get(c, c)) for c in order]
    axis = tr("charts.probability_points") if space == "probability" else tr("charts.shap_value")
    bars = {"mark": {"type": "bar"}, "encoding": {
        "y": {"field": "label", "type": "nominal", "sort": shown, "axis": label_axis()},
        "yOffset": {"field": "version", "type": "nominal", "sort": versions},
        "x": {"field": "value", "type": "quantitative", "title": axis},
        "color": {"field": "colour", "type": "nominal", "scale": None, "legend": None},
        "opacity": {"field": "version", "type": "nominal", "scale": {"domain": versions, "range": [0.45, 1.0]},
                    "legend": {"title": None, "orient": "top", "symbolType": "square", "symbolFillColor": NEUTRAL,
                               "symbolStrokeColor": NEUTRAL}},
        "tooltip": [{"field": "feature", "title": tr("charts.feature")},
                    {"field": "column", "title": tr("charts.column")},
                    {"field": "version", "title": tr("charts.version")},
                    {"field": "value", "title": axis, "format": f",.{digits}f"}]}}
    return finish({"data": {"values": rows}, "layer": [bars, zero_rule("x")]}, tr("charts.before_after"),
                  height=_wrapped_height(shown, 360, least=30))
