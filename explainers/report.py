"""Transparency report: one document about a model, its data, its explanations and chosen rows.

:func:`build_report` gathers everything (use case, data, model and test metrics, global SHAP, each
chosen row with SHAP, LIME, counterfactuals and a narrative, trust signals when
``explainers.trust`` offers them, the methods and their caveats, and a reproducibility stamp) and
lays it out once, in one language, as a list of blocks. The :class:`Report` renders those blocks:

- :meth:`Report.to_html`: one self-contained file that works offline (plotly.js inline, once);
- :meth:`Report.to_markdown`: charts as PNG data URIs drawn with matplotlib, in the same colours;
- :meth:`Report.to_pdf`: fpdf2 with DejaVu Sans (shipped with matplotlib), so accents and ``− → …``
  render.

Pure Python, no user-interface code: the Report page and ``python -m explainers report``
(:mod:`explainers.cli.report`) both call it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .attributions import LimeExplanation, ShapValues, shap_values
from .counterfactuals import Counterfactual, CounterfactualResult, prediction_dict
from .data import DATASETS_DIR, Dataset, builtin_names, builtin_spec
from .errors import InputError
from .global_views import GlobalShap, global_shap
from .i18n import Translator, catalogue, languages, translator
from .metrics import evaluate
from .narrative import Narrative, narrate
from .spec import DatasetSpec
from .util import package_versions, plain
from .workspace import Workspace

FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown", ".pdf": "pdf"}
MIME_TYPES = {"html": "text/html", "markdown": "text/markdown", "pdf": "application/pdf"}
EXTENSIONS = {"html": "html", "markdown": "md", "pdf": "pdf"}
MAX_ROWS = 20
COUNTERFACTUALS = 4
GLOBAL_ROWS = 2000  # rows behind the global importance
BEESWARM_ROWS = 500  # of those, rows drawn in the beeswarm (keeps the file small and the SVG quick)
TOP_GLOBAL = 10
TOP_LOCAL = 6
WATERFALL_FEATURES = 10
SECTIONS = ("use_case", "data", "model", "global", "rows", "trust", "methods", "stamp")
_FONT_DIR = "fonts/ttf"


# ------------------------------------------------------------------------------------------------
# The use case


USE_CASE_FIELDS = ("name", "purpose", "intended_users", "decisions", "limitations")
_USE_CASE_ALIASES = {
    "title": "name",
    "intended users": "intended_users",
    "intended-users": "intended_users",
    "users": "intended_users",
    "decisions_supported": "decisions",
    "decisions it supports": "decisions",
    "known_limitations": "limitations",
    "known limitations": "limitations",
}


@dataclass(frozen=True)
class UseCase:
    """What the model is for, in the words of the people who use it (a business use-case template)."""

    name: str = ""
    purpose: str = ""
    intended_users: str = ""
    decisions: str = ""
    limitations: str = ""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, object], where: str = "the use case") -> UseCase:
        """From a mapping with the keys name, purpose, intended_users, decisions, limitations (a
        ``[use_case]`` table inside it is used when present); a list of texts becomes one line each."""
        if "use_case" in raw and isinstance(raw["use_case"], Mapping):
            raw = raw["use_case"]
        values: dict[str, str] = {}
        for key, value in raw.items():
            name = _USE_CASE_ALIASES.get(str(key).strip().lower(), str(key).strip().lower())
            if name not in USE_CASE_FIELDS:
                raise InputError(
                    f"{where} has an unknown key {key!r}; use only: {', '.join(USE_CASE_FIELDS)}."
                )
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                value = "\n".join(value)
            if not isinstance(value, str):
                raise InputError(f"{where}: {key} must be text (in quotes); fix the file.")
            values[name] = value.strip()
        return cls(**values)

    @classmethod
    def from_toml(cls, path: str | Path) -> UseCase:
        """Read a use case from a TOML file; a missing or malformed file raises InputError."""
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"use-case file {path} does not exist; check the path.") from None
        except IsADirectoryError:
            raise InputError(f"use-case file {path} is a folder; give a TOML file.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"could not read use-case file {path} ({type(exc).__name__}); give a UTF-8 TOML file.") \
                from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"use-case file {path} is not valid TOML ({exc}); fix its syntax.") from None
        return cls.from_mapping(raw, where=f"use-case file {path.name}")

    def to_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def astuple(self) -> tuple[str, ...]:
        return astuple(self)

    def to_toml(self) -> str:
        """The use case as TOML that :meth:`from_toml` reads back."""
        lines = []
        for key, value in self.to_dict().items():
            escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            lines.append(f'{key} = "{escaped}"')
        return "\n".join(lines) + "\n"


def default_use_case(spec: DatasetSpec, lang: str = "en") -> UseCase:
    """A use case prefilled from a dataset's spec (title and target), for the user to edit."""
    tr = translator(lang)
    title = spec.display_title(lang)
    if spec.task == "classification" and spec.positive_class is not None:
        decisions = tr("report.default_decisions_class", outcome=spec.class_label(spec.positive_class, lang))
    else:
        decisions = tr("report.default_decisions_value", target=spec.target)
    return UseCase(
        name=title,
        purpose=tr("report.default_purpose", title=title),
        intended_users=tr("report.default_users"),
        decisions=decisions,
        limitations=tr("report.default_limitations"),
    )


# ------------------------------------------------------------------------------------------------
# The reproducibility stamp


@dataclass(frozen=True)
class Stamp:
    """What a reader needs to reproduce the report: file hashes, seeds, versions, when."""

    data_source: str
    data_sha256: str | None  # SHA-256 of the data file's bytes (None: the table did not come from a file)
    data_content_sha256: str  # SHA-256 of the typed table (explainers.data.hash_frame)
    model_source: str
    model_sha256: str  # SHA-256 of the model file's bytes, or of the trained default model's UBJ bytes
    model_from_file: bool
    seed: int
    split_seed: int
    generated: datetime  # UTC
    versions: dict[str, str]

    def to_dict(self) -> dict:
        return {
            "data_source": self.data_source,
            "data_sha256": self.data_sha256,
            "data_content_sha256": self.data_content_sha256,
            "model_source": self.model_source,
            "model_sha256": self.model_sha256,
            "model_from_file": self.model_from_file,
            "seed": self.seed,
            "split_seed": self.split_seed,
            "generated_utc": self.generated.isoformat(timespec="seconds"),
            "versions": dict(self.versions),
        }


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_builtin(spec: DatasetSpec) -> bool:
    if spec.name not in builtin_names():
        return False
    shipped = builtin_spec(spec.name)
    return replace(shipped, immutable=()) == replace(spec, immutable=())


