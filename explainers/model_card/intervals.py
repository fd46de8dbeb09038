"""Intervals for the model card's numbers: Wilson intervals for rates (a share of a group), seeded percentile
bootstrap for the test metrics."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

CONFIDENCE = 0.95
RESAMPLES = 300


def wilson(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval of a proportion (NaNs when there are no trials)."""
    if trials <= 0:
        return math.nan, math.nan
    from scipy.stats import binomtest

    interval = binomtest(int(successes), int(trials)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def bootstrap(statistic: Callable[[np.ndarray], float], rows: int, seed: int, resamples: int = RESAMPLES,
              confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Percentile interval of ``statistic(positions)`` over ``resamples`` seeded resamples of ``rows`` positions
    drawn with replacement; resamples where the statistic is undefined (NaN, an error) are skipped."""
    if rows <= 1:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        positions = rng.integers(0, rows, rows)
        try:
            value = float(statistic(positions))
        except ValueError:  # e.g. one class only in this resample
            continue
        if math.isfinite(value):
            values.append(value)
    if len(values) < resamples // 2:
        return math.nan, math.nan
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
