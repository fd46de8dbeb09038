"""The one error type the engine raises for bad input."""

from __future__ import annotations

from .messages import DEFAULT_LANGUAGE, render


class InputError(ValueError):
    """Bad input from a user: the message is one line that says what is wrong and what to do.

    Raised with a message key of the catalogue (``InputError(key="errors.upload.empty", name=...)``), it renders
    in any language (:meth:`text`) and pages and the command line recognise it by :attr:`key`; ``str()`` is the
    English text. Raised with a text (``InputError("...")``), it is that text in every language.
    """

    def __init__(self, message: str = "", /, *, key: str | None = None, **params: object):
        self.key = key
        self.params = params
        super().__init__(render(key, DEFAULT_LANGUAGE, params) if key is not None else message)

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (English when there is no such catalogue, or no key)."""
        if self.key is None:
            return str(self)
        return render(self.key, lang or DEFAULT_LANGUAGE, self.params)