def _data_file(dataset: Dataset, data_path: str | Path | None) -> tuple[Path | None, str]:
    """The data file to hash and how to name it: the given file, or a built-in dataset's shipped file."""
    if data_path is not None and Path(data_path).is_file():
        return Path(data_path), str(data_path)
    if data_path is not None and str(data_path) not in builtin_names():
        raise InputError(f"data file {data_path} does not exist; check the path.")
    spec = dataset.spec
    if _is_builtin(spec):
        if spec.source and (DATASETS_DIR / spec.source).is_file():
            return DATASETS_DIR / spec.source, f"datasets/{spec.source}"
        if spec.loader:
            return None, spec.loader
    return None, spec.name


def compute_stamp(
    workspace: Workspace,
    data_path: str | Path | None = None,
    model_path: str | Path | None = None,
    seed: int = 0,
    generated: datetime | None = None,
) -> Stamp:
    """Hashes of the data and model files (or the built-in dataset's file and the trained model's
    bytes), seeds, package versions and the time (UTC)."""
    path, source = _data_file(workspace.dataset, data_path)
    model = workspace.model
    if model_path is not None:
        if not Path(model_path).is_file():
            raise InputError(f"model file {model_path} does not exist; check the path.")
        model_hash, model_source, from_file = sha256_file(model_path), Path(model_path).name, True
    else:
        model_hash, model_source, from_file = model.model_hash, model.source, not is_default_model(model)
    return Stamp(
        data_source=source,
        data_sha256=sha256_file(path) if path is not None else None,
        data_content_sha256=workspace.dataset.data_hash,
        model_source=model_source,
        model_sha256=model_hash,
        model_from_file=from_file,
        seed=int(seed),
        split_seed=_split_seed(workspace, seed),
        generated=(generated or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0),
        versions=package_versions(),
    )


def is_default_model(model) -> bool:
    """Whether the model is the default XGBoost trained here (not loaded from a file)."""
    return model.is_default


def _split_seed(workspace: Workspace, seed: int) -> int:
    """The seed of the train/test split: the default model's own, else the report's."""
    return int(workspace.model.details.get("seed", seed))


# ------------------------------------------------------------------------------------------------
# Blocks: the report laid out once, rendered three ways


@dataclass(frozen=True)
class Heading:
    text: str
    level: int  # 2: section, 3: subsection, 4: minor
    anchor: str = ""


@dataclass(frozen=True)
class Paragraph:
    text: str  # plain text; **bold** is the only markup
    style: str = "body"  # body | note | lead | code


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...] | None  # None: a key-value table (first column names the row)
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()  # right-aligned columns
    widths: tuple[float, ...] = ()  # relative column widths (PDF)
    small: bool = False


@dataclass(frozen=True, eq=False)
class Chart:
    kind: str  # waterfall | beeswarm
    title: str
    caption: str
    payload: dict
    key: str


Block = Heading | Paragraph | Table | Chart


@dataclass(frozen=True, eq=False)
class RowReport:
    """Everything the report says about one row."""

    row: int
    features: dict[str, object]
    prediction: dict[str, object]
    actual: object
    shap: ShapValues
    lime: LimeExplanation | None
    counterfactuals: CounterfactualResult | None
    best: Counterfactual | None
    narrative: Narrative
    checks: object | None = None  # explainers.trust.RowChecks when available

    def to_dict(self) -> dict:
        return {
            "row": self.row,
            "features": self.features,
            "prediction": self.prediction,
            "actual": plain(self.actual),
            "shap": self.shap.to_dict(),
            "lime": None if self.lime is None else self.lime.to_dict(),
            "counterfactuals": None if self.counterfactuals is None else self.counterfactuals.to_dict(),
            "narrative": self.narrative.text,
            "checks": None if self.checks is None or not hasattr(self.checks, "to_dict") else self.checks.to_dict(),
        }


@dataclass(frozen=True, eq=False)
class Report:
    """A transparency report in one language; render it with to_html, to_markdown or to_pdf."""

    lang: str
    title: str
    subtitle: str
    use_case: UseCase
    stamp: Stamp
    rows: tuple[RowReport, ...]
    metrics: dict[str, float]
    importance: pd.Series
    blocks: tuple[Block, ...]
    sections: tuple[tuple[str, str], ...]  # (anchor, heading) of each section, in order
    trust_included: bool
    dataset_name: str
    _images: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def tr(self) -> Translator:
        return translator(self.lang)

    def to_dict(self) -> dict:
        return {
            "lang": self.lang,
            "title": self.title,
            "use_case": self.use_case.to_dict(),
            "metrics": self.metrics,
            "importance": {k: float(v) for k, v in self.importance.items()},
            "rows": [r.to_dict() for r in self.rows],
            "stamp": self.stamp.to_dict(),
            "trust_included": self.trust_included,
        }

    def to_html(self) -> str:
        return _render_html(self)

    def to_markdown(self) -> str:
        return _render_markdown(self)

    def to_pdf(self) -> bytes:
        return _render_pdf(self)

    def to_bytes(self, fmt: str) -> bytes:
        """The report as ``html``, ``markdown`` or ``pdf`` bytes (text as UTF-8)."""
        if fmt == "html":
            return self.to_html().encode("utf-8")
        if fmt == "markdown":
            return self.to_markdown().encode("utf-8")
        if fmt == "pdf":
            return self.to_pdf()
        raise InputError(f"unknown report format {fmt!r}; choose html, markdown or pdf.")

    def png(self, chart: Chart) -> bytes:
        """The chart drawn with matplotlib (cached: Markdown and PDF share the images)."""
        if chart.key not in self._images:
            self._images[chart.key] = _png(chart, self.tr)
        return self._images[chart.key]


