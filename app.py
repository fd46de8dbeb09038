"""Entry point: shared selections in the sidebar, then routing to the pages."""

import streamlit as st

from explainers import DEFAULT_DATASET, builtin_names
from explainers.data import builtin_spec
from pages.common import current

st.set_page_config(page_title="Explain a model", page_icon=":material/insights:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/global_explanations.py", title="Global explanations", icon=":material/public:"),
    st.Page("pages/local_explanation.py", title="Local explanation", icon=":material/person_search:"),
    st.Page("pages/what_if.py", title="What-if", icon=":material/tune:"),
    st.Page("pages/counterfactuals.py", title="Counterfactuals", icon=":material/alt_route:"),
]

names = builtin_names()
if "dataset" not in st.session_state:
    # A deep link (?dataset=credit&row=17) reproduces a view; a bad value falls back with a notice.
    wanted = st.query_params.get("dataset", DEFAULT_DATASET)
    if wanted not in names:
        st.session_state["link_error"] = f"Unknown dataset {wanted!r} in the link; showing {DEFAULT_DATASET}."
        wanted = DEFAULT_DATASET
    st.session_state["dataset"] = wanted
    try:
        st.session_state["row"] = int(st.query_params.get("row", 0))
    except ValueError:
        st.session_state["link_error"] = "The row in the link is not a number; showing row 0."
        st.session_state["row"] = 0


def _dataset_changed() -> None:
    st.session_state["row"] = 0


with st.sidebar:
    st.selectbox(
        "Dataset",
        names,
        key="dataset",
        format_func=lambda n: builtin_spec(n).display_title(),
        on_change=_dataset_changed,
    )
    name, ws, _ = current()
    last = len(ws.dataset.features) - 1
    if not 0 <= st.session_state["row"] <= last:
        st.session_state["link_error"] = f"Row {st.session_state['row']} does not exist; showing row 0."
        st.session_state["row"] = 0
    st.number_input("Row", min_value=0, max_value=last, step=1, key="row",
                    help="The row that the local pages explain (0 is the first row).")
    st.caption(f"{ws.model.source} · model {ws.model.model_hash[:10]} · data {ws.dataset.data_hash[:10]}")

if "link_error" in st.session_state:
    st.warning(st.session_state.pop("link_error"))

navigation = st.navigation(PAGES)
st.query_params["dataset"] = st.session_state["dataset"]
st.query_params["row"] = str(st.session_state["row"])
navigation.run()
