"""One row's whole local explanation, and the workspace that builds per-dataset structures once."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata

import pandas as pd

from .attributions import LimeExplanation, LimeSetup, ShapValues, shap_values
from .counterfactuals import DEFAULT_METHOD, CounterfactualResult, CounterfactualSearch, plain, prediction_dict
from .data import Dataset
from .models import TabularModel
from .trust import RowChecks, row_checks

_PACKAGES = ("shap", "lime", "dice-ml", "xgboost", "pandas", "numpy", "scikit-learn", "fairlearn", "plotly",
             "matplotlib", "fpdf2")


def package_versions(names: tuple[str, ...] = _PACKAGES) -> dict[str, str]:
    """Versions of the packages an explanation depends on (for reproducibility stamps)."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


class Workspace:
    """A dataset and its model, with LIME's statistics and DiCE's structures built on first use."""

    def __init__(self, dataset: Dataset, model: TabularModel, seed: int = 0):
        self.dataset = dataset
        self.model = model
        self.seed = seed

    @cached_property
    def lime(self) -> LimeSetup:
        return LimeSetup(self.model, seed=self.seed)

    @cached_property
    def counterfactuals(self) -> CounterfactualSearch:
        return CounterfactualSearch(self.model)

    def explain(
        self,
        row: int,
        counterfactuals: int = 4,
        method: str = DEFAULT_METHOD,
        seed: int | None = None,
        with_lime: bool = True,
        checks: bool = False,
    ) -> LocalExplanation:
        """Prediction, SHAP, LIME and counterfactuals for the row at position ``row``; with ``checks``,
        also the trust signals of :func:`explainers.trust.row_checks`."""
        seed = self.seed if seed is None else seed
        frame = self.dataset.row(row)
        lime = self.lime.explain(frame, seed=seed) if with_lime else None
        found = (
            self.counterfactuals.generate(frame, total=counterfactuals, method=method, seed=seed)
            if counterfactuals > 0
            else None
        )
        shap = shap_values(self.model, frame, seed=seed)
        return LocalExplanation(
            row=int(row),
            features={k: plain(v) for k, v in frame.iloc[0].items()},
            prediction=prediction_dict(self.model, frame)[0],
            shap=shap,
            lime=lime,
            counterfactuals=found,
            seed=seed,
            checks=row_checks(self.model, frame, shap, lime, self.lime if with_lime else None, found,
                              self.counterfactuals if found is not None else None) if checks else None,
        )

    def stamp(self) -> dict:
        """What a reader needs to reproduce a figure: hashes, seed, versions."""
        return {
            "dataset": self.dataset.spec.name,
            "data_sha256": self.dataset.data_hash,
            "model_sha256": self.model.model_hash,
            "model": self.model.source,
            "seed": self.seed,
            "versions": package_versions(),
        }


@dataclass(frozen=True)
class LocalExplanation:
    """Everything the engine says about one row."""

    row: int
    features: dict[str, object]
    prediction: dict[str, object]
    shap: ShapValues
    lime: LimeExplanation | None
    counterfactuals: CounterfactualResult | None
    seed: int
    checks: RowChecks | None = None

    def to_dict(self, task: str) -> dict:
        return {
            "task": task,
            "row": self.row,
            "seed": self.seed,
            "features": self.features,
            "prediction": self.prediction,
            "shap": self.shap.to_dict(),
            "lime": None if self.lime is None else self.lime.to_dict(),
            "counterfactuals": [] if self.counterfactuals is None
            else [c.to_dict() for c in self.counterfactuals.counterfactuals],
            "counterfactual_search": None if self.counterfactuals is None
            else {k: v for k, v in self.counterfactuals.to_dict().items() if k != "counterfactuals"},
            "checks": None if self.checks is None else self.checks.to_dict(),
        }


def frame_of(row: dict[str, object], dataset: Dataset) -> pd.DataFrame:
    """A one-row frame in the dataset's types from a mapping of original columns."""
    return dataset.coerce(pd.DataFrame([row]))
