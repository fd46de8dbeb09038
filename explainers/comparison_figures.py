"""Vega-Lite specs of model comparison and error analysis. Drawing only: every number comes from
:mod:`explainers.comparison` and :mod:`explainers.error_analysis`.

Each model keeps one colour (Okabe-Ito, safe for colour-blind readers) and one line style or marker shape on every
figure, so models can be told apart without colour too.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .charts import ENGLISH, LABEL_LINES, NEUTRAL, Spec, finish, label_axis, lines, records
from .comparison import Comparison, metric_key
from .error_analysis import ErrorHeatmap, ErrorTree
from .i18n import Translator

MODEL_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
MODEL_DASHES = [[1, 0], [8, 4], [2, 3], [8, 3, 2, 3], [14, 4], [14, 3, 2, 3]]  # Vega's strokeDash
MODEL_SHAPES = ["circle", "diamond", "square"]
ERROR_SCALE = [[0.0, "#F7F7F7"], [0.5, "#E69F00"], [1.0, "#D55E00"]]  # light: few errors; vermillion: many
TREE_LEVEL = 110  # pixels of one level of the error tree (and 180 for its title and colour bar)
TREE_CHARACTERS = 130  # characters of 12 px text across the whole tree (a full-width page)


def model_style(position: int) -> dict:
    return {"color": MODEL_COLOURS[position % len(MODEL_COLOURS)], "dash": MODEL_DASHES[position % len(MODEL_DASHES)]}


def _models(shown: list[str], channel: str = "color") -> dict:
    """Each model (by its title as shown) mapped to its colour (``channel`` "color") or line style ("strokeDash")."""
    styles = [model_style(i)["color" if channel == "color" else "dash"] for i in range(len(shown))]
    return {"field": "model", "type": "nominal", "scale": {"domain": shown, "range": styles}, "sort": shown}


def _rate_colour(top: float, title: str) -> dict:
    """Error rates from 0 to ``top``, light to vermillion."""
    return {"field": "rate", "type": "quantitative",
            "scale": {"domain": [0.0, top / 2, top], "range": [colour for _, colour in ERROR_SCALE], "clamp": True},
            "legend": {"title": title, "format": ".0%"}}


def metric_intervals_figure(result: Comparison, metric: str, titles: Mapping[str, str],
                            tr: Translator = ENGLISH) -> Spec:
    """One metric for every model: a dot at the value and a bar over its bootstrap interval."""
    rows = []
    for i, name in enumerate(result.names):
        row = result.metrics.loc[(name, metric)]
        rows.append({"label": lines(titles.get(name, name), 30), "model": titles.get(name, name),
                     "value": float(row["value"]), "low": float(row["low"]), "high": float(row["high"]),
                     "interval": f"{tr.fixed(row['low'], 4)} – {tr.fixed(row['high'], 4)}",
                     "colour": model_style(i)["color"], "shape": MODEL_SHAPES[i % len(MODEL_SHAPES)]})
    axis = tr(metric_key(metric))
    percent = tr.percent(result.confidence, 0)
    y = {"field": "label", "type": "nominal", "sort": None, "axis": label_axis()}
    colour = {"field": "colour", "type": "nominal", "scale": None, "legend": None}
    tooltip = [{"field": "model", "title": tr("compare.model")}, {"field": "value", "title": axis, "format": ".4f"},
               {"field": "interval", "title": tr("compare.interval", percent=percent)}]
    bars = {"mark": {"type": "rule", "strokeWidth": 2},
            "encoding": {"y": y, "x": {"field": "low", "type": "quantitative", "title": axis,
                                       "scale": {"zero": False}},
                         "x2": {"field": "high"}, "color": colour, "tooltip": tooltip}}
    dots = {"mark": {"type": "point", "filled": True, "size": 150, "opacity": 1},
            "encoding": {"y": y, "x": {"field": "value", "type": "quantitative"}, "color": colour,
                         "shape": {"field": "shape", "type": "nominal", "scale": None, "legend": None},
                         "tooltip": tooltip}}
    return finish({"data": {"values": records(pd.DataFrame(rows))}, "layer": [bars, dots]},
                  tr("compare.interval_title", metric=axis, percent=percent), height=120 + 50 * len(result.names))


def curves_figure(result: Comparison, curve: str, titles: Mapping[str, str], tr: Translator = ENGLISH) -> Spec:
    """ROC, precision-recall or calibration curves of every model on one set of axes."""
    axes = {"roc": ("false positive rate", "true positive rate", "charts.fpr", "charts.tpr", "charts.roc"),
            "pr": ("recall", "precision", "charts.recall", "charts.precision", "charts.pr"),
            "calibration": ("predicted", "observed", "charts.predicted_probability", "charts.observed_share",
                            "charts.calibration")}[curve]
    # Titles over lines (split by the legend's labelExpr): a long file name stays inside a third of the page.
    shown = [lines(titles.get(name, name), 36) for name in result.names]
    frames = []
    for name, model in zip(result.names, shown, strict=True):
        frame = result.evaluations[name].curves.get(curve)
        if frame is not None:
            frames.append(pd.DataFrame({"model": model, "x": frame[axes[0]].to_numpy("float64"),
                                        "y": frame[axes[1]].to_numpy("float64"), "step": np.arange(len(frame))}))
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["model", "x", "y", "step"])
    x_title, y_title = tr(axes[2]), tr(axes[3])
    scale = {"domain": [0, 1]}
    axis = {"labelFlush": True, "tickCount": 5}  # 0 and 1 stay inside a narrow column; few ticks for large text
    legend = {"title": None, "orient": "bottom", "direction": "vertical", "labelLimit": 0, "labelExpr": LABEL_LINES,
              "symbolType": "stroke", "symbolStrokeWidth": 2.5, "symbolSize": 400}
    lines_layer = {
        "data": {"values": records(data)},
        "mark": {"type": "line", "strokeWidth": 2, "point": curve == "calibration"},
        "encoding": {
            "x": {"field": "x", "type": "quantitative", "title": x_title, "scale": scale, "axis": axis},
            "y": {"field": "y", "type": "quantitative", "title": y_title, "scale": scale, "axis": axis},
            "color": {**_models(shown), "legend": legend},
            "strokeDash": {**_models(shown, "strokeDash"), "legend": legend},
            "order": {"field": "step", "type": "quantitative"},  # the engine's order, not sorted by x
            "tooltip": [{"field": "model", "title": tr("compare.model")},
                        {"field": "x", "title": x_title, "format": ".3f"},
                        {"field": "y", "title": y_title, "format": ".3f"}]}}
    layers = [lines_layer]
    if curve != "pr":  # guessing (ROC) or a model that means what it says (calibration)
        layers.insert(0, {"data": {"values": [{"x": 0, "y": 0}, {"x": 1, "y": 1}]},
                          "mark": {"type": "line", "strokeDash": [2, 3], "strokeWidth": 1, "color": NEUTRAL},
                          "encoding": {"x": {"field": "x", "type": "quantitative"},
                                       "y": {"field": "y", "type": "quantitative"}}})
    return finish({"layer": layers}, tr(axes[4]), height=400)


def importance_figure(result: Comparison, labels: Mapping[str, str], titles: Mapping[str, str],
                      max_features: int = 12, marked_from: int = 3, tr: Translator = ENGLISH) -> Spec:
    """Each model's share of mean |SHAP| per feature, bars side by side, features in the first model's order; a
    feature whose rank moves ``marked_from`` places or more between models is marked ↕."""
    table = result.importance.iloc[:max_features]
    changes = result.rank_changes()
    rows = [{"label": lines(labels.get(f, f) + (" ↕" if changes[f] >= marked_from else "")), "column": str(f),
             "model": titles.get(name, name), "share": float(table.at[f, f"share:{name}"]),
             "rank": int(table.at[f, f"rank:{name}"])}
            for f in table.index for name in result.names]
    axis = tr("compare.importance_axis")
    shown = [titles.get(name, name) for name in result.names]
    spec = {
        "data": {"values": records(pd.DataFrame(rows))},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": None, "axis": label_axis()},
            "yOffset": {"field": "model", "type": "nominal", "sort": shown},
            "x": {"field": "share", "type": "quantitative", "title": axis, "axis": {"format": ".0%"}},
            "color": {**_models(shown),
                      "legend": {"title": None, "orient": "bottom", "direction": "horizontal", "labelLimit": 0}},
            "tooltip": [{"field": "column", "title": tr("charts.column")},
                        {"field": "model", "title": tr("compare.model")},
                        {"field": "share", "title": axis, "format": ".1%"},
                        {"field": "rank", "title": tr("compare.rank"), "format": "d"}],
        },
    }
    # Each feature's room: its bars, or its label's lines (up to 16 px each when presenting) if that is more.
    most_lines = max((row["label"].count("\n") + 1 for row in rows), default=1)
    height = 160 + len(table) * max(22 * max(2, len(result.names)), 16 * most_lines + 8)
    return finish(spec, tr("compare.importance_title"), height=height)


def _tree_boxes(tree: ErrorTree) -> dict[int, tuple[float, float]]:
    """Each node's span across the tree (0 to 1): its parent's span, cut in proportion to the children's rows."""
    spans: dict[int, tuple[float, float]] = {}
    children: dict[int | None, list] = {}
    for node in tree.nodes:
        children.setdefault(node.parent, []).append(node)
    for node in tree.nodes:  # parents come before their children
        if node.parent is None:
            spans[node.node] = (0.0, 1.0)
        start, end = spans[node.node]
        below = children.get(node.node, [])
        total = sum(child.rows for child in below)
        span = end - start
        for child in below:
            width = span * (child.rows / total if total else 1 / len(below))
            spans[child.node] = (start, start + width)
            start += width
    return spans


