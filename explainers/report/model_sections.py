"""The report's sections about the data, the model (and its test metrics) and the global explanation."""

from __future__ import annotations

from ..attributions import ShapValues
from ..global_views import GlobalShap
from ..messages import Message, in_language
from ..metrics import METRIC_KEYS
from ..util import sample_positions
from .blocks import BEESWARM_ROWS, TOP_GLOBAL, Chart
from .writer import BlockWriter


class DataAndModelSections(BlockWriter):
    """The data (source, size, balance or distribution, features), the model, its metrics, global SHAP."""

    def data_section(self) -> None:
        tr, dataset, spec = self.tr, self.dataset, self.spec
        self.section("data")
        self.para(spec.text(spec.description, self.lang, ""))
        features = dataset.features
        missing_total = int(features.isna().sum().sum())
        rows = [
            (tr("report.data_source"), self.stamp.data_source),
            (tr("report.data_rows"), tr.number(len(features), 0)),
            (tr("report.data_columns"), tr("report.data_columns_value", features=tr.number(features.shape[1], 0),
                                           target=spec.target)),
            (tr("report.data_task"), tr(f"report.task_{dataset.task}")),
            (tr("report.data_missing"), tr("report.data_missing_value", cells=tr.number(missing_total, 0),
                                           share=tr.percent(missing_total / max(features.size, 1), 2))),
        ]
        if spec.drop:
            rows.append((tr("report.data_dropped"), ", ".join(spec.drop)))
        if spec.immutable:
            rows.append((tr("report.data_immutable"), ", ".join(spec.immutable)))
        if spec.sensitive:
            rows.append((tr("report.data_sensitive"), ", ".join(spec.sensitive)))
        personal = dataset.personal
        if personal:  # names and kinds only: a report never holds a personal value
            rows.append((tr("privacy.report_section"), "; ".join(
                f"{f.column} ({tr(f'privacy.kind_{f.kind}')})" for f in personal.findings)))
        self.table(None, rows, widths=(1, 3))
        for notice in dataset.notices:  # a notice with a catalogue key reads in the report's language; any other
            if self.lang == "en" or isinstance(notice, Message):  # is English, shown only in an English report
                self.para(in_language(notice, self.lang), "note")
        if dataset.task == "classification":
            self.heading(tr("report.balance"))
            counts = dataset.target.value_counts()
            counts = counts.reindex([c for c in dataset.classes if c in counts.index])
            total = int(counts.sum())
            positive = dataset.positive_class
            self.table(
                (tr("report.col_class"), tr("report.col_meaning"), tr("report.col_rows"), tr("report.col_share")),
                [(str(c) + (" ★" if c == positive else ""), self.class_label(c), tr.number(int(n), 0),
                  tr.percent(int(n) / total)) for c, n in counts.items()],
                numeric=(False, False, True, True), widths=(1, 2, 1, 1),
            )
            if positive is not None:
                self.para(tr("report.balance_note", positive=self.class_label(positive)), "note")
        else:
            self.heading(tr("report.distribution"))
            target = dataset.target
            stats = [("min", target.min()), ("q25", target.quantile(0.25)), ("median", target.median()),
                     ("mean", target.mean()), ("q75", target.quantile(0.75)), ("max", target.max()),
                     ("std", target.std())]
            self.table((tr("report.col_statistic"), tr("report.col_value")),
                       [(tr(f"report.stat_{k}"), tr.number(float(v), 2)) for k, v in stats],
                       numeric=(False, True), widths=(2, 1))
        self.heading(tr("report.features_heading"))
        missing = features.isna().sum()
        n = max(len(features), 1)
        self.table(
            (tr("report.col_feature"), tr("report.col_type"), tr("report.col_meaning"), tr("report.col_missing")),
            [(f, tr(f"report.kind_{dataset.info[f].kind}"), self.meaning(f) or "—",
              tr("report.missing_value", n=tr.number(int(missing[f]), 0),
                 share=tr.percent(int(missing[f]) / n, 1 if missing[f] / n >= 0.01 else 2))
              if missing[f] else "0") for f in dataset.feature_names],
            numeric=(False, False, False, True), widths=(1.5, 0.8, 3.2, 1), small=True,
        )

    def model_section(self, evaluation) -> None:
        tr, model = self.tr, self.model
        self.section("model")
        if model.details.get("baseline"):  # explainers.baseline: trained here, on the default model's split
            source = tr("report.model_baseline", kind=tr("compare.model_baseline_" + model.task),
                        rows=tr.number(int(model.details["train_rows"]), 0))
        elif self.stamp.model_from_file:
            source = tr("report.model_file", name=self.stamp.model_source)
        else:
            source = tr("report.model_default", rows=tr.number(int(model.details["train_rows"]), 0))
        kind = model.kind_label
        rows = [(tr("report.model_source"), source), (tr("report.model_kind"), kind)]
        if model.details.get("trees"):
            rows.append((tr("report.model_trees"), tr.number(int(model.details["trees"]), 0)))
        if model.details.get("objective"):
            rows.append((tr("report.model_objective"), str(model.details["objective"])))
        if model.is_classifier:
            rows.append((tr("report.model_classes"), ", ".join(
                f"{self.class_label(c)} ({c})" if self.class_label(c) != c else c for c in model.classes)))
        rows.append((tr("report.model_test_rows"), tr("report.model_test_rows_value",
                                                       n=tr.number(len(evaluation.rows), 0),
                                                       seed=self.stamp.split_seed)))
        self.table(None, rows, widths=(1, 3))
        if self.dataset.personal.in_model:  # flagged: the model decides on who a person is
            self.para(tr("privacy.report_in_model", columns=", ".join(self.dataset.personal.in_model)), "note")
        self.heading(tr("report.metrics_heading"))
        metric_rows = []
        for name, value in evaluation.metrics.items():
            key = METRIC_KEYS.get(name)
            label = tr(f"report.metric_{key}") if key else name
            meaning = tr(f"report.metric_{key}_help") if key else ""
            shown = tr.percent(value) if key == "accuracy" else tr.fixed(value, 3)
            metric_rows.append((label, shown, meaning))
        self.table((tr("report.col_metric"), tr("report.col_value"), tr("report.col_reading")), metric_rows,
                   numeric=(False, True, False), widths=(1.2, 0.8, 4))
        self.para(tr("report.metrics_note_file") if self.stamp.model_from_file else tr("report.metrics_note_default"),
                  "note")

    def global_section(self, overall: GlobalShap) -> None:
        tr = self.tr
        self.section("global")
        if overall.is_sample:
            self.para(tr("report.global_sample", shown=tr.number(len(overall.rows), 0),
                         total=tr.number(overall.total_rows, 0), seed=self.stamp.seed))
        else:
            self.para(tr("report.global_all", total=tr.number(overall.total_rows, 0)))
        importance = overall.importance
        total = float(importance.sum()) or 1.0
        top = importance.iloc[:TOP_GLOBAL]
        self.heading(tr("report.importance_heading", n=len(top)))
        self.table(
            ("#", tr("report.col_feature"), tr("report.col_mean_abs_shap", space=self.space(overall.shap.space)),
             tr("report.col_share_total")),
            [(str(i), self.labels[f], tr.fixed(float(v), 3), tr.percent(float(v) / total))
             for i, (f, v) in enumerate(top.items(), 1)],
            numeric=(True, False, True, True), widths=(0.4, 2, 1.4, 1.2),
        )
        picked = sample_positions(len(overall.rows), BEESWARM_ROWS, self.stamp.seed)
        sample = GlobalShap(
            ShapValues(overall.shap.values.iloc[picked], overall.shap.base_value, overall.shap.output[picked],
                       overall.shap.space, overall.shap.class_name, overall.shap.method),
            overall.rows[picked], overall.total_rows,
        )
        self.blocks.append(Chart(
            "beeswarm",
            tr("charts.beeswarm"),
            tr("report.beeswarm_caption", n=tr.number(len(picked), 0), space=self.space(overall.shap.space),
               colours=tr("report.colour_note")),
            {"result": sample, "features": self.dataset.features.iloc[sample.rows],
             "importance": importance, "labels": self.labels, "seed": self.stamp.seed},
            "beeswarm",
        ))