def report_format(path: str | Path) -> str:
    """The format a file name asks for (.html, .md, .pdf); InputError for any other extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"{Path(path).name}: unknown report extension {suffix or '(none)'!r}; use .html, .md or .pdf."
        )
    return FORMATS[suffix]


def write_report(report: Report, path: str | Path) -> Path:
    """Write the report in the format its extension names (.html, .md or .pdf)."""
    path = Path(path)
    data = report.to_bytes(report_format(path))
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"could not write {path} ({exc.strerror or type(exc).__name__}); check the folder.") \
            from None
    return path


# ------------------------------------------------------------------------------------------------
# Building


def _trust_module():
    """explainers.trust when it is importable (it is optional for the report), else None."""
    try:
        from . import trust
    except ImportError:
        return None
    return trust


def _signed(tr: Translator, value: float, digits: int = 3) -> str:
    return ("+" if value >= 0 else "−") + tr.fixed(abs(float(value)), digits)


def _check_rows(dataset: Dataset, rows: Sequence[int]) -> list[int]:
    if not rows:
        raise InputError("choose at least one row for the report.")
    out: list[int] = []
    for row in rows:
        if isinstance(row, bool) or not isinstance(row, int | np.integer):
            raise InputError(f"row {row!r} is not a whole number; give row positions such as 3,17.")
        dataset.row(int(row))  # raises InputError when out of range
        if int(row) not in out:
            out.append(int(row))
    if len(out) > MAX_ROWS:
        raise InputError(f"a report explains at most {MAX_ROWS} rows; choose fewer.")
    return out


def _best(result: CounterfactualResult | None) -> Counterfactual | None:
    if result is None or not result.counterfactuals:
        return None
    return min(result.counterfactuals, key=lambda c: c.distance)


def _explain_row(workspace: Workspace, row: int, lang: str, seed: int, trust) -> RowReport:
    dataset, model = workspace.dataset, workspace.model
    frame = dataset.row(row)
    shap = shap_values(model, frame, seed=seed)
    lime = workspace.lime.explain(frame, seed=seed)
    found = workspace.counterfactuals.generate(frame, total=COUNTERFACTUALS, seed=seed)
    best = _best(found)
    narrative = narrate(model, frame, best, lang=lang, seed=seed)
    checks = None
    if trust is not None and hasattr(trust, "row_checks"):
        try:
            checks = trust.row_checks(model, frame, shap, lime, workspace.lime, found, workspace.counterfactuals)
        except (TypeError, AttributeError, ValueError):
            checks = None
    return RowReport(
        row=row,
        features={k: plain(v) for k, v in frame.iloc[0].items()},
        prediction=prediction_dict(model, frame)[0],
        actual=dataset.target.iloc[row],
        shap=shap,
        lime=lime,
        counterfactuals=found,
        best=best,
        narrative=narrative,
        checks=checks,
    )


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
    """
    if lang not in languages():
        raise InputError(f"no messages for language {lang!r}; choose one of: {', '.join(languages())}.")
    if not isinstance(use_case, UseCase):
        raise InputError("use_case must be a UseCase; load one with UseCase.from_toml(path).")
    dataset, model = workspace.dataset, workspace.model
    rows = _check_rows(dataset, rows)
    stamp = compute_stamp(workspace, data_path, model_path, seed)
    trust = _trust_module()
    evaluation = evaluate(model, seed=stamp.split_seed)
    overall = global_shap(model, max_rows=GLOBAL_ROWS, seed=seed)
    explained = tuple(_explain_row(workspace, row, lang, seed, trust) for row in rows)
    fairness = _fairness(workspace, trust, lang, stamp) if trust is not None else None
    layout = _Layout(workspace, translator(lang), stamp, use_case, rows, data_path, model_path)
    layout.given_command = command
    blocks = layout.build(evaluation, overall, explained, fairness, trust is not None)
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
        trust_included=any(r.checks is not None for r in explained) or bool(fairness),
        dataset_name=dataset.spec.name,
    )


@dataclass(frozen=True, eq=False)
class _FeatureFairness:
    feature: str
    groups: object | None  # trust.GroupFairness
    flips: object | None  # trust.FlipTest


def _fairness(workspace: Workspace, trust, lang: str, stamp: Stamp) -> list[_FeatureFairness]:
    model = workspace.model
    out = []
    for feature in workspace.dataset.spec.sensitive:
        if feature not in workspace.dataset.feature_names:
            continue
        groups = flips = None
        if hasattr(trust, "group_fairness"):
            try:
                groups = trust.group_fairness(model, feature, seed=stamp.split_seed, lang=lang)
            except (TypeError, AttributeError, ValueError, ImportError):
                groups = None
        if hasattr(trust, "flip_test"):
            try:
                flips = trust.flip_test(model, feature, seed=stamp.seed)
            except (TypeError, AttributeError, ValueError, ImportError):
                flips = None
        if groups is not None or flips is not None:
            out.append(_FeatureFairness(feature, groups, flips))
    return out


_METRICS = {
    "accuracy": "accuracy",
    "log loss": "log_loss",
    "ROC AUC": "roc_auc",
    "PR AUC": "pr_auc",
    "Brier score": "brier",
    "RMSE": "rmse",
    "MAE": "mae",
    "R²": "r2",
}
_REJECTION_REASONS = ("not_flipped", "fixed_feature_changed", "out_of_range", "duplicate")


