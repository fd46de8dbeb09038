"""Dataset-level results that pages share and that the server computes ahead of the first visit.

Global explanations and Responsible AI need seconds of work per dataset (global SHAP, interactions, the
SHAP-LIME agreement over a sample, group fairness). ``precompute`` runs these cached functions in the
warm-up thread after the first page, so a person who clicks there later finds them ready; a page that
asks while they are still running waits for the same computation (Streamlit locks each cache entry).
"""

from __future__ import annotations

import streamlit as st

from explainers import trust
from explainers.global_views import (
    DEFAULT_GLOBAL_ROWS,
    GlobalShap,
    PartialDependence,
    global_shap,
    partial_dependence,
    sample_positions,
    strongest_interaction,
)
from pages.common import workspace

ICE_ROWS = 60


@st.cache_data(show_spinner=False)
def cached_global_shap(name: str, model_hash: str, max_rows: int) -> GlobalShap:
    return global_shap(workspace(name).model, max_rows=max_rows)


@st.cache_data(show_spinner=False)
def cached_interaction(name: str, model_hash: str, max_rows: int, feature: str) -> str | None:
    ws = workspace(name)
    return strongest_interaction(cached_global_shap(name, model_hash, max_rows), ws.dataset, feature)


@st.cache_data(show_spinner=False)
def cached_partial_dependence(name: str, model_hash: str, feature: str) -> PartialDependence:
    ws = workspace(name)
    rows = ws.dataset.features.iloc[sample_positions(ws.dataset, ICE_ROWS, seed=ws.seed)]
    return partial_dependence(ws.model, feature, rows)


@st.cache_data(show_spinner=False)
def cached_agreement_sample(name: str, model_hash: str, rows: int, seed: int) -> trust.AgreementSample:
    ws = workspace(name)
    return trust.agreement_over_sample(ws.model, ws.lime, rows=rows, seed=seed)


@st.cache_data(show_spinner=False)
def cached_fairness(name: str, model_hash: str, feature: str, bins: int, lang: str) -> trust.GroupFairness:
    return trust.group_fairness(workspace(name).model, feature, bins=bins, lang=lang)


@st.cache_data(show_spinner=False)
def cached_flip_test(name: str, model_hash: str, feature: str, bins: int, seed: int) -> trust.FlipTest:
    return trust.flip_test(workspace(name).model, feature, bins=bins, seed=seed)


def fairness_features(name: str) -> list[str]:
    """The features offered for group checks: the spec's sensitive ones first."""
    dataset = workspace(name).dataset
    sensitive = [f for f in dataset.spec.sensitive if f in dataset.feature_names]
    return sensitive + [f for f in dataset.feature_names if f not in sensitive]


def precompute(name: str, lang: str) -> None:
    """What the first visit of Global explanations and Responsible AI would otherwise compute."""
    ws = workspace(name)
    key = (name, ws.model.model_hash)
    result = cached_global_shap(*key, DEFAULT_GLOBAL_ROWS)
    top = str(result.importance.index[0])
    cached_interaction(*key, DEFAULT_GLOBAL_ROWS, top)
    cached_partial_dependence(*key, top)
    first = fairness_features(name)[0]
    cached_fairness(*key, first, trust.DEFAULT_BINS, lang)
    cached_flip_test(*key, first, trust.DEFAULT_BINS, ws.seed)
    cached_agreement_sample(*key, trust.DEFAULT_SAMPLE_ROWS, ws.seed)
