"""Entry point: shared selections in the sidebar (dataset, row, language), then routing to the pages."""

import streamlit as st

from explainers import DEFAULT_DATASET, builtin_names
from explainers.i18n import languages, translator
from pages.common import current, dataset_title, model_name, uploads, warm_up_in_background

st.set_page_config(page_title="Explain a model", page_icon=":material/insights:", layout="wide")


LANGUAGE_NAMES = {"en": "English", "pt-BR": "Português (Brasil)"}


def _initial_language() -> str:
    wanted = st.query_params.get("lang")
    if wanted in languages():
        return wanted
    locale = (getattr(st.context, "locale", None) or "en").replace("_", "-")
    if locale in languages():
        return locale
    return next((lang for lang in languages() if lang.split("-")[0] == locale.split("-")[0]), "en")


# Optional login (off by default): an [auth] section in .streamlit/secrets.toml turns on Streamlit's
# OpenID Connect login; see the README.
if st.secrets.load_if_toml_exists() and "auth" in st.secrets and not getattr(st.user, "is_logged_in", False):
    st.button(translator(_initial_language())("app.login"), on_click=st.login, key="app_login")
    st.stop()

if "dataset" not in st.session_state:
    # A deep link (?dataset=credit&row=17&lang=pt-BR) reproduces a view; bad values fall back.
    st.session_state["lang"] = _initial_language()
    tr = translator(st.session_state["lang"])
    wanted = st.query_params.get("dataset", DEFAULT_DATASET)
    if wanted not in builtin_names():
        st.session_state["link_error"] = tr("app.bad_dataset", name=wanted, default=DEFAULT_DATASET)
        wanted = DEFAULT_DATASET
    st.session_state["dataset"] = wanted
    try:
        st.session_state["row"] = int(st.query_params.get("row", 0))
    except ValueError:
        st.session_state["link_error"] = tr("app.bad_row_text")
        st.session_state["row"] = 0
    st.session_state["presentation"] = st.query_params.get("presentation") == "1"

# Pages ask for a new dataset or row through these keys; widgets only change before they are drawn.
if "pending_dataset" in st.session_state:
    st.session_state["dataset"] = st.session_state.pop("pending_dataset")
    st.session_state["row"] = 0
if "pending_row" in st.session_state:
    st.session_state["row"] = st.session_state.pop("pending_row")

tr = translator(st.session_state.get("lang"))
PAGES = [
    st.Page("pages/overview.py", title=tr("nav.overview"), icon=":material/dashboard:", default=True),
    st.Page("pages/data_source.py", title=tr("data.nav"), icon=":material/upload_file:"),
    st.Page("pages/global_explanations.py", title=tr("nav.global"), icon=":material/public:"),
    st.Page("pages/local_explanation.py", title=tr("nav.local"), icon=":material/person_search:"),
    st.Page("pages/what_if.py", title=tr("nav.whatif"), icon=":material/tune:"),
    st.Page("pages/counterfactuals.py", title=tr("nav.counterfactuals"), icon=":material/alt_route:"),
    st.Page("pages/responsible_ai.py", title=tr("trust.nav"), icon=":material/verified_user:"),
    st.Page("pages/report.py", title=tr("report.nav"), icon=":material/description:"),
    st.Page("pages/batch_results.py", title=tr("batch.nav"), icon=":material/dataset:"),
]


def _dataset_changed() -> None:
    st.session_state["row"] = 0


with st.sidebar:
    options = [*builtin_names(), *uploads()]
    titles = {option: dataset_title(option, tr.lang) for option in options}
    st.selectbox(tr("app.dataset"), options, key="dataset", format_func=titles.get, on_change=_dataset_changed)
    name, ws, _ = current()
    last = len(ws.dataset.features) - 1
    if not 0 <= st.session_state["row"] <= last:
        st.session_state["link_error"] = tr("app.bad_row", row=st.session_state["row"])
        st.session_state["row"] = 0
    st.number_input(tr("app.row"), min_value=0, max_value=last, step=1, key="row", help=tr("app.row_help"))
    st.selectbox(tr("app.language"), languages(), key="lang", format_func=lambda lang: LANGUAGE_NAMES.get(lang, lang))
    st.toggle(tr("app.presentation"), key="presentation", help=tr("app.presentation_help"))
    if not st.session_state["presentation"]:
        st.caption(tr("app.stamp", model=model_name(ws), model_hash=ws.model.model_hash[:10],
                      data_hash=ws.dataset.data_hash[:10]))

if st.session_state["presentation"]:
    # Bigger key figures and text for live demos and screenshots.
    st.markdown(
        "<style>[data-testid='stMetricValue'],[data-testid='stMetricValue'] *{font-size:2.6rem !important;"
        "line-height:1.25 !important}[data-testid='stMarkdownContainer'] p{font-size:1.2rem}</style>",
        unsafe_allow_html=True,
    )

if "link_error" in st.session_state:
    st.warning(st.session_state.pop("link_error"))

navigation = st.navigation(PAGES)
if not st.session_state["dataset"].startswith("upload:"):
    st.query_params["dataset"] = st.session_state["dataset"]
st.query_params["row"] = str(st.session_state["row"])
st.query_params["lang"] = st.session_state["lang"]
navigation.run()
if not st.session_state["dataset"].startswith("upload:"):
    warm_up_in_background(st.session_state["dataset"])