class _Layout:
    """Turns the computed results into blocks, in one language."""

    def __init__(self, workspace: Workspace, tr: Translator, stamp: Stamp, use_case: UseCase, rows: list[int],
                 data_path, model_path):
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
        self.given_command: str | None = None
        self.labels = {f: f.replace("_", " ") for f in self.dataset.feature_names}
        self.blocks: list[Block] = []
        self.sections: list[tuple[str, str]] = []
        self.title = tr("report.title", title=self.spec.display_title(self.lang))
        self.subtitle = tr("report.subtitle", date=_when(tr, stamp.generated),
                           rows=", ".join(tr.number(r, 0) for r in rows))

    # helpers ------------------------------------------------------------------------------------
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
        unit = self.spec.feature_unit(feature, self.lang)
        label = self.spec.feature_label(feature, self.lang)
        if label == feature and not unit:
            return ""
        return label + (f" ({unit})" if unit else "")

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
    def build(self, evaluation, overall: GlobalShap, explained, fairness, trust_available: bool) -> list[Block]:
        self.intro()
        self.use_case_section()
        self.data_section()
        self.model_section(evaluation)
        self.global_section(overall)
        self.rows_section(explained)
        if trust_available and (any(r.checks is not None for r in explained) or fairness is not None):
            self.trust_section(explained, fairness or [])
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
        self.table(None, rows, widths=(1, 3))
        if self.lang == "en":
            for notice in dataset.notices:  # the engine writes its notices in English
                self.para(notice, "note")
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
        if self.stamp.model_from_file:
            source = tr("report.model_file", name=self.stamp.model_source)
        else:
            source = tr("report.model_default", rows=tr.number(int(model.details["train_rows"]), 0))
        kind = "XGBoost" if model.kind == "xgboost" else f"scikit-learn ({model.details.get('type', '?')})"
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
        self.heading(tr("report.metrics_heading"))
        metric_rows = []
        for name, value in evaluation.metrics.items():
            key = _METRICS.get(name)
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
        picked = np.sort(np.random.default_rng(self.stamp.seed).choice(
            len(overall.rows), size=min(BEESWARM_ROWS, len(overall.rows)), replace=False))
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

    def rows_section(self, explained) -> None:
        tr = self.tr
        self.section("rows")
        self.para(tr("report.rows_intro", n=len(explained)))
        for item in explained:
            self.row_block(item)

    def row_block(self, item: RowReport) -> None:
        tr, model = self.tr, self.model
        self.heading(tr("report.row_heading", row=item.row), 3, f"row-{item.row}")
        facts = [(tr("report.row_prediction"), self.outcome_text(item.prediction))]
        if model.is_classifier:
            facts.append((tr("report.row_actual"), self.class_label(item.actual)))
        else:
            facts.append((tr("report.row_actual"), tr.number(float(item.actual), 3)))
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

    def attribution_table(self, item: RowReport) -> None:
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
            [(self.labels[f], self.value(f, item.features.get(f)), _signed(tr, shap_row[f]),
              _signed(tr, lime.get(f, 0.0)) if lime else "—",
              tr.number(by_lime.index(f) + 1, 0) if f in by_lime else "—") for f in shown],
            numeric=(False, False, True, True, True), widths=(1.5, 1.5, 1.3, 1.1, 0.9), small=True,
        )
        if item.lime is not None:
            self.para(tr("report.lime_fit", score=tr.fixed(item.lime.score, 2), seed=item.lime.seed,
                         samples=tr.number(item.lime.num_samples, 0)), "note")

    def counterfactual_block(self, item: RowReport) -> None:
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

    def trust_section(self, explained, fairness) -> None:
        tr = self.tr
        self.section("trust")
        self.para(tr("report.trust_intro"))
        checked = [r for r in explained if r.checks is not None]
        if checked:
            self.heading(tr("report.trust_rows_heading"))
            rows = []
            for item in checked:
                checks = item.checks
                shap_ok = getattr(checks, "shap_check", None)
                agreement = getattr(checks, "agreement", None)
                stability = getattr(checks, "lime_stability", None)
                quality = getattr(checks, "counterfactual_quality", None)
                rows.append((
                    tr.number(item.row, 0),
                    "—" if shap_ok is None else tr("report.trust_shap_value",
                                                   verdict=tr("report.yes") if shap_ok.passed else tr("report.no"),
                                                   gap=_scientific(tr, shap_ok.gap)),
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
                ))
            self.table((tr("report.col_row"), tr("report.col_shap_adds_up"), tr("report.col_agreement"),
                        tr("report.col_stability"), tr("report.col_cf_quality")), rows,
                       numeric=(True, False, False, False, False), widths=(0.5, 1.4, 2, 1.4, 1.6), small=True)
            self.para(tr("report.trust_rows_note"), "note")
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

    def fairness_block(self, item: _FeatureFairness) -> None:
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
        flips = item.flips
        if flips is not None:
            if not getattr(flips, "used_by_model", True):
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
        elif _is_builtin(self.spec):
            data = self.spec.name
        else:
            return None
        parts = ["python -m explainers report", f"--data {quote(data)}", f"--target {quote(self.spec.target)}"]
        if self.model_path is not None:
            parts.append(f"--model {quote(str(self.model_path))}")
        elif stamp.model_from_file:
            return None
        if self.spec.immutable and (not _is_builtin(self.spec)
                                    or self.spec.immutable != builtin_spec(self.spec.name).immutable):
            parts.append(f"--immutable {quote(','.join(self.spec.immutable))}")
        parts += [f"--rows {','.join(str(r) for r in self.rows)}", f"--lang {self.lang}", f"--seed {stamp.seed}",
                  "--out report.html"]
        return " ".join(parts)


def quote(text: str) -> str:
    """``text`` as one shell word (quoted only when it needs to be)."""
    return text if re.fullmatch(r"[\w./:@,+-]+", text) else "'" + text.replace("'", "'\\''") + "'"


def _scientific(tr: Translator, value: float) -> str:
    from babel.numbers import format_scientific

    return format_scientific(float(value), format="0.0E0", locale=tr.lang.replace("-", "_"))


def _when(tr: Translator, when: datetime) -> str:
    return f"{tr.date(when)} {when.strftime('%H:%M:%S')} UTC"


