"""Message catalogues and locale formatting (English and Brazilian Portuguese).

A language is one TOML file ``locales/<lang>.toml`` (sections become key prefixes:
``[overview] title = ...`` is ``overview.title``). Adding a language means adding its file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .errors import InputError
from .messages import DEFAULT_LANGUAGE, LOCALES_DIR, languages, load

__all__ = ["DEFAULT_LANGUAGE", "LOCALES_DIR", "Translator", "catalogue", "languages", "translator"]


def catalogue(lang: str) -> dict[str, str]:
    """Every message of ``lang`` by dotted key."""
    if lang not in languages():
        raise InputError(key="errors.base.unknown_language", lang=repr(lang), choices=', '.join(languages()))
    return load(lang)


def babel_locale(lang: str) -> str:
    return lang.replace("-", "_")


@lru_cache(maxsize=65536)
def _decimal(value: float, pattern: str, lang: str) -> str:
    """Babel's number formatting, remembered: charts format thousands of repeated values."""
    from babel.numbers import format_decimal

    return format_decimal(value, format=pattern, locale=babel_locale(lang))


@dataclass(frozen=True)
class Translator:
    """Messages and number formats of one language: ``tr("overview.title")``, ``tr.number(1234.5)``."""

    lang: str = DEFAULT_LANGUAGE

    def __call__(self, key: str, **values: object) -> str:
        messages = catalogue(self.lang)
        text = messages.get(key)
        if text is None:
            text = catalogue(DEFAULT_LANGUAGE).get(key, key)
        return text.format(**values) if values else text

    def quantity(self, value: object, unit: str) -> str:
        """A value with its unit, the unit in the singular for exactly one ("1 year", "1 ano")."""
        shown = self.value(value)
        if not unit:
            return shown
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(float(value)) == 1:
            unit = catalogue(self.lang).get(f"singular.{unit}", unit)
        return f"{shown} {unit}"

    def number(self, value: float, digits: int = 3) -> str:
        """A number in the locale's format with up to ``digits`` decimals (``1,234.5`` / ``1.234,5``)."""
        if value is None or value != value:  # NaN
            return self("common.missing")
        return _decimal(float(value), "#,##0" + ("." + "#" * digits if digits > 0 else ""), self.lang)

    @property
    def plotly_separators(self) -> str:
        """Plotly's ``separators`` layout setting: the decimal mark, then the thousands mark."""
        from babel.numbers import get_decimal_symbol, get_group_symbol

        locale = babel_locale(self.lang)
        return get_decimal_symbol(locale) + get_group_symbol(locale)

    def fixed(self, value: float, digits: int = 3) -> str:
        """A number with exactly ``digits`` decimals."""
        return _decimal(float(value), "#,##0" + ("." + "0" * digits if digits > 0 else ""), self.lang)

    def percent(self, value: float, digits: int = 1) -> str:
        from babel.numbers import format_percent

        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
        return format_percent(value, format=pattern, locale=babel_locale(self.lang))

    def value(self, value: object) -> str:
        """A cell value: numbers in the locale's format, text as it is, blanks as "missing"."""
        if value is None or (isinstance(value, float) and value != value):
            return self("common.missing")
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | float):
            return self.number(float(value), 4 if abs(value) < 1000 else 0)
        # Common category values in the reader's language ("yes" → "sim"); any other text as it is.
        return catalogue(self.lang).get(f"values.{str(value).strip().lower()}", str(value))

    def date(self, when) -> str:
        from babel.dates import format_date

        return format_date(when, format="medium", locale=babel_locale(self.lang))


def translator(lang: str | None) -> Translator:
    """A translator for ``lang``, falling back to English for unknown languages."""
    return Translator(lang if lang in languages() else DEFAULT_LANGUAGE)
