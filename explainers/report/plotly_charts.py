"""The HTML report's two interactive charts, in Plotly: the report is one self-contained file that carries
plotly.js, while the dashboard draws the same charts as Vega-Lite (:mod:`explainers.charts`). The bars and their
order come from the same function (:func:`explainers.charts.waterfall_steps`), so both tell one story."""

from __future__ import annotations

import html
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from ..attributions import ShapValues
from ..charts import (
    ENGLISH,
    LOW_HIGH_SCALE,
    NEUTRAL,
    TITLE_WIDTH,
    TOWARD_NEGATIVE,
    TOWARD_POSITIVE,
    scaled_colour,
    waterfall_steps,
)
from ..global_views import GlobalShap
from ..i18n import Translator

_LAYOUT = {"margin": {"l": 10, "r": 40, "t": 50, "b": 10}, "font": {"size": 13}}
# A default template is shared by every figure; naming it in each layout re-validates it (~8 ms a chart).
pio.templates.default = "plotly_white"


def wrap(label: str, width: int = 42) -> str:
    """A long axis label over several lines (Plotly breaks lines only at ``<br>``), so the bars keep their room.
    The text is escaped first: Plotly reads tags such as ``<a>`` in labels, and labels carry data values."""
    return "<br>".join(textwrap.wrap(html.escape(label, quote=False), width)) or html.escape(label)


def finish_figure(figure: go.Figure, title: str, height: int = 420, **layout) -> go.Figure:
    """Every chart's title, height, margins and font (``layout``: more of Plotly's layout). A long title (a long
    feature name) wraps instead of being cut at the chart's edge."""
    title = wrap(title, TITLE_WIDTH)
    extra = 20 * title.count("<br>")
    figure.update_layout(title={"text": title, "x": 0}, height=height + extra, **_LAYOUT, **layout)
    figure.update_layout(margin={"t": _LAYOUT["margin"]["t"] + extra})
    return figure


def waterfall(
    shap: ShapValues, features: pd.Series, labels: dict[str, str], max_features: int = 12, tr: Translator = ENGLISH
) -> go.Figure:
    """Base value, then each feature's push, ending at the model output; small ones are grouped.

    Probabilities are drawn in percentage points with one decimal, as the narrative states them."""
    names, deltas, columns = waterfall_steps(shap, features, labels, max_features, tr)
    names = [wrap(name) for name in names]
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
        "charts.model_output", space=tr(f"space.{shap.space}"))
    # Room on both sides for the numbers printed beside the bars.
    path = np.cumsum([base, *deltas])
    low, high = min(path.min(), 0.0), path.max()
    pad = 0.15 * max(high - low, 1e-9)
    figure.update_xaxes(title=axis, range=[low - pad, high + pad])
    lines = sum(name.count("<br>") + 1 for name in names)
    return finish_figure(figure, tr("charts.why"), height=max(360, 20 * lines + 16 * len(names) + 120))


def beeswarm(result: GlobalShap, features: pd.DataFrame, labels: dict[str, str], max_features: int = 15,
             seed: int = 0, tr: Translator = ENGLISH) -> go.Figure:
    """One dot per row and feature: x is the SHAP value, colour the feature's value (low to high). The dots travel
    as two traces (numeric features, whose hover shows the number in the locale's format, and categorical ones,
    whose hover shows the category), not one per feature: the browser's work grows with the number of traces."""
    rng = np.random.default_rng(seed)
    top = list(result.importance.index[:max_features])[::-1]
    parts: dict[bool, dict[str, list]] = {True: {"x": [], "y": [], "colour": [], "hover": []},
                                          False: {"x": [], "y": [], "colour": [], "hover": []}}
    for position, name in enumerate(top):
        raw = features[name]
        numeric = not isinstance(raw.dtype, pd.CategoricalDtype) and pd.api.types.is_numeric_dtype(raw.dtype)
        part = parts[numeric]
        part["x"].append(result.shap.values[name].to_numpy())
        part["y"].append(position + rng.uniform(-0.3, 0.3, len(raw)))
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
        # locale's separators) keep the file light.
        hover = ({"customdata": np.concatenate(part["hover"]).astype("float32"),
                  "hovertemplate": "%{customdata:,.4~g}"} if numeric
                 else {"text": np.concatenate(part["hover"]).tolist(), "hovertemplate": "%{text}"})
        hover["hovertemplate"] += "<br>SHAP %{x:.3f}<extra></extra>"
        # SVG scatter, not WebGL: it prints, and draws without a GPU.
        figure.add_scatter(
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
    figure.update_xaxes(title=tr(axis, space=tr(f"space.{result.shap.space}")))
    return finish_figure(figure, tr("charts.beeswarm"), height=max(380, 34 * len(top) + 100))
