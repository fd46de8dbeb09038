"""The report's trust section: the per-row checks (SHAP additivity, SHAP-LIME agreement, LIME stability,
counterfactual quality) and, per sensitive feature, group fairness and the flip test."""

from __future__ import annotations

from ..workspace import LocalExplanation
from .blocks import scientific
from .rows import FeatureFairness
from .writer import BlockWriter


class TrustSections(BlockWriter):
    """Trust signals and fairness."""

    def trust_section(self, explained: tuple[LocalExplanation, ...], fairness: list[FeatureFairness]) -> None:
        self.section("trust")
        self.para(self.tr("report.trust_intro"))
        self.row_checks_table([r for r in explained if r.checks is not None])
        self.fairness_part(fairness)

    def row_checks_table(self, checked: list[LocalExplanation]) -> None:
        if not checked:
            return
        tr = self.tr
        self.heading(tr("report.trust_rows_heading"))
        self.table((tr("report.col_row"), tr("report.col_shap_adds_up"), tr("report.col_agreement"),
                    tr("report.col_stability"), tr("report.col_cf_quality")),
                   [self.row_check_cells(item) for item in checked],
                   numeric=(True, False, False, False, False), widths=(0.5, 1.4, 2, 1.4, 1.6), small=True)
        self.para(tr("report.trust_rows_note"), "note")

    def row_check_cells(self, item: LocalExplanation) -> tuple[str, ...]:
        """One row's checks in words: SHAP adds up, SHAP-LIME agreement, LIME stability, counterfactual quality."""
        tr, checks = self.tr, item.checks
        shap_ok, agreement = checks.shap_check, checks.agreement
        stability, quality = checks.lime_stability, checks.counterfactual_quality
        return (
            tr.number(item.row, 0),
            tr("report.trust_shap_value", verdict=tr("report.yes") if shap_ok.passed else tr("report.no"),
               gap=scientific(tr, shap_ok.gap)),
            "—" if agreement is None else tr("report.trust_agreement_value",
                                             verdict=tr(f"report.verdict_{agreement.verdict}"),
                                             overlap=tr.percent(agreement.overlap, 0),
                                             rho=tr.fixed(agreement.rho, 2) if agreement.rho == agreement.rho
                                             else "—"),
            "—" if stability is None else tr("report.trust_stability_value",
                                             score=tr.percent(stability.score, 0), seeds=len(stability.seeds)),
            "—" if quality is None or not quality.items else tr(
                "report.trust_cf_value", validity=tr.percent(quality.validity, 0),
                sparsity=tr.number(quality.mean_sparsity, 1)),
        )

    def fairness_part(self, fairness: list[FeatureFairness]) -> None:
        tr = self.tr
        self.heading(tr("report.fairness_heading"))
        if not self.spec.sensitive:
            self.para(tr("report.fairness_none"))
            return
        if not fairness:
            self.para(tr("report.fairness_unavailable"))
            return
        self.para(tr("report.fairness_intro", features=", ".join(self.labels.get(f, f) for f in self.spec.sensitive)))
        for item in fairness:
            self.fairness_block(item)

    def fairness_block(self, item: FeatureFairness) -> None:
        tr = self.tr
        self.heading(tr("report.fairness_feature", feature=self.labels.get(item.feature, item.feature)), 4)
        result = item.groups
        if result is not None:
            table = result.groups
            if result.metrics.task == "classification":
                outcome = result.favourable_label or ""
                columns = [("selection_rate", tr("report.col_selection_rate", outcome=outcome)),
                           ("true_positive_rate", tr("report.col_tpr")),
                           ("false_positive_rate", tr("report.col_fpr"))]
            else:
                columns = [("mean_prediction", tr("report.col_mean_prediction")),
                           ("mean_absolute_error", tr("report.col_mae"))]
            columns = [(c, label) for c, label in columns if c in table.columns]
            rows = []
            for group, line in table.iterrows():
                cells = [str(group), tr.number(int(line["count"]), 0)]
                for c, _ in columns:
                    value = float(line[c])
                    if value != value:
                        cells.append("—")
                    elif result.metrics.task == "classification":
                        cells.append(tr.percent(value))
                    else:
                        cells.append(tr.number(value, 3))
                rows.append(cells)
            self.table((tr("report.col_group"), tr("report.col_test_rows"), *[label for _, label in columns]), rows,
                       numeric=(False, *[True] * (len(columns) + 1)),
                       widths=(1.4, 0.9, *[1.3] * len(columns)), small=True)
            self.para(self.fairness_sentence(result))
            if result.metrics.suppressed:  # small groups: counted, never measured, and said so
                self.para(tr("privacy.suppressed_groups", k=result.metrics.min_group_rows,
                             groups=", ".join(result.metrics.suppressed)), "note")
        flips = item.flips
        if flips is not None:
            if not flips.used_by_model:
                self.para(tr("report.flip_unused", feature=self.labels.get(item.feature, item.feature)))
            else:
                self.para(tr("report.flip_result", feature=self.labels.get(item.feature, item.feature),
                             changed=tr.number(flips.changed, 0), variants=tr.number(flips.variants, 0),
                             share=tr.percent(flips.share), rows=tr.number(flips.rows_tested, 0),
                             mean=tr.fixed(flips.mean_abs_change, 3)))

    def fairness_sentence(self, result) -> str:
        tr = self.tr
        column = result.metrics.headline
        rates = result.groups[column].dropna()
        if len(rates) < 2:
            return tr("report.fairness_one_group")
        low, high = str(rates.idxmin()), str(rates.idxmax())
        low_rate, high_rate = float(rates[low]), float(rates[high])
        if result.metrics.task == "classification":
            ratio = low_rate / high_rate if high_rate > 0 else float("nan")
            text = tr("report.fairness_class", low=low, high=high, outcome=result.favourable_label or "",
                      low_rate=tr.percent(low_rate), high_rate=tr.percent(high_rate),
                      ratio=tr.fixed(ratio, 2) if ratio == ratio else "—")
            if ratio == ratio and ratio < 0.8:
                text += " " + tr("report.fairness_four_fifths")
            return text
        return tr("report.fairness_value", low=low, high=high, low_value=tr.number(low_rate, 3),
                  high_value=tr.number(high_rate, 3))
