"""Small helpers that the whole engine shares, each in one place: JSON values, package versions, model file
kinds and the refusal of pickles.

The lowest layer with :mod:`explainers.errors` and :mod:`explainers.i18n`: it imports nothing else from the
engine.
"""

from __future__ import annotations

import platform
from importlib import metadata

from .errors import InputError

# --------------------------------------------------------------------------------------------
# Package versions (reproducibility stamps)

PACKAGES = ("shap", "lime", "dice-ml", "xgboost", "pandas", "numpy", "scikit-learn", "fairlearn", "plotly",
            "matplotlib", "fpdf2")


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Versions of the packages an explanation depends on (for reproducibility stamps)."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


# --------------------------------------------------------------------------------------------
# Model files: which kinds are read, and pickles, which are not

MODEL_TYPES = ("json", "ubj", "skops")
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav", ".dill")
PICKLE_TYPES = tuple(suffix.lstrip(".") for suffix in PICKLE_SUFFIXES)


def looks_like_pickle(data: bytes) -> bool:
    """Whether ``data`` starts like a pickle (protocol 2 to 5), whatever the file is called."""
    return len(data) > 2 and data[0] == 0x80 and 2 <= data[1] <= 5


def pickle_refusal(name: str) -> InputError:
    """The error for an uploaded pickle or joblib file: always refused."""
    return InputError(
        f"{name} is a pickle/joblib file; uploaded pickles are always refused because loading one can run "
        "any code on the server. Save the model with save_model('model.json') (XGBoost) or "
        "skops.io.dump(model, 'model.skops') (scikit-learn) and upload that."
    )


def pickle_file_refusal(name: str) -> InputError:
    """The error for a pickle file on the server's disk, loaded without ``--allow-pickle``."""
    return InputError(
        f"{name} is a pickle file, which can run arbitrary code when loaded; save the "
        "model as XGBoost JSON or with skops, or (operator only) pass --allow-pickle."
    )
