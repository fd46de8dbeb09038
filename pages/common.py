"""What every page shares: the cached workspace, the current selection, and small drawing helpers.

Not a page itself: ``app.py`` routes only to the files it names in ``st.navigation``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

import streamlit as st

from explainers import DEFAULT_DATASET, InputError, Workspace, charts, load_builtin, train_default_model
from explainers.i18n import Translator, translator
from explainers.metrics import ModelEvaluation, saved_evaluation
from explainers.models import warm_up
from pages.state import (
    BASELINE_MODEL,
    DEFAULT_MODEL,
    UPLOAD_PREFIX,
    leave_legacy_multipage_mode,
    model_ids,
    page_state,
    remembered_widget,
    set_view,
    uploaded_models,
    uploads,
    view,
)

LOG = logging.getLogger("xai.pages")

@st.cache_resource(show_spinner=False)
def builtin_workspace(name: str) -> Workspace:
    """A built-in dataset, its default model, and (on first use) LIME's and DiCE's structures."""
    dataset = load_builtin(name)
    return Workspace(dataset, train_default_model(dataset))


@st.cache_resource(show_spinner=False)
def builtin_baseline(name: str) -> Workspace:
    """A built-in dataset with the linear baseline (the same Dataset object as its default workspace)."""
    from explainers.baseline import train_baseline_model

    dataset = builtin_workspace(name).dataset
    return Workspace(dataset, train_baseline_model(dataset))


MODEL_SEPARATOR = "@"  # "credit@baseline": the workspace of a dataset with another model than its own


def workspace_key(dataset: str, model: str = DEFAULT_MODEL) -> str:
    """The name of a (dataset, model) workspace: the dataset's name for its own model, else ``dataset@model``.

    Pages pass this name to their cached functions (with the model's hash), which open the workspace again with
    :func:`workspace`; so every page and cache works per (dataset, model) without knowing about models."""
    return dataset if model == DEFAULT_MODEL else f"{dataset}{MODEL_SEPARATOR}{model}"


def split_key(name: str) -> tuple[str, str]:
    """``workspace_key``'s inverse: (dataset, model id)."""
    dataset, _, model = name.partition(MODEL_SEPARATOR)
    return dataset, model or DEFAULT_MODEL


def workspace(name: str) -> Workspace:
    """The workspace called ``name`` (:func:`workspace_key`): a built-in dataset or one of this session's uploads,
    with its own model, the baseline, or a model this session uploaded for it."""
    dataset, model = split_key(name)
    if model == DEFAULT_MODEL:
        if dataset.startswith(UPLOAD_PREFIX):
            return uploads()[dataset]
        with st.spinner(tr()("app.loading")):
            return builtin_workspace(dataset)
    if model == BASELINE_MODEL and not dataset.startswith(UPLOAD_PREFIX):
        with st.spinner(tr()("compare.training_baseline")):
            return builtin_baseline(dataset)
    found = uploaded_models(dataset)
    if model == BASELINE_MODEL and model not in found:  # an uploaded table's baseline: this session's only
        from explainers.baseline import train_baseline_model

        own = workspace(dataset)
        with st.spinner(tr()("compare.training_baseline")):
            found[model] = Workspace(own.dataset, train_baseline_model(own.dataset), seed=own.seed)
    return found[model]


def add_model(dataset: str, ws: Workspace) -> str:
    """Keep a model uploaded for ``dataset`` in this session; its id is made of its hash only."""
    model = f"{UPLOAD_PREFIX}{ws.model.model_hash[:8]}"
    uploaded_models(dataset)[model] = ws
    return model


def model_title(dataset: str, model: str) -> str:
    """A model's name as the reader sees it: the default XGBoost, the baseline, or the uploaded file's name."""
    t = tr()
    if model == BASELINE_MODEL:
        return t("compare.model_baseline_" + ("classification" if _task(dataset) == "classification"
                                               else "regression"))
    if model == DEFAULT_MODEL:
        if dataset.startswith(UPLOAD_PREFIX) and not (uploads().get(dataset) and uploads()[dataset].model.is_default):
            return t("compare.model_uploaded_own")
        return t("compare.model_default")
    found = uploaded_models(dataset).get(model)
    return f"⬆ {found.model.source}" if found is not None else model


def _task(dataset: str) -> str:
    if dataset.startswith(UPLOAD_PREFIX):
        ws = uploads().get(dataset)
        return ws.dataset.task if ws is not None else "classification"
    from explainers.data import builtin_spec

    return builtin_spec(dataset).task


def add_upload(ws: Workspace) -> str:
    """Keep an uploaded workspace in this session and make it the current dataset (then ``st.rerun()``).

    Its name is made of hashes only, so the URL never carries text from the uploaded file."""
    name = f"{UPLOAD_PREFIX}{ws.dataset.data_hash[:8]}-{ws.model.model_hash[:8]}"
    uploads()[name] = ws
    set_view(dataset=name)
    from pages.oversight_ui import record_upload_event  # it imports this module

    record_upload_event(ws, name, model_changed=not ws.model.is_default, source=ws.model.source)
    return name


def select_row(row: int) -> None:
    """Make ``row`` current from a page (the sidebar shows it on the next run)."""
    set_view(row=int(row))


def dataset_title(name: str, lang: str) -> str:
    from explainers.data import builtin_spec

    if name.startswith(UPLOAD_PREFIX):
        ws = uploads().get(name)
        return f"⬆ {ws.dataset.spec.display_title(lang)}" if ws else name
    return builtin_spec(name).display_title(lang)


def language() -> str:
    return view()["lang"]


def tr() -> Translator:
    """The translator for the language chosen in the sidebar."""
    return translator(language())


@st.cache_data(show_spinner=False)
def evaluation(name: str, model_hash: str) -> ModelEvaluation:
    return saved_evaluation(workspace(name).model)


WARM_UP_DELAY_S = 2.0
_WARM_UPS: dict[str, tuple[threading.Event, threading.Thread]] = {}
_WARM_UPS_LOCK = threading.Lock()


def warm_up_in_background(name: str, then: Callable[[], None] | None = None) -> None:
    """Once per built-in dataset and server: import XGBoost and scikit-learn and parse the model while
    the reader looks at the first page, which was drawn without them; then start ``then`` (computing
    ahead what other pages need) in a thread of its own, so that no page run waits for it.

    The warm-up waits WARM_UP_DELAY_S first: importing holds the interpreter, and the server still has
    to send the first page to the browser.
    """
    with _WARM_UPS_LOCK:
        if name not in _WARM_UPS:
            model = builtin_workspace(name).model
            start_now = threading.Event()

            def run() -> None:
                start_now.wait(WARM_UP_DELAY_S)
                warm_up(model)
                if then is not None:
                    threading.Thread(target=_quietly, args=(then,), name=f"precompute-{name}", daemon=True).start()

            thread = threading.Thread(target=run, name=f"warm-up-{name}", daemon=True)
            _WARM_UPS[name] = (start_now, thread)
            thread.start()


def _quietly(task: Callable[[], None]) -> None:
    # Computing ahead is a convenience: a failure here is logged, and the page computes it when asked.
    try:
        task()
    except Exception:
        LOG.exception("computing ahead failed")


def _wait_for_warm_ups() -> None:
    # Two threads importing the same packages at once can meet Python's import-deadlock check, so a
    # run that starts before a warm-up has finished starts it at once and waits for it (it needs those
    # modules anyway).
    for start_now, thread in list(_WARM_UPS.values()):
        start_now.set()
        thread.join()


def current() -> tuple[str, Workspace, int]:
    """The workspace's name (:func:`workspace_key`: the dataset, and the model when it is not the dataset's own),
    the workspace, and the current row, as set in the sidebar of ``app.py``."""
    # The first request to a fresh server may be a deep link into pages/, which Streamlit's legacy
    # multipage mode runs without app.py.
    leave_legacy_multipage_mode()
    _wait_for_warm_ups()
    shown = view()
    if shown["dataset"].startswith(UPLOAD_PREFIX) and shown["dataset"] not in uploads():
        set_view(dataset=DEFAULT_DATASET)
    if shown.get("model", DEFAULT_MODEL) not in model_ids(shown["dataset"]):
        set_view(model=DEFAULT_MODEL)
    name = workspace_key(shown["dataset"], shown.get("model", DEFAULT_MODEL))
    return name, workspace(name), int(shown["row"])


def labels(ws: Workspace) -> dict[str, str]:
    """Feature names as the reader sees them everywhere (charts, inputs, sentences): the spec's short label
    in the session's language, distinct for distinct columns; tables and hovers add the column name."""
    return ws.dataset.spec.short_labels(ws.dataset.feature_names, language())


def meanings(ws: Workspace) -> dict[str, str]:
    """Plain-language description of each feature, with its unit, from the dataset's spec."""
    spec, lang = ws.dataset.spec, language()
    return {feature: spec.feature_meaning(feature, lang) for feature in ws.dataset.feature_names}


def outcome_phrase(ws: Workspace) -> str:
    """What the shown score means, e.g. "probability of Good payer"."""
    model, spec, t = ws.model, ws.dataset.spec, tr()
    if model.is_classifier:
        return t("common.probability_of", label=spec.class_label(model.classes[model.positive_index], language()))
    return t("common.predicted", target=spec.target)


def colour_note(ws: Workspace) -> str:
    """What blue and orange mean: toward the favourable outcome, or up and down for a regression."""
    return tr()("common.colour_note" if ws.model.is_classifier else "common.colour_note_regression")


def class_label(ws: Workspace, value: object) -> str:
    return ws.dataset.spec.class_label(str(value), language())


def prediction_text(ws: Workspace, prediction: dict) -> tuple[str, str]:
    """Headline and detail of a prediction dict from the engine."""
    t = tr()
    if "label" in prediction:
        positive = ws.model.classes[ws.model.positive_index]
        chance = prediction["probabilities"][positive]
        return class_label(ws, prediction["label"]), t("common.chance", percent=t.percent(chance),
                                                        phrase=outcome_phrase(ws))
    return t.number(prediction["value"], 3), outcome_phrase(ws)


def chart(figure: charts.Spec, caption: str, key: str) -> None:
    """A chart (a Vega-Lite spec from :mod:`explainers.charts`) with its plain-language caption underneath; ticks
    and tooltips in the locale's format, larger text in presentation mode."""
    st.vega_lite_chart(charts.for_page(figure, tr(), presenting()), width="stretch", key=key)
    st.caption(caption)


def section_picker(page: str, sections: list[str]) -> str:
    """Which part of a busy page to draw: a row of buttons above it, the first part chosen on arrival, the
    reader's choice kept in page state. Only the chosen part runs and reaches the browser, so a page arrives with
    one or two charts, not five (ten readers at once share two cores; each Plotly chart costs the browser about
    as much as a whole page of text). Labels are ``sections.<page>_<id>`` in the catalogue."""
    t = tr()
    chosen = remembered_widget(st.segmented_control, page_state("sections"), page, f"{page}_section",
                               t("sections.label"), sections, default=sections[0], required=True,
                               format_func=lambda section: t(f"sections.{page}_{section}"),
                               label_visibility="collapsed")
    return chosen if chosen in sections else sections[0]


def model_name(ws: Workspace) -> str:
    """The model in words: the default XGBoost (and how many rows trained it), or its file name."""
    model = ws.model
    if model.is_default:
        return tr()("app.model_default", rows=tr().number(model.details["train_rows"], 0))
    if model.details.get("baseline"):
        return tr()("compare.model_baseline_" + model.task)
    return model.source


def presenting() -> bool:
    """Presentation mode: technical controls and notes are hidden."""
    return bool(view()["presentation"])


def plain_text(text: object) -> str:
    """``text`` escaped so that Streamlit's Markdown shows it as typed: no links, images or markup."""
    from explainers.documents import md_text

    return md_text(text)


def engine_text(message: object) -> str:
    """An engine error or notice in the session's language (by its catalogue key; other exceptions as they
    read), escaped like :func:`plain_text`: pages never show ``str(exc)`` of an engine error."""
    from explainers.messages import in_language

    return plain_text(in_language(message, language()))


def narrative_markdown(text: str) -> str:
    """A narrative for ``st.markdown``: its own **bold** kept, everything from the data escaped."""
    from explainers.documents import md_inline

    return md_inline(text)


def run_guarded(page) -> None:
    """Run a page; an unexpected failure is logged with a reference and shown as one translated line.

    The sidebar was drawn before the page ran, so it stays usable; Streamlit's own reruns and stops are
    not failures and pass through (they are not ``Exception``s).
    """
    try:
        page.run()
    except InputError as exc:  # bad input that a page did not catch: the engine's one line, in the reader's language
        st.error(engine_text(exc), icon=":material/error:")
    except Exception:
        reference = uuid.uuid4().hex[:8]
        LOG.exception("page %s failed (reference %s)", getattr(page, "url_path", "?"), reference)
        st.error(tr()("app.page_failed", reference=reference), icon=":material/error:")