def stamp_rows(stamp: Stamp, tr: Translator, with_time: bool = True) -> list[tuple[str, str]]:
    """The stamp as (label, value) lines in the translator's language (the Report page shows them too)."""
    lines = [
        (tr("report.stamp_data"), stamp.data_source),
        (tr("report.stamp_data_sha"), stamp.data_sha256 or tr("report.stamp_no_file")),
        (tr("report.stamp_content_sha"), stamp.data_content_sha256),
        (tr("report.stamp_model"), stamp.model_source if stamp.model_from_file else tr("report.stamp_model_default")),
        (tr("report.stamp_model_sha_file") if stamp.model_from_file else tr("report.stamp_model_sha_default"),
         stamp.model_sha256),
        (tr("report.stamp_seeds"), tr("report.stamp_seeds_value", seed=stamp.seed, split=stamp.split_seed)),
    ]
    if with_time:
        lines.append((tr("report.stamp_generated"), _when(tr, stamp.generated)))
    return lines


# ------------------------------------------------------------------------------------------------
# Charts: Plotly for HTML, matplotlib PNGs for Markdown and PDF (same colours)


def _plotly_figure(chart: Chart, tr: Translator):
    import plotly.graph_objects as go
    from babel.numbers import get_decimal_symbol, get_group_symbol

    from . import charts

    payload = chart.payload
    if chart.kind == "waterfall":
        figure = charts.waterfall(payload["shap"], payload["features"], payload["labels"],
                                  max_features=WATERFALL_FEATURES, tr=tr)
    elif chart.kind == "beeswarm":
        swarm = charts.beeswarm(payload["result"], payload["features"], payload["labels"], max_features=TOP_GLOBAL,
                                seed=payload["seed"], tr=tr)
        # SVG scatter instead of WebGL: it prints, and draws without a GPU.
        traces = [go.Scatter({k: v for k, v in trace.to_plotly_json().items() if k != "type"})
                  for trace in swarm.data]
        figure = go.Figure(data=traces, layout=swarm.layout)
    else:
        raise ValueError(f"unknown chart {chart.kind!r}")
    locale = tr.lang.replace("-", "_")
    figure.update_layout(separators=get_decimal_symbol(locale) + get_group_symbol(locale))
    return figure


def _number_formatter(tr: Translator):
    from matplotlib.ticker import FuncFormatter

    def fmt(value, _position):
        if abs(value) < 1e-12:
            return "0"
        return ("−" if value < 0 else "") + tr.number(abs(float(value)), 2)

    return FuncFormatter(fmt)


def _png(chart: Chart, tr: Translator) -> bytes:
    from matplotlib.figure import Figure

    if chart.kind == "waterfall":
        figure = _mpl_waterfall(Figure, chart.payload, tr)
    elif chart.kind == "beeswarm":
        figure = _mpl_beeswarm(Figure, chart.payload, tr)
    else:
        raise ValueError(f"unknown chart {chart.kind!r}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _style_axes(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color("#888888")
    ax.spines["bottom"].set_color("#888888")
    ax.tick_params(colors="#333333", labelsize=8)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)


def _mpl_waterfall(Figure, payload: dict, tr: Translator):
    from .charts import NEUTRAL, TOWARD_NEGATIVE, TOWARD_POSITIVE, waterfall_steps

    shap: ShapValues = payload["shap"]
    features, labels = payload["features"], payload["labels"]
    names, deltas, _ = waterfall_steps(shap, features.map(plain), labels, WATERFALL_FEATURES, tr)
    output = float(shap.output[0])
    height = 0.34 * (len(names) + 2) + 1.0
    figure = Figure(figsize=(7.5, height))
    ax = figure.subplots()
    position = shap.base_value
    ax.barh(0, shap.base_value, color=NEUTRAL, height=0.6)
    spans = [min(0.0, shap.base_value, output), max(0.0, shap.base_value, output)]
    for i, delta in enumerate(deltas, start=1):
        ax.barh(i, delta, left=position, color=TOWARD_POSITIVE if delta >= 0 else TOWARD_NEGATIVE, height=0.6)
        end = position + delta
        ax.plot([end, end], [i - 0.3, i + 0.7], color="#cccccc", linewidth=0.8)
        ax.text(max(position, end), i, " " + _signed(tr, delta), va="center", ha="left", fontsize=7.5,
                color="#333333")
        spans += [position, end]
        position = end
    top = len(deltas) + 1
    ax.barh(top, output, color=NEUTRAL, height=0.6)
    for y, value in ((0, shap.base_value), (top, output)):
        ax.text(max(value, 0.0), y, " " + tr.fixed(value, 3), va="center", ha="left", fontsize=7.5, color="#333333")
    low, high = min(spans), max(spans)
    pad = 0.18 * (high - low or 1.0)
    ax.set_xlim(low - 0.04 * (high - low or 1.0), high + pad)
    ax.axvline(0, color="#666666", linewidth=0.8)
    ax.set_yticks(range(top + 1), [tr("charts.base"), *names, tr("charts.this_prediction")], fontsize=8)
    ax.xaxis.set_major_formatter(_number_formatter(tr))
    ax.set_xlabel(tr("charts.model_output", space=tr(f"space.{shap.space}")), fontsize=8.5)
    ax.set_title(tr("charts.why"), loc="left", fontsize=10.5)
    _style_axes(ax)
    figure.tight_layout()
    return figure


