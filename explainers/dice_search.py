"""DiCE's counterfactual searches (random, genetic, kdtree) behind one small adapter.

DiCE sees categories as text, whole numbers as integers and missing values imputed (:func:`dice_frame`), and the
model through :class:`DiceModel`. Its genetic and kdtree methods draw from the process-wide NumPy and ``random``
generators, which cannot be handed a ``numpy.random.Generator``; :func:`seeded_global_random` seeds them for one
search only, under a lock, and puts back the state they had, so that nothing else in the process is affected.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

import numpy as np
import pandas as pd

from .data import Dataset
from .errors import InputError
from .messages import Message
from .models import TabularModel

DICE_METHODS: tuple[str, ...] = ("random", "genetic", "kdtree")
OUTCOME = "__outcome__"
# Work bounds per method: they cap DiCE's search so one query stays interactive.
METHOD_BOUNDS = {
    "random": {"sample_size": 1000},
    "genetic": {"maxiterations": 100},
    "kdtree": {},
}
_GLOBAL_RANDOM = threading.Lock()


@contextmanager
def seeded_global_random(seed: int) -> Iterator[None]:
    """The process-wide NumPy and ``random`` generators seeded with ``seed`` inside the block (one block at a time),
    and restored to their earlier state after it."""
    with _GLOBAL_RANDOM:
        numpy_state, python_state = np.random.get_state(), random.getstate()
        np.random.seed(seed)
        random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(numpy_state)
            random.setstate(python_state)


def dice_frame(dataset: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    """Types DiCE expects: categories as text (object), whole numbers as int, others as float."""
    out = {}
    for info in dataset.schema:
        column = frame[info.name]
        if info.kind == "categorical":
            out[info.name] = column.astype("object")
        elif info.integer and not column.isna().any():
            out[info.name] = column.round().astype("int64")
        else:
            out[info.name] = column.astype("float64")
    return pd.DataFrame(out, index=frame.index)


class DiceModel:
    """What DiCE's sklearn backend calls: predict/predict_proba on a frame of original columns."""

    def __init__(self, model: TabularModel):
        self.model = model

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(frame)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        if self.model.is_classifier:
            return self.predict_proba(frame).argmax(axis=1)
        return self.model.predict_value(frame)


class DiceSearch:
    """DiCE's data interface and explainers for one dataset and model, built on first use."""

    def __init__(self, model: TabularModel):
        self.model = model
        self.dataset = model.dataset
        self._explainers: dict[str, object] = {}

    @cached_property
    def _interfaces(self) -> tuple[object, object]:
        import dice_ml
        from dice_ml.explainer_interfaces import explainer_base

        # DiCE draws a progress bar on stderr for every query; one query needs none.
        explainer_base.tqdm = lambda iterable, *args, **kwargs: iterable
        dataset = self.dataset
        training = dice_frame(dataset, dataset.imputed(dataset.features))
        training[OUTCOME] = dataset.target_codes()
        data = dice_ml.Data(dataframe=training, continuous_features=dataset.numeric, outcome_name=OUTCOME)
        model = dice_ml.Model(
            model=DiceModel(self.model),
            backend="sklearn",
            model_type="classifier" if self.model.is_classifier else "regressor",
        )
        return data, model

    def explainer(self, method: str):
        """DiCE's explainer for ``method``, built on first use."""
        if method not in DICE_METHODS:
            raise InputError(key="errors.counterfactuals.unknown_dice_method", method=repr(method),
                             choices=', '.join(DICE_METHODS))
        if method not in self._explainers:
            import dice_ml

            data, model = self._interfaces
            self._explainers[method] = dice_ml.Dice(data, model, method=method)
        return self._explainers[method]

    def search(self, row: pd.DataFrame, vary: list[str], ranges: dict[str, list], method: str, total: int, seed: int,
               kwargs: dict) -> tuple[pd.DataFrame, str | None]:
        """What DiCE proposes for one typed row (not yet re-checked), and a message when it found nothing."""
        kwargs = {**kwargs, **METHOD_BOUNDS[method]}
        if method == "random":
            kwargs["random_seed"] = seed
        query = dice_frame(self.dataset, self.dataset.imputed(row))
        try:
            with seeded_global_random(seed):
                result = self.explainer(method).generate_counterfactuals(
                    query, total_CFs=total, features_to_vary=vary, permitted_range=ranges or None, **kwargs
                )
        except Exception as exc:
            no_result = "No counterfactuals found" in str(exc)
            reason = "" if no_result else f" ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
            return pd.DataFrame(columns=self.dataset.feature_names), Message("notices.counterfactuals.dice_none",
                                                                             reason=reason)
        found = result.cf_examples_list[0].final_cfs_df
        if found is None:
            return pd.DataFrame(columns=self.dataset.feature_names), None
        return found.drop(columns=[OUTCOME], errors="ignore"), None