def error_tree_figure(tree: ErrorTree, rule_labels: Mapping[int, str], tr: Translator = ENGLISH) -> Spec:
    """The error tree as an icicle: each box a node, its width the node's rows, its colour the error rate."""
    spans = _tree_boxes(tree)
    rows = []
    for node in tree.nodes:
        x, x2 = spans[node.node]
        # A box's text wraps to the box's width; a box too narrow for a word keeps its numbers for the tooltip.
        room = int((x2 - x) * TREE_CHARACTERS) - 2
        label = rule_labels.get(node.node, "")
        text = ""
        if room >= 6:
            wrapped = textwrap.wrap(label, min(28, room), break_long_words=False)
            text = "\n".join([*wrapped[:4], *(["…"] if len(wrapped) > 4 else []),
                              tr("erroranalysis.node_text", rate=tr.percent(node.error_rate, 0))])
        rows.append({"x": x, "x2": x2, "y": node.depth, "y2": node.depth + 1, "middle": (x + x2) / 2,
                     "level": node.depth + 0.5, "rule": label, "text": text, "rows": node.rows,
                     "errors": node.errors, "rate": node.error_rate, "share": tree.share_of_errors(node)})
    top = max(0.05, max((n.error_rate for n in tree.nodes if n.rows), default=0.0))
    depth = tree.max_depth + 1
    horizontal = {"type": "quantitative", "axis": None, "scale": {"domain": [0, 1], "nice": False, "zero": False}}
    vertical = {"type": "quantitative", "axis": None,
                "scale": {"domain": [0, depth], "reverse": True, "nice": False, "zero": False}}
    boxes = {
        "mark": {"type": "rect", "stroke": "#444444", "strokeWidth": 1},
        "encoding": {
            "x": {"field": "x", **horizontal}, "x2": {"field": "x2"},
            "y": {"field": "y", **vertical}, "y2": {"field": "y2"},
            "color": _rate_colour(top, tr("erroranalysis.rate_axis")),
            "tooltip": [{"field": "rule", "title": tr("erroranalysis.filter")},
                        {"field": "rows", "title": tr("erroranalysis.rows"), "format": ",d"},
                        {"field": "errors", "title": tr("erroranalysis.errors"), "format": ",d"},
                        {"field": "rate", "title": tr("erroranalysis.error_rate"), "format": ".1%"},
                        {"field": "share", "title": tr("erroranalysis.share_of_errors"), "format": ".1%"}],
        },
    }
    words = {
        # A fixed size, also when presenting: the text is wrapped to its box's width at this size. Vega puts a
        # text's first line at y; dy moves the block up by half its extra lines (14 px each) to centre it.
        "mark": {"type": "text", "lineBreak": "\n", "baseline": "middle", "align": "center", "color": "#000000",
                 "fontSize": 12, "lineHeight": 14, "dy": {"expr": "-7 * (length(split(datum.text, '\\n')) - 1)"}},
        "encoding": {"x": {"field": "middle", **horizontal}, "y": {"field": "level", **vertical},
                     "text": {"field": "text", "type": "nominal"}},
    }
    return finish({"data": {"values": records(pd.DataFrame(rows))}, "layer": [boxes, words]},
                  tr("erroranalysis.tree_title"), height=180 + TREE_LEVEL * depth)


