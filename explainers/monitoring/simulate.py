"""A built-in demonstration: current tables simulated from the dataset itself, shifted on purpose (seeded).

Rows are drawn from the held-out test rows (which the model never trained on; at most ``rows``), then the most important
numeric feature moves up by ``strength`` standard deviations, a categorical feature gets a level the
reference never had in 15% × ``strength`` of the rows, and another numeric feature goes missing in
20% × ``strength`` of them. The target is kept, so the performance view works too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NEW_LEVEL = "simulated"
NEW_LEVEL_SHARE = 0.15
MISSING_SHARE = 0.20
ROWS = 2000


@dataclass(frozen=True)
class Recipe:
    """Which features the simulation changes (None when the dataset has no such feature)."""

    shifted: str | None
    new_level: str | None
    missing: str | None


def recipe(reference) -> Recipe:
    """Shift the numeric feature the model relies on most, give the categorical feature with most levels a new
    one, and blank the next most relied-on numeric feature."""
    dataset = reference.dataset
    importance = pd.Series(reference.shap.mean(axis=0) if len(reference.shap) else 0.0,
                           index=dataset.feature_names).sort_values(ascending=False, kind="stable")
    numeric = [f for f in importance.index if f in dataset.numeric]
    categorical = sorted(dataset.categorical, key=lambda f: (-len(dataset.info[f].categories), f))
    return Recipe(numeric[0] if numeric else None, categorical[0] if categorical else None,
                  numeric[1] if len(numeric) > 1 else None)


def simulate(reference, strength: float = 1.0, seed: int = 0, rows: int = ROWS) -> pd.DataFrame:
    """A shifted sample: a raw table with the dataset's feature columns and its target."""
    from .. import train_test_indices

    dataset = reference.dataset
    rng = np.random.default_rng(seed)
    _, test = train_test_indices(dataset, 0)
    rows = min(rows, len(test))  # without replacement: repeated rows would make every test overconfident
    picked = np.sort(rng.choice(test, size=rows, replace=False))
    frame = dataset.features.iloc[picked].reset_index(drop=True).copy()
    for name in dataset.categorical:
        frame[name] = frame[name].astype("object").where(frame[name].notna(), None)
    frame[dataset.spec.target] = dataset.target.iloc[picked].to_numpy()
    plan = recipe(reference)
    if plan.shifted is not None:
        values = reference.table.features[plan.shifted]
        frame[plan.shifted] = frame[plan.shifted] + strength * float(np.nanstd(values.to_numpy(dtype="float64")))
        if dataset.info[plan.shifted].integer:
            frame[plan.shifted] = frame[plan.shifted].round()
    if plan.new_level is not None:
        mask = rng.random(rows) < NEW_LEVEL_SHARE * strength
        frame.loc[mask, plan.new_level] = NEW_LEVEL
    if plan.missing is not None:
        mask = rng.random(rows) < MISSING_SHARE * strength
        frame.loc[mask, plan.missing] = np.nan
    return frame


def simulate_periods(reference, periods: int = 4, seed: int = 0, rows: int = ROWS) -> list[pd.DataFrame]:
    """``periods`` shifted samples, the shift growing from none to full strength (a timeline to look at)."""
    return [simulate(reference, i / max(periods - 1, 1), seed + i, rows) for i in range(periods)]
