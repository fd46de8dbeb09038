"""Several current tables (periods) side by side: each feature's PSI, the prediction mean and the top attributions."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .alerts import RANK


@dataclass(frozen=True, eq=False)
class Timeline:
    """Indexed by period, in the order given. ``psi``: one column per feature; ``prediction``: reference and
    current mean and PSI; ``attributions``: current mean |SHAP| of the reference's top features (the reference's
    own values in ``reference_attributions``); ``severity``: the worst alert of each period."""

    psi: pd.DataFrame
    prediction: pd.DataFrame
    attributions: pd.DataFrame
    reference_attributions: pd.Series
    severity: pd.Series

    def to_dict(self) -> dict:
        return {
            "periods": [str(p) for p in self.psi.index],
            "psi": {str(f): [float(v) for v in self.psi[f]] for f in self.psi.columns},
            "prediction_mean": [float(v) for v in self.prediction["current"]],
            "reference_prediction_mean": float(self.prediction["reference"].iloc[0]) if len(self.prediction) else None,
            "attributions": {str(f): [float(v) for v in self.attributions[f]] for f in self.attributions.columns},
            "severity": [str(s) for s in self.severity],
        }


def timeline(results: list, top: int = 5) -> Timeline:
    """The timeline of ``results`` (:class:`~explainers.monitoring.MonitoringResult`, one per period)."""
    periods = pd.Index([r.name for r in results], name="period")
    psi = pd.DataFrame([{d.feature: d.psi for d in r.features} for r in results], index=periods)
    if len(psi.columns):
        psi = psi[psi.max().sort_values(ascending=False, kind="stable").index]
    prediction = pd.DataFrame({"reference": [r.prediction.reference_mean for r in results],
                               "current": [r.prediction.current_mean for r in results],
                               "psi": [r.prediction.psi for r in results]}, index=periods)
    reference = results[0].attributions.table["reference"] if results else pd.Series(dtype="float64")
    chosen = list(reference.sort_values(ascending=False, kind="stable").index[:top])
    attributions = pd.DataFrame([r.attributions.table["current"].reindex(chosen) for r in results], index=periods)
    severity = pd.Series([max((a.severity for a in r.alerts), key=RANK.__getitem__, default="none") for r in results],
                         index=periods)
    return Timeline(psi, prediction, attributions, reference.reindex(chosen), severity)
