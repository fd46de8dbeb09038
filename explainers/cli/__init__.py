"""Command line: ``python -m explainers explain --data PATH --target COLUMN ...``.

One module per subcommand (``explain``, ``audit``, ``report``, ``docs``, ``use-case``, ``batch``, ``screenshots``,
``datasets``, ``notice``, ``cases``, ``audit-log``, ``monitor``, ``compare``, ``errors``), each with
``register(commands)``, which adds its parser and sets ``handler``, the function that runs it. argparse is used
here only, never in the engine below.

Bad input exits with status 2 and one line on standard error that starts with ``error:``.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence

from ..errors import InputError
from ..i18n import DEFAULT_LANGUAGE, languages
from ..messages import render
from . import (
    audit,
    audit_log,
    batch,
    cases,
    compare,
    datasets,
    docs,
    errors,
    explain,
    monitor,
    notice,
    report,
    screenshots,
    use_case,
)
from .common import Parser

# In the order of ``--help``.
COMMANDS = (explain, datasets, report, docs, use_case, screenshots, audit, batch, notice, cases, audit_log,
            monitor, compare, errors)


def build_parser() -> Parser:
    parser = Parser(prog="python -m explainers", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.register(commands)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


def language_of(argv: Sequence[str]) -> str:
    """The ``--lang`` the command line asks for, read before (and whether or not) the options parse; English when
    it names no language with a catalogue."""
    argv = list(argv)
    for i, word in enumerate(argv):
        value = argv[i + 1] if word == "--lang" and i + 1 < len(argv) else word.partition("=")[2]
        if (word == "--lang" or word.startswith("--lang=")) and value in languages():
            return value
    return DEFAULT_LANGUAGE


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TQDM_DISABLE", "1")
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        with warnings.catch_warnings():  # the libraries' warnings are not for the command's reader
            warnings.simplefilter("ignore")
            return run(argv)
    except InputError as exc:
        print(f"error: {exc.text(language_of(argv))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader closed the pipe (e.g. `| head`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"error: {render('errors.interrupted', language_of(argv), {})}", file=sys.stderr)
        return 130
    except Exception as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else ""
        unexpected = render("errors.unexpected", language_of(argv), {"kind": type(exc).__name__, "reason": reason})
        print(f"error: {unexpected}", file=sys.stderr)
        return 1
