"""Alerts: which changes count, how severe they are, and what they say in plain words (EN and PT-BR).

A feature alerts only when its test says the change is real (Holm-adjusted p-value below ``alpha``); how
severe is then set by the size of the change: PSI at or above ``psi_major`` is major, at or above
``psi_moderate`` moderate; a change in the share of missing values of at least ``missing_change``, or levels
the reference never had in at least ``new_level_share`` of the rows, is at least moderate; a real change
below all of these is minor. The predictions alert the same way (their own test, not corrected). A feature
whose mean |SHAP| rank moves into or out of the top ``top_k``, with a change beyond its bootstrap interval,
is a moderate alert; a metric whose change's bootstrap interval lies entirely on the worse side is major.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .drift import MISSING, NEW_LEVEL, FeatureDrift
from .thresholds import SEVERITIES, Thresholds

RANK = {"none": 0, "minor": 1, "moderate": 2, "major": 3}
TENTH_TOLERANCE = 0.03  # a decile bin is named as tenths when its reference share is this close to nominal


def worst(*severities: str) -> str:
    return max(severities, key=RANK.__getitem__, default="none")


def _band(value: float, thresholds: Thresholds) -> str:
    if value >= thresholds.psi_major:
        return "major"
    if value >= thresholds.psi_moderate:
        return "moderate"
    return "minor"


@dataclass(frozen=True)
class Alert:
    """One alert. ``key`` is its message in the catalogue (``monitoring.<key>``); ``values`` are its placeholders
    as (name, kind, value) triples, formatted for a language by :meth:`text`."""

    kind: str  # shift | missing | new_levels | minor | prediction | class_share | attribution | performance
    severity: str  # major | moderate | minor
    subject: str  # a feature, "prediction", or a metric's name
    key: str
    values: tuple[tuple[str, str, object], ...] = ()

    def text(self, tr, spec, labels: dict[str, str] | None = None) -> str:
        """The alert as a sentence in ``tr``'s language (feature names as ``labels`` gives them)."""
        return tr(f"monitoring.{self.key}", **{name: _format(kind, value, tr, spec, labels)
                                              for name, kind, value in self.values})

    def to_dict(self, tr, spec, labels: dict[str, str] | None = None) -> dict:
        return {"kind": self.kind, "severity": self.severity, "subject": self.subject,
                "text": self.text(tr, spec, labels), "values": {name: _plain(value) for name, _, value in self.values}}


