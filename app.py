"""Entry point: the shared view in the sidebar (dataset, row, language, presentation mode), then routing.

The state model (the view, page state, the URL) lives in ``pages/state.py``; ARCHITECTURE.md explains it.
"""

import functools

import streamlit as st

from explainers import DEFAULT_DATASET, builtin_names
from explainers.i18n import languages, translator
from pages import state
from pages.cached import precompute
from pages.common import (
    current,
    dataset_title,
    model_name,
    model_title,
    plain_text,
    run_guarded,
    warm_up_in_background,
)

state.leave_legacy_multipage_mode()

LANGUAGE_NAMES = {"en": "English", "pt-BR": "Português (Brasil)"}

state.adopt_url()
view = state.view()
tr = translator(view["lang"])
# Presentation mode is for a projector: the sidebar starts collapsed (a click on ">" opens it again).
st.set_page_config(page_title="Explain a model", page_icon=":material/insights:", layout="wide",
                   initial_sidebar_state="collapsed" if view["presentation"] else "auto")

# Optional login (off by default): an [auth] section in .streamlit/secrets.toml turns on Streamlit's
# OpenID Connect login; see the README.
if st.secrets.load_if_toml_exists() and "auth" in st.secrets and not getattr(st.user, "is_logged_in", False):
    st.button(tr("app.login"), on_click=st.login, key="app_login")
    st.stop()

PAGES = [
    st.Page("pages/overview.py", title=tr("nav.overview"), icon=":material/dashboard:", default=True),
    st.Page("pages/data_source.py", title=tr("data.nav"), icon=":material/upload_file:"),
    st.Page("pages/global_explanations.py", title=tr("nav.global"), icon=":material/public:"),
    st.Page("pages/local_explanation.py", title=tr("nav.local"), icon=":material/person_search:"),
    st.Page("pages/what_if.py", title=tr("nav.whatif"), icon=":material/tune:"),
    st.Page("pages/counterfactuals.py", title=tr("nav.counterfactuals"), icon=":material/alt_route:"),
    st.Page("pages/responsible_ai.py", title=tr("trust.nav"), icon=":material/verified_user:"),
    st.Page("pages/compare.py", title=tr("compare.nav"), icon=":material/compare_arrows:"),
    st.Page("pages/errors.py", title=tr("erroranalysis.nav"), icon=":material/troubleshoot:"),
    st.Page("pages/report.py", title=tr("report.nav"), icon=":material/description:"),
    st.Page("pages/batch_results.py", title=tr("batch.nav"), icon=":material/dataset:"),
    st.Page("pages/monitoring.py", title=tr("monitoring.nav"), icon=":material/monitoring:"),
    st.Page("pages/notice.py", title=tr("notice.nav"), icon=":material/mail:"),
    st.Page("pages/cases.py", title=tr("cases.nav"), icon=":material/folder_shared:"),
    st.Page("pages/audit.py", title=tr("auditlog.nav"), icon=":material/receipt_long:"),
]

# Our own page links (showSidebarNavigation is off so that the raw file list of pages/ never shows); they
# carry the view in their address, so a link opens, and Back returns to, exactly this view.
navigation = st.navigation(PAGES, position="hidden")
links = st.sidebar.container()
with st.sidebar:
    if view["dataset"] not in [*builtin_names(), *state.uploads()]:
        state.set_view(dataset=DEFAULT_DATASET)  # an upload of a session that is gone
    options = [*builtin_names(), *state.uploads()]
    titles = {option: dataset_title(option, tr.lang) for option in options}
    state.bound_widget(st.selectbox, "dataset", tr("app.dataset"), options, format_func=titles.get)
    models = state.model_ids(view["dataset"])
    if view.get("model") not in models:
        state.set_view(model=state.DEFAULT_MODEL)  # an uploaded model of another dataset
    model_titles = {model: model_title(view["dataset"], model) for model in models}
    state.bound_widget(st.selectbox, "model", tr("compare.model"), models, format_func=model_titles.get,
                       help=tr("compare.model_help"))
    name, ws, _ = current()
    last = len(ws.dataset.features) - 1
    if not 0 <= view["row"] <= last:
        state.notices().append(tr("app.bad_row", row=view["row"]))
        state.set_view(row=0)
    state.bound_widget(st.number_input, "row", tr("app.row"), min_value=0, max_value=last, step=1,
                       help=tr("app.row_help"), to_view=int)
    state.bound_widget(st.selectbox, "lang", tr("app.language"), languages(),
                       format_func=lambda lang: LANGUAGE_NAMES.get(lang, lang))
    state.bound_widget(st.toggle, "presentation", tr("app.presentation"), help=tr("app.presentation_help"))
    if not view["presentation"]:
        st.caption(tr("app.stamp", model=model_name(ws), model_hash=ws.model.model_hash[:10],
                      data_hash=ws.dataset.data_hash[:10]))

if view["presentation"]:
    # Larger text and figures for a projector; the sidebar starts collapsed (see pages.common).
    st.markdown(
        "<style>[data-testid='stMetricValue'],[data-testid='stMetricValue'] *{font-size:2.2rem !important;"
        "line-height:1.25 !important}[data-testid='stMarkdownContainer'] p{font-size:1.2rem}"
        "[data-testid='stCaptionContainer']{font-size:1.05rem !important}</style>",
        unsafe_allow_html=True,
    )

for notice in state.notices():
    st.warning(plain_text(notice), icon=":material/link_off:")  # never Markdown from the URL
state.notices().clear()

with links:
    for page in PAGES:
        st.page_link(page, query_params=state.url_params(), width="stretch")
    st.divider()
state.write_url()
run_guarded(navigation)
if not view["dataset"].startswith(state.UPLOAD_PREFIX):
    warm_up_in_background(view["dataset"], then=functools.partial(precompute, view["dataset"], view["lang"],
                                                                  int(view["row"])))
