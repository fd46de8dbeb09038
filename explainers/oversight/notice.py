"""Decision notices: a letter to the person a decision is about, in English or Brazilian Portuguese.

The letter states the decision; the principal reasons (the features whose SHAP values pushed most toward
the unfavourable outcome, in plain words with their values, 4 by default); what could change the decision
(the best re-checked counterfactual that changes only features that may vary and are not sensitive); how
to ask for a human review; and the caveat that the reasons are the model's, not causes.

"Unfavourable" means away from the spec's favourable (positive) class for a classifier, whose SHAP values
are stated for that class; for a regression, a higher predicted value, as the counterfactual search's
default (a lower value) assumes. No sensitive column (``spec.sensitive``) and no column that looks like
personal data (:data:`PII_NAME`) is ever named: not as a reason, not in the change.

Rendered as HTML (one file, no scripts), Markdown and PDF. Every text from the data is escaped: HTML with
``html.escape``, Markdown with :func:`explainers.documents.md_text`, and the PDF writes plain text runs (no
markup is read), with DejaVu Sans as the report does.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..attributions import shap_values
from ..counterfactuals import Counterfactual, prediction_dict
from ..documents import (
    document_bytes,
    document_format,
    md_text,
    start_pdf,
    write_bytes,
)
from ..errors import InputError
from ..i18n import Translator, languages, translator
from ..workspace import Workspace, frame_of

DEFAULT_REASONS = 4
MAX_REASONS = 10
COUNTERFACTUALS = 4
# Column names that hold personal data rather than a circumstance of the decision: never named in a notice.
PII_NAME = re.compile(
    r"(^|[_\W])(name|first_?name|last_?name|surname|full_?name|e_?mail|phone|telephone|mobile|address|street|"
    r"zip|zip_?code|post_?code|postal_?code|ssn|social_?security|cpf|cnpj|rg|passport|national_?id|tax_?id|"
    r"birth|birth_?date|date_?of_?birth|dob|ip_?address|id|identifier|iban)($|[_\W])",
    re.IGNORECASE,
)


# ------------------------------------------------------------------------------------------------
# Text with the catalogue's own bold, and nothing else, as markup


@dataclass(frozen=True)
class Rich:
    """A paragraph as runs of (text, bold). Only the message catalogue's ``**`` makes bold; values from the
    data are placed inside runs as text, so they can never add markup."""

    runs: tuple[tuple[str, bool], ...]

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.runs)


def rich(tr: Translator, key: str, **values: object) -> Rich:
    template = tr(key)  # the raw message: placeholders still in it
    pieces = template.split("**")
    runs = tuple((piece.format(**values), i % 2 == 1) for i, piece in enumerate(pieces) if piece)
    return Rich(runs)


@dataclass(frozen=True)
class Reason:
    feature: str
    label: str
    value: str  # the row's value in words, with its unit
    shap: float  # in the model's SHAP space (log-odds of the favourable class, or the target's units)


@dataclass(frozen=True)
class Change:
    feature: str
    label: str
    before: str
    after: str


@dataclass(frozen=True, eq=False)
class DecisionNotice:
    """A decision notice in one language; render it with to_html, to_markdown, to_pdf or to_bytes."""

    lang: str
    dataset: str
    row: int
    reference: str
    title: str
    decision: Rich
    favourable: bool
    reasons: tuple[Reason, ...]
    reasons_intro: Rich
    changes: tuple[Change, ...]
    change_text: Rich
    counterfactual: dict | None
    prediction: dict
    data_sha256: str
    model_sha256: str
    generated: datetime
    excluded: tuple[str, ...]  # columns never named (sensitive, personal data)
    sections: tuple[tuple[str, tuple[Rich, ...], tuple[Rich, ...]], ...] = field(default=(), repr=False)

    @property
    def tr(self) -> Translator:
        return translator(self.lang)

    @property
    def reason_features(self) -> list[str]:
        return [r.feature for r in self.reasons]

    def to_dict(self) -> dict:
        return {
            "lang": self.lang, "dataset": self.dataset, "row": self.row, "reference": self.reference,
            "decision": self.decision.plain, "favourable": self.favourable, "prediction": self.prediction,
            "reasons": [{"feature": r.feature, "label": r.label, "value": r.value, "shap": r.shap}
                        for r in self.reasons],
            "changes": [c.__dict__ for c in self.changes], "counterfactual": self.counterfactual,
            "data_sha256": self.data_sha256, "model_sha256": self.model_sha256,
            "generated_utc": self.generated.isoformat(timespec="seconds"),
        }

    def text(self) -> str:
        """The whole letter as plain text (for previews and tests)."""
        lines = [self.title]
        for heading, paragraphs, items in self.sections:
            if heading:
                lines.append(heading)
            lines += [p.plain for p in paragraphs] + ["- " + i.plain for i in items]
        lines.append(self.footer)
        return "\n".join(lines)

    @property
    def footer(self) -> str:
        tr = self.tr
        when = f"{tr.date(self.generated)} {self.generated.strftime('%H:%M')} UTC"
        return tr("notice.footer", reference=self.reference, date=when, data=self.data_sha256[:16],
                  model=self.model_sha256[:16])

    def to_html(self) -> str:
        return _render_html(self)

    def to_markdown(self) -> str:
        return _render_markdown(self)

    def to_pdf(self) -> bytes:
        return _render_pdf(self)

    def to_bytes(self, fmt: str) -> bytes:
        return document_bytes(fmt, self.to_html, self.to_markdown, self.to_pdf, "notice")


# ------------------------------------------------------------------------------------------------
# Building


def excluded_features(workspace: Workspace) -> tuple[str, ...]:
    """Columns a notice never names: the spec's sensitive ones and those whose names look like personal data."""
    spec = workspace.dataset.spec
    names = workspace.dataset.feature_names
    personal = workspace.dataset.personal.columns  # found or declared personal data, model feature or not
    named = tuple(f for f in names if f in spec.sensitive or f in personal or PII_NAME.search(str(f)))
    return named + tuple(c for c in personal if c not in named)


