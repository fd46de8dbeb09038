"""The workspace: a dataset, its model and the explanation methods, assembled once; one row's whole explanation.

A workspace is assembled in one of three ways, all here: from a built-in dataset or files on the server's
disk (:func:`open_workspace`, what the command line does), from an uploaded table (:func:`build_workspace`,
what the Data source page does), or directly as ``Workspace(dataset, model)``. :meth:`Workspace.explain` is
the one path from a row to its explanation (:class:`LocalExplanation`): the dashboard, the command line, the
report and the oversight cases all use it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import pandas as pd

from .attributions import LimeExplanation, LimeSetup, ShapValues, shap_values
from .counterfactuals import DEFAULT_METHOD, Counterfactual, CounterfactualResult, CounterfactualSearch, prediction_dict
from .data import Dataset, load_dataset, prepare_dataset
from .errors import InputError
from .models import TabularModel, check_model_against_data, check_split_size, load_model, train_default_model
from .narrative import Narrative, narrate
from .spec import DatasetSpec, make_spec, with_overrides
from .trust import RowChecks, row_checks
from .upload import Limits
from .util import package_versions, plain


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
        lang: str | None = None,
    ) -> LocalExplanation:
        """Prediction, SHAP, LIME and counterfactuals for the row at position ``row``; with ``checks``,
        also the trust signals of :func:`explainers.trust.row_checks`; with ``lang``, the narrative in that
        language (about the best counterfactual, :attr:`LocalExplanation.best`)."""
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
            narrative=None if lang is None else narrate(self.model, frame, best_counterfactual(found), lang=lang,
                                                       seed=seed),
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
    narrative: Narrative | None = None

    @property
    def best(self) -> Counterfactual | None:
        """The counterfactual the narrative speaks of: :func:`best_counterfactual`."""
        return best_counterfactual(self.counterfactuals)

    def to_dict(self, task: str) -> dict:
        out = {
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
        if self.narrative is not None:
            out["narrative"] = self.narrative.to_dict()
        return out


def best_counterfactual(result: CounterfactualResult | None) -> Counterfactual | None:
    """The counterfactual an explanation leads with: the first one found, which changes the fewest features
    and, among those, is the nearest (the search sorts them so); None when there is none."""
    if result is None or not result.counterfactuals:
        return None
    return result.counterfactuals[0]


def frame_of(row: dict[str, object], dataset: Dataset) -> pd.DataFrame:
    """A one-row frame in the dataset's types from a mapping of original columns."""
    return dataset.coerce(pd.DataFrame([row]))


def open_workspace(
    data: str | Path,
    target: str | None = None,
    spec: str | Path | None = None,
    model: str | Path | None = None,
    allow_pickle: bool = False,
    immutable: Sequence[str] | None = None,
    seed: int = 0,
) -> Workspace:
    """A workspace from files on the server's disk (or a built-in dataset's name): the table with its spec
    (given, beside it, or inferred for ``target``), ``immutable`` replacing the spec's list when given, and
    the model file, or the default XGBoost model trained with ``seed``."""
    def prepared(keep: tuple[str, ...] = ()) -> Dataset:
        dataset = load_dataset(data, target=target, spec_path=spec, pii_features=keep)
        if immutable is not None:
            unknown = [c for c in immutable if c not in dataset.feature_names]
            if unknown:
                raise InputError(key="errors.cli.unknown_immutable", columns=", ".join(unknown))
            dataset = replace(dataset, spec=with_overrides(dataset.spec, tuple(immutable)))
        return dataset

    if not model:
        dataset = prepared()
        return Workspace(dataset, train_default_model(dataset, seed=seed), seed=seed)
    # a model that uses personal columns is loaded with them as features, and flagged
    dataset, fitted = with_personal_features(prepared(), lambda d: load_model(model, d, allow_pickle=allow_pickle),
                                             prepared)
    return Workspace(dataset, fitted, seed=seed)


MAX_PERSONAL_TRIES = 8


def with_personal_features(dataset: Dataset, load: Callable[[Dataset], TabularModel],
                           prepare: Callable[[tuple[str, ...]], Dataset]) -> tuple[Dataset, TabularModel]:
    """The dataset and the user's model loaded on it. Personal columns are never features by default; when the
    model does not fit the table without them, it is tried with all of them, then with each one, as features
    (``prepare(columns)`` makes that dataset): a model that needs them still loads, and its dataset says which
    personal columns it uses (``dataset.personal.in_model``: flagged on the Overview and in reports)."""
    try:
        return dataset, load(dataset)
    except InputError:
        columns = tuple(dataset.personal.columns)
        if not columns:
            raise
        choices = [columns, *([(c,) for c in columns] if len(columns) > 1 else [])][:MAX_PERSONAL_TRIES]
        for keep in choices:
            try:
                wider = prepare(keep)
                return wider, load(wider)
            except InputError:
                continue
        raise


def build_workspace(
    frame: pd.DataFrame,
    target: str,
    task: str | None = None,
    immutable: Sequence[str] | None = None,
    sensitive: Sequence[str] | None = None,
    spec: DatasetSpec | None = None,
    model_bytes: bytes | None = None,
    model_name: str | None = None,
    name: str = "uploaded",
    limits: Limits | None = None,
    progress: Callable[[float, str], None] | None = None,
    pii: Sequence[str] | None = None,
) -> Workspace:
    """What the data source page does on "use this data": check the table against its spec, then
    train the default XGBoost model (no disk cache) or load and check the uploaded model.

    Raises InputError for anything wrong; builds nothing that outlives the call otherwise.
    """
    limits = limits or Limits.from_env()
    say = progress or (lambda fraction, step: None)
    say(0.1, "checking")
    chosen, notices = make_spec(frame, target, task, immutable, sensitive, base=spec, name=name, pii=pii)
    dataset = prepare_dataset(frame, chosen, tuple(notices), limits=limits)
    check_split_size(dataset)  # the overview's test metrics need the split, whichever model is used
    if model_bytes is None:
        say(0.4, "training")
        model = train_default_model(dataset, use_cache=False)
    else:
        say(0.4, "loading")
        dataset, model = with_personal_features(
            dataset, lambda d: check_model_against_data(model_bytes, d, name=model_name, limits=limits),
            lambda keep: prepare_dataset(frame, chosen, tuple(notices), limits=limits, pii_features=keep))
    say(1.0, "done")
    return Workspace(dataset, model)