def error_heatmap_figure(result: ErrorHeatmap, x_label: str, y_label: str, tr: Translator = ENGLISH) -> Spec:
    """The error rate over two features' bins; each cell shows its rate and, on hover, its rows."""
    rate, counts = result.rate, result.rows
    columns = [lines(str(c), 18) for c in rate.columns]
    index = [lines(str(i), 24) for i in rate.index]
    cells = [{"x": columns[j], "y": index[i], "x_bin": str(rate.columns[j]), "y_bin": str(rate.index[i]),
              "rate": float(rate.iat[i, j]), "rows": int(counts.iat[i, j])}
             for i in range(len(index)) for j in range(len(columns)) if not pd.isna(rate.iat[i, j])]
    values = rate.to_numpy(dtype="float64")
    top = max(0.05, float(np.nanmax(values))) if rate.size and np.isfinite(values).any() else 1.0
    # The first bin at the bottom, the lowest numbers nearest the corner, as on a numeric axis.
    position = {"x": {"field": "x", "type": "nominal", "sort": columns, "title": x_label,
                      "axis": label_axis(x_label, labelAngle=0, vertical=False)},
                "y": {"field": "y", "type": "nominal", "sort": index[::-1], "title": y_label,
                      "axis": label_axis(y_label)}}
    boxes = {"mark": "rect", "encoding": {
        **position, "color": _rate_colour(top, tr("erroranalysis.rate_axis")),
        "tooltip": [{"field": "y_bin", "title": y_label}, {"field": "x_bin", "title": x_label},
                    {"field": "rate", "title": tr("erroranalysis.error_rate"), "format": ".1%"},
                    {"field": "rows", "title": tr("erroranalysis.rows"), "format": ",d"}]}}
    numbers = {"mark": {"type": "text", "color": "#000000"}, "encoding": {
        **position, "text": {"field": "rate", "type": "quantitative", "format": ".0%"}}}
    return finish({"data": {"values": records(pd.DataFrame(cells))}, "layer": [boxes, numbers]},
                  tr("erroranalysis.heat_title", x=x_label, y=y_label), height=420)