def notice_format(path: str | Path) -> str:
    """The format a file name asks for (.html, .md, .pdf); InputError for any other extension."""
    return document_format(path, "notice")


def reference_for(data_sha256: str, model_sha256: str, row: int) -> str:
    """A short, stable reference for the decision about one row under one data set and model."""
    digest = hashlib.sha256(f"{data_sha256}:{model_sha256}:{int(row)}".encode()).hexdigest()
    return f"{digest[:4]}-{digest[4:8]}-{digest[8:12]}".upper()


def _describe(workspace: Workspace, feature: str, value: object, tr: Translator) -> str:
    unit = workspace.dataset.spec.feature_unit(feature, tr.lang)
    return tr.quantity(value, unit)


def build_notice(
    workspace: Workspace,
    row: int,
    lang: str = "en",
    reasons: int = DEFAULT_REASONS,
    seed: int | None = None,
    generated: datetime | None = None,
    dataset_name: str | None = None,
) -> DecisionNotice:
    """The decision notice for the row at position ``row``."""
    if lang not in languages():
        raise InputError(key="errors.base.unknown_language", lang=repr(lang), choices=', '.join(languages()))
    if isinstance(reasons, bool) or not isinstance(reasons, int) or not 1 <= reasons <= MAX_REASONS:
        raise InputError(key="errors.oversight.reasons", limit=MAX_REASONS)
    data, model = workspace.dataset, workspace.model
    spec = data.spec
    rows = len(data.features)
    if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < rows:
        raise InputError(key="errors.oversight.no_row", row=str(row), last=str(rows - 1))
    seed = workspace.seed if seed is None else int(seed)
    tr = translator(lang)
    frame = data.row(row)
    values = frame.iloc[0]
    excluded = excluded_features(workspace)
    labels = spec.short_labels(data.feature_names, lang)
    prediction = prediction_dict(model, frame)[0]
    shap = shap_values(model, frame, seed=seed).row()

    if model.is_classifier:
        positive = model.classes[model.positive_index]
        favourable = str(prediction["label"]) == str(positive)
        direction = -1.0  # SHAP for the favourable class: negative pushes toward the unfavourable outcome
        chance = float(prediction["probabilities"][positive])
        decision = rich(tr, "notice.decision_class", label=spec.class_label(prediction["label"], lang),
                        positive=spec.class_label(positive, lang), score=tr.percent(chance, 1))
    else:
        favourable = False
        direction = 1.0  # a higher predicted value is taken as the unfavourable direction
        decision = rich(tr, "notice.decision_value", target=spec.feature_label(spec.target, lang),
                        value=tr.number(float(prediction["value"]), 2))
    candidates = sorted((f for f in data.feature_names if f not in excluded and direction * shap[f] > 0),
                        key=lambda f: (-direction * shap[f], f))
    chosen = tuple(Reason(feature=f, label=labels[f], value=_describe(workspace, f, values[f], tr), shap=shap[f])
                   for f in candidates[:reasons])
    if not model.is_classifier:
        intro_key = "notice.reasons_intro_value"
    else:
        intro_key = "notice.reasons_intro_favourable" if favourable else "notice.reasons_intro"
    reasons_intro = rich(tr, intro_key, n=len(chosen)) if chosen else rich(tr, "notice.reasons_none")

    best, changes = None, ()
    if favourable:
        change_text = rich(tr, "notice.change_not_needed")
    else:
        best = _best_counterfactual(workspace, frame, excluded, seed)
        if best is None:
            change_text = rich(tr, "notice.change_none")
        else:
            changes = tuple(Change(feature=f, label=labels[f], before=_describe(workspace, f, c["from"], tr),
                                   after=_describe(workspace, f, c["to"], tr))
                            for f, c in best.changes.items())
            outcome = (spec.class_label(best.prediction["label"], lang) if "label" in best.prediction
                       else tr.number(float(best.prediction["value"]), 2))
            change_text = rich(tr, "notice.change_intro", outcome=outcome)

    reference = reference_for(data.data_hash, model.model_hash, row)
    title = tr("notice.title")
    dataset_title = spec.display_title(lang)
    sections = (
        ("", (rich(tr, "notice.greeting"), rich(tr, "notice.intro", dataset=dataset_title), decision), ()),
        (tr("notice.reasons_heading"), (reasons_intro,),
         tuple(rich(tr, "notice.reason_line", label=r.label, value=r.value) for r in chosen)),
        (tr("notice.change_heading"), (change_text,),
         tuple(rich(tr, "notice.change_line", label=c.label, before=c.before, after=c.after) for c in changes)),
        (tr("notice.review_heading"), (rich(tr, "notice.review_text", reference=reference),), ()),
        (tr("notice.caveat_heading"), (rich(tr, "notice.caveat"),), ()),
    )
    return DecisionNotice(
        lang=lang, dataset=dataset_name or spec.name, row=row, reference=reference, title=title, decision=decision,
        favourable=favourable, reasons=chosen, reasons_intro=reasons_intro, changes=changes,
        change_text=change_text, counterfactual=None if best is None else best.to_dict(), prediction=prediction,
        data_sha256=data.data_hash, model_sha256=model.model_hash,
        generated=(generated or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0),
        excluded=excluded, sections=sections,
    )


