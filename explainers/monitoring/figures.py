"""Plotly figures of monitoring results. Drawing only: every number comes from the results.

Colours (Okabe-Ito, safe for colour-blind readers, as in :mod:`explainers.charts`): the reference is grey and the
current table bluish green; severities go yellow (minor), orange (moderate), reddish purple (major). Blue keeps
its one meaning: a move of the predictions toward the favourable outcome (vermillion: away from it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..charts import CATEGORY_PALETTE, NEUTRAL, TOWARD_NEGATIVE, TOWARD_POSITIVE, finish_figure, wrap
from .drift import MISSING, NEW_LEVEL, FeatureDrift

REFERENCE = NEUTRAL
CURRENT = "#009E73"  # bluish green
SEVERITY_COLOURS = {"none": "#BBBBBB", "minor": "#F0E442", "moderate": "#E69F00", "major": "#CC79A7"}


def _finish(figure: go.Figure, title: str, height: int = 400) -> go.Figure:
    return finish_figure(figure, title, height, legend={"orientation": "h", "y": -0.18})


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


def psi_bars(result, labels: dict[str, str], tr) -> go.Figure:
    """Each feature's PSI, coloured by its severity, with the two thresholds as lines."""
    table = result.feature_table().iloc[::-1]
    figure = go.Figure(go.Bar(
        x=table["psi"], y=[wrap(labels.get(f, f)) for f in table["feature"]], orientation="h",
        marker={"color": [SEVERITY_COLOURS[s] for s in table["severity"]], "line": {"color": "#444444", "width": 0.5}},
        customdata=[tr(f"monitoring.severity_{s}") for s in table["severity"]],
        hovertemplate="%{y}<br>PSI %{x:.3f}<br>%{customdata}<extra></extra>", showlegend=False,
    ))
    for value, key in ((result.thresholds.psi_moderate, "moderate"), (result.thresholds.psi_major, "major")):
        figure.add_vline(x=value, line={"dash": "dash", "color": "#444444", "width": 1},
                         annotation_text=tr(f"monitoring.severity_{key}"), annotation_position="top")
    figure.update_xaxes(title=tr("monitoring.psi_axis"), rangemode="tozero")
    return _finish(figure, tr("monitoring.chart_psi"), height=max(340, 28 * len(table) + 110))


def feature_bins(drift: FeatureDrift, label: str, tr) -> go.Figure:
    """Reference and current shares in each of the reference's bins of one feature."""
    names = bin_names(drift, tr)
    keep = (drift.reference_counts + drift.current_counts) > 0
    names = [n for n, k in zip(names, keep, strict=True) if k]
    figure = go.Figure()
    figure.add_bar(x=names, y=drift.reference_shares[keep], name=tr("monitoring.reference"), marker_color=REFERENCE,
                   hovertemplate="%{x}: %{y:.1%}<extra></extra>")
    figure.add_bar(x=names, y=drift.current_shares[keep], name=tr("monitoring.current"), marker_color=CURRENT,
                   hovertemplate="%{x}: %{y:.1%}<extra></extra>")
    figure.update_layout(barmode="group")
    figure.update_yaxes(title=tr("monitoring.share_axis"), tickformat=".0%")
    figure.update_xaxes(title=tr("monitoring.bins_axis"), type="category")
    return _finish(figure, tr("monitoring.chart_bins", feature=label))


def score_histogram(drift, outcome: str, classifier: bool, tr) -> go.Figure:
    """The distribution of the model's score in both tables, and the move of its mean (blue: toward the favourable
    outcome or up, vermillion: away from it or down)."""
    histogram = drift.histogram
    middle = (histogram["low"] + histogram["high"]) / 2
    width = float((histogram["high"] - histogram["low"]).iloc[0]) if len(histogram) else 1.0
    figure = go.Figure()
    figure.add_bar(x=middle, y=histogram["reference"], width=width, name=tr("monitoring.reference"),
                   marker_color=REFERENCE, opacity=0.6)
    figure.add_bar(x=middle, y=histogram["current"], width=width, name=tr("monitoring.current"),
                   marker_color=CURRENT, opacity=0.6)
    top = float(max(histogram["reference"].max(), histogram["current"].max(), 0.01)) if len(histogram) else 1.0
    colour = TOWARD_POSITIVE if drift.change >= 0 else TOWARD_NEGATIVE
    figure.add_annotation(x=drift.current_mean, y=top * 1.12, ax=drift.reference_mean, ay=top * 1.12,
                          xref="x", yref="y", axref="x", ayref="y", showarrow=True, arrowhead=3, arrowwidth=2.5,
                          arrowcolor=colour, text="")
    figure.add_scatter(x=[drift.reference_mean, drift.current_mean], y=[top * 1.12] * 2, mode="markers",
                       marker={"color": [REFERENCE, CURRENT], "size": 10, "line": {"color": colour, "width": 2}},
                       name=tr("monitoring.means"), hovertemplate="%{x:.3f}<extra></extra>")
    figure.update_layout(barmode="overlay")
    figure.update_xaxes(title=outcome, tickformat=".0%" if classifier else None)
    figure.update_yaxes(title=tr("monitoring.share_axis"), tickformat=".0%")
    return _finish(figure, tr("monitoring.chart_predictions"))


