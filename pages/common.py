"""What every page shares: the cached workspace, the current selection, and small drawing helpers.

Not a page itself: ``app.py`` routes only to the files it names in ``st.navigation``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from explainers import Workspace, load_builtin, train_default_model
from explainers.metrics import ModelEvaluation, evaluate

PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
COLOUR_NOTE = "Blue pushes toward the positive outcome, orange away from it."


@st.cache_resource(show_spinner="Loading the data and training the model…")
def workspace(name: str) -> Workspace:
    """The dataset, its default model, and (on first use) LIME's and DiCE's structures."""
    dataset = load_builtin(name)
    return Workspace(dataset, train_default_model(dataset))


@st.cache_data(show_spinner="Scoring the test split…")
def evaluation(name: str, model_hash: str) -> ModelEvaluation:
    return evaluate(workspace(name).model)


def current() -> tuple[str, Workspace, int]:
    """The dataset name, its workspace, and the current row, as set in the sidebar of ``app.py``."""
    if "dataset" not in st.session_state:
        # The first request to a fresh server was a deep link into pages/: Streamlit's legacy
        # multipage mode then runs the page without app.py. Turn that mode off (st.navigation
        # would, on its first run) and run again through the router, keeping the URL.
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    name = st.session_state["dataset"]
    return name, workspace(name), int(st.session_state["row"])


def labels(ws: Workspace) -> dict[str, str]:
    """Short feature names for chart axes: the column names, which stay readable at any width."""
    return {feature: feature.replace("_", " ") for feature in ws.dataset.feature_names}


def meanings(ws: Workspace) -> dict[str, str]:
    """Plain-language description of each feature, with its unit, from the dataset's spec."""
    spec = ws.dataset.spec
    out = {}
    for feature in ws.dataset.feature_names:
        unit = spec.feature_unit(feature)
        out[feature] = spec.feature_label(feature) + (f" ({unit})" if unit else "")
    return out


def outcome_phrase(ws: Workspace) -> str:
    """What the shown score means, e.g. "probability of Good payer"."""
    model = ws.model
    if model.is_classifier:
        positive = model.classes[model.positive_index]
        return f"probability of {ws.dataset.spec.class_label(positive)}"
    return f"predicted {ws.dataset.spec.target}"


def prediction_text(ws: Workspace, prediction: dict) -> tuple[str, str]:
    """Headline and detail of a prediction dict from the engine."""
    spec = ws.dataset.spec
    if "label" in prediction:
        positive = ws.model.classes[ws.model.positive_index]
        chance = prediction["probabilities"][positive]
        return spec.class_label(prediction["label"]), f"{chance:.1%} {outcome_phrase(ws)}"
    return f"{prediction['value']:.4g}", outcome_phrase(ws)


def chart(figure, caption: str, key: str) -> None:
    """A Plotly chart with its plain-language caption underneath."""
    st.plotly_chart(figure, width="stretch", config=PLOTLY_CONFIG, key=key)
    st.caption(caption)


def show_value(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "missing"
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)
