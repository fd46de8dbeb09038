"""The one error type the engine raises for bad input."""


class InputError(ValueError):
    """Bad input from a user: the message is one line that says what is wrong and what to do."""
