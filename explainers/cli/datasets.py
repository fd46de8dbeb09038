"""``datasets``: the built-in datasets, one a line: name, a tab, the title in ``--lang``."""

from __future__ import annotations

import argparse

from ..data import builtin_names, builtin_spec
from .common import add_language_option


def register(commands) -> None:
    listing = commands.add_parser("datasets", help="list the built-in datasets")
    add_language_option(listing, help="language of the titles")
    listing.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print("\n".join(f"{name}\t{builtin_spec(name).display_title(args.lang)}" for name in builtin_names()))
    return 0
