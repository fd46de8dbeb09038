"""The layout's pen: turns computed results into blocks (:mod:`.blocks`), with the helpers every section uses
(section headings with anchors, paragraphs, tables, labels, values with units, outcomes in words)."""

from __future__ import annotations

from collections.abc import Mapping

from ..i18n import Translator
from ..workspace import Workspace
from .blocks import Block, Heading, Paragraph, Table, when
from .content import Stamp, UseCase


class BlockWriter:
    """The state of one layout (workspace, language, stamp, the blocks so far) and how to add to it."""

    def __init__(self, workspace: Workspace, tr: Translator, stamp: Stamp, use_case: UseCase, rows: list[int],
                 data_path, model_path, command: str | None = None):
        self.ws = workspace
        self.dataset = workspace.dataset
        self.model = workspace.model
        self.spec = workspace.dataset.spec
        self.tr = tr
        self.lang = tr.lang
        self.stamp = stamp
        self.use_case = use_case
        self.rows = rows
        self.data_path = data_path
        self.model_path = model_path
        self.given_command = command
        self.labels = {f: f.replace("_", " ") for f in self.dataset.feature_names}
        self.blocks: list[Block] = []
        self.sections: list[tuple[str, str]] = []
        self.title = tr("report.title", title=self.spec.display_title(self.lang))
        self.subtitle = tr("report.subtitle", date=when(tr, stamp.generated),
                           rows=", ".join(tr.number(r, 0) for r in rows))


    def section(self, key: str) -> None:
        text = self.tr(f"report.section_{key}")
        anchor = key.replace("_", "-")
        self.sections.append((anchor, text))
        self.blocks.append(Heading(text, 2, anchor))

    def heading(self, text: str, level: int = 3, anchor: str = "") -> None:
        self.blocks.append(Heading(text, level, anchor))

    def para(self, text: str, style: str = "body") -> None:
        if text:
            self.blocks.append(Paragraph(text, style))

    def table(self, header, rows, numeric=(), widths=(), small=False) -> None:
        self.blocks.append(Table(None if header is None else tuple(header),
                                 tuple(tuple(str(c) for c in r) for r in rows),
                                 tuple(numeric), tuple(widths), small))

    def class_label(self, value: object) -> str:
        return self.spec.class_label(str(value), self.lang)

    def meaning(self, feature: str) -> str:
        """The spec's description and unit of a feature; empty when the spec says nothing about it."""
        described = self.spec.feature_label(feature, self.lang) != feature or self.spec.feature_unit(feature, self.lang)
        return self.spec.feature_meaning(feature, self.lang) if described else ""

    def value(self, feature: str, value: object) -> str:
        shown = self.tr.value(value)
        unit = self.spec.feature_unit(feature, self.lang)
        return f"{shown} {unit}" if unit and value is not None and shown != self.tr("common.missing") else shown

    def space(self, space: str) -> str:
        return self.tr(f"space.{space}")

    def outcome_text(self, prediction: Mapping[str, object]) -> str:
        """A prediction as words: the class and its probability, or the value."""
        tr = self.tr
        if "label" in prediction:
            probabilities = prediction["probabilities"]
            label = str(prediction["label"])
            if len(self.model.classes) == 2:
                positive = self.model.classes[self.model.positive_index]
                return tr("report.outcome_binary", label=self.class_label(label),
                          probability=tr.percent(float(probabilities[positive])),
                          positive=self.class_label(positive))
            return tr("report.outcome_class", label=self.class_label(label),
                      probability=tr.percent(float(probabilities[label])))
        return tr.number(float(prediction["value"]), 3)

    # sections -----------------------------------------------------------------------------------