def _best_counterfactual(workspace: Workspace, frame, excluded: Iterable[str], seed: int) -> Counterfactual | None:
    """The closest counterfactual that changes only features that may vary and are not sensitive, re-checked."""
    data, model = workspace.dataset, workspace.model
    fixed = set(data.spec.immutable) | set(excluded)
    vary = [f for f in data.feature_names if f not in fixed]
    if not vary:
        return None
    desired = model.classes[model.positive_index] if model.is_classifier else None
    try:
        found = workspace.counterfactuals.generate(frame, total=COUNTERFACTUALS, desired_class=desired,
                                                   features_to_vary=vary, seed=seed)
    except (InputError, ValueError):
        return None
    kept = []
    for candidate in found.counterfactuals:
        if set(candidate.changes) - set(vary):
            continue
        again = prediction_dict(model, frame_of(candidate.row, data))[0]  # the engine re-checked; so do we
        if model.is_classifier and str(again["label"]) != str(desired):
            continue
        kept.append(candidate)
    return min(kept, key=lambda c: (len(c.changes), c.distance)) if kept else None


# ------------------------------------------------------------------------------------------------
# Rendering

_CSS = """
body { margin: 0; color: #1f2328; background: #fff;
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", Arial, sans-serif; }
main { max-width: 720px; margin: 0 auto; padding: 40px 28px 56px; }
h1 { font-size: 1.6rem; margin: 0 0 18px; padding-bottom: 10px; border-bottom: 3px solid #0072B2; }
h2 { font-size: 1.15rem; margin: 28px 0 8px; }
p { margin: 8px 0; }
li { margin: 4px 0; }
footer { margin-top: 40px; color: #57606a; font-size: 0.82rem; border-top: 1px solid #d0d7de; padding-top: 8px;
  word-break: break-all; }
@media print { main { max-width: none; padding: 0; } }
"""


