"""The trust signals of one row's explanation, bundled: what ``Workspace.explain(..., checks=True)`` adds."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..attributions import LimeExplanation, LimeSetup, ShapValues
from ..counterfactuals import CounterfactualResult, CounterfactualSearch
from ..models import TabularModel
from .consistency import (
    DEFAULT_K,
    Agreement,
    LimeStability,
    ShapCheck,
    agreement,
    seeded_lime,
    shap_check,
    stability_from_weights,
)
from .quality import CounterfactualQuality, counterfactual_quality

# --------------------------------------------------------------------------------------------
# The per-row bundle


@dataclass(frozen=True)
class RowChecks:
    """The trust signals of one row's explanation (the ``checks`` object of ``explain``)."""

    shap_check: ShapCheck
    agreement: Agreement | None
    lime_stability: LimeStability | None
    counterfactual_quality: CounterfactualQuality | None

    def to_dict(self) -> dict:
        return {
            "shap_check": self.shap_check.to_dict(),
            "agreement": None if self.agreement is None else self.agreement.to_dict(),
            "lime_stability": None if self.lime_stability is None else self.lime_stability.to_dict(),
            "counterfactual_quality": None if self.counterfactual_quality is None
            else self.counterfactual_quality.to_dict(),
        }


def row_checks(
    model: TabularModel,
    row: pd.DataFrame,
    shap: ShapValues,
    lime: LimeExplanation | None = None,
    lime_setup: LimeSetup | None = None,
    counterfactuals: CounterfactualResult | None = None,
    search: CounterfactualSearch | None = None,
    k: int = DEFAULT_K,
    stability_seeds: int = 3,
) -> RowChecks:
    """SHAP check, SHAP-LIME agreement, a cheap LIME stability (``stability_seeds`` seeds starting at
    the explanation's own seed, same number of samples) and counterfactual quality for one row."""
    check = shap_check(model, row, shap)
    agreed = None if lime is None else agreement(shap.row(0), lime.weights, k)
    stability = None
    if lime is not None and lime_setup is not None:
        seeds = tuple(range(lime.seed, lime.seed + stability_seeds))
        runs = [lime.weights if s == lime.seed else seeded_lime(lime_setup, row, s, lime.num_samples).weights
                for s in seeds]
        stability = stability_from_weights(runs, seeds, k)
    quality = None
    if counterfactuals is not None and search is not None:
        quality = counterfactual_quality(search, row, counterfactuals)
    return RowChecks(check, agreed, stability, quality)
