"""The message catalogues, read from ``locales/<lang>.toml`` and any ``locales/<lang>/<area>.toml`` beside it
(sections become key prefixes: ``[overview] title = ...`` is ``overview.title``; an area file keeps one feature's
messages together and may not repeat a key), and one message rendered in one language.

The bottom of the engine: it imports nothing from it, so that :mod:`explainers.errors` can render an error's
message in any language and :mod:`explainers.i18n` can build its translator on top.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DEFAULT_LANGUAGE = "en"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


def languages() -> list[str]:
    """The languages that have a catalogue, English first."""
    return list(_languages())


@cache
def _languages() -> tuple[str, ...]:
    # Asked for on every translated text: the folder is read once per process.
    found = sorted(p.stem for p in LOCALES_DIR.glob("*.toml"))
    return tuple(sorted(found, key=lambda lang: (lang != DEFAULT_LANGUAGE, lang)))


@cache
def load(lang: str) -> dict[str, str]:
    """Every message of ``lang`` by dotted key (empty for a language without a catalogue)."""
    path = LOCALES_DIR / f"{lang}.toml"
    if not path.exists():
        return {}
    messages = _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
    for area in sorted((LOCALES_DIR / lang).glob("*.toml")):
        more = _flatten(tomllib.loads(area.read_text(encoding="utf-8")))
        repeated = sorted(set(more) & set(messages))
        if repeated:
            raise ValueError(f"{area.name} repeats catalogue keys already defined: {', '.join(repeated[:5])}")
        messages.update(more)
    return messages


def _shown(value: object, lang: str) -> object:
    """A parameter as the message shows it: a message (anything with ``text(lang)``, or a tuple of them) in
    ``lang``, whole numbers with the language's thousands mark, other numbers with up to one decimal in the
    language's format, anything else as it is."""
    text = getattr(value, "text", None)
    if callable(text):  # a message (or an error) given as a parameter: in the same language
        return text(lang)
    if isinstance(value, tuple) and value and all(callable(getattr(v, "text", None)) for v in value):
        return "; ".join(v.text(lang) for v in value)  # several messages, one after the other
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    from babel.numbers import format_decimal

    pattern = "#,##0" if isinstance(value, int) else "#,##0.#"
    return format_decimal(value, format=pattern, locale=lang.replace("-", "_"))


def render(key: str, lang: str, params: Mapping[str, object]) -> str:
    """The message ``key`` in ``lang`` (else in English, else the key itself) with ``params`` filled in."""
    template = load(lang).get(key) or load(DEFAULT_LANGUAGE).get(key) or key
    return template.format(**{name: _shown(value, lang) for name, value in params.items()})


class Message(str):
    """One catalogue message with its parameters: as a ``str`` it is the English text (so it can be stored, compared
    and written to JSON like any text); :meth:`text` renders it in any language. The engine's notices are these."""

    def __new__(cls, key: str, /, **params: object) -> Message:
        self = super().__new__(cls, render(key, DEFAULT_LANGUAGE, params))
        self.key = key
        self.params = params
        return self

    def __getnewargs_ex__(self) -> tuple[tuple[str], dict[str, object]]:  # pickling rebuilds it from its key
        return (self.key,), self.params

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (English when there is no such catalogue)."""
        return render(self.key, lang or DEFAULT_LANGUAGE, self.params)


def in_language(message: object, lang: str | None) -> str:
    """A message, a notice or an error in ``lang`` when it has a catalogue key (anything with ``text(lang)``),
    else as it is written."""
    text = getattr(message, "text", None)
    return text(lang) if callable(text) else str(message)
