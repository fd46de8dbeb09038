"""Dataset specs: what a table means (target, task, outcome, feature texts, constraints).

A spec is read from a TOML file shipped beside a built-in dataset, or inferred from a table that
comes without one (:func:`infer_spec`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import pandas as pd

from .errors import InputError
from .messages import Message
from .util import check_unique_columns

PARENTHESISED = re.compile(r"\s*\([^()]*\)")

Task = Literal["classification", "regression"]
LANGUAGES = ("en", "pt-BR")

_ID_NAME = re.compile(r"^(id|.*_id|id_.*|rownames|row_?id|index|unnamed: ?\d+|key)$", re.IGNORECASE)
# Class names that read as the favourable outcome, or as the unfavourable one (English and Portuguese).
FAVOURABLE_WORDS = frozenset({
    "1", "1.0", "yes", "true", "good", "approved", "accepted", "granted", "paid", "repaid", "positive", "benign",
    "sim", "verdadeiro", "bom", "boa", "aprovado", "aprovada", "aceito", "aceita", "concedido", "concedida", "pago",
    "adimplente", "benigno",
})
UNFAVOURABLE_WORDS = frozenset({
    "0", "0.0", "no", "false", "bad", "denied", "rejected", "declined", "default", "defaulted", "negative",
    "malignant", "não", "nao", "falso", "mau", "ruim", "negado", "negada", "recusado", "recusada", "rejeitado",
    "rejeitada", "inadimplente", "maligno",
})
MAX_CLASSES = 20


@dataclass(frozen=True)
class FeatureText:
    """Plain-language description and unit of one feature, by language."""

    description: Mapping[str, str] = field(default_factory=dict)
    unit: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetSpec:
    """What a table means: which column is the target, the task, and constraints for explanations."""

    name: str
    target: str
    task: Task
    positive_class: str | None = None
    class_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    features: Mapping[str, FeatureText] = field(default_factory=dict)
    immutable: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    title: Mapping[str, str] = field(default_factory=dict)
    description: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None
    loader: str | None = None
    monitoring: Mapping[str, object] = field(default_factory=dict)  # [monitoring]: explainers.monitoring
    pii: tuple[str, ...] | None = None  # personal-data columns (None: detected when the table is read)
    min_group_rows: int = 10  # group metrics leave groups with fewer test rows unmeasured

    def text(self, mapping: Mapping[str, str], lang: str, fallback: str) -> str:
        """The text for ``lang`` from a by-language mapping, falling back to English, then ``fallback``."""
        return mapping.get(lang) or mapping.get("en") or fallback

    def feature_label(self, feature: str, lang: str = "en") -> str:
        """Plain-language name of a feature (its column name when the spec has none)."""
        info = self.features.get(feature)
        return self.text(info.description, lang, feature) if info else feature

    def short_labels(self, features: list[str], lang: str = "en") -> dict[str, str]:
        """Names for charts and sentences: each description without its parenthesised details
        ("Income (per month)" → "Income"), and never the same name for two columns (then the whole
        description, then the column name in brackets)."""
        short = {f: PARENTHESISED.sub("", self.feature_label(f, lang)).strip() or f for f in features}
        for whole_description in (True, False):
            counts = pd.Series(list(short.values())).value_counts()
            short = {f: (self.feature_label(f, lang) if whole_description else f"{name} [{f}]")
                     if counts[name] > 1 else name for f, name in short.items()}
        return short

    def feature_unit(self, feature: str, lang: str = "en") -> str:
        info = self.features.get(feature)
        return self.text(info.unit, lang, "") if info else ""

    def feature_meaning(self, feature: str, lang: str = "en") -> str:
        """A feature's plain-language description with its unit, "Income (per month)" (its column name when the
        spec describes it not)."""
        unit = self.feature_unit(feature, lang)
        return self.feature_label(feature, lang) + (f" ({unit})" if unit else "")

    def class_label(self, value: str, lang: str = "en") -> str:
        return self.text(self.class_labels.get(str(value), {}), lang, str(value))

    def display_title(self, lang: str = "en") -> str:
        return self.text(self.title, lang, self.name)


def _by_language(raw: object, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, str):
        return {"en": raw}
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    raise InputError(key="errors.spec.bad_text", where=where)


def spec_from_mapping(raw: Mapping[str, object], name: str) -> DatasetSpec:
    """Build a spec from a parsed TOML mapping, checking the keys a spec needs."""
    target = raw.get("target")
    if not isinstance(target, str) or not target:
        raise InputError(key="errors.spec.no_target", name=name)
    task = raw.get("task", "classification")
    if task not in ("classification", "regression"):
        raise InputError(key="errors.spec.bad_task", name=name, task=repr(task))
    features: dict[str, FeatureText] = {}
    for feature, info in dict(raw.get("features", {}) or {}).items():
        info = dict(info)
        description = {k: v for k, v in info.items() if not k.startswith("unit")}
        unit = {k.removeprefix("unit_"): v for k, v in info.items() if k.startswith("unit_")}
        features[str(feature)] = FeatureText(
            _by_language(description, f"feature {feature}"), _by_language(unit, f"unit {feature}")
        )
    class_labels = {
        str(k): _by_language(v, f"class label {k}")
        for k, v in dict(raw.get("class_labels", {}) or {}).items()
    }
    positive = raw.get("positive_class")
    return DatasetSpec(
        name=str(raw.get("name", name)),
        target=target,
        task=task,
        positive_class=None if positive is None else str(positive),
        class_labels=class_labels,
        features=features,
        immutable=tuple(raw.get("immutable", ()) or ()),
        sensitive=tuple(raw.get("sensitive", ()) or ()),
        drop=tuple(raw.get("drop", ()) or ()),
        title=_by_language(raw.get("title"), "title"),
        description=_by_language(raw.get("description"), "description"),
        source=raw.get("source"),  # type: ignore[arg-type]
        loader=raw.get("loader"),  # type: ignore[arg-type]
        monitoring=dict(raw.get("monitoring", {}) or {}),
        pii=_pii_list(raw.get("pii"), name),
        min_group_rows=_min_group_rows(raw.get("min_group_rows", 10), name),
    )


def _pii_list(raw: object, name: str) -> tuple[str, ...] | None:
    """The spec's ``pii`` list: column names (None when the spec has no such key)."""
    if raw is None:
        return None
    if not isinstance(raw, list | tuple) or not all(isinstance(c, str) and c for c in raw):
        raise InputError(key="errors.privacy.bad_pii_list", name=name)
    return tuple(raw)


