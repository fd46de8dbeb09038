"""The dashboard's state model: one shared view, each page's remembered state, and the URL.

- ``session_state["view"]`` holds the shared view (dataset, model, row, language, presentation mode). No widget
  owns that key: Streamlit drops the values of widgets that a run does not draw (a page switch, a
  changed label), so widgets only *show* the view. Before a sidebar widget is drawn its value is copied
  from the view; its ``on_change`` copies the user's choice back.
- Pages keep what a person expects to find again (what-if edits of the current row, counterfactual
  constraints and results, filters) in ``page_state(page)``, a dict no widget owns either.
- The URL mirrors the view: ``app.py`` writes it once per run (one browser-history entry per view) and
  only when it changed. A run whose URL differs from the one written last came from outside (a deep
  link, Back or Forward, an edited address) and is adopted; bad values are ignored with a plain-text
  notice.
- Widget options are stable ids (dataset names, language codes), never translated labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from explainers import DEFAULT_DATASET, builtin_names
from explainers.i18n import languages, translator

VIEW = "view"
WRITTEN_URL = "view_url"
NOTICES = "view_notices"
UPLOAD_PREFIX = "upload:"
WIDGET_PREFIX = "sidebar_"
DEFAULT_MODEL = "default"  # the dataset's own model: the default XGBoost, or the model uploaded with the table
BASELINE_MODEL = "baseline"  # the linear baseline the product trains itself (explainers.baseline)
URL_KEYS = ("dataset", "model", "row", "lang", "presentation")


def leave_legacy_multipage_mode() -> None:
    """Run every page through ``app.py``'s ``st.navigation``.

    Because a ``pages/`` folder exists, Streamlit starts a fresh server in its old multipage mode: the very
    first run lists the folder's files and runs under other script hashes, so the sidebar's widgets would
    be new on the next run and take their defaults. Turn that mode off (``st.navigation`` would, too late)
    and start the run again before anything is drawn; the URL is kept.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def uploads() -> dict:
    """Workspaces this browser session made from its own uploads; other sessions never see them."""
    return st.session_state.setdefault("uploads", {})


def uploaded_models(dataset: str) -> dict:
    """Models this session uploaded for ``dataset`` (id ``upload:<hash8>`` → Workspace); others never see them."""
    return st.session_state.setdefault("uploaded_models", {}).setdefault(dataset, {})


def model_ids(dataset: str) -> list[str]:
    """The models a dataset can be explained with, as stable ids: its own, the baseline, this session's uploads."""
    return [DEFAULT_MODEL, BASELINE_MODEL, *uploaded_models(dataset)]


def _default_language() -> str:
    locale = (getattr(st.context, "locale", None) or "en").replace("_", "-")
    if locale in languages():
        return locale
    return next((lang for lang in languages() if lang.split("-")[0] == locale.split("-")[0]), "en")


def view() -> dict[str, Any]:
    """The shared view, created on first use (from the URL when it names one)."""
    if VIEW not in st.session_state:
        st.session_state[VIEW] = {"dataset": DEFAULT_DATASET, "model": DEFAULT_MODEL, "row": 0,
                                  "lang": _default_language(), "presentation": False}
    return st.session_state[VIEW]


def set_view(**changes: Any) -> None:
    """Change the shared view; a new dataset starts at row 0 (and with its own model unless the baseline was
    chosen: uploaded models belong to one dataset) and forgets nothing else."""
    current = view()
    if "dataset" in changes and changes["dataset"] != current["dataset"]:
        changes.setdefault("row", 0)
        if current.get("model") != BASELINE_MODEL:
            changes.setdefault("model", DEFAULT_MODEL)
    current.update(changes)


def url_params(state: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The query parameters that reproduce a view."""
    state = view() if state is None else state
    params = {"dataset": str(state["dataset"]), "row": str(int(state["row"])), "lang": str(state["lang"])}
    if state.get("model", DEFAULT_MODEL) != DEFAULT_MODEL:
        params["model"] = str(state["model"])
    if state["presentation"]:
        params["presentation"] = "1"
    return params


def notices() -> list[str]:
    """Plain-text notices about the URL (shown once by ``app.py``)."""
    return st.session_state.setdefault(NOTICES, [])


def adopt_url() -> None:
    """Take the view from the URL when it came from outside this session (deep link, Back, Forward)."""
    params = {key: st.query_params.get(key) for key in URL_KEYS}
    if not any(value is not None for value in params.values()):
        return  # a bare address: keep the view, app.py writes it into the URL
    if params == st.session_state.get(WRITTEN_URL):
        return
    first = VIEW not in st.session_state
    state = view()
    lang = params["lang"] if params["lang"] in languages() else state["lang"]
    tr = translator(lang)
    changes: dict[str, Any] = {"lang": lang, "presentation": params["presentation"] == "1"}
    wanted = params["dataset"]
    if wanted is not None:
        if wanted in builtin_names() or wanted in uploads():
            changes["dataset"] = wanted
        else:
            notices().append(tr("app.bad_dataset", name=wanted[:60], default=state["dataset"] if not first
                                else DEFAULT_DATASET))
    if params["row"] is not None:
        try:
            changes["row"] = int(params["row"])
        except ValueError:
            notices().append(tr("app.bad_row_text"))
    wanted_model = params["model"] or DEFAULT_MODEL
    if wanted_model in model_ids(changes.get("dataset", state["dataset"])):
        changes["model"] = wanted_model
    else:  # an uploaded model of a session that is gone, or a typo
        notices().append(tr("compare.bad_model", name=wanted_model[:60]))
        changes["model"] = DEFAULT_MODEL
    set_view(**changes)
    st.session_state[WRITTEN_URL] = params


def write_url() -> None:
    """Mirror the view in the URL: one update per run, none when nothing changed."""
    params = url_params()
    st.session_state[WRITTEN_URL] = {key: params.get(key) for key in URL_KEYS}
    if {key: st.query_params.get(key) for key in params} != params or set(st.query_params.keys()) - set(params):
        st.query_params.from_dict(params)


def bound_widget(draw: Callable[..., Any], field: str, *args: Any, to_view: Callable[[Any], Any] | None = None,
                 **kwargs: Any) -> Any:
    """Draw a sidebar widget that shows ``view()[field]`` and writes the user's choice back to it."""
    key = WIDGET_PREFIX + field
    st.session_state[key] = view()[field]

    def changed() -> None:
        value = st.session_state[key]
        set_view(**{field: to_view(value) if to_view else value})

    return draw(*args, key=key, on_change=changed, **kwargs)


def page_state(page: str) -> dict[str, Any]:
    """What a page remembers for this session (kept across page switches; no widget owns it)."""
    return st.session_state.setdefault(f"page_{page}", {})


def remembered_widget(draw: Callable[..., Any], store: dict[str, Any], name: str, key: str, *args: Any,
                      default: Any = None, **kwargs: Any) -> Any:
    """Draw a page widget whose value lives in ``store[name]`` (so it survives leaving the page)."""
    if name in store:
        st.session_state[key] = store[name]
    elif default is not None:
        st.session_state[key] = default

    def changed() -> None:
        store[name] = st.session_state[key]

    value = draw(*args, key=key, on_change=changed, **kwargs)
    store[name] = value
    return value