def _mpl_beeswarm(Figure, payload: dict, tr: Translator):
    from matplotlib.colors import LinearSegmentedColormap

    from .charts import LOW_HIGH_SCALE, _scaled_colour

    result: GlobalShap = payload["result"]
    features, labels = payload["features"], payload["labels"]
    order = list(payload["importance"].index[:TOP_GLOBAL])[::-1]
    cmap = LinearSegmentedColormap.from_list("low_high", [(stop, colour) for stop, colour in LOW_HIGH_SCALE])
    rng = np.random.default_rng(payload["seed"])
    figure = Figure(figsize=(7.5, 0.42 * len(order) + 1.4))
    ax = figure.subplots()
    scatter = None
    for position, name in enumerate(order):
        x = result.shap.values[name].to_numpy()
        colour = np.nan_to_num(_scaled_colour(features[name]), nan=0.5)
        scatter = ax.scatter(x, position + rng.uniform(-0.3, 0.3, len(x)), c=colour, cmap=cmap, vmin=0, vmax=1,
                             s=5, linewidths=0, alpha=0.85, rasterized=True)
    ax.axvline(0, color="#666666", linewidth=0.8)
    ax.set_yticks(range(len(order)), [labels.get(c, c) for c in order], fontsize=8)
    ax.xaxis.set_major_formatter(_number_formatter(tr))
    ax.set_xlabel(tr("charts.beeswarm_axis", space=tr(f"space.{result.shap.space}")), fontsize=8.5)
    ax.set_title(tr("charts.beeswarm"), loc="left", fontsize=10.5)
    _style_axes(ax)
    if scatter is not None:
        bar = figure.colorbar(scatter, ax=ax, ticks=[0, 1], fraction=0.04, pad=0.02)
        bar.ax.set_yticklabels([tr("charts.low"), tr("charts.high")], fontsize=7.5)
        bar.set_label(tr("charts.feature_value"), fontsize=8)
        bar.outline.set_visible(False)
    figure.tight_layout()
    return figure


# ------------------------------------------------------------------------------------------------
# HTML


