"""Dataset-level results that pages share and that the server computes ahead of the first visit.

Global explanations and Responsible AI need seconds of work per dataset (global SHAP, interactions, the
SHAP-LIME agreement over a sample, group fairness). ``precompute`` runs these cached functions in the
warm-up thread after the first page, so a person who clicks there later finds them ready; a page that
asks while they are still running waits for the same computation (Streamlit locks each cache entry). They are
also kept on the server's disk (``persist="disk"``, keyed by the engine's code, the data, the spec and the
model), so after a restart they are read back, not computed again.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import streamlit as st

from explainers import shap_values, trust
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
from pages.state import UPLOAD_PREFIX

ICE_ROWS = 60
ENGINE_SOURCE = Path(__file__).resolve().parent.parent / "explainers"


@functools.cache
def engine_version() -> str:
    """SHA-256 of the engine's source files: results kept on disk by an older engine are never reused."""
    digest = hashlib.sha256()
    for path in sorted(ENGINE_SOURCE.rglob("*.py")):
        digest.update(path.relative_to(ENGINE_SOURCE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def results_key(name: str, model_hash: str) -> str:
    """What a dataset-level result depends on besides its own arguments: the engine's code, the table's content,
    its spec and the model (by hash)."""
    dataset = workspace(name).dataset
    parts = (engine_version(), dataset.data_hash, repr(dataset.spec), model_hash)
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()


def kept_on_disk_for_builtins(compute):
    """``compute(name, *args)`` cached in memory per (name, results_key, *args), and for built-in datasets also on
    the server's disk (Streamlit's ``persist="disk"``), so a restarted server reads the first visit's results back
    instead of computing them for seconds. Uploaded tables never touch the disk."""

    def on_disk(name: str, key: str, *args):
        return compute(name, *args)

    def in_memory(name: str, key: str, *args):
        return compute(name, *args)

    # Distinct names give Streamlit two distinct caches (it keys a cache by the function's name and source).
    on_disk.__qualname__ = on_disk.__name__ = f"{compute.__name__}_on_disk"
    in_memory.__qualname__ = in_memory.__name__ = f"{compute.__name__}_in_memory"
    on_disk = st.cache_data(show_spinner=False, persist="disk")(on_disk)
    in_memory = st.cache_data(show_spinner=False)(in_memory)

    @functools.wraps(compute)
    def cached(name: str, model_hash: str, *args):
        tier = in_memory if UPLOAD_PREFIX in name else on_disk  # an uploaded table or model
        return tier(name, results_key(name, model_hash), *args)

    return cached


@kept_on_disk_for_builtins
def cached_global_shap(name: str, max_rows: int) -> GlobalShap:
    return global_shap(workspace(name).model, max_rows=max_rows)


@kept_on_disk_for_builtins
def cached_interaction(name: str, max_rows: int, feature: str) -> str | None:
    ws = workspace(name)
    return strongest_interaction(cached_global_shap(name, ws.model.model_hash, max_rows), ws.dataset, feature)


@kept_on_disk_for_builtins
def cached_partial_dependence(name: str, feature: str) -> PartialDependence:
    ws = workspace(name)
    rows = ws.dataset.features.iloc[sample_positions(ws.dataset, ICE_ROWS, seed=ws.seed)]
    return partial_dependence(ws.model, feature, rows)


@kept_on_disk_for_builtins
def cached_agreement_sample(name: str, rows: int, seed: int) -> trust.AgreementSample:
    ws = workspace(name)
    return trust.agreement_over_sample(ws.model, ws.lime, rows=rows, seed=seed)


@kept_on_disk_for_builtins
def cached_fairness(name: str, feature: str, bins: int, lang: str) -> trust.GroupFairness:
    return trust.group_fairness(workspace(name).model, feature, bins=bins, lang=lang)


@kept_on_disk_for_builtins
def cached_flip_test(name: str, feature: str, bins: int, seed: int) -> trust.FlipTest:
    return trust.flip_test(workspace(name).model, feature, bins=bins, seed=seed)


@kept_on_disk_for_builtins
def cached_row_checks(name: str, row: int, seed: int) -> tuple[trust.ShapCheck, trust.Agreement]:
    ws = workspace(name)
    frame = ws.dataset.row(row)
    shap = shap_values(ws.model, frame, seed=seed)
    lime = trust.seeded_lime(ws.lime, frame, seed)
    return trust.shap_check(ws.model, frame, shap), trust.agreement(shap.row(0), lime.weights)


@kept_on_disk_for_builtins
def cached_stability(name: str, row: int, seeds: int) -> trust.LimeStability:
    ws = workspace(name)
    return trust.lime_stability(ws.lime, ws.dataset.row(row), seeds=seeds)


@kept_on_disk_for_builtins
def cached_counterfactual_quality(name: str, row: int, seed: int) -> trust.CounterfactualQuality:
    ws = workspace(name)
    frame = ws.dataset.row(row)
    found = ws.counterfactuals.generate(frame, seed=seed)
    return trust.counterfactual_quality(ws.counterfactuals, frame, found)


def fairness_features(name: str) -> list[str]:
    """The features offered for group checks: the spec's sensitive ones first."""
    dataset = workspace(name).dataset
    sensitive = [f for f in dataset.spec.sensitive if f in dataset.feature_names]
    return sensitive + [f for f in dataset.feature_names if f not in sensitive]


def precompute(name: str, lang: str, row: int = 0) -> None:
    """What the first visit of Global explanations and Responsible AI (for the current ``row``) would otherwise
    compute."""
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
    cached_row_checks(*key, row, ws.seed)
    cached_stability(*key, row, trust.DEFAULT_STABILITY_SEEDS)
    cached_counterfactual_quality(*key, row, ws.seed)
