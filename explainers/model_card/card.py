"""The model card (Mitchell et al., "Model Cards for Model Reporting", 2019): its standard sections filled from
what the product knows (spec, data, model, test metrics, fairness by group with intervals, the flip test) and
from the use case (what only a person knows); a field nobody stated is written "not stated", never guessed.

Laid out once as the report's blocks (:mod:`explainers.report.blocks`) and rendered by the report's own HTML,
Markdown and PDF writers, so escaping, fonts and the stamp are the report's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..documents import document_bytes
from ..errors import InputError
from ..i18n import Translator, languages, translator
from ..metrics import METRIC_KEYS, ModelEvaluation, evaluate
from ..models import train_test_indices
from ..report.blocks import Block, Heading, Paragraph, Table, when
from ..report.content import Stamp, UseCase, compute_stamp, stamp_rows
from ..report.html import render_html
from ..report.markdown import render_markdown
from ..report.pdf import render_pdf
from ..report.rows import FeatureFairness, fairness
from ..trust import sensitive_groups
from ..workspace import Workspace
from .intervals import CONFIDENCE, RESAMPLES, bootstrap, wilson
from .template import USE_CASE_ORDER

CARD_SECTIONS = ("model_details", "intended_use", "factors", "metrics", "evaluation_data", "training_data",
                 "quantitative_analyses", "ethical_considerations", "caveats", "use_case", "stamp")
METHODS = ("shap", "lime", "dice", "sparse")


@dataclass(frozen=True, eq=False)
class ModelCard:
    """A model card in one language; render it with to_html, to_markdown, to_pdf or to_bytes."""

    lang: str
    title: str
    subtitle: str
    footer: str
    use_case: UseCase
    stamp: Stamp
    blocks: tuple[Block, ...]
    sections: tuple[tuple[str, str], ...]

    @property
    def tr(self) -> Translator:
        return translator(self.lang)

    def png(self, chart) -> bytes:  # the card has no charts; the renderers' protocol asks for it
        raise InputError(key="errors.report.no_charts")

    def to_html(self) -> str:
        return render_html(self)

    def to_markdown(self) -> str:
        return render_markdown(self)

    def to_pdf(self) -> bytes:
        return render_pdf(self)

    def to_bytes(self, fmt: str) -> bytes:
        """The card as ``html``, ``markdown`` or ``pdf`` bytes (text as UTF-8)."""
        return document_bytes(fmt, self.to_html, self.to_markdown, self.to_pdf, "model card")


def build_model_card(workspace: Workspace, use_case: UseCase, lang: str = "en", data_path: str | None = None,
                     model_path: str | None = None, seed: int = 0, *, stamp: Stamp | None = None) -> ModelCard:
    """Gather the model card of the workspace's model in ``lang``.

    ``use_case`` gives what only a person knows (purpose, users, out-of-scope uses, ethical considerations...);
    ``stamp`` (default: computed here from ``data_path``, ``model_path`` and ``seed``) lets several documents
    share one stamp."""
    if lang not in languages():
        raise InputError(key="errors.base.unknown_language", lang=repr(lang), choices=', '.join(languages()))
    if not isinstance(use_case, UseCase):
        raise InputError(key="errors.report.bad_use_case_type")
    stamp = stamp or compute_stamp(workspace, data_path, model_path, seed)
    evaluation = evaluate(workspace.model, seed=stamp.split_seed)
    groups = fairness(workspace, lang, stamp)
    writer = _CardWriter(workspace, translator(lang), stamp, use_case)
    writer.build(evaluation, groups)
    tr = writer.tr
    return ModelCard(lang=lang, title=writer.title, subtitle=tr("docs.card.subtitle", date=when(tr, stamp.generated),
                                                                model=stamp.model_sha256[:12]),
                     footer=tr("docs.card.footer", date=when(tr, stamp.generated)), use_case=use_case, stamp=stamp,
                     blocks=tuple(writer.blocks), sections=tuple(writer.sections))


class _CardWriter:
    """Turns what is known into the card's blocks, section by section."""

    def __init__(self, workspace: Workspace, tr: Translator, stamp: Stamp, use_case: UseCase):
        self.dataset, self.model, self.spec = workspace.dataset, workspace.model, workspace.dataset.spec
        self.tr, self.lang, self.stamp, self.use_case = tr, tr.lang, stamp, use_case
        self.labels = self.spec.short_labels(self.dataset.feature_names, self.lang)
        self.blocks: list[Block] = []
        self.sections: list[tuple[str, str]] = []
        self.title = tr("docs.card.title", title=use_case.name or self.spec.display_title(self.lang))

    # pen -------------------------------------------------------------------------------------------------------
    def section(self, key: str) -> None:
        text, anchor = self.tr(f"docs.card.section_{key}"), "card-" + key.replace("_", "-")
        self.sections.append((anchor, text))
        self.blocks.append(Heading(text, 2, anchor))

    def heading(self, text: str, level: int = 3) -> None:
        self.blocks.append(Heading(text, level))

    def para(self, text: str, style: str = "body") -> None:
        if text:
            self.blocks.append(Paragraph(text, style))

    def table(self, header, rows, numeric=(), widths=(), small=False) -> None:
        self.blocks.append(Table(None if header is None else tuple(header),
                                 tuple(tuple(str(c) for c in r) for r in rows), tuple(numeric), tuple(widths), small))

    def stated(self, field: str) -> str:
        """A use-case field as written, or "not stated"."""
        return getattr(self.use_case, field) or self.tr("report.not_stated")

    def class_label(self, value: object) -> str:
        return self.spec.class_label(str(value), self.lang)

    def interval(self, low: float, high: float, percent: bool) -> str:
        if not (math.isfinite(low) and math.isfinite(high)):
            return "—"
        show = (lambda v: self.tr.percent(v, 1)) if percent else (lambda v: self.tr.fixed(v, 3))
        return f"{show(low)} – {show(high)}"

    # sections --------------------------------------------------------------------------------------------------
    def build(self, evaluation: ModelEvaluation, groups: list[FeatureFairness]) -> None:
        self.para(self.tr("docs.card.intro"), "lead")
        self.model_details()
        self.intended_use()
        self.factors()
        self.metrics(evaluation)
        self.evaluation_data(evaluation)
        self.training_data(evaluation)
        self.quantitative_analyses(evaluation, groups)
        self.ethical_considerations(groups)
        self.caveats()
        self.use_case_section()
        self.stamp_section()

    def model_details(self) -> None:
        tr, model, stamp = self.tr, self.model, self.stamp
        self.section("model_details")
        if stamp.model_from_file:
            source = tr("report.model_file", name=stamp.model_source)
        else:
            source = tr("report.model_default", rows=tr.number(int(model.details.get("train_rows", 0)), 0))
        kind = "XGBoost" if model.kind == "xgboost" else f"scikit-learn ({model.details.get('type', '?')})"
        rows = [
            (tr("docs.card.owner"), self.stated("owner")),
            (tr("docs.card.date"), when(tr, stamp.generated)),
            (tr("report.model_source"), source),
            (tr("report.model_kind"), kind),
            (tr("docs.card.version"), stamp.model_sha256),
            (tr("report.data_task"), tr(f"report.task_{self.dataset.task}")),
            (tr("docs.card.target"), self.spec.target),
        ]
        if model.details.get("trees"):
            rows.append((tr("report.model_trees"), tr.number(int(model.details["trees"]), 0)))
        if model.is_classifier:
            rows.append((tr("report.model_classes"), ", ".join(
                f"{self.class_label(c)} ({c})" if self.class_label(c) != c else str(c) for c in model.classes)))
            rows.append((tr("docs.card.favourable"), self.class_label(model.classes[model.positive_index])))
        rows.append((tr("docs.card.inputs"), ", ".join(self.labels[f] for f in self.dataset.feature_names)))
        self.table(None, rows, widths=(1, 3))

    def intended_use(self) -> None:
        tr = self.tr
        self.section("intended_use")
        self.table(None, [
            (tr("docs.card.primary_uses"), self.stated("purpose")),
            (tr("report.uc_decisions"), self.stated("decisions")),
            (tr("docs.card.primary_users"), self.stated("intended_users")),
            (tr("docs.card.out_of_scope"), self.stated("out_of_scope")),
        ], widths=(1, 3))
        self.para(tr("docs.card.intended_note"), "note")

    def factors(self) -> None:
        tr = self.tr
        self.section("factors")
        sensitive = list(self.spec.sensitive)
        if not sensitive:
            self.para(tr("docs.card.factors_none", not_stated=tr("report.not_stated")))
            return
        self.para(tr("docs.card.factors_intro"))
        rows = []
        for feature in sensitive:
            if feature in self.dataset.feature_names:
                try:
                    _, order, _ = sensitive_groups(self.model, feature, lang=self.lang)
                    shown = ", ".join(order)
                except InputError:
                    shown = "—"
                used = tr("docs.card.yes")
            else:
                shown, used = "—", tr("docs.card.no")
            meaning = self.spec.feature_meaning(feature, self.lang)
            rows.append((self.labels.get(feature, feature), feature, meaning, shown, used))
        self.table((tr("report.col_feature"), tr("docs.card.col_column"), tr("report.col_meaning"),
                    tr("docs.card.col_groups"), tr("docs.card.col_model_input")), rows,
                   widths=(1.2, 1, 2.2, 2.2, 0.8), small=True)
        self.para(tr("docs.card.factors_other", not_stated=tr("report.not_stated")), "note")

    def metrics(self, evaluation: ModelEvaluation) -> None:
        tr, model = self.tr, self.model
        self.section("metrics")
        rows = []
        for name in evaluation.metrics:
            key = METRIC_KEYS.get(name)
            rows.append((tr(f"report.metric_{key}") if key else name, tr(f"report.metric_{key}_help") if key else ""))
        self.table((tr("report.col_metric"), tr("report.col_reading")), rows, widths=(1.2, 4))
        self.heading(tr("docs.card.threshold_heading"))
        if model.is_classifier and len(model.classes) == 2:
            self.para(tr("docs.card.threshold_binary", favourable=self.class_label(model.classes[model.positive_index]),
                         threshold=tr.percent(0.5, 0)))
        elif model.is_classifier:
            self.para(tr("docs.card.threshold_multiclass"))
        else:
            self.para(tr("docs.card.threshold_regression"))
        self.heading(tr("docs.card.variation_heading"))
        self.para(tr("docs.card.variation", confidence=tr.percent(CONFIDENCE, 0), resamples=RESAMPLES,
                     seed=self.stamp.seed))

    def evaluation_data(self, evaluation: ModelEvaluation) -> None:
        tr = self.tr
        self.section("evaluation_data")
        rows = [(tr("report.data_source"), self.stamp.data_source),
                (tr("report.model_test_rows"), tr("report.model_test_rows_value", n=tr.number(len(evaluation.rows), 0),
                                                   seed=self.stamp.split_seed))]
        self.table(None, rows, widths=(1, 3))
        self.para(tr("docs.card.evaluation_note"))
        if evaluation.task == "classification":
            values, counts = np.unique(np.asarray(evaluation.y_true, dtype=str), return_counts=True)
            total = int(counts.sum())
            header = (tr("report.col_class"), tr("report.col_meaning"), tr("report.col_rows"), tr("report.col_share"))
            self.table(header,
                       [(v, self.class_label(v), tr.number(int(n), 0), tr.percent(int(n) / total))
                        for v, n in zip(values, counts, strict=True)], numeric=(False, False, True, True),
                       widths=(1, 2, 1, 1))

    def training_data(self, evaluation: ModelEvaluation) -> None:
        tr, spec = self.tr, self.spec
        self.section("training_data")
        if self.stamp.model_from_file:
            self.para(tr("docs.card.training_from_file", not_stated=tr("report.not_stated")))
            return
        train, _ = train_test_indices(self.dataset, self.stamp.split_seed)
        self.para(spec.text(spec.description, self.lang, ""))
        rows = [(tr("report.data_source"), self.stamp.data_source),
                (tr("docs.card.train_rows"), tr("docs.card.train_rows_value", n=tr.number(len(train), 0),
                                                seed=self.stamp.split_seed)),
                (tr("report.data_columns"), tr("report.data_columns_value",
                                               features=tr.number(len(self.dataset.feature_names), 0),
                                               target=spec.target))]
        if spec.drop:
            rows.append((tr("report.data_dropped"), ", ".join(spec.drop)))
        self.table(None, rows, widths=(1, 3))

    def quantitative_analyses(self, evaluation: ModelEvaluation, groups: list[FeatureFairness]) -> None:
        tr = self.tr
        self.section("quantitative_analyses")
        self.heading(tr("docs.card.overall_heading"))
        rows = []
        for name, value in evaluation.metrics.items():
            key = METRIC_KEYS.get(name)
            percent = key == "accuracy"
            low, high = bootstrap(_metric_function(name, evaluation, self.model), len(evaluation.rows), self.stamp.seed)
            rows.append((tr(f"report.metric_{key}") if key else name,
                         tr.percent(value) if percent else tr.fixed(value, 3), self.interval(low, high, percent)))
        self.table((tr("report.col_metric"), tr("report.col_value"),
                    tr("docs.card.col_interval", confidence=tr.percent(CONFIDENCE, 0))), rows,
                   numeric=(False, True, True), widths=(2, 1, 1.6))
        self.heading(tr("docs.card.groups_heading"))
        if not groups:
            self.para(tr("docs.card.groups_none", not_stated=tr("report.not_stated")))
            return
        for item in groups:
            self.heading(tr("report.fairness_feature", feature=self.labels.get(item.feature, item.feature)), 4)
            if item.groups is None:
                self.para(tr("docs.card.groups_unavailable"))
                continue
            self.group_table(item)

    def group_table(self, item: FeatureFairness) -> None:
        tr, model, result = self.tr, self.model, item.groups
        labels, _, _ = sensitive_groups(model, item.feature, lang=self.lang)
        _, test = train_test_indices(self.dataset, self.stamp.split_seed)
        frame = self.dataset.features.iloc[test]
        in_group = np.asarray(labels[test], dtype=object)
        interval = tr("docs.card.intervals_in_brackets", confidence=tr.percent(CONFIDENCE, 0))
        if model.is_classifier:
            favourable = model.classes[model.positive_index]
            truth = self.dataset.target.to_numpy(dtype=object)[test] == favourable
            predicted = np.asarray(model.predict(frame), dtype=object) == favourable
            rows = []
            for group, line in result.groups.iterrows():
                mask = in_group == group
                cells = [str(group), tr.number(int(line["count"]), 0)]
                for value, hits, trials in (
                        (line["selection_rate"], predicted[mask].sum(), mask.sum()),
                        (line["true_positive_rate"], (predicted & truth)[mask].sum(), truth[mask].sum()),
                        (line["false_positive_rate"], (predicted & ~truth)[mask].sum(), (~truth)[mask].sum())):
                    low, high = wilson(int(hits), int(trials))
                    cells.append(f"{tr.percent(value)} ({self.interval(low, high, True)})" if value == value else "—")
                rows.append(tuple(cells))
            header = (tr("report.col_group"), tr("report.col_test_rows"),
                      tr("report.col_selection_rate", outcome=result.favourable_label or ""),
                      tr("report.col_tpr"), tr("report.col_fpr"))
            self.table(header, rows, numeric=(False, True, True, True, True), widths=(1.2, 0.8, 1.6, 1.6, 1.6),
                       small=True)
            self.para(tr("trust.fairness_table_caption") + " " + interval, "note")
        else:
            truth = self.dataset.target.to_numpy(dtype="float64")[test]
            errors = np.abs(model.predict_value(frame) - truth)
            rows = []
            for group, line in result.groups.iterrows():
                if group in result.metrics.suppressed:  # too small to measure (privacy): counted only
                    rows.append((str(group), tr.number(int(line["count"]), 0), "—", "—"))
                    continue
                group_errors = errors[in_group == group]
                low, high = bootstrap(lambda p, e=group_errors: float(np.mean(e[p])), len(group_errors),
                                      self.stamp.seed)
                rows.append((str(group), tr.number(int(line["count"]), 0), tr.fixed(line["mean_prediction"], 3),
                             f"{tr.fixed(line['mean_absolute_error'], 3)} ({self.interval(low, high, False)})"))
            self.table((tr("report.col_group"), tr("report.col_test_rows"), tr("report.col_mean_prediction"),
                        tr("report.col_mae")), rows, numeric=(False, True, True, True),
                       widths=(1.4, 0.8, 1, 1.6), small=True)
            self.para(tr("trust.fairness_table_caption_regression") + " " + interval, "note")
        gaps = [(tr(f"docs.card.gap_{name}"), tr.fixed(value, 3) if value == value else "—")
                for name, value in result.gaps.items()]
        self.table((tr("docs.card.col_gap"), tr("report.col_value")), gaps, numeric=(False, True), widths=(3, 1),
                   small=True)

    def ethical_considerations(self, groups: list[FeatureFairness]) -> None:
        tr = self.tr
        self.section("ethical_considerations")
        self.table(None, [(tr("docs.card.ethics_stated"), self.stated("ethical_considerations"))], widths=(1, 3))
        used = [f for f in self.spec.sensitive if f in self.dataset.feature_names]
        if used:
            self.para(tr("docs.card.ethics_inputs", features=", ".join(self.labels[f] for f in used)))
        for item in groups:
            flips, feature = item.flips, self.labels.get(item.feature, item.feature)
            if flips is None:
                continue
            if not flips.used_by_model:
                self.para(tr("report.flip_unused", feature=feature))
            else:
                self.para(tr("report.flip_result", feature=feature, changed=tr.number(flips.changed, 0),
                             variants=tr.number(flips.variants, 0), share=tr.percent(flips.share),
                             rows=tr.number(flips.rows_tested, 0), mean=tr.fixed(flips.mean_abs_change, 3)))
        self.para(tr("docs.card.ethics_note"), "note")

    def caveats(self) -> None:
        tr = self.tr
        self.section("caveats")
        self.table(None, [(tr("report.uc_limitations"), self.stated("limitations")),
                          (tr("report.uc_assumptions"), self.stated("assumptions"))], widths=(1, 3))
        self.heading(tr("docs.card.product_caveats"))
        self.para(tr("docs.card.caveat_model_not_world"))
        self.para(tr("docs.card.caveat_test_split"))
        for method in METHODS:
            self.para(f"**{tr(f'report.method_{method}_title')}**: {tr(f'report.method_{method}_caveats')}")
        self.heading(tr("docs.card.recommendations"))
        self.para(tr("docs.card.recommendations_text"))

    def use_case_section(self) -> None:
        tr = self.tr
        self.section("use_case")
        self.table(None, [(tr(f"report.uc_{field}"), self.stated(field)) for field in USE_CASE_ORDER], widths=(1, 3))

    def stamp_section(self) -> None:
        tr = self.tr
        self.section("stamp")
        self.table(None, stamp_rows(self.stamp, tr), widths=(1.2, 3))
        self.table((tr("report.col_package"), tr("report.col_version")), list(self.stamp.versions.items()),
                   widths=(1, 1), small=True)