def _html_rich(item: Rich) -> str:
    return "".join(f"<strong>{html.escape(text)}</strong>" if bold else html.escape(text) for text, bold in item.runs)


def _render_html(notice: DecisionNotice) -> str:
    out = ["<!DOCTYPE html>", f'<html lang="{html.escape(notice.lang)}">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<meta name="generator" content="explainers.oversight.notice">',
           f"<title>{html.escape(notice.title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>", "<main>",
           f"<h1>{html.escape(notice.title)}</h1>"]
    for heading, paragraphs, items in notice.sections:
        if heading:
            out.append(f"<h2>{html.escape(heading)}</h2>")
        out += [f"<p>{_html_rich(p)}</p>" for p in paragraphs]
        if items:
            out.append("<ul>" + "".join(f"<li>{_html_rich(i)}</li>" for i in items) + "</ul>")
    out += [f"<footer>{html.escape(notice.footer)}</footer>", "</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def _md_rich(item: Rich) -> str:
    return "".join(f"**{md_text(text)}**" if bold else md_text(text) for text, bold in item.runs)


def _render_markdown(notice: DecisionNotice) -> str:
    out = [f"# {md_text(notice.title)}", ""]
    for heading, paragraphs, items in notice.sections:
        if heading:
            out += [f"## {md_text(heading)}", ""]
        for paragraph in paragraphs:
            out += [_md_rich(paragraph), ""]
        if items:
            out += [f"- {_md_rich(i)}" for i in items] + [""]
    out += ["---", "", f"_{md_text(notice.footer)}_", ""]
    return "\n".join(out)


def _render_pdf(notice: DecisionNotice) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    start_pdf(pdf, notice.title, notice.lang, "explainers.oversight.notice", notice.generated, margin=20)
    pdf.set_font("DejaVu", "B", 17)
    pdf.multi_cell(0, 8, notice.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(0, 114, 178)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, pdf.get_y() + 1.5, pdf.w - pdf.r_margin, pdf.get_y() + 1.5)
    pdf.ln(6)

    def runs(item: Rich, size: float = 10.5, indent: str = "") -> None:
        # Plain text runs: fpdf2 reads no markup in write(), so nothing from the data becomes a link or style.
        if indent:
            pdf.set_font("DejaVu", "", size)
            pdf.write(5.5, indent)
        for text, bold in item.runs:
            pdf.set_font("DejaVu", "B" if bold else "", size)
            pdf.write(5.5, text)
        pdf.ln(7)

    for heading, paragraphs, items in notice.sections:
        if heading:
            pdf.ln(2)
            pdf.set_font("DejaVu", "B", 12.5)
            pdf.multi_cell(0, 6.5, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        for paragraph in paragraphs:
            runs(paragraph)
        for item in items:
            runs(item, indent="•  ")
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 4, notice.footer, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def write_notice(notice: DecisionNotice, path: str | Path) -> tuple[Path, int]:
    """Write the notice in the format its extension names; returns the path and the size in bytes."""
    data = notice.to_bytes(notice_format(path))
    return write_bytes(path, data), len(data)


def audit_details(notice: DecisionNotice, fmt: str) -> dict:
    """What the audit trail records about a produced notice."""
    return {"dataset": notice.dataset, "row": notice.row, "reference": notice.reference, "format": fmt,
            "lang": notice.lang, "reasons": notice.reason_features, "favourable": notice.favourable}
