"""Monitoring in one call: prepare the reference once, then compare any number of current tables with it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .alerts import (
    Alert,
    assess_features,
    attribution_alerts,
    performance_alerts,
    prediction_alerts,
    sort_alerts,
    worst,
)
from .drift import Bins, FeatureDrift, data_drift, reference_bins
from .inputs import MonitoredTable, held_out_table, reference_table
from .model_drift import (
    AttributionDrift,
    Labelled,
    PerformanceDrift,
    PredictionDrift,
    Predictions,
    absolute_shap,
    attribution_drift,
    labelled,
    performance_drift,
    prediction_drift,
    predictions,
)
from .thresholds import Thresholds, thresholds_for

# Thresholds that change what the reference holds (its samples); the others only change the verdicts.
SAMPLING = ("bootstrap", "sample_rows", "performance_rows", "seed")


@dataclass(frozen=True, eq=False)
class Reference:
    """What every comparison needs from the reference, computed once."""

    dataset: object
    model: object
    table: MonitoredTable  # the data reference
    bins: dict[str, Bins]
    predictions: Predictions  # on the model reference: the held-out rows for the default reference, else ``table``
    shap: np.ndarray  # |SHAP| of a seeded sample of the model reference
    space: str
    held_out: Labelled | None  # the performance baseline: the held-out test rows
    thresholds: Thresholds
    model_rows: int = 0  # rows of the model reference


def _shap_space(model) -> str:
    if model.native_shap:  # XGBoost, LightGBM, CatBoost: exact TreeSHAP in log-odds or raw units
        return "log-odds" if model.is_classifier else "raw"
    return "probability" if model.is_classifier else "raw"


def prepare_reference(dataset, model, thresholds: Thresholds | None = None,
                      table: MonitoredTable | None = None) -> Reference:
    """The reference for ``model``: ``table``, by default the training rows of the fixed-seed 80/20 split (the
    rows the default model learnt from). The model's side (its predictions, its SHAP values, its performance)
    is compared with the held-out test rows of that split instead, where the Overview measures it: a model fits
    its training rows more closely than any new rows, so comparing new rows with them would report drift that
    is only overfitting. With a ``table`` given, the model's side uses it too (performance still uses the
    held-out rows)."""
    thresholds = thresholds or thresholds_for(dataset.spec)
    split_seed = int(model.details.get("seed", 0)) if model.is_default else 0
    held_out_rows = held_out_table(dataset, split_seed)
    model_table = table or held_out_rows
    table = table or reference_table(dataset, split_seed)
    held_out = labelled(model, held_out_rows, thresholds.performance_rows, thresholds.bootstrap, thresholds.seed)
    return Reference(dataset, model, table, reference_bins(table, dataset), predictions(model, model_table),
                     absolute_shap(model, model_table, thresholds.sample_rows, thresholds.seed), _shap_space(model),
                     held_out, thresholds, model_table.rows)


@dataclass(frozen=True, eq=False)
class MonitoringResult:
    """One current table compared with the reference."""

    name: str
    rows: int
    total_rows: int
    reference_rows: int  # rows of the data reference
    features: list[FeatureDrift]
    prediction: PredictionDrift
    attributions: AttributionDrift
    performance: PerformanceDrift | None
    alerts: list[Alert]
    thresholds: Thresholds
    notices: tuple[str, ...] = ()
    unreadable: dict[str, int] = field(default_factory=dict)
    model_reference_rows: int = 0  # rows behind the reference's predictions (held-out rows by default)

    @property
    def severity(self) -> str:
        return worst(*(a.severity for a in self.alerts))

    @property
    def major(self) -> bool:
        return self.severity == "major"

    def feature(self, name: str) -> FeatureDrift:
        return next(d for d in self.features if d.feature == name)

    def feature_table(self) -> pd.DataFrame:
        """One row per feature: test, statistic, p-value, Holm-adjusted p, PSI, Wasserstein, missing shares,
        new levels, severity; largest PSI first."""
        rows = [{"feature": d.feature, "kind": d.kind, "test": d.test, "statistic": d.statistic,
                 "p_value": d.p_value, "p_adjusted": d.p_adjusted, "psi": d.psi, "wasserstein": d.wasserstein,
                 "missing_reference": d.missing_reference, "missing_current": d.missing_current,
                 "missing_change": d.missing_change, "new_levels": len(d.new_levels), "new_share": d.new_share,
                 "severity": d.severity} for d in self.features]
        return pd.DataFrame(rows).sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)

    def to_dict(self, tr, spec, labels: dict[str, str] | None = None) -> dict:
        return {
            "name": self.name, "rows": self.rows, "total_rows": self.total_rows,
            "reference_rows": self.reference_rows, "model_reference_rows": self.model_reference_rows,
            "severity": self.severity,
            "alerts": [a.to_dict(tr, spec, labels) for a in self.alerts],
            "features": [d.to_dict() for d in self.features],
            "prediction": self.prediction.to_dict(),
            "attributions": self.attributions.to_dict(),
            "performance": None if self.performance is None else self.performance.to_dict(),
            "unreadable_cells": dict(self.unreadable),
            "notices": list(self.notices),
        }


def monitor(reference: Reference, current: MonitoredTable, thresholds: Thresholds | None = None) -> MonitoringResult:
    """Compare ``current`` with ``reference`` (thresholds default to the reference's)."""
    thresholds = thresholds or reference.thresholds
    if any(getattr(thresholds, f) != getattr(reference.thresholds, f) for f in SAMPLING):
        reference = prepare_reference(reference.dataset, reference.model, thresholds, reference.table)
    model = reference.model
    features, alerts = assess_features(data_drift(reference.table, current, reference.bins), thresholds)

    prediction = prediction_drift(model, reference.predictions, predictions(model, current))
    positive = model.classes[model.positive_index] if model.is_classifier else None
    severity, found = prediction_alerts(prediction, positive, thresholds)
    prediction = replace(prediction, severity=severity)
    alerts += found

    attributions = attribution_drift(
        reference.shap, absolute_shap(model, current, thresholds.sample_rows, thresholds.seed),
        model.dataset.feature_names, reference.space, thresholds.top_k, thresholds.bootstrap,
        thresholds.confidence, thresholds.seed,
    )
    alerts += attribution_alerts(attributions, thresholds)

    performance = None
    current_labelled = labelled(model, current, thresholds.performance_rows, thresholds.bootstrap, thresholds.seed + 1)
    if reference.held_out is not None and current_labelled is not None:
        performance = performance_drift(reference.held_out, current_labelled, thresholds.confidence)
        alerts += performance_alerts(performance)
    return MonitoringResult(current.name, current.rows, current.total_rows, reference.table.rows, features,
                            prediction, attributions, performance, sort_alerts(alerts), thresholds,
                            current.notices, dict(current.unreadable), reference.model_rows)


def monitor_all(reference: Reference, currents: list[MonitoredTable],
                thresholds: Thresholds | None = None) -> list[MonitoringResult]:
    return [monitor(reference, current, thresholds) for current in currents]
