"""The use-case template: a TOML file with every field of :class:`explainers.report.UseCase`, each explained by
a comment in the chosen language, for a person to fill in (``python -m explainers use-case --template``)."""

from __future__ import annotations

from ..i18n import translator
from ..report.content import USE_CASE_FIELDS, UseCase

# The structured use case first (in the order of the usual template), then what the model card asks a person.
USE_CASE_ORDER = ("name", "description", "actors", "preconditions", "main_flow", "alternative_flows",
                  "postconditions", "business_rules", "non_functional_requirements", "assumptions", "notes",
                  "purpose", "intended_users", "decisions", "limitations", "owner", "out_of_scope",
                  "ethical_considerations")
assert sorted(USE_CASE_ORDER) == sorted(USE_CASE_FIELDS)


def use_case_template(lang: str = "en", use_case: UseCase | None = None) -> str:
    """TOML text that :meth:`UseCase.from_toml` reads: a comment per field (what to write there), then the field,
    empty or from ``use_case``. Multi-line values use TOML's triple-quoted strings."""
    tr = translator(lang)
    values = (use_case or UseCase()).to_dict()
    lines = [f"# {line}" for line in tr("docs.template.header").splitlines()]
    for field in USE_CASE_ORDER:
        lines += ["", f"# {tr(f'report.uc_{field}')}: {tr(f'docs.template.{field}')}"]
        lines.append(UseCase(**{field: values[field]}).to_toml().splitlines()[USE_CASE_FIELDS.index(field)])
    return "\n".join(lines) + "\n"
