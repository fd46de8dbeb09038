"""What the report computes about the chosen rows and the sensitive features: each row's explanation through
the one path, :meth:`explainers.workspace.Workspace.explain`, and each sensitive feature's group fairness and
flip test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..data import Dataset
from ..errors import InputError
from ..trust import FlipTest, GroupFairness, flip_test, group_fairness
from ..workspace import LocalExplanation, Workspace
from .content import Stamp

MAX_ROWS = 20
COUNTERFACTUALS = 4


def check_rows(dataset: Dataset, rows: Sequence[int]) -> list[int]:
    """The chosen row positions, each once, in order; InputError for none, too many, or one that does not exist."""
    if not rows:
        raise InputError(key="errors.report.no_rows")
    out: list[int] = []
    for row in rows:
        if isinstance(row, bool) or not isinstance(row, int | np.integer):
            raise InputError(key="errors.report.bad_row", row=repr(row))
        dataset.row(int(row))  # raises InputError when out of range
        if int(row) not in out:
            out.append(int(row))
    if len(out) > MAX_ROWS:
        raise InputError(key="errors.report.too_many_rows", limit=MAX_ROWS)
    return out


def explain_rows(workspace: Workspace, rows: Sequence[int], lang: str, seed: int) -> tuple[LocalExplanation, ...]:
    """Each row's whole explanation (prediction, SHAP, LIME, counterfactuals, narrative in ``lang``, trust checks)."""
    return tuple(workspace.explain(row, counterfactuals=COUNTERFACTUALS, seed=seed, checks=True, lang=lang)
                 for row in rows)


@dataclass(frozen=True, eq=False)
class FeatureFairness:
    """Group fairness and the flip test of one sensitive feature (either may be missing: see :func:`fairness`)."""

    feature: str
    groups: GroupFairness | None
    flips: FlipTest | None


def fairness(workspace: Workspace, lang: str, stamp: Stamp) -> list[FeatureFairness]:
    """Group fairness (on the test split) and the flip test of each sensitive feature of the spec. A feature whose
    values cannot be grouped (say, all missing) is reported without what could not be measured."""
    model = workspace.model
    out = []
    for feature in workspace.dataset.spec.sensitive:
        if feature not in workspace.dataset.feature_names:
            continue
        try:
            groups = group_fairness(model, feature, seed=stamp.split_seed, lang=lang)
        except InputError:
            groups = None
        try:
            flips = flip_test(model, feature, seed=stamp.seed)
        except InputError:
            flips = None
        if groups is not None or flips is not None:
            out.append(FeatureFairness(feature, groups, flips))
    return out