def _plain(value: object) -> object:
    """JSON-safe: tuples as lists, floats rounded, infinite and missing numbers as None."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, float | np.floating):
        return round(float(value), 6) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _format(kind: str, value: object, tr, spec, labels) -> str:
    if kind == "percent":
        return tr.percent(float(value))
    if kind == "percent0":
        return tr.percent(float(value), 0)
    if kind == "feature":
        return (labels or {}).get(str(value), str(value))
    if kind == "levels":
        shown = [f"“{v}”" for v in list(value)[:3]]
        return ", ".join(shown) + ("…" if len(list(value)) > 3 else "")
    if kind == "metric":
        from ..metrics import METRIC_KEYS

        key = METRIC_KEYS.get(str(value))
        return tr(f"report.metric_{key}") if key else str(value)
    if kind == "metrics":
        return ", ".join(_format("metric", name, tr, spec, labels) for name in value)
    if kind == "class":
        return spec.class_label(str(value), tr.lang)
    if kind == "int":
        return tr.number(float(value), 0)
    if kind == "signed":
        return ("+" if float(value) > 0 else "") + tr.number(float(value), 3)
    if kind == "number":
        return tr.number(float(value), 3)
    if kind.startswith("value:"):  # a value of a feature, with its unit
        feature = kind.split(":", 1)[1]
        return tr.quantity(float(value), spec.feature_unit(feature, tr.lang))
    if kind == "bin":
        return _bin_phrase(value, tr, spec)
    if kind == "outcome":
        if value is None:
            return tr("common.predicted", target=spec.target)
        return tr("common.probability_of", label=spec.class_label(str(value), tr.lang))
    return str(value)


def _bin_phrase(value, tr, spec) -> str:
    feature, low, high, tenths, last = value
    unit = spec.feature_unit(feature, tr.lang)
    low_text = tr.quantity(low, unit) if np.isfinite(low) else ""
    high_text = tr.quantity(high, unit) if np.isfinite(high) else ""
    if tenths and last == "top":
        return tr("monitoring.bin_top" if tenths == 1 else "monitoring.bin_top_n", n=tenths, low=low_text)
    if tenths and last == "bottom":
        return tr("monitoring.bin_bottom" if tenths == 1 else "monitoring.bin_bottom_n", n=tenths, high=high_text)
    if not np.isfinite(high):
        return tr("monitoring.bin_above", low=low_text)
    if not np.isfinite(low):
        return tr("monitoring.bin_below", high=high_text)
    return tr("monitoring.bin_between", low=low_text, high=high_text)


def _numeric_bin(drift: FeatureDrift, index: int) -> tuple:
    low, high = drift.bins.interval(index)
    start, stop = drift.bins.tenths(index)
    tenths = round((stop - start) * 10)
    nominal = abs(drift.reference_shares[index] - (stop - start)) <= TENTH_TOLERANCE
    end = "top" if not np.isfinite(high) else "bottom" if not np.isfinite(low) else ""
    return (drift.feature, low, high, tenths if nominal and end else 0, end)


def feature_alerts(drift: FeatureDrift, thresholds: Thresholds) -> list[Alert]:
    """The alerts of one feature (empty when its test finds no real change, apart from new levels)."""
    name = drift.feature
    significant = bool(drift.p_adjusted < thresholds.alpha)
    labels = drift.bins.labels
    dominant = labels[int(np.argmax(drift.psi_terms))] if len(labels) else None
    band = _band(drift.psi, thresholds) if drift.psi >= thresholds.psi_moderate else None
    alerts: list[Alert] = []
    feature = ("feature", "feature", name)
    if significant and band and dominant not in (MISSING, NEW_LEVEL):
        increase = drift.current_shares - drift.reference_shares
        regular = [i for i, label in enumerate(labels) if label not in (MISSING, NEW_LEVEL)]
        index = max(regular, key=lambda i: increase[i])
        values = [feature, ("current", "percent", float(drift.current_shares[index])),
                  ("reference", "percent", float(drift.reference_shares[index]))]
        if drift.kind == "numeric":
            values.append(("where", "bin", _numeric_bin(drift, index)))
            key = "alert_shift_numeric"
            if drift.median_reference is not None and drift.median_current is not None:
                values += [("before", f"value:{name}", drift.median_reference),
                           ("after", f"value:{name}", drift.median_current)]
                key = "alert_shift_numeric_median"
        else:
            values.append(("level", "text", labels[index]))
            key = "alert_shift_category"
        alerts.append(Alert("shift", band, name, key, tuple(values)))
    if significant and (abs(drift.missing_change) >= thresholds.missing_change or (band and dominant == MISSING)):
        severity = worst("moderate" if abs(drift.missing_change) >= thresholds.missing_change else "minor",
                         band if dominant == MISSING and band else "none")
        alerts.append(Alert("missing", severity, name,
                            "alert_missing_up" if drift.missing_change > 0 else "alert_missing_down",
                            (feature, ("current", "percent", drift.missing_current),
                             ("reference", "percent", drift.missing_reference))))
    if drift.new_levels:
        severity = "moderate" if significant and drift.new_share >= thresholds.new_level_share else "minor"
        if significant and band and dominant == NEW_LEVEL:
            severity = worst(severity, band)
        alerts.append(Alert("new_levels", severity, name, "alert_new_levels",
                            (feature, ("levels", "levels", tuple(drift.new_levels)),
                             ("share", "percent", drift.new_share))))
    if significant and not alerts:
        alerts.append(Alert("minor", "minor", name, "alert_minor",
                            (feature, ("psi", "number", drift.psi), ("threshold", "number", thresholds.psi_moderate))))
    return alerts


def assess_features(drifts: list[FeatureDrift], thresholds: Thresholds) -> tuple[list[FeatureDrift], list[Alert]]:
    """Each feature with its severity set, and the alerts of all of them."""
    out, alerts = [], []
    for drift in drifts:
        found = feature_alerts(drift, thresholds)
        out.append(replace(drift, severity=worst(*(a.severity for a in found))))
        alerts += found
    return out, alerts


def prediction_alerts(drift, positive: str | None, thresholds: Thresholds) -> tuple[str, list[Alert]]:
    alerts = []
    if drift.p_value < thresholds.alpha:
        severity = _band(drift.psi, thresholds)
        alerts.append(Alert("prediction", severity, "prediction", "alert_prediction",
                            (("outcome", "outcome", positive),
                             ("before", "percent" if positive is not None else "number", drift.reference_mean),
                             ("after", "percent" if positive is not None else "number", drift.current_mean))))
    if drift.class_shares is not None and drift.class_p_value is not None and drift.class_p_value < thresholds.alpha:
        change = (drift.class_shares["current"] - drift.class_shares["reference"]).abs()
        row = drift.class_shares.iloc[int(change.to_numpy().argmax())]
        if change.max() >= thresholds.missing_change:
            alerts.append(Alert("class_share", "moderate", "prediction", "alert_class_share",
                                (("label", "class", row["class"]), ("current", "percent", float(row["current"])),
                                 ("reference", "percent", float(row["reference"])))))
    return worst(*(a.severity for a in alerts)), alerts


def attribution_alerts(drift, thresholds: Thresholds) -> list[Alert]:
    alerts = []
    k = thresholds.top_k
    for feature, row in drift.table.iterrows():
        before, after = int(row["rank_reference"]), int(row["rank_current"])
        entered = before > k >= after and row["low"] > 0
        left = before <= k < after and row["high"] < 0
        if entered or left:
            alerts.append(Alert("attribution", "moderate", str(feature),
                                "alert_attribution_in" if entered else "alert_attribution_out",
                                (("feature", "feature", str(feature)), ("k", "int", k), ("before", "int", before),
                                 ("after", "int", after))))
    return alerts


def performance_alerts(drift) -> list[Alert]:
    """One major alert when any metric got worse beyond chance: the first such metric in words, the others named."""
    dropped = [m for m, d in drift.table["dropped"].items() if d]
    if not dropped:
        return []
    row = drift.table.loc[dropped[0]]
    values = (("metric", "metric", str(dropped[0])), ("before", "number", float(row["reference"])),
              ("after", "number", float(row["current"])), ("confidence", "percent0", drift.confidence),
              ("low", "signed", float(row["change_low"])), ("high", "signed", float(row["change_high"])))
    if len(dropped) > 1:
        return [Alert("performance", "major", str(dropped[0]), "alert_performance_more",
                      (*values, ("others", "metrics", tuple(map(str, dropped[1:])))))]
    return [Alert("performance", "major", str(dropped[0]), "alert_performance", values)]


def sort_alerts(alerts: list[Alert]) -> list[Alert]:
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(alerts, key=lambda a: order.get(a.severity, len(order)))
