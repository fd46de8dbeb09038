"""What the report is about and how to reproduce it: the use case (a business template the user fills in) and
the reproducibility stamp (file hashes, seeds, package versions, the time)."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import astuple, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path

from ..data import DATASETS_DIR, Dataset, builtin_names, builtin_spec
from ..errors import InputError
from ..i18n import Translator, translator
from ..spec import DatasetSpec
from ..util import package_versions
from ..workspace import Workspace
from .blocks import when

# The first five are the report's original use case; the rest complete the structured use case (brief
# description, actors, flows, rules...) and what only a person can say for the model card. Files with only the
# first five still load; a field left out is "not stated" wherever it is shown.
USE_CASE_FIELDS = ("name", "purpose", "intended_users", "decisions", "limitations", "description", "actors",
                   "preconditions", "main_flow", "alternative_flows", "postconditions", "business_rules",
                   "non_functional_requirements", "assumptions", "notes", "owner", "out_of_scope",
                   "ethical_considerations")
_USE_CASE_ALIASES = {  # keys as written (lower case, spaces and hyphens as underscores) -> field
    "title": "name",
    "users": "intended_users",
    "decisions_supported": "decisions",
    "decisions_it_supports": "decisions",
    "known_limitations": "limitations",
    "brief_description": "description",
    "alternate_flows": "alternative_flows",
    "nonfunctional_requirements": "non_functional_requirements",
    "non_functional": "non_functional_requirements",
    "out_of_scope_uses": "out_of_scope",
    "developers": "owner",
    "ethics": "ethical_considerations",
}


@dataclass(frozen=True)
class UseCase:
    """What the model is for, in the words of the people who use it (a business use-case template)."""

    name: str = ""
    purpose: str = ""
    intended_users: str = ""
    decisions: str = ""
    limitations: str = ""
    description: str = ""
    actors: str = ""
    preconditions: str = ""
    main_flow: str = ""
    alternative_flows: str = ""
    postconditions: str = ""
    business_rules: str = ""
    non_functional_requirements: str = ""
    assumptions: str = ""
    notes: str = ""
    owner: str = ""
    out_of_scope: str = ""
    ethical_considerations: str = ""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, object], where: str = "the use case") -> UseCase:
        """From a mapping with keys among :data:`USE_CASE_FIELDS` (a ``[use_case]`` table inside it is used when
        present); a list of texts becomes one line each, and a field left out stays empty ("not stated")."""
        if "use_case" in raw and isinstance(raw["use_case"], Mapping):
            raw = raw["use_case"]
        values: dict[str, str] = {}
        for key, value in raw.items():
            written = re.sub(r"[\s-]+", "_", str(key).strip().lower())
            name = _USE_CASE_ALIASES.get(written, written)
            if name not in USE_CASE_FIELDS:
                raise InputError(key="errors.report.unknown_key", where=where, field=repr(key),
                                 fields=', '.join(USE_CASE_FIELDS))
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                value = "\n".join(value)
            if not isinstance(value, str):
                raise InputError(key="errors.report.not_text", where=where, field=key)
            values[name] = value.strip()
        return cls(**values)

    @classmethod
    def from_toml(cls, path: str | Path) -> UseCase:
        """Read a use case from a TOML file; a missing or malformed file raises InputError."""
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(key="errors.report.missing_use_case", path=path) from None
        except IsADirectoryError:
            raise InputError(key="errors.report.use_case_folder", path=path) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(key="errors.report.unreadable_use_case", path=path, reason=type(exc).__name__) \
                from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(key="errors.report.bad_use_case", path=path, reason=str(exc)) from None
        return cls.from_mapping(raw, where=f"use-case file {path.name}")

    def to_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def astuple(self) -> tuple[str, ...]:
        return astuple(self)

    def to_toml(self) -> str:
        """The use case as TOML that :meth:`from_toml` reads back."""
        # A JSON string is a TOML basic string (every control character escaped), but for DEL.
        lines = [f"{key} = " + json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
                 for key, value in self.to_dict().items()]
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


def is_builtin(spec: DatasetSpec) -> bool:
    """Whether ``spec`` is a built-in dataset's (its immutable list may differ: ``--immutable`` changes it)."""
    if spec.name not in builtin_names():
        return False
    shipped = builtin_spec(spec.name)
    return replace(shipped, immutable=()) == replace(spec, immutable=())


def _data_file(dataset: Dataset, data_path: str | Path | None) -> tuple[Path | None, str]:
    """The data file to hash and how to name it: the given file, or a built-in dataset's shipped file."""
    if data_path is not None and Path(data_path).is_file():
        return Path(data_path), str(data_path)
    if data_path is not None and str(data_path) not in builtin_names():
        raise InputError(key="errors.read.missing", path=data_path)
    spec = dataset.spec
    if is_builtin(spec):
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
            raise InputError(key="errors.models.missing", path=model_path)
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
        split_seed=split_seed(workspace, seed),
        generated=(generated or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0),
        versions=package_versions(),
    )


def is_default_model(model) -> bool:
    """Whether the model is the default XGBoost trained here (not loaded from a file)."""
    return model.is_default


def split_seed(workspace: Workspace, seed: int) -> int:
    """The seed of the train/test split: the default model's own, else the report's."""
    return int(workspace.model.details.get("seed", seed))


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
        lines.append((tr("report.stamp_generated"), when(tr, stamp.generated)))
    return lines


def quote(text: str) -> str:
    """``text`` as one shell word (quoted only when it needs to be), for the command that rebuilds a report."""
    return text if re.fullmatch(r"[\w./:@,+-]+", text) else "'" + text.replace("'", "'\\''") + "'"
