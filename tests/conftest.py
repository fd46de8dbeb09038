"""Shared fixtures: each dataset, model and Workspace is built once per test session.

Trained default models are cached in a temporary directory (``XAI_CACHE_DIR``), never in the repo.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

os.environ["TQDM_DISABLE"] = "1"

import numpy as np
import pandas as pd
import pytest
from hypothesis.configuration import set_hypothesis_home_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from explainers import (  # noqa: E402
    DatasetSpec,
    Workspace,
    load_builtin,
    prepare_dataset,
    train_default_model,
)

BUILTINS = ("credit", "hmda", "loans", "breast_cancer")

# Hypothesis keeps a cache of constants from the source under its home directory: keep it out of
# the repository (it is written while modules are collected, before any fixture runs).
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "xai-dashboard-tests-hypothesis")


@pytest.fixture(scope="session", autouse=True)
def oversight_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A per-session oversight database, so that no test writes into the project's ``var/``."""
    url = f"sqlite:///{tmp_path_factory.mktemp('xai-db') / 'oversight.db'}"
    previous = os.environ.get("XAI_DB_URL")
    os.environ["XAI_DB_URL"] = url
    yield url
    if previous is None:
        os.environ.pop("XAI_DB_URL", None)
    else:
        os.environ["XAI_DB_URL"] = previous


@pytest.fixture(scope="session", autouse=True)
def privacy_key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A per-session masking key file, so that no test writes the project's ``var/privacy.key``."""
    path = tmp_path_factory.mktemp("xai-privacy") / "privacy.key"
    previous = {name: os.environ.get(name) for name in ("XAI_PRIVACY_KEY_FILE", "XAI_PRIVACY_KEY")}
    os.environ["XAI_PRIVACY_KEY_FILE"] = str(path)
    os.environ.pop("XAI_PRIVACY_KEY", None)
    yield path
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A per-session model cache, so that no test writes into the repository's ``.cache``."""
    path = tmp_path_factory.mktemp("xai-cache")
    previous = os.environ.get("XAI_CACHE_DIR")
    os.environ["XAI_CACHE_DIR"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("XAI_CACHE_DIR", None)
    else:
        os.environ["XAI_CACHE_DIR"] = previous


@pytest.fixture(autouse=True)
def _quiet_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(scope="session")
def workspace_for(cache_dir):
    """``workspace_for(name)``: the Workspace of a built-in dataset and its default model (cached)."""
    built: dict[str, Workspace] = {}

    def get(name: str) -> Workspace:
        if name not in built:
            dataset = load_builtin(name)
            built[name] = Workspace(dataset, train_default_model(dataset))
        return built[name]

    return get


@pytest.fixture(scope="session")
def credit(workspace_for) -> Workspace:
    return workspace_for("credit")


@pytest.fixture(scope="session")
def hmda(workspace_for) -> Workspace:
    return workspace_for("hmda")


@pytest.fixture(scope="session")
def loans(workspace_for) -> Workspace:
    return workspace_for("loans")


@pytest.fixture(scope="session")
def breast_cancer(workspace_for) -> Workspace:
    return workspace_for("breast_cancer")


@pytest.fixture(scope="session")
def iris(cache_dir) -> Workspace:
    """A three-class table (scikit-learn's iris, species as text) with its default model."""
    from sklearn.datasets import load_iris

    bunch = load_iris(as_frame=True)
    frame = bunch.frame.copy()
    frame["species"] = [str(bunch.target_names[i]) for i in frame.pop("target")]
    dataset = prepare_dataset(
        frame, DatasetSpec(name="iris", target="species", task="classification")
    )
    return Workspace(dataset, train_default_model(dataset))


def _synthetic_frame(seed: int = 0, n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {f"x{i}": rng.normal(size=n) for i in range(5)}
    return pd.DataFrame(data)


@pytest.fixture(scope="session")
def synthetic_classification(cache_dir) -> Workspace:
    """2,000 rows; y = x0 > 0; x1..x4 are pure noise."""
    frame = _synthetic_frame(seed=0)
    frame["y"] = np.where(frame["x0"] > 0, "pos", "neg")
    spec = DatasetSpec(name="synthetic", target="y", task="classification", positive_class="pos")
    dataset = prepare_dataset(frame, spec)
    return Workspace(dataset, train_default_model(dataset))


@pytest.fixture(scope="session")
def synthetic_regression(cache_dir) -> Workspace:
    """2,000 rows; y = 3 * x0 + N(0, 0.1); x1..x4 are pure noise."""
    frame = _synthetic_frame(seed=1)
    rng = np.random.default_rng(2)
    frame["y"] = 3.0 * frame["x0"] + rng.normal(scale=0.1, size=len(frame))
    dataset = prepare_dataset(frame, DatasetSpec(name="synthetic-reg", target="y", task="regression"))
    return Workspace(dataset, train_default_model(dataset))


@pytest.fixture(autouse=True)
def navigation_mode(monkeypatch):
    """Make AppTest behave like the real server: once app.py's st.navigation has run, the pages/
    folder is not a legacy multipage folder. AppTest builds a new PagesManager per run, which would
    otherwise switch the legacy mode back on because the folder exists."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
