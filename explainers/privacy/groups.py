"""Small groups: a group metric over a handful of people can single them out, so groups with fewer than ``k`` rows
are left unmeasured (and named as such) in group metrics, on the pages, in reports and in exports."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def suppress_small_groups(groups: Sequence[object] | np.ndarray, min_rows: int) -> tuple[np.ndarray, list[str]]:
    """Which rows belong to a group of at least ``min_rows`` rows (a boolean mask), and the smaller groups' names
    in order of first appearance. ``min_rows`` of 0 or 1 suppresses nothing."""
    labels = pd.Series(np.asarray(groups, dtype=object)).map(str)
    if min_rows <= 1 or labels.empty:
        return np.ones(len(labels), dtype=bool), []
    sizes = labels.map(labels.value_counts())
    keep = (sizes >= min_rows).to_numpy()
    small = list(dict.fromkeys(labels[~keep].tolist()))
    return keep, small
