"""The report's charts: Plotly figures for the HTML (:mod:`.plotly_charts`) and matplotlib PNGs for Markdown and
PDF, in the dashboard's colours."""

from __future__ import annotations

import io

import numpy as np

from ..attributions import ShapValues
from ..global_views import GlobalShap
from ..i18n import Translator
from ..util import plain
from .blocks import TOP_GLOBAL, WATERFALL_FEATURES, Chart, signed


def plotly_figure(chart: Chart, tr: Translator):
    from babel.numbers import get_decimal_symbol, get_group_symbol

    from . import plotly_charts

    payload = chart.payload
    if chart.kind == "waterfall":
        figure = plotly_charts.waterfall(payload["shap"], payload["features"], payload["labels"],
                                         max_features=WATERFALL_FEATURES, tr=tr)
    elif chart.kind == "beeswarm":
        figure = plotly_charts.beeswarm(payload["result"], payload["features"], payload["labels"],
                                        max_features=TOP_GLOBAL, seed=payload["seed"], tr=tr)
    else:
        raise ValueError(f"unknown chart {chart.kind!r}")
    locale = tr.lang.replace("-", "_")
    figure.update_layout(separators=get_decimal_symbol(locale) + get_group_symbol(locale))
    return figure


def _number_formatter(tr: Translator):
    from matplotlib.ticker import FuncFormatter

    def fmt(value, _position):
        if abs(value) < 1e-12:
            return "0"
        return ("−" if value < 0 else "") + tr.number(abs(float(value)), 2)

    return FuncFormatter(fmt)


def png(chart: Chart, tr: Translator) -> bytes:
    from matplotlib.figure import Figure

    if chart.kind == "waterfall":
        figure = _mpl_waterfall(Figure, chart.payload, tr)
    elif chart.kind == "beeswarm":
        figure = _mpl_beeswarm(Figure, chart.payload, tr)
    else:
        raise ValueError(f"unknown chart {chart.kind!r}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _style_axes(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color("#888888")
    ax.spines["bottom"].set_color("#888888")
    ax.tick_params(colors="#333333", labelsize=8)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)


def _mpl_waterfall(Figure, payload: dict, tr: Translator):
    from ..charts import NEUTRAL, TOWARD_NEGATIVE, TOWARD_POSITIVE, lines, waterfall_steps

    shap: ShapValues = payload["shap"]
    features, labels = payload["features"], payload["labels"]
    names, deltas, _ = waterfall_steps(shap, features.map(plain), labels, WATERFALL_FEATURES, tr)
    names = [lines(name, 48) for name in names]
    output = float(shap.output[0])
    height = 0.34 * (len(names) + 2) + 1.0
    figure = Figure(figsize=(7.5, height))
    ax = figure.subplots()
    position = shap.base_value
    ax.barh(0, shap.base_value, color=NEUTRAL, height=0.6)
    spans = [min(0.0, shap.base_value, output), max(0.0, shap.base_value, output)]
    for i, delta in enumerate(deltas, start=1):
        ax.barh(i, delta, left=position, color=TOWARD_POSITIVE if delta >= 0 else TOWARD_NEGATIVE, height=0.6)
        end = position + delta
        ax.plot([end, end], [i - 0.3, i + 0.7], color="#cccccc", linewidth=0.8)
        ax.text(max(position, end), i, " " + signed(tr, delta), va="center", ha="left", fontsize=7.5,
                color="#333333")
        spans += [position, end]
        position = end
    top = len(deltas) + 1
    ax.barh(top, output, color=NEUTRAL, height=0.6)
    for y, value in ((0, shap.base_value), (top, output)):
        ax.text(max(value, 0.0), y, " " + tr.fixed(value, 3), va="center", ha="left", fontsize=7.5, color="#333333")
    low, high = min(spans), max(spans)
    pad = 0.18 * (high - low or 1.0)
    ax.set_xlim(low - 0.04 * (high - low or 1.0), high + pad)
    ax.axvline(0, color="#666666", linewidth=0.8)
    ax.set_yticks(range(top + 1), [tr("charts.base"), *names, tr("charts.this_prediction")], fontsize=8)
    ax.xaxis.set_major_formatter(_number_formatter(tr))
    ax.set_xlabel(tr("charts.model_output", space=tr(f"space.{shap.space}")), fontsize=8.5)
    ax.set_title(tr("charts.why"), loc="left", fontsize=10.5)
    _style_axes(ax)
    figure.tight_layout()
    return figure


def _mpl_beeswarm(Figure, payload: dict, tr: Translator):
    from matplotlib.colors import LinearSegmentedColormap

    from ..charts import LOW_HIGH_SCALE, scaled_colour

    result: GlobalShap = payload["result"]
    features, labels = payload["features"], payload["labels"]
    order = list(payload["importance"].index[:TOP_GLOBAL])[::-1]
    cmap = LinearSegmentedColormap.from_list("low_high", [(stop, colour) for stop, colour in LOW_HIGH_SCALE])
    rng = np.random.default_rng(payload["seed"])
    figure = Figure(figsize=(7.5, 0.42 * len(order) + 1.4))
    ax = figure.subplots()
    scatter = None
    for position, name in enumerate(order):
        x = result.shap.values[name].to_numpy()
        colour = np.nan_to_num(scaled_colour(features[name]), nan=0.5)
        scatter = ax.scatter(x, position + rng.uniform(-0.3, 0.3, len(x)), c=colour, cmap=cmap, vmin=0, vmax=1,
                             s=5, linewidths=0, alpha=0.85, rasterized=True)
    ax.axvline(0, color="#666666", linewidth=0.8)
    ax.set_yticks(range(len(order)), [labels.get(c, c) for c in order], fontsize=8)
    ax.xaxis.set_major_formatter(_number_formatter(tr))
    ax.set_xlabel(tr("charts.beeswarm_axis", space=tr(f"space.{result.shap.space}")), fontsize=8.5)
    ax.set_title(tr("charts.beeswarm"), loc="left", fontsize=10.5)
    _style_axes(ax)
    if scatter is not None:
        bar = figure.colorbar(scatter, ax=ax, ticks=[0, 1], fraction=0.04, pad=0.02)
        bar.ax.set_yticklabels([tr("charts.low"), tr("charts.high")], fontsize=7.5)
        bar.set_label(tr("charts.feature_value"), fontsize=8)
        bar.outline.set_visible(False)
    figure.tight_layout()
    return figure
