"""Trust signals and fairness: do the explanations agree and hold still, are the counterfactuals any
good, and does the model treat groups of people alike?

Everything here is pure (no user-interface code) and returns frozen dataclasses:

- :mod:`.consistency`: :func:`agreement` / :func:`agreement_over_sample` (SHAP and LIME on the same row(s)),
  :func:`lime_stability` / :func:`stability_from_weights` (LIME repeated with several seeds), :func:`shap_check`
  (SHAP's additivity: base value + sum of values == the model's output), with the verdict thresholds;
- :mod:`.quality`: :func:`counterfactual_quality` (validity, sparsity, proximity, diversity,
  plausibility, range);
- :mod:`.fairness`: :func:`fairness_metrics` / :func:`group_fairness` (per-group metrics with fairlearn's
  ``MetricFrame``) and :func:`flip_test` (change only the sensitive feature and count how often the outcome
  changes);
- :mod:`.rows`: :func:`row_checks`, the per-row bundle (``checks``) that ``Workspace.explain`` adds to its output.
"""

from .consistency import (
    AGREE_OVERLAP,
    AGREE_RHO,
    DEFAULT_K,
    DEFAULT_SAMPLE_ROWS,
    DEFAULT_STABILITY_SEEDS,
    DISAGREE_OVERLAP,
    DISAGREE_RHO,
    SAMPLE_LIME_SAMPLES,
    SHAP_RTOL,
    VERDICTS,
    Agreement,
    AgreementSample,
    LimeStability,
    ShapCheck,
    Verdict,
    agreement,
    agreement_over_sample,
    check_k,
    lime_stability,
    model_output,
    seeded_lime,
    shap_check,
    stability_from_weights,
    verdict_of,
)
from .fairness import (
    DEFAULT_BINS,
    DEFAULT_FLIP_ROWS,
    MAX_BINS,
    MISSING_GROUP,
    Bins,
    FairnessMetrics,
    FlipTest,
    GroupFairness,
    fairness_metrics,
    fairness_summary,
    flip_test,
    group_fairness,
    make_bins,
    sensitive_groups,
)
from .quality import (
    CounterfactualCheck,
    CounterfactualQuality,
    ReferenceRows,
    counterfactual_quality,
    reference_rows,
    scaled_distances,
)
from .rows import (
    RowChecks,
    row_checks,
)

__all__ = [
    "AGREE_OVERLAP",
    "AGREE_RHO",
    "DEFAULT_BINS",
    "DEFAULT_FLIP_ROWS",
    "DEFAULT_K",
    "DEFAULT_SAMPLE_ROWS",
    "DEFAULT_STABILITY_SEEDS",
    "DISAGREE_OVERLAP",
    "DISAGREE_RHO",
    "MAX_BINS",
    "MISSING_GROUP",
    "SAMPLE_LIME_SAMPLES",
    "SHAP_RTOL",
    "VERDICTS",
    "Agreement",
    "AgreementSample",
    "Bins",
    "CounterfactualCheck",
    "CounterfactualQuality",
    "FairnessMetrics",
    "FlipTest",
    "GroupFairness",
    "LimeStability",
    "ReferenceRows",
    "RowChecks",
    "ShapCheck",
    "Verdict",
    "agreement",
    "agreement_over_sample",
    "check_k",
    "counterfactual_quality",
    "fairness_metrics",
    "fairness_summary",
    "flip_test",
    "group_fairness",
    "lime_stability",
    "make_bins",
    "model_output",
    "reference_rows",
    "row_checks",
    "scaled_distances",
    "seeded_lime",
    "sensitive_groups",
    "shap_check",
    "stability_from_weights",
    "verdict_of",
]