def _min_group_rows(raw: object, name: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise InputError(key="errors.privacy.bad_min_group_rows", name=name, value=str(raw))
    return raw


def load_spec(path: str | Path) -> DatasetSpec:
    """Read a spec TOML file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(key="errors.spec.missing", path=path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(key="errors.spec.bad_toml", path=path, reason=str(exc)) from None
    return spec_from_mapping(raw, path.stem)


def _looks_like_id(column: pd.Series, name: str) -> bool:
    if _ID_NAME.match(str(name)):
        return True
    n = len(column)
    if n < 20 or column.isna().any() or column.nunique() != n:
        return False
    if pd.api.types.is_integer_dtype(column):
        return bool(column.is_monotonic_increasing or column.is_monotonic_decreasing)
    return not pd.api.types.is_numeric_dtype(column)


def infer_task(target: pd.Series) -> Task:
    """Classification for text, boolean or few-valued integer targets; regression otherwise."""
    values = target.dropna()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "classification"
    is_whole = bool((values == values.round()).all())
    return "classification" if is_whole and values.nunique() <= 10 else "regression"


def infer_positive_class(classes: list[str]) -> str | None:
    """For two classes, the one whose name reads as the favourable outcome (or whose partner reads as the
    unfavourable one), else the second in sorted order (``guess_positive_class`` also says which rule chose)."""
    return guess_positive_class(classes)[0]


def guess_positive_class(classes: list[str]) -> tuple[str | None, Literal["word", "other_word", "order", "none"]]:
    """The favourable class of a binary target and why: its name ("word"), the other's name ("other_word"),
    or nothing but the sorted order ("order": a guess the user should confirm)."""
    if len(classes) != 2:
        return None, "none"
    words = [value.strip().lower() for value in classes]
    for value, word in zip(classes, words, strict=True):
        if word in FAVOURABLE_WORDS and not any(w in FAVOURABLE_WORDS for w in words if w != word):
            return value, "word"
    for value, word in zip(classes, words, strict=True):
        if word in UNFAVOURABLE_WORDS:
            other = classes[1 - classes.index(value)]
            if other.strip().lower() not in UNFAVOURABLE_WORDS:
                return other, "other_word"
    return sorted(classes)[1], "order"


def infer_spec(frame: pd.DataFrame, target: str, name: str = "uploaded") -> tuple[DatasetSpec, list[str]]:
    """Infer a spec for a table without one; returns the spec and notices for the user."""
    if target not in frame.columns:
        raise InputError(key="errors.data.no_target", target=target, columns=", ".join(map(str, frame.columns[:20])))
    check_unique_columns(frame.columns)
    notices: list[str] = []
    drop = [c for c in frame.columns if c != target and _looks_like_id(frame[c], str(c))]
    if drop:
        notices.append(Message("notices.data.id_columns", columns=", ".join(map(str, drop))))
    task = infer_task(frame[target])
    positive = None
    if task == "classification":
        classes = sorted(frame[target].dropna().astype("object").map(str).unique())
        positive = infer_positive_class(classes)
    return DatasetSpec(name=name, target=target, task=task, positive_class=positive, drop=tuple(drop)), notices


def with_overrides(spec: DatasetSpec, immutable: tuple[str, ...] | None = None) -> DatasetSpec:
    """A copy of ``spec`` with the immutable features replaced (when given)."""
    return spec if immutable is None else replace(spec, immutable=tuple(immutable))


def make_spec(
    frame: pd.DataFrame,
    target: str,
    task: str | None = None,
    immutable: Sequence[str] | None = None,
    sensitive: Sequence[str] | None = None,
    base: DatasetSpec | None = None,
    name: str = "uploaded",
    pii: Sequence[str] | None = None,
) -> tuple[DatasetSpec, list[str]]:
    """The spec for an uploaded table: ``base`` (an uploaded spec) when it names ``target``, else an
    inferred one (keeping ``base``'s texts); then the user's task, immutable, sensitive and personal-data
    (``pii``) choices."""
    if target not in frame.columns:
        raise InputError(key="errors.data.no_target", target=target, columns=", ".join(map(str, frame.columns[:20])))
    if base is not None and base.target == target:
        spec, notices = base, []
    else:
        spec, notices = infer_spec(frame, target, name=base.name if base else name)
        if base is not None:
            spec = replace(spec, title=base.title, description=base.description, features=base.features)
            notices.append(Message("notices.data.target_chosen", target=base.target, chosen=target))
    if task is not None and task not in ("classification", "regression"):
        raise InputError(key="errors.spec.unknown_task", task=repr(task))
    if task is not None and task != spec.task:
        spec = replace(spec, task=task, positive_class=None)
    if spec.task == "classification" and spec.positive_class is None:
        classes = sorted(frame[target].dropna().astype("object").map(str).unique())
        spec = replace(spec, positive_class=infer_positive_class(classes))
    if immutable is not None:
        spec = replace(spec, immutable=tuple(immutable))
    if sensitive is not None:
        spec = replace(spec, sensitive=tuple(sensitive))
    if pii is not None:
        spec = replace(spec, pii=tuple(pii))
    return spec, notices
