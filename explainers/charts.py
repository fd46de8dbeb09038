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

import html
import json
import textwrap
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

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
_LAYOUT = {"margin": {"l": 10, "r": 40, "t": 50, "b": 10}, "font": {"size": 13}}
# A default template is shared by every figure; naming it in each layout re-validates it (~8 ms a chart).
pio.templates.default = "plotly_white"
ENGLISH = Translator("en")

TITLE_WIDTH = 52  # characters of a title line: half a 1366 px page holds about this many
# Axis labels are wrapped in Python (lines joined by "\n") and split into lines by Vega.
LABEL_LINES = "split(datum.label, '\\n')"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as Vega's inline rows: plain numbers and text, missing values as null."""
    return json.loads(frame.to_json(orient="records", double_precision=10))


def lines(label: str, width: int = 42) -> str:
    """A long label over several lines (joined by a newline; :data:`LABEL_LINES` splits an axis label)."""
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def label_axis(title: str | None = None, **more: Any) -> dict[str, Any]:
    """An axis whose labels are wrapped lines, never cut with "…"."""
    return {"title": title, "labelExpr": LABEL_LINES, "labelLimit": 0, "labelOverlap": False, **more}


def finish(spec: Spec, title: str, height: int = 420) -> Spec:
    """Every chart's title (wrapped, on the left) and height; the width follows the page."""
    return {"title": {"text": textwrap.wrap(title, TITLE_WIDTH) or [title], "anchor": "start"},
            "height": height, **spec}


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


def finish_figure(figure: go.Figure, title: str, height: int = 420, **layout) -> go.Figure:
    """Every chart's title, height, margins and font (``layout``: more of Plotly's layout). A long title (a long
    feature name) wraps instead of being cut at the chart's edge."""
    title = wrap(title, TITLE_WIDTH)
    extra = 20 * title.count("<br>")
    figure.update_layout(title={"text": title, "x": 0}, height=height + extra, **_LAYOUT, **layout)
    figure.update_layout(margin={"t": _LAYOUT["margin"]["t"] + extra})
    return figure


def wrap(label: str, width: int = 42) -> str:
    """A long axis label over several lines (Plotly breaks lines only at ``<br>``), so the bars keep their room.
    The text is escaped first: Plotly reads tags such as ``<a>`` in labels, and labels carry data values."""
    return "<br>".join(textwrap.wrap(html.escape(label, quote=False), width)) or html.escape(label)


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
    """The bars of a waterfall, smallest first: "feature = value", its push, and the column names behind
    it; the smallest effects are grouped into one bar only when that hides at least two features."""
    values = shap.values.iloc[0]
    order = values.abs().sort_values(ascending=False).index
    cut = max_features if len(order) > max_features + 1 else len(order)
    shown, rest = list(order[:cut]), list(order[cut:])
    names = [wrap(f"{labels.get(c, c)} = {tr.value(features[c])}") for c in shown]
    deltas = [float(values[c]) for c in shown]
    columns = [str(c) for c in shown]
    if rest:
        names.append(tr("charts.others", n=len(rest)))
        deltas.append(float(values[rest].sum()))
        columns.append(", ".join(str(c) for c in rest))
    return names[::-1], deltas[::-1], columns[::-1]


def waterfall(
    shap: ShapValues, features: pd.Series, labels: dict[str, str], max_features: int = 12, tr: Translator = ENGLISH
) -> go.Figure:
    """Base value, then each feature's push, ending at the model output; small ones are grouped.

    Probabilities are drawn in percentage points with one decimal, as the narrative states them."""
    names, deltas, columns = waterfall_steps(shap, features, labels, max_features, tr)
    scale, digits = (100.0, 1) if shap.space == "probability" else (1.0, 3)
    base, output = scale * shap.base_value, scale * float(shap.output[0])
    deltas = [scale * d for d in deltas]
    figure = go.Figure(
        go.Waterfall(
            orientation="h",
            y=[tr("charts.base"), *names, tr("charts.this_prediction")],
            x=[base, *deltas, 0],
            measure=["absolute", *["relative"] * len(deltas), "total"],
            increasing={"marker": {"color": TOWARD_POSITIVE}},
            decreasing={"marker": {"color": TOWARD_NEGATIVE}},
            totals={"marker": {"color": NEUTRAL}},
            text=[tr.fixed(base, digits), *[("+" if d >= 0 else "") + tr.fixed(d, digits) for d in deltas],
                  tr.fixed(output, digits)],
            customdata=["", *columns, ""],
            hovertemplate="%{y}<br>%{customdata}<extra></extra>",
            textposition="outside",
            cliponaxis=False,
            connector={"line": {"color": "#cccccc"}},
        )
    )
    axis = tr("charts.probability_points") if shap.space == "probability" else tr(
        "charts.model_output", space=_space(tr, shap.space))
    # Room on both sides for the numbers printed beside the bars.
    path = np.cumsum([base, *deltas])
    low, high = min(path.min(), 0.0), path.max()
    pad = 0.15 * max(high - low, 1e-9)
    figure.update_xaxes(title=axis, range=[low - pad, high + pad])
    lines = sum(name.count("<br>") + 1 for name in names)
    return finish_figure(figure, tr("charts.why"), height=max(360, 20 * lines + 16 * len(names) + 120))