_CSS = """
:root { --ink:#1f2328; --muted:#57606a; --line:#d0d7de; --soft:#f6f8fa; --accent:#0072B2; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 32px 28px 64px; }
header.cover { border-bottom: 3px solid var(--accent); padding-bottom: 14px; margin-bottom: 18px; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0 0 6px; }
.subtitle { color: var(--muted); margin: 0; }
h2 { font-size: 1.35rem; margin: 40px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.12rem; margin: 28px 0 8px; }
h4 { font-size: 0.98rem; margin: 20px 0 6px; color: #333; }
p { margin: 8px 0; }
p.lead { background: var(--soft); border-left: 4px solid var(--accent); padding: 10px 14px; border-radius: 4px; }
p.note { color: var(--muted); font-size: 0.88rem; }
pre.code { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 10px 12px;
  font: 12.5px/1.45 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; white-space: pre-wrap;
  word-break: break-all; }
nav.toc { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 18px;
  margin: 18px 0; }
nav.toc strong { display: block; margin-bottom: 4px; }
nav.toc ol { margin: 0; padding-left: 20px; columns: 2; }
nav.toc a { color: var(--accent); text-decoration: none; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-size: 0.92rem; }
table.small { font-size: 0.85rem; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
thead th { background: var(--soft); border-bottom: 2px solid var(--line); }
table.kv th { width: 26%; font-weight: 600; color: #333; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.hash { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.82rem;
  word-break: break-all; }
figure.chart { margin: 10px 0 16px; break-inside: avoid; page-break-inside: avoid; }
figure.chart figcaption { color: var(--muted); font-size: 0.88rem; margin-top: 4px; }
footer { margin-top: 48px; color: var(--muted); font-size: 0.85rem; border-top: 1px solid var(--line);
  padding-top: 10px; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3, h4 { break-after: avoid; page-break-after: avoid; }
  table, tr, p.lead { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HASH = re.compile(r"^[0-9a-f]{64}$")


def _inline_html(text: str) -> str:
    escaped = html.escape(text, quote=False)
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return escaped.replace("\n", "<br>")


def _render_html(report: Report) -> str:
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    tr = report.tr
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(report.lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="explainers.report">',
        f"<title>{html.escape(report.title)}</title>",
        f"<style>{_CSS}</style>",
        # plotly.js, once, inline: the file works offline.
        f'<script id="plotlyjs">{get_plotlyjs()}</script>',
        "</head>",
        "<body>",
        "<main>",
        '<header class="cover">',
        f"<h1>{html.escape(report.title)}</h1>",
        f'<p class="subtitle">{html.escape(report.subtitle)}</p>',
        "</header>",
        f'<nav class="toc"><strong>{html.escape(tr("report.contents"))}</strong><ol>'
        + "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for a, t in report.sections)
        + "</ol></nav>",
    ]
    open_section = False
    charts = 0
    config = {"displayModeBar": False, "responsive": True}
    for block in report.blocks:
        if isinstance(block, Heading):
            if block.level == 2:
                if open_section:
                    out.append("</section>")
                out.append(f'<section id="{block.anchor}">')
                open_section = True
                out.append(f"<h2>{html.escape(block.text)}</h2>")
            else:
                anchor = f' id="{block.anchor}"' if block.anchor else ""
                out.append(f"<h{block.level}{anchor}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            if block.style == "code":
                out.append(f'<pre class="code">{html.escape(block.text)}</pre>')
            else:
                css = f' class="{block.style}"' if block.style != "body" else ""
                out.append(f"<p{css}>{_inline_html(block.text)}</p>")
        elif isinstance(block, Table):
            out.append(_html_table(block))
        elif isinstance(block, Chart):
            charts += 1
            figure = _plotly_figure(block, tr)
            height = int(figure.layout.height or 420)
            div = pio.to_html(figure, full_html=False, include_plotlyjs=False, config=config,
                              default_width="100%", default_height=f"{height}px", div_id=f"chart-{block.key}")
            out.append(f'<figure class="chart">{div}<figcaption>{_inline_html(block.caption)}</figcaption></figure>')
    if open_section:
        out.append("</section>")
    out.append(f"<footer>{html.escape(tr('report.footer', date=_when(tr, report.stamp.generated)))}</footer>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def _html_table(block: Table) -> str:
    classes = ["kv"] if block.header is None else []
    if block.small:
        classes.append("small")
    css = f' class="{" ".join(classes)}"' if classes else ""
    numeric = block.numeric or ()

    def cell(tag: str, text: str, j: int) -> str:
        kind = []
        if 0 <= j < len(numeric) and numeric[j]:
            kind.append("num")
        if _HASH.match(text):
            kind.append("hash")
        attr = f' class="{" ".join(kind)}"' if kind else ""
        return f"<{tag}{attr}>{_inline_html(text)}</{tag}>"

    parts = [f"<table{css}>"]
    if block.header is not None:
        parts.append("<thead><tr>" + "".join(cell("th", h, j) for j, h in enumerate(block.header))
                     + "</tr></thead>")
    parts.append("<tbody>")
    for row in block.rows:
        if block.header is None:
            parts.append("<tr>" + cell("th", row[0], -1) + "".join(cell("td", c, j) for j, c in
                                                                  enumerate(row[1:], 1)) + "</tr>")
        else:
            parts.append("<tr>" + "".join(cell("td", c, j) for j, c in enumerate(row)) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


# ------------------------------------------------------------------------------------------------
# Markdown


# Text from the data (column names, values, class labels, spec and use-case texts) reaches the Markdown
# as text, never as markup: HTML is written as entities (&lt; &gt;), Markdown's punctuation is backslash-
# escaped, line starts that would open a heading, list, quote or setext underline are escaped, and
# "://" and "www." get a zero-width space so that no viewer turns a value into a link. The only markup kept
# is the report's own **bold** (the message catalogue's), re-applied around escaped text.
_MD_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^( {0,3})([#+=-])", re.MULTILINE)
_MD_ORDERED = re.compile(r"^( {0,3}\d{1,9})([.)])", re.MULTILINE)
_ZERO_WIDTH = "\u200b"


def md_text(text: object, line_starts: bool = True) -> str:
    """``text`` as Markdown that shows exactly these characters and runs or links nothing (``line_starts``:
    also escape what would open a block at the start of a line; not needed inside a table cell)."""
    out = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _MD_PUNCTUATION.sub(r"\\\1", out)
    out = out.replace("://", ":" + _ZERO_WIDTH + "//")
    out = re.sub(r"(?i)\b(www)\.", lambda m: m.group(1) + _ZERO_WIDTH + ".", out)
    if not line_starts:
        return out
    out = _MD_LINE_START.sub(r"\1\\\2", out)
    return _MD_ORDERED.sub(r"\1\\\2", out)


def md_inline(text: str, line_starts: bool = True) -> str:
    """Escaped text (:func:`md_text`) with the report's own **bold** kept: for narratives and other texts
    built from the message catalogue around data values (pages can pass them to ``st.markdown``)."""
    parts = _BOLD.split(str(text))
    out = []
    for i, part in enumerate(parts):
        escaped = md_text(part, line_starts)
        out.append(f"**{escaped}**" if i % 2 else escaped)
    return "".join(out)


def _md_line(text: str) -> str:
    return md_inline(" ".join(str(text).split()))


def _md_cell(text: str) -> str:
    return "<br>".join(md_inline(line, line_starts=False) for line in str(text).split("\n"))


def _md_fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _md_table(block: Table) -> str:
    width = len(block.header) if block.header is not None else max(len(r) for r in block.rows)
    header = block.header if block.header is not None else ("",) * width
    numeric = block.numeric or ()
    align = ["---:" if j < len(numeric) and numeric[j] else "---" for j in range(width)]
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    for row in block.rows:
        cells = [_md_cell(c) for c in row]
        if block.header is None:
            cells[0] = f"**{cells[0]}**"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _render_markdown(report: Report) -> str:
    tr = report.tr
    out = [f"# {_md_line(report.title)}", "", f"_{_md_line(report.subtitle)}_", "",
           f"**{md_text(tr('report.contents'))}**", ""]
    out += [f"{i}. [{_md_line(title)}](#{html.escape(anchor)})" for i, (anchor, title) in enumerate(report.sections, 1)]
    out.append("")
    for block in report.blocks:
        if isinstance(block, Heading):
            anchor = f'<a id="{html.escape(block.anchor)}"></a>\n' if block.anchor else ""
            out += [f"{anchor}{'#' * block.level} {_md_line(block.text)}", ""]
        elif isinstance(block, Paragraph):
            if block.style == "code":
                fence = _md_fence(block.text)
                out += [fence, block.text, fence, ""]
            elif block.style == "lead":
                out += ["> " + md_inline(block.text).replace("\n", "\n> "), ""]
            else:
                out += [md_inline(block.text).replace("\n", "  \n"), ""]
        elif isinstance(block, Table):
            out += [_md_table(block), ""]
        elif isinstance(block, Chart):
            data = base64.b64encode(report.png(block)).decode("ascii")
            alt = md_text(" ".join(block.title.split()))
            out += [f"![{alt}](data:image/png;base64,{data})", "", f"_{_md_line(block.caption)}_", ""]
    out += ["---", "", md_text(tr("report.footer", date=_when(tr, report.stamp.generated))), ""]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------
# PDF


def _font_paths() -> dict[str, Path]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / _FONT_DIR
    return {"": folder / "DejaVuSans.ttf", "B": folder / "DejaVuSans-Bold.ttf",
            "I": folder / "DejaVuSans-Oblique.ttf", "mono": folder / "DejaVuSansMono.ttf"}


def _render_pdf(report: Report) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import TableBordersLayout, TableCellFillMode
    from fpdf.fonts import FontFace

    tr = report.tr
    fonts = _font_paths()
    footer_text = report.title

    class _Document(FPDF):
        def footer(self) -> None:
            self.set_y(-11)
            self.set_font("DejaVu", "", 7.5)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, f"{footer_text} · " + tr("report.page", page=self.page_no(), pages="{nb}"), align="C")
            self.set_text_color(0, 0, 0)

    pdf = _Document(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(16, 16, 16)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font("DejaVu", "", str(fonts[""]))
    pdf.add_font("DejaVu", "B", str(fonts["B"]))
    pdf.add_font("DejaVu", "I", str(fonts["I"]))
    pdf.add_font("DejaVuMono", "", str(fonts["mono"]))
    pdf.set_title(report.title)
    pdf.set_lang(report.lang)
    pdf.set_creator("explainers.report")
    pdf.set_subject(report.subtitle)
    pdf.set_keywords(f"data-sha256:{report.stamp.data_sha256 or '-'} model-sha256:{report.stamp.model_sha256}")
    pdf.set_creation_date(report.stamp.generated)
    pdf.add_page()

    pdf.set_font("DejaVu", "B", 19)
    pdf.multi_cell(0, 9, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 5.5, report.subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 114, 178)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.w - pdf.r_margin, pdf.get_y() + 2)
    pdf.ln(6)
    pdf.set_line_width(0.2)

    sizes = {2: 14, 3: 11.5, 4: 10}
    blocks = report.blocks
    for index, block in enumerate(blocks):
        if isinstance(block, Heading):
            size = sizes.get(block.level, 10)
            # Keep a heading with what follows it (the next headings and the first block after them).
            needed = 0.0
            for following in blocks[index:]:
                if isinstance(following, Heading):
                    needed += 14 if following.level == 2 else 10
                    continue
                needed += _pdf_estimate(pdf, report, following)
                break
            if pdf.will_page_break(min(needed, pdf.eph * 0.8)):
                pdf.add_page()
            pdf.ln(5 if block.level == 2 else 3)
            pdf.set_font("DejaVu", "B", size)
            if block.level == 2:
                pdf.set_text_color(0, 84, 140)
            pdf.multi_cell(0, size * 0.5, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(0, 0, 0)
            if block.level == 2:
                pdf.set_draw_color(200, 205, 210)
                pdf.line(pdf.l_margin, pdf.get_y() + 0.8, pdf.w - pdf.r_margin, pdf.get_y() + 0.8)
                pdf.ln(2.5)
            else:
                pdf.ln(1)
        elif isinstance(block, Paragraph):
            _pdf_paragraph(pdf, block)
        elif isinstance(block, Table):
            _pdf_table(pdf, block, FontFace, TableBordersLayout, TableCellFillMode)
        elif isinstance(block, Chart):
            png = report.png(block)
            width, height = _pdf_image_size(pdf, png)
            if pdf.will_page_break(height + 10):
                pdf.add_page()
            pdf.image(io.BytesIO(png), x=pdf.l_margin + (pdf.epw - width) / 2, w=width, h=height)
            pdf.set_font("DejaVu", "I", 8)
            pdf.set_text_color(90, 90, 90)
            pdf.multi_cell(0, 4, block.caption.replace("**", ""), new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(0, 0, 0)
            pdf.ln(2)
    return bytes(pdf.output())


def _pdf_image_size(pdf, png: bytes) -> tuple[float, float]:
    """Width and height (mm) of a chart on the page: the full text width, or less when too tall."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        width_px, height_px = image.size
    width = pdf.epw
    height = width * height_px / width_px
    limit = pdf.eph - 20
    if height > limit:
        width, height = width * limit / height, limit
    return width, height