def attribution_bars(drift, labels: dict[str, str], tr, space: str) -> go.Figure:
    """Mean |SHAP| of each feature, reference beside current, in the reference's order."""
    table = drift.table.iloc[::-1]
    names = [wrap(labels.get(f, f)) for f in table.index]
    figure = go.Figure()
    figure.add_bar(y=names, x=table["reference"], orientation="h", name=tr("monitoring.reference"),
                   marker_color=REFERENCE)
    figure.add_bar(y=names, x=table["current"], orientation="h", name=tr("monitoring.current"), marker_color=CURRENT)
    figure.update_layout(barmode="group")
    figure.update_xaxes(title=tr("charts.mean_abs_shap", space=tr(f"space.{space}")))
    return _finish(figure, tr("monitoring.chart_attributions"), height=max(380, 34 * len(table) + 110))


def performance_points(drift, tr) -> go.Figure:
    """Each metric on the held-out reference rows and on the current rows, with bootstrap intervals."""
    from ..metrics import METRIC_KEYS

    table = drift.table
    names = [tr(f"report.metric_{METRIC_KEYS[m]}") if m in METRIC_KEYS else str(m) for m in table.index]
    figure = go.Figure()
    for side, colour, key in (("reference", REFERENCE, "monitoring.reference_test"),
                              ("current", CURRENT, "monitoring.current")):
        figure.add_scatter(
            y=names, x=table[side], mode="markers", name=tr(key), marker={"color": colour, "size": 11},
            error_x={"type": "data", "symmetric": False, "array": table[f"{side}_high"] - table[side],
                     "arrayminus": table[side] - table[f"{side}_low"], "color": colour},
        )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(title=tr("monitoring.metric_axis"))
    return _finish(figure, tr("monitoring.chart_performance"), height=max(300, 60 * len(table) + 110))


def _lines(frame: pd.DataFrame, labels: dict[str, str], title: str, axis: str, reference: pd.Series | None = None,
           percent: bool = False) -> go.Figure:
    figure = go.Figure()
    periods = [str(p) for p in frame.index]
    for i, column in enumerate(frame.columns):
        colour = CATEGORY_PALETTE[i % len(CATEGORY_PALETTE)]
        figure.add_scatter(x=periods, y=frame[column], mode="lines+markers", name=labels.get(column, str(column)),
                           line={"color": colour})
        if reference is not None and column in reference.index:
            figure.add_scatter(x=periods, y=[reference[column]] * len(periods), mode="lines", showlegend=False,
                               line={"color": colour, "dash": "dot", "width": 1}, hoverinfo="skip")
    figure.update_xaxes(type="category")
    figure.update_yaxes(title=axis, tickformat=".0%" if percent else None, rangemode="tozero")
    return _finish(figure, title)


def timeline_psi(timeline, labels: dict[str, str], thresholds, tr, features: int = 8) -> go.Figure:
    figure = _lines(timeline.psi.iloc[:, :features], labels, tr("monitoring.chart_timeline_psi"),
                    tr("monitoring.psi_axis"))
    for value in (thresholds.psi_moderate, thresholds.psi_major):
        figure.add_hline(y=value, line={"dash": "dash", "color": "#444444", "width": 1})
    return figure


def timeline_prediction(timeline, outcome: str, classifier: bool, tr) -> go.Figure:
    frame = timeline.prediction[["current"]].rename(columns={"current": outcome})
    reference = pd.Series({outcome: float(timeline.prediction["reference"].iloc[0])}) if len(frame) else None
    return _lines(frame, {}, tr("monitoring.chart_timeline_prediction"), tr("monitoring.mean_axis", outcome=outcome),
                  reference, percent=classifier)


def timeline_attributions(timeline, labels: dict[str, str], tr, space: str) -> go.Figure:
    return _lines(timeline.attributions, labels, tr("monitoring.chart_timeline_attributions"),
                  tr("charts.mean_abs_shap", space=tr(f"space.{space}")), timeline.reference_attributions)
