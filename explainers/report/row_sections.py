"""The report's section about each chosen row: prediction, narrative, SHAP waterfall, SHAP beside LIME and the
counterfactuals."""

from __future__ import annotations

from ..i18n import catalogue
from ..workspace import LocalExplanation
from .blocks import TOP_LOCAL, Chart, signed
from .writer import BlockWriter

_REJECTION_REASONS = ("not_flipped", "fixed_feature_changed", "out_of_range", "duplicate")


class RowSections(BlockWriter):
    """One block of text, tables and a chart per chosen row."""

    def rows_section(self, explained) -> None:
        tr = self.tr
        self.section("rows")
        self.para(tr("report.rows_intro", n=len(explained)))
        for item in explained:
            self.row_block(item)

    def row_block(self, item: LocalExplanation) -> None:
        tr, model = self.tr, self.model
        self.heading(tr("report.row_heading", row=item.row), 3, f"row-{item.row}")
        facts = [(tr("report.row_prediction"), self.outcome_text(item.prediction))]
        actual = self.dataset.target.iloc[item.row]
        if model.is_classifier:
            facts.append((tr("report.row_actual"), self.class_label(actual)))
        else:
            facts.append((tr("report.row_actual"), tr.number(float(actual), 3)))
        facts.append((tr("report.row_shap_sum"), tr("report.row_shap_sum_value",
                                                    base=tr.fixed(item.shap.base_value, 3),
                                                    output=tr.fixed(float(item.shap.output[0]), 3),
                                                    space=self.space(item.shap.space))))
        self.table(None, facts, widths=(1, 3))
        self.heading(tr("report.row_in_words"), 4)
        self.para(item.narrative.text, "lead")
        self.blocks.append(Chart(
            "waterfall",
            tr("charts.why"),
            tr("report.waterfall_caption", space=self.space(item.shap.space), colours=tr("report.colour_note")),
            {"shap": item.shap, "features": self.dataset.row(item.row).iloc[0], "labels": self.labels},
            f"waterfall-{item.row}",
        ))
        self.attribution_table(item)
        self.counterfactual_block(item)

    def attribution_table(self, item: LocalExplanation) -> None:
        tr = self.tr
        shap_row = item.shap.row()
        lime = item.lime.weights if item.lime is not None else {}
        by_shap = sorted(shap_row, key=lambda f: -abs(shap_row[f]))[:TOP_LOCAL]
        by_lime = sorted(lime, key=lambda f: -abs(lime[f]))[:TOP_LOCAL]
        shown = sorted(set(by_shap) | set(by_lime), key=lambda f: -abs(shap_row[f]))
        self.heading(tr("report.attribution_heading"), 4)
        self.table(
            (tr("report.col_feature"), tr("report.col_value"), tr("report.col_shap", space=self.space(item.shap.space)),
             tr("report.col_lime"), tr("report.col_lime_rank")),
            [(self.labels[f], self.value(f, item.features.get(f)), signed(tr, shap_row[f]),
              signed(tr, lime.get(f, 0.0)) if lime else "—",
              tr.number(by_lime.index(f) + 1, 0) if f in by_lime else "—") for f in shown],
            numeric=(False, False, True, True, True), widths=(1.5, 1.5, 1.3, 1.1, 0.9), small=True,
        )
        if item.lime is not None:
            self.para(tr("report.lime_fit", score=tr.fixed(item.lime.score, 2), seed=item.lime.seed,
                         samples=tr.number(item.lime.num_samples, 0)), "note")

    def counterfactual_block(self, item: LocalExplanation) -> None:
        tr, model = self.tr, self.model
        self.heading(tr("report.cf_heading"), 4)
        result = item.counterfactuals
        if result is None:
            return
        if model.is_classifier:
            desired = self.class_label(result.desired)
        else:
            low, high = result.desired
            desired = tr("report.range", low=tr.number(low, 3), high=tr.number(high, 3))
        self.para(tr("report.cf_summary", desired=desired, method=tr(f"report.method_name_{result.method}")
                     if f"report.method_name_{result.method}" in catalogue(self.lang) else result.method,
                     valid=tr.number(result.valid, 0), proposed=tr.number(result.proposed, 0)))
        fixed = [f for f in self.spec.immutable if f in self.dataset.feature_names]
        if fixed:
            self.para(tr("report.cf_fixed", features=", ".join(self.labels[f] for f in fixed)), "note")
        rejected = {k: v for k, v in result.rejected.items() if v}
        if rejected:
            reasons = ", ".join(
                f"{tr(f'report.reason_{k}') if k in _REJECTION_REASONS else k}: {tr.number(v, 0)}"
                for k, v in rejected.items())
            self.para(tr("report.cf_rejected", reasons=reasons), "note")
        if not result.counterfactuals:
            self.para(tr("report.cf_none"), "note")
            return
        rows = []
        for i, cf in enumerate(result.counterfactuals, 1):
            changes = "; ".join(
                tr("report.change", feature=self.labels.get(f, f), before=self.value(f, c["from"]),
                   after=self.value(f, c["to"]))
                for f, c in cf.changes.items())
            rows.append((str(i) + (" ★" if cf is item.best else ""), changes, self.outcome_text(cf.prediction),
                         tr.fixed(cf.distance, 2)))
        self.table(("#", tr("report.col_changes"), tr("report.col_new_prediction"), tr("report.col_distance")),
                   rows, numeric=(False, False, False, True), widths=(0.4, 3.2, 2, 0.8), small=True)
        self.para(tr("report.cf_note"), "note")
