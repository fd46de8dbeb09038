"""scikit-learn models saved with skops: checked in a child process against an allow-list of types, then loaded
with exactly the types the check trusted; SHAP through the model-agnostic path."""

from __future__ import annotations

from pathlib import Path

from ..data import Dataset
from ..errors import InputError
from .core import TabularModel, check_features, hash_bytes, read_model_bytes
from .layout import ModelInfo, frame_sample

SUFFIXES = (".skops",)


def load_skops(path: Path, dataset: Dataset, trusted: tuple[str, ...] = ()) -> TabularModel:
    """A scikit-learn model saved with skops: checked in a child process first (every type on the allow-list
    of :mod:`explainers.model_check`, no functions; trees and other compiled-code arrays in range), then
    loaded here from the same bytes with exactly the types the check found trusted."""
    import skops.io as sio

    from ..model_check import allowed_skops_types, check_model_bytes

    data = read_model_bytes(path)
    facts = check_model_bytes(data, path.name, "skops", {"features": len(dataset.feature_names)}, trusted=trusted,
                              sample=frame_sample(dataset))
    types = [str(t) for t in facts.get("types", [])]
    allowed = allowed_skops_types(trusted)
    outside = sorted(t for t in types if t not in allowed)
    if outside:  # the child already refused these; this process checks again before it builds anything
        raise InputError(key="errors.models.untrusted_types", name=path.name, types=', '.join(outside[:5]))
    try:
        estimator = sio.loads(data, trusted=types)
    except Exception:
        raise InputError(key="errors.models.bad_skops", name=path.name) from None
    check_features(
        [str(c) for c in getattr(estimator, "feature_names_in_", [])] or None, dataset
    )
    classes: tuple[str, ...] = ()
    if dataset.task == "classification":
        if not hasattr(estimator, "predict_proba"):
            raise InputError(key="errors.models.no_predict_proba", name=path.name)
        classes = tuple(str(c) for c in getattr(estimator, "classes_", ()))
        if sorted(classes) != list(dataset.classes):
            raise InputError(key="errors.models.other_classes", classes=', '.join(classes),
                             values=', '.join(dataset.classes))
    elif not hasattr(estimator, "predict"):
        raise InputError(key="errors.models.no_predict", name=path.name)
    return TabularModel(
        estimator,
        kind="sklearn",
        dataset=dataset,
        classes=classes,
        model_hash=hash_bytes(data),
        source=path.name,
        details={"type": type(estimator).__name__},
    )


def describe_skops(path: Path, trusted: tuple[str, ...] = ()) -> ModelInfo:
    """What a skops file says about its table (checked in a child process, never loaded here): the columns it was
    fitted on (``feature_names_in_``; their kinds come from the data), classifier or regressor, its classes."""
    from ..model_check import check_model_bytes

    facts = check_model_bytes(read_model_bytes(path), path.name, "skops", trusted=trusted)
    names = facts.get("feature_names")
    classes = tuple(str(c) for c in facts.get("classes") or [])
    classifier = bool(classes) and bool(facts.get("predict_proba"))
    count = len(names) if names else max(int(facts.get("n_features") or -1), 0)
    return ModelInfo(
        kind="sklearn",
        task="classification" if classifier else "regression",
        num_class=len(classes) if classifier else 0,
        objective=str(facts.get("type") or "scikit-learn"),
        features=tuple(str(n) for n in names) if names else None,
        num_features=count,
        kinds=(None,) * count,
        classes=classes if classifier else (),
    )