def attribution_comparison(
    shap_row: dict[str, float], lime: LimeExplanation, labels: dict[str, str], max_features: int = 10,
    tr: Translator = ENGLISH,
) -> go.Figure:
    """SHAP and LIME side by side, each scaled to its largest absolute value (their units differ)."""
    shap_series = pd.Series(shap_row)
    lime_series = pd.Series(lime.weights)
    combined = (shap_series.abs() / max(shap_series.abs().max(), 1e-12)).add(
        lime_series.abs() / max(lime_series.abs().max(), 1e-12), fill_value=0
    )
    order = combined.sort_values(ascending=False).index[:max_features][::-1]
    figure = go.Figure()
    for name, series, pattern in (("SHAP", shap_series, ""), ("LIME", lime_series, "/")):
        scaled = series[order] / max(series.abs().max(), 1e-12)
        figure.add_bar(
            y=[wrap(labels.get(c, c)) for c in order], x=scaled, name=name, orientation="h",
            marker={"color": direction_colours(scaled), "pattern": {"shape": pattern}},
            customdata=series[order], hovertemplate="%{y}: %{customdata:.4f}<extra>" + name + "</extra>",
        )
    figure.update_layout(barmode="group", legend={"itemclick": False})
    figure.update_xaxes(title=tr("charts.scaled"), range=[-1.15, 1.15])
    return finish_figure(figure, tr("charts.side_by_side"), height=max(360, 40 * len(order) + 80))


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
    }, tr("charts.importance"), height=max(300, 28 * len(top) + 40))


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


def beeswarm(result: GlobalShap, features: pd.DataFrame, labels: dict[str, str], max_features: int = 15,
             seed: int = 0, tr: Translator = ENGLISH, max_rows: int | None = None) -> go.Figure:
    """One dot per row and feature: x is the SHAP value, colour the feature's value (low to high).

    ``max_rows``: draw at most this many of the rows (a seeded choice), since every dot is drawn by the
    reader's browser on every visit. The dots travel as two traces (numeric features, whose hover shows the
    number in the locale's format, and categorical ones, whose hover shows the category), not one per feature:
    the browser's work grows with the number of traces."""
    rng = np.random.default_rng(seed)
    top = list(result.importance.index[:max_features])[::-1]
    shown = np.arange(len(features))
    if max_rows is not None and len(shown) > max_rows:
        shown = np.sort(rng.choice(len(shown), size=max_rows, replace=False))
    parts: dict[bool, dict[str, list]] = {True: {"x": [], "y": [], "colour": [], "hover": []},
                                          False: {"x": [], "y": [], "colour": [], "hover": []}}
    for position, name in enumerate(top):
        raw = features[name].iloc[shown]
        numeric = not isinstance(raw.dtype, pd.CategoricalDtype) and pd.api.types.is_numeric_dtype(raw.dtype)
        part = parts[numeric]
        part["x"].append(result.shap.values[name].to_numpy()[shown])
        part["y"].append(position + rng.uniform(-0.3, 0.3, len(shown)))
        part["colour"].append(scaled_colour(raw))
        if numeric:
            part["hover"].append(raw.to_numpy(dtype="float64"))
        else:  # each category's words once, then looked up per dot
            codes = raw.cat.codes.to_numpy() if isinstance(raw.dtype, pd.CategoricalDtype) else None
            if codes is not None:
                words = np.array([tr.value(c) for c in raw.cat.categories] + [tr.value(None)], dtype=object)
                part["hover"].append(words[np.where(codes < 0, len(words) - 1, codes)])
            else:
                part["hover"].append(np.array([tr.value(v) for v in raw], dtype=object))
    figure = go.Figure()
    for numeric, part in parts.items():
        if not part["x"]:
            continue
        colour = np.concatenate(part["colour"])
        # Single precision, colours as 0..255 levels, and numbers for the hover (Plotly formats them with the
        # locale's separators) keep the page light for ten readers at once.
        hover = ({"customdata": np.concatenate(part["hover"]).astype("float32"),
                  "hovertemplate": "%{customdata:,.4~g}"} if numeric
                 else {"text": np.concatenate(part["hover"]).tolist(), "hovertemplate": "%{text}"})
        hover["hovertemplate"] += "<br>SHAP %{x:.3f}<extra></extra>"
        figure.add_scattergl(
            x=np.concatenate(part["x"]).astype("float32"), y=np.concatenate(part["y"]).astype("float32"),
            mode="markers",
            marker={"size": 4, "color": np.round(255 * np.nan_to_num(colour, nan=0.5)).astype("uint8"),
                    "colorscale": LOW_HIGH_SCALE, "cmin": 0, "cmax": 255, "showscale": not figure.data,
                    "colorbar": {"title": tr("charts.feature_value"), "tickvals": [0, 255],
                                 "ticktext": [tr("charts.low"), tr("charts.high")]}},
            showlegend=False, **hover,
        )
    figure.update_yaxes(tickvals=list(range(len(top))), ticktext=[wrap(labels.get(c, c)) for c in top])
    figure.add_vline(x=0, line_color="#666666", line_width=1)
    axis = "charts.beeswarm_axis_regression" if result.shap.space == "raw" else "charts.beeswarm_axis"
    figure.update_xaxes(title=tr(axis, space=_space(tr, result.shap.space)))
    return finish_figure(figure, tr("charts.beeswarm"), height=max(380, 34 * len(top) + 100))