def _metric_function(name: str, evaluation: ModelEvaluation, model):
    """The metric ``name`` of :func:`explainers.metrics.evaluate` on a resample of the test rows (positions)."""
    from sklearn import metrics as skm

    y, score, predicted = evaluation.y_true, np.asarray(evaluation.score), evaluation.predicted
    if evaluation.task == "regression":
        y = np.asarray(y, dtype="float64")
        return {"RMSE": lambda p: math.sqrt(skm.mean_squared_error(y[p], score[p])),
                "MAE": lambda p: skm.mean_absolute_error(y[p], score[p]),
                "R²": lambda p: skm.r2_score(y[p], score[p])}.get(name, lambda p: math.nan)
    positive = model.classes[model.positive_index]
    is_positive = (np.asarray(y, dtype=object) == positive).astype(int)
    correct = np.asarray(predicted, dtype=object) == np.asarray(y, dtype=object)
    functions = {
        "accuracy": lambda p: float(np.mean(correct[p])),
        "ROC AUC": lambda p: skm.roc_auc_score(is_positive[p], score[p]),
        "PR AUC": lambda p: skm.average_precision_score(is_positive[p], score[p]),
        "Brier score": lambda p: skm.brier_score_loss(is_positive[p], score[p]),
    }
    if name == "log loss":
        probabilities = model.predict_proba(model.dataset.features.iloc[evaluation.rows])
        index = np.array([model.classes.index(v) for v in y])
        return lambda p: skm.log_loss(index[p], probabilities[p], labels=range(len(model.classes)))
    return functions.get(name, lambda p: math.nan)