def _pdf_estimate(pdf, report: Report, block: Block) -> float:
    """Roughly how much room (mm) the start of a block needs, to keep a heading with it."""
    if isinstance(block, Chart):
        return _pdf_image_size(pdf, report.png(block))[1] + 8
    if isinstance(block, Table):
        return 8 + 7 * min(len(block.rows), 3)
    if isinstance(block, Paragraph):
        return 5 * min(3, 1 + len(block.text) // 110) + 2
    return 10


def _pdf_paragraph(pdf, block: Paragraph) -> None:
    text = block.text
    markdown = "**" in text and "--" not in text and "__" not in text
    # fpdf2's markdown reads [text](url) as a link: text from the data never becomes one
    text = text.replace("](", "] (") if markdown else text.replace("**", "")
    if block.style == "code":
        pdf.set_font("DejaVuMono", "", 7.5)
        pdf.set_fill_color(246, 248, 250)
        pdf.multi_cell(0, 4, text, fill=True, new_x="LMARGIN", new_y="NEXT", padding=2)
        pdf.ln(2)
        return
    if block.style == "note":
        pdf.set_font("DejaVu", "", 8)
        pdf.set_text_color(90, 90, 90)
        pdf.multi_cell(0, 4, text, new_x="LMARGIN", new_y="NEXT", markdown=markdown)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1.5)
        return
    if block.style == "lead":
        pdf.set_font("DejaVu", "", 9.5)
        pdf.set_fill_color(240, 245, 250)
        pdf.multi_cell(0, 5, text, fill=True, new_x="LMARGIN", new_y="NEXT", markdown=markdown, padding=2.5)
        pdf.ln(2)
        return
    pdf.set_font("DejaVu", "", 9.5)
    pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT", markdown=markdown)
    pdf.ln(1.5)


def _pdf_table(pdf, block: Table, FontFace, TableBordersLayout, TableCellFillMode) -> None:
    size = 7.5 if block.small else 8.5
    pdf.set_font("DejaVu", "", size)
    width = len(block.header) if block.header is not None else max(len(r) for r in block.rows)
    widths = block.widths if len(block.widths) == width else (1,) * width
    numeric = block.numeric or ()
    align = tuple("RIGHT" if j < len(numeric) and numeric[j] else "LEFT" for j in range(width))
    heading_style = FontFace(emphasis="BOLD", fill_color=(236, 240, 244))
    key_style = FontFace(emphasis="BOLD")
    with pdf.table(
        col_widths=widths,
        text_align=align,
        first_row_as_headings=block.header is not None,
        headings_style=heading_style,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        cell_fill_mode=TableCellFillMode.NONE,
        line_height=size * 0.55,
        padding=1.2,
        width=pdf.epw,
    ) as table:
        if block.header is not None:
            row = table.row()
            for text in block.header:
                row.cell(text.replace("**", ""))
        for cells in block.rows:
            row = table.row()
            for j, text in enumerate(cells):
                text = text.replace("**", "")
                if _HASH.match(text):
                    row.cell(text, style=FontFace(family="DejaVuMono", size_pt=size - 0.5))
                elif block.header is None and j == 0:
                    row.cell(text, style=key_style)
                else:
                    row.cell(text)
    pdf.ln(2.5)