def dependence(result: GlobalShap, features: pd.DataFrame, feature: str, colour_by: str | None,
               labels: dict[str, str], tr: Translator = ENGLISH, max_rows: int | None = None,
               seed: int = 0) -> go.Figure:
    """A feature's value against its own SHAP value, coloured by another feature; at most ``max_rows`` dots (a
    seeded choice of the rows), which the reader's browser draws on every visit."""
    shown = np.arange(len(features))
    if max_rows is not None and len(shown) > max_rows:
        shown = np.sort(np.random.default_rng(seed).choice(len(shown), size=max_rows, replace=False))
    features = features.iloc[shown]
    x = features[feature]
    y = result.shap.values[feature].to_numpy()[shown]
    x_values = x.astype(str) if isinstance(x.dtype, pd.CategoricalDtype) else x
    figure = go.Figure()
    colour = features[colour_by] if colour_by is not None else None
    if colour is not None and isinstance(colour.dtype, pd.CategoricalDtype):
        for i, category in enumerate(colour.cat.categories):
            mask = (colour == category).to_numpy()
            figure.add_scattergl(x=x_values[mask], y=y[mask], mode="markers", name=tr.value(category),
                                 marker={"size": 5, "color": CATEGORY_PALETTE[i % len(CATEGORY_PALETTE)]})
        # Under the plot, in one row: a long feature name at the side would squeeze the dots, and above it the
        # legend's title would run into the chart's.
        figure.update_layout(legend={"title": {"text": wrap(labels.get(colour_by, colour_by), 60)},
                                     "orientation": "h", "yanchor": "top", "y": -0.22, "x": 0},
                             margin={"b": 110})
    else:
        marker: dict = {"size": 5, "color": NEUTRAL}
        if colour is not None:
            marker.update(color=colour.to_numpy(dtype="float64"), colorscale=LOW_HIGH_SCALE, showscale=True,
                          colorbar={"title": {"text": wrap(labels.get(colour_by, colour_by), 16), "side": "right"}})
        figure.add_scattergl(x=x_values, y=y, mode="markers", marker=marker, showlegend=False)
    figure.add_hline(y=0, line_color="#666666", line_width=1)
    figure.update_xaxes(title=labels.get(feature, feature))
    figure.update_yaxes(title=wrap(tr("charts.shap_of", feature=labels.get(feature, feature)), 48))
    return finish_figure(figure, tr("charts.effect_of", feature=labels.get(feature, feature)))


