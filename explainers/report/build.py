"""Building a transparency report: compute what it says, lay it out once, in one language."""

from __future__ import annotations

from ..errors import InputError
from ..global_views import global_shap
from ..i18n import languages, translator
from ..metrics import evaluate
from ..workspace import Workspace
from .blocks import GLOBAL_ROWS, TOP_GLOBAL
from .content import Stamp, UseCase, compute_stamp
from .document import Report
from .layout import Layout
from .rows import check_rows, explain_rows, fairness


def build_report(
    workspace: Workspace,
    rows: list[int],
    use_case: UseCase,
    lang: str = "en",
    data_path: str | None = None,
    model_path: str | None = None,
    seed: int = 0,
    *,
    command: str | None = None,
    monitoring=None,
    stamp: Stamp | None = None,
) -> Report:
    """Gather a transparency report for ``rows`` of the workspace's dataset.

    Parameters
    ----------
    workspace : the dataset and its model.
    rows : row positions to explain (1 to 20, from 0).
    use_case : what the model is for (:class:`UseCase`; see :func:`default_use_case`).
    lang : language of every text (``en`` or ``pt-BR``).
    data_path, model_path : the files the workspace was loaded from, hashed for the stamp; without
        them, a built-in dataset's shipped file and the model's own hash are used.
    seed : seed of LIME, the counterfactual search, the global SHAP sample and the narrative.
    command : the command line that rebuilds the report, printed in the stamp section (default: one
        derived from the arguments, when they identify the data and the model).
    monitoring : a :class:`~explainers.monitoring.MonitoringResult` (drift of a current table since the
        reference); with it, the report gains a monitoring section.
    stamp : a stamp computed beforehand (:func:`compute_stamp`), so that several documents share one.
    """
    if lang not in languages():
        raise InputError(key="errors.base.unknown_language", lang=repr(lang), choices=', '.join(languages()))
    if not isinstance(use_case, UseCase):
        raise InputError(key="errors.report.bad_use_case_type")
    dataset, model = workspace.dataset, workspace.model
    rows = check_rows(dataset, rows)
    stamp = stamp or compute_stamp(workspace, data_path, model_path, seed)
    evaluation = evaluate(model, seed=stamp.split_seed)
    overall = global_shap(model, max_rows=GLOBAL_ROWS, seed=seed)
    explained = explain_rows(workspace, rows, lang, seed)
    groups = fairness(workspace, lang, stamp)
    layout = Layout(workspace, translator(lang), stamp, use_case, rows, data_path, model_path, command)
    blocks = layout.build(evaluation, overall, explained, groups, monitoring)
    return Report(
        lang=lang,
        title=layout.title,
        subtitle=layout.subtitle,
        use_case=use_case,
        stamp=stamp,
        rows=explained,
        metrics=dict(evaluation.metrics),
        importance=overall.importance.iloc[:TOP_GLOBAL],
        blocks=tuple(blocks),
        sections=tuple(layout.sections),
        trust_included=True,
        dataset_name=dataset.spec.name,
        task=dataset.task,
    )
