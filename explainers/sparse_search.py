"""This project's own counterfactual search: batched, sparse, diverse, and seeded.

DiCE's random method predicts candidates a few at a time and runs its sparsity pass row by row;
here every step is one batch through the model. Candidates copy the values of one to three
features from real rows that already have the desired outcome (so values are plausible), then a
batched pass moves each changed number back toward the original while the outcome still holds.
All results still go through :meth:`CounterfactualSearch.recheck`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .util import equal_codes

# How many changed features a first-round candidate gets, and how often.
_CHANGE_COUNTS = (1, 2, 3)
_CHANGE_WEIGHTS = (0.4, 0.35, 0.25)
_SHRINK_STEPS = (0.0, 0.25, 0.5, 0.75)


def sparse_search(
    original: np.ndarray,
    donors: np.ndarray,
    vary: np.ndarray,
    is_numeric: np.ndarray,
    integer: np.ndarray,
    scale: np.ndarray,
    allowed: Callable[[np.ndarray], np.ndarray],
    is_valid: Callable[[np.ndarray], np.ndarray],
    total: int,
    seed: int,
    candidates: int = 1500,
) -> np.ndarray:
    """Search counterfactuals in code space (numbers as they are, categories as codes).

    Parameters
    ----------
    original : the row, shape (features,); NaN where missing.
    donors : rows whose predicted outcome is the desired one, shape (n, features), no NaN.
    vary : indices of the features that may change.
    is_numeric, integer : per feature, whether it is a number and a whole number.
    scale : per feature, the spread used to measure distance (1 for categories).
    allowed : maps a candidate matrix to a boolean matrix of values inside the permitted ranges.
    is_valid : maps a candidate matrix to a boolean vector: does the model give the desired outcome.
    total : how many counterfactuals to return at most.
    seed : seed of the sampling.

    Returns
    -------
    Up to ``total`` rows, sparsest and closest first, each with a different set of changed features
    where possible.
    """
    rng = np.random.default_rng(seed)
    if len(donors) == 0 or len(vary) == 0:
        return np.empty((0, len(original)))
    found = _sample_round(original, donors, vary, rng, candidates, _CHANGE_COUNTS, _CHANGE_WEIGHTS,
                          allowed, is_valid)
    if len(found) < total:
        wider = tuple(range(2, min(len(vary), 6) + 1)) or (1,)
        found = np.vstack([found, _sample_round(original, donors, vary, rng, candidates, wider,
                                                 None, allowed, is_valid)])
    if len(found) == 0:
        return found
    found = _shortlist(original, found, is_numeric, scale)
    found = _shrink(original, found, is_numeric, integer, scale, allowed, is_valid)
    return _pick_diverse(original, found, is_numeric, scale, total)


def _sample_round(original, donors, vary, rng, n, counts, weights, allowed, is_valid) -> np.ndarray:
    counts = np.asarray([c for c in counts if c <= len(vary)] or [len(vary)])
    if weights is not None:
        weights = np.asarray(weights[: len(counts)], dtype=float)
        weights = weights / weights.sum()
    sizes = rng.choice(counts, size=n, p=weights)
    matrix = np.tile(original, (n, 1))
    picks = donors[rng.integers(0, len(donors), size=n)]
    # A random ranking of the varying features per candidate; the first `size` of them change.
    ranks = rng.random((n, len(vary))).argsort(axis=1).argsort(axis=1)
    change = np.zeros_like(matrix, dtype=bool)
    change[:, vary] = ranks < sizes[:, None]
    matrix[change] = picks[change]
    changed = ~equal_codes(matrix, original)
    keep = changed.any(axis=1) & allowed(matrix).all(axis=1)
    matrix = matrix[keep]
    if len(matrix) == 0:
        return matrix
    return matrix[is_valid(matrix)]


def _shrink(original, found, is_numeric, integer, scale, allowed, is_valid) -> np.ndarray:
    """For every changed feature, try reverting it or moving it part way back; keep the cheapest
    variant that still gives the desired outcome. One batch per pass, two passes."""
    for _ in range(2):
        variants, owners = [found], [np.arange(len(found))]
        for step in _SHRINK_STEPS:
            for feature in range(found.shape[1]):
                changed = ~equal_codes(found[:, feature], original[feature])
                if not changed.any() or (step > 0 and not is_numeric[feature]):
                    continue
                rows = np.flatnonzero(changed)
                moved = found[rows].copy()
                if step == 0.0 or np.isnan(original[feature]):
                    moved[:, feature] = original[feature] if step == 0.0 else moved[:, feature]
                else:
                    value = original[feature] + step * (moved[:, feature] - original[feature])
                    moved[:, feature] = np.round(value) if integer[feature] else value
                variants.append(moved)
                owners.append(rows)
        everything, owner = np.vstack(variants), np.concatenate(owners)
        ok = allowed(everything).all(axis=1) & ~equal_codes(everything, original).all(axis=1)
        ok[ok] = is_valid(everything[ok])
        cost = _cost(original, everything, is_numeric, scale)
        cost[~ok] = np.inf
        best = np.full(len(found), -1)
        best_cost = np.full(len(found), np.inf)
        for index in np.argsort(cost, kind="stable"):
            if np.isinf(cost[index]):
                break
            if best[owner[index]] < 0:
                best[owner[index]], best_cost[owner[index]] = index, cost[index]
        found = everything[best[best >= 0]]
    return found


def _shortlist(original, found, is_numeric, scale, per_set: int = 3, limit: int = 60) -> np.ndarray:
    """The cheapest few candidates of each set of changed features: all the shrink pass and the
    diverse pick need, at a fraction of the model calls."""
    cost = _cost(original, found, is_numeric, scale)
    changed = ~equal_codes(found, original)
    order = np.lexsort((cost, changed.sum(axis=1)))
    taken: dict[bytes, int] = {}
    chosen = []
    for index in order:
        key = changed[index].tobytes()
        if taken.get(key, 0) < per_set:
            taken[key] = taken.get(key, 0) + 1
            chosen.append(index)
            if len(chosen) == limit:
                break
    return found[chosen]


def _pick_diverse(original, found, is_numeric, scale, total) -> np.ndarray:
    cost = _cost(original, found, is_numeric, scale)
    changed = ~equal_codes(found, original)
    order = np.lexsort((cost, changed.sum(axis=1)))
    chosen: list[int] = []
    seen_sets: set[bytes] = set()
    seen_rows: set[bytes] = set()
    for index in order:  # first: a different set of changed features each time
        key = changed[index].tobytes()
        if key not in seen_sets:
            seen_sets.add(key)
            seen_rows.add(np.round(found[index], 9).tobytes())
            chosen.append(index)
        if len(chosen) == total:
            return found[chosen]
    for index in order:  # then: any other distinct row
        key = np.round(found[index], 9).tobytes()
        if key not in seen_rows:
            seen_rows.add(key)
            chosen.append(index)
        if len(chosen) == total:
            break
    return found[chosen]


def _cost(original, matrix, is_numeric, scale) -> np.ndarray:
    changed = ~equal_codes(matrix, original)
    with np.errstate(invalid="ignore"):
        numeric = np.where(changed & is_numeric, np.abs(matrix - original) / scale, 0.0)
    numeric = np.where(np.isnan(numeric), 1.0, numeric)
    categorical = (changed & ~is_numeric).sum(axis=1)
    return numeric.sum(axis=1) + categorical
