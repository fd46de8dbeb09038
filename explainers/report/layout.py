"""The report laid out once, in one language: the sections in order, each from :mod:`.model_sections`,
:mod:`.row_sections` and :mod:`.trust_sections`, plus the use case, the methods and the stamp here."""

from __future__ import annotations

from ..data import builtin_spec
from ..global_views import GlobalShap
from .blocks import Block, Heading
from .content import USE_CASE_FIELDS, is_builtin, quote, stamp_rows
from .model_sections import DataAndModelSections
from .row_sections import RowSections
from .trust_sections import TrustSections


class Layout(DataAndModelSections, RowSections, TrustSections):
    """Turns the computed results into blocks, in one language."""

    def build(self, evaluation, overall: GlobalShap, explained, fairness, monitoring=None) -> list[Block]:
        self.intro()
        self.use_case_section()
        self.data_section()
        self.model_section(evaluation)
        self.global_section(overall)
        self.rows_section(explained)
        self.trust_section(explained, fairness)
        if monitoring is not None:
            self.monitoring_section(monitoring)
        self.methods_section()
        self.stamp_section()
        return self.blocks

    def intro(self) -> None:
        self.para(self.tr("report.intro"), "lead")

    def use_case_section(self) -> None:
        tr = self.tr
        self.section("use_case")
        missing = tr("report.not_stated")
        values = self.use_case.to_dict()
        self.table(None, [(tr(f"report.uc_{key}"), values[key] or missing) for key in USE_CASE_FIELDS],
                   widths=(1, 3))

    def monitoring_section(self, result) -> None:
        """Drift of a current table since the reference (:mod:`explainers.monitoring`), when one was given."""
        from ..monitoring import report_section

        section = report_section(result, self.tr, self.spec, self.labels)
        self.sections.append(("monitoring", section.heading))
        self.blocks.append(Heading(section.heading, 2, "monitoring"))
        for block in section.blocks:
            if block[0] == "paragraph":
                self.para(block[1], block[2])
            else:
                self.table(block[1], block[2], numeric=block[3], small=True)

    def methods_section(self) -> None:
        tr = self.tr
        self.section("methods")
        self.para(tr("report.methods_intro"))
        for method in ("shap", "lime", "dice", "sparse"):
            self.heading(tr(f"report.method_{method}_title"), 3)
            self.para(tr(f"report.method_{method}_what"))
            self.para(tr("report.caveats_label") + " " + tr(f"report.method_{method}_caveats"))
        self.heading(tr("report.method_narrative_title"), 3)
        self.para(tr("report.method_narrative_what"))

    def stamp_section(self) -> None:
        tr, stamp = self.tr, self.stamp
        self.section("stamp")
        self.para(tr("report.stamp_intro"))
        self.table(None, stamp_rows(stamp, tr), widths=(1.2, 3))
        self.heading(tr("report.versions_heading"), 3)
        items = list(stamp.versions.items())
        half = (len(items) + 1) // 2
        pairs = [(*items[i], *(items[i + half] if i + half < len(items) else ("", ""))) for i in range(half)]
        self.table((tr("report.col_package"), tr("report.col_version")) * 2, pairs, widths=(1.3, 1, 1.3, 1), small=True)
        command = self.command()
        if command:
            self.heading(tr("report.command_heading"), 3)
            self.para(command, "code")

    def command(self) -> str | None:
        stamp = self.stamp
        if self.given_command is not None:
            return self.given_command
        if self.data_path is not None:
            data = str(self.data_path)
        elif is_builtin(self.spec):
            data = self.spec.name
        else:
            return None
        parts = ["python -m explainers report", f"--data {quote(data)}", f"--target {quote(self.spec.target)}"]
        if self.model_path is not None:
            parts.append(f"--model {quote(str(self.model_path))}")
        elif stamp.model_from_file:
            return None
        if self.spec.immutable and (not is_builtin(self.spec)
                                    or self.spec.immutable != builtin_spec(self.spec.name).immutable):
            parts.append(f"--immutable {quote(','.join(self.spec.immutable))}")
        parts += [f"--rows {','.join(str(r) for r in self.rows)}", f"--lang {self.lang}", f"--seed {stamp.seed}",
                  "--out report.html"]
        return " ".join(parts)
