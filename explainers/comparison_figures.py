"""Plotly figures of model comparison and error analysis. Drawing only: every number comes from
:mod:`explainers.comparison` and :mod:`explainers.error_analysis`.

Each model keeps one colour (Okabe-Ito, safe for colour-blind readers) and one line style on every figure, so
models can be told apart without colour too.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .charts import ENGLISH, NEUTRAL, finish_figure, wrap
from .comparison import Comparison, metric_key
from .error_analysis import ErrorHeatmap, ErrorTree
from .i18n import Translator

MODEL_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
MODEL_DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
ERROR_SCALE = [[0.0, "#F7F7F7"], [0.5, "#E69F00"], [1.0, "#D55E00"]]  # light: few errors; vermillion: many


def _finish(figure: go.Figure, title: str, height: int = 380) -> go.Figure:
    return finish_figure(figure, title, height)


def model_style(position: int) -> dict:
    return {"color": MODEL_COLOURS[position % len(MODEL_COLOURS)], "dash": MODEL_DASHES[position % len(MODEL_DASHES)]}


def metric_intervals_figure(result: Comparison, metric: str, titles: Mapping[str, str],
                            tr: Translator = ENGLISH) -> go.Figure:
    """One metric for every model: a dot at the value and a bar over its bootstrap interval."""
    figure = go.Figure()
    for i, name in enumerate(result.names):
        row = result.metrics.loc[(name, metric)]
        figure.add_scatter(
            x=[row["value"]], y=[wrap(titles.get(name, name), 30)], mode="markers", showlegend=False,
            marker={"size": 12, "color": model_style(i)["color"], "symbol": ["circle", "diamond", "square"][i % 3]},
            error_x={"type": "data", "symmetric": False, "array": [row["high"] - row["value"]],
                     "arrayminus": [row["value"] - row["low"]], "color": model_style(i)["color"], "thickness": 2},
            hovertemplate=f"%{{x:.4f}} ({row['low']:.4f} – {row['high']:.4f})<extra></extra>",
        )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(title=tr(metric_key(metric)))
    return _finish(figure, tr("compare.interval_title", metric=tr(metric_key(metric)),
                              percent=tr.percent(result.confidence, 0)), height=120 + 50 * len(result.names))


def curves_figure(result: Comparison, curve: str, titles: Mapping[str, str], tr: Translator = ENGLISH) -> go.Figure:
    """ROC, precision-recall or calibration curves of every model on one set of axes."""
    axes = {"roc": ("false positive rate", "true positive rate", "charts.fpr", "charts.tpr", "charts.roc"),
            "pr": ("recall", "precision", "charts.recall", "charts.precision", "charts.pr"),
            "calibration": ("predicted", "observed", "charts.predicted_probability", "charts.observed_share",
                            "charts.calibration")}[curve]
    figure = go.Figure()
    for i, name in enumerate(result.names):
        frame = result.evaluations[name].curves.get(curve)
        if frame is None:
            continue
        figure.add_scatter(x=frame[axes[0]], y=frame[axes[1]], name=titles.get(name, name),
                           mode="lines+markers" if curve == "calibration" else "lines", line=model_style(i))
    if curve != "pr":
        figure.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"color": NEUTRAL, "dash": "dot", "width": 1},
                           showlegend=False, hoverinfo="skip")
    figure.update_xaxes(title=tr(axes[2]), range=[0, 1])
    figure.update_yaxes(title=tr(axes[3]), range=[0, 1.02])
    figure.update_layout(legend={"orientation": "h", "y": -0.25})
    return _finish(figure, tr(axes[4]), height=400)


def importance_figure(result: Comparison, labels: Mapping[str, str], titles: Mapping[str, str],
                      max_features: int = 12, marked_from: int = 3, tr: Translator = ENGLISH) -> go.Figure:
    """Each model's share of mean |SHAP| per feature, bars side by side, features in the first model's order; a
    feature whose rank moves ``marked_from`` places or more between models is marked ↕."""
    table = result.importance.iloc[:max_features]
    changes = result.rank_changes()
    names = [wrap(labels.get(f, f) + (" ↕" if changes[f] >= marked_from else ""), 32) for f in table.index]
    figure = go.Figure()
    for i, name in enumerate(result.names):
        figure.add_bar(y=names, x=table[f"share:{name}"], orientation="h", name=titles.get(name, name),
                       marker={"color": model_style(i)["color"],
                               "pattern": {"shape": ["", "/", ".", "x"][i % 4]}},
                       customdata=table[f"rank:{name}"],
                       hovertemplate="%{x:.1%} · #%{customdata}<extra>" + titles.get(name, name) + "</extra>")
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(title=tr("compare.importance_axis"), tickformat=".0%")
    figure.update_layout(barmode="group", legend={"orientation": "h", "y": -0.15})
    height = 160 + 22 * len(table) * max(2, len(result.names))
    return _finish(figure, tr("compare.importance_title"), height=height)


def error_tree_figure(tree: ErrorTree, rule_labels: Mapping[int, str], tr: Translator = ENGLISH) -> go.Figure:
    """The error tree as an icicle: each box a node, its width the node's rows, its colour the error rate."""
    nodes = tree.nodes
    figure = go.Figure(go.Icicle(
        ids=[str(n.node) for n in nodes],
        parents=["" if n.parent is None else str(n.parent) for n in nodes],
        labels=[wrap(rule_labels.get(n.node, ""), 28) for n in nodes],
        values=[n.rows for n in nodes], branchvalues="total",
        marker={"colors": [n.error_rate for n in nodes], "colorscale": ERROR_SCALE, "cmin": 0.0,
                "cmax": max(0.05, max(n.error_rate for n in nodes)),
                "colorbar": {"title": {"text": tr("erroranalysis.rate_axis")}, "tickformat": ".0%"},
                "line": {"color": "#444444", "width": 1}},
        customdata=np.array([[n.errors, n.error_rate, tree.share_of_errors(n)] for n in nodes]),
        texttemplate="%{label}<br>" + tr("erroranalysis.node_text"),
        hovertemplate="%{label}<br>" + tr("erroranalysis.node_hover") + "<extra></extra>",
        tiling={"orientation": "v"}, root={"color": "#FFFFFF"},
    ))
    return _finish(figure, tr("erroranalysis.tree_title"), height=180 + 110 * (tree.max_depth + 1))


def error_heatmap_figure(result: ErrorHeatmap, x_label: str, y_label: str, tr: Translator = ENGLISH) -> go.Figure:
    """The error rate over two features' bins; each cell shows its rate and, on hover, its rows."""
    rate = result.rate
    text = [[("" if pd.isna(v) else tr.percent(v, 0)) for v in row] for row in rate.to_numpy()]
    figure = go.Figure(go.Heatmap(
        z=rate.to_numpy(dtype="float64"), x=[wrap(str(c), 18) for c in rate.columns],
        y=[wrap(str(c), 24) for c in rate.index], colorscale=ERROR_SCALE, zmin=0.0,
        zmax=max(0.05, float(np.nanmax(rate.to_numpy(dtype="float64")))) if rate.size else 1.0,
        text=text, texttemplate="%{text}", customdata=result.rows.to_numpy(),
        hovertemplate=tr("erroranalysis.heat_hover") + "<extra></extra>",
        colorbar={"title": {"text": tr("erroranalysis.rate_axis")}, "tickformat": ".0%"},
    ))
    figure.update_xaxes(title=x_label, type="category")
    figure.update_yaxes(title=y_label, type="category")
    return _finish(figure, tr("erroranalysis.heat_title", x=x_label, y=y_label), height=420)
