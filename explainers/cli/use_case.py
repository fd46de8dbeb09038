"""``use-case``: the use-case template (TOML, with a comment per field) and a check of a filled-in file.

``python -m explainers use-case --template [--lang pt-BR] > use_case.toml``
``python -m explainers use-case --check use_case.toml``: reads it as ``report`` and ``docs`` do, and prints it
back in full (the fields left out are empty), or one ``error:`` line.
"""

from __future__ import annotations

import argparse
import sys

from ..model_card import use_case_template
from ..report import UseCase
from .common import add_language_option


def register(commands) -> None:
    """Add the ``use-case`` subcommand to ``python -m explainers``."""
    parser = commands.add_parser("use-case", help="print the use-case template (TOML) or check a filled-in file")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--template", action="store_true", help="print the template with a comment per field")
    what.add_argument("--check", metavar="FILE", help="read a use-case file and print it back in full")
    add_language_option(parser, help="language of the template's comments")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.template:
        sys.stdout.write(use_case_template(args.lang))
    else:
        sys.stdout.write(use_case_template(args.lang, UseCase.from_toml(args.check)))
    return 0