def partial_dependence_figure(result: PartialDependence, label: str, score_name: str,
                              current: object | None = None, threshold: float | None = None,
                              title: str | None = None, probability: bool = False,
                              tr: Translator = ENGLISH) -> go.Figure:
    """ICE lines (thin, grey) and their average (thick); the current value and threshold marked."""
    categorical = bool(getattr(result, "categorical", False)) or isinstance(result.grid[0], str)
    x = [tr.value(g) for g in result.grid] if categorical else result.grid  # categories in the reader's words
    figure = go.Figure()
    lines = result.ice[: min(len(result.ice), 100)] if len(result.ice) > 1 else []
    if len(lines):
        # All ICE lines in one trace, separated by gaps: one trace draws far faster than a hundred.
        gap_x, gap_y = [*list(x), None], None
        figure.add_scatter(x=[v for _ in lines for v in gap_x],
                           y=[v for line in lines for v in [*np.asarray(line, dtype="float64").tolist(), gap_y]],
                           mode="lines", line={"color": "rgba(120,120,120,0.25)", "width": 1}, connectgaps=False,
                           showlegend=False, hoverinfo="skip")
    figure.add_scatter(x=x, y=result.average, mode="lines+markers",
                       name=tr("charts.average") if len(result.ice) > 1 else tr("charts.prediction"),
                       line={"color": TOWARD_POSITIVE, "width": 3})
    if threshold is not None:
        figure.add_hline(y=threshold, line_dash="dash", line_color=ACCENT,
                         annotation_text=tr("charts.threshold", value=tr.number(threshold)))
    if current is not None and not (isinstance(current, float) and np.isnan(current)):
        if categorical:  # a category axis places category i at i; plotly cannot average text positions
            if tr.value(current) in x:
                figure.add_vline(x=x.index(tr.value(current)), line_color="#000000", line_dash="dot",
                                 annotation_text=tr("charts.current_value"))
        else:
            figure.add_vline(x=float(current), line_color="#000000", line_dash="dot",
                             annotation_text=tr("charts.current_value"))
    if categorical:
        figure.update_xaxes(type="category", categoryorder="array", categoryarray=x)
    figure.update_xaxes(title=label)
    figure.update_yaxes(title=score_name)
    if probability:
        figure.update_yaxes(range=[-0.02, 1.02])
    return finish_figure(figure, title or tr("charts.prediction_as", feature=label))


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
    return finish({"layer": [line, _diagonal()]}, tr("charts.roc"), height=300)


def precision_recall_figure(curve: pd.DataFrame, tr: Translator = ENGLISH) -> Spec:
    return finish(_curve(curve, "recall", "precision", tr("charts.recall"), tr("charts.precision")), tr("charts.pr"),
                  height=300)


def calibration_figure(curve: pd.DataFrame, tr: Translator = ENGLISH) -> Spec:
    line = _curve(curve, "predicted", "observed", tr("charts.predicted_probability"), tr("charts.observed_share"),
                  points=True)
    return finish({"layer": [line, _diagonal()]}, tr("charts.calibration"), height=300)


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
                      "axis": label_axis(labelAngle=0, orient="top")}}
    cells = {"mark": "rect", "encoding": {
        **position, "color": {"field": "count", "type": "quantitative", "scale": {"scheme": "blues"}, "legend": None},
        "tooltip": [{"field": "actual", "title": tr("overview.class")},
                    {"field": "predicted", "title": tr("charts.prediction")},
                    {"field": "count", "title": tr("common.rows"), "format": ",d"}]}}
    numbers = {"mark": {"type": "text", "fontSize": 16}, "encoding": {
        **position, "text": {"field": "count", "type": "quantitative", "format": ",d"},
        "color": {"condition": {"test": "datum.dark", "value": "#ffffff"}, "value": "#000000"}}}
    return finish({"data": {"values": records(data)}, "layer": [cells, numbers]}, tr("charts.confusion"),
                  height=60 * len(actual) + 40)


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
    return finish({"layer": [dots, _diagonal(low, high)]}, tr("charts.pred_vs_actual"), height=340)


def residuals_figure(actual: np.ndarray, predicted: np.ndarray, tr: Translator = ENGLISH) -> Spec:
    dots = _scatter(predicted, actual - predicted, tr("charts.predicted_axis"), tr("charts.residual_axis"),
                    TOWARD_NEGATIVE)
    return finish({"layer": [dots, zero_rule("y")]}, tr("charts.residuals"), height=340)


def shap_before_after(before: dict[str, float], after: dict[str, float], labels: dict[str, str],
                      max_features: int = 10, tr: Translator = ENGLISH, space: str = "log-odds") -> go.Figure:
    """SHAP of the original row and the edited row, feature by feature (probabilities in points)."""
    scale = 100.0 if space == "probability" else 1.0
    both = scale * pd.DataFrame({"original": pd.Series(before), "edited": pd.Series(after)})
    order = both.abs().max(axis=1).sort_values(ascending=False).index[:max_features][::-1]
    figure = go.Figure()
    for name, opacity in (("original", 0.45), ("edited", 1.0)):
        figure.add_bar(y=[wrap(labels.get(c, c)) for c in order], x=both.loc[order, name], name=tr(f"whatif.{name}"),
                       orientation="h", opacity=opacity,
                       marker={"color": direction_colours(both.loc[order, name])})
    figure.update_layout(barmode="group")
    figure.update_xaxes(title=tr("charts.probability_points") if space == "probability" else tr("charts.shap_value"))
    return finish_figure(figure, tr("charts.before_after"), height=max(360, 40 * len(order) + 80))
