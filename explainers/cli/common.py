"""What the subcommands share: the parser that turns usage errors into :class:`InputError`, the options of
every command that loads a table and a model, the language option (from the message catalogue), and the
oversight commands' database, actor and output file."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from ..documents import write_bytes  # noqa: F401 (the commands write their files with it)
from ..errors import InputError
from ..i18n import DEFAULT_LANGUAGE, languages
from ..workspace import Workspace, open_workspace


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one :class:`InputError` line (status 2, ``error: ...``)."""

    def error(self, message: str) -> None:  # argparse would print usage and a program name
        raise InputError(key="errors.cli.usage", problem=message)


def columns(text: str | None) -> tuple[str, ...] | None:
    """``"a, b"`` → ``("a", "b")``; None stays None (the option was not given)."""
    if text is None:
        return None
    return tuple(c.strip() for c in text.split(",") if c.strip())


def add_language_option(parser: argparse.ArgumentParser, help: str = "language of texts") -> None:
    """``--lang``, with the languages that have a message catalogue."""
    parser.add_argument("--lang", choices=tuple(languages()), default=DEFAULT_LANGUAGE, help=help)


def add_workspace_options(parser: argparse.ArgumentParser,
                          data_help: str = "CSV or Parquet file, or a built-in dataset name") -> None:
    """The options every command that loads a table and a model shares (read by :func:`workspace_from_args`)."""
    parser.add_argument("--data", required=True, help=data_help)
    parser.add_argument("--target", help="target column (optional when a spec names it)")
    parser.add_argument("--spec", help="spec TOML file (default: <data>.toml beside the data, if any)")
    parser.add_argument("--model", help="XGBoost .json/.ubj, LightGBM .txt/.json, CatBoost .cbm, ONNX .onnx or "
                        "skops file (default: train XGBoost)")
    parser.add_argument("--allow-pickle", action="store_true",
                        help="operator only: allow loading a pickle/joblib model from this disk")


def workspace_from_args(args: argparse.Namespace) -> Workspace:
    """The workspace that :func:`add_workspace_options` (plus ``--seed`` and, where offered, ``--immutable``)
    describe."""
    return open_workspace(args.data, target=args.target, spec=args.spec, model=args.model,
                          allow_pickle=args.allow_pickle, immutable=columns(getattr(args, "immutable", None)),
                          seed=args.seed)


def workspace_for_row(args: argparse.Namespace) -> Workspace:
    """:func:`workspace_from_args` for a command about one row (``--row``), which must exist."""
    workspace = workspace_from_args(args)
    rows = len(workspace.dataset.features)
    if not 0 <= args.row < rows:
        raise InputError(key="errors.cli.no_row", row=str(args.row), last=str(rows - 1))
    return workspace


def print_json(value: object, allow_nan: bool = False) -> None:
    """One JSON object on standard output (no NaN unless ``allow_nan``: the engine's values are plain)."""
    json.dump(value, sys.stdout, ensure_ascii=False, allow_nan=allow_nan)
    sys.stdout.write("\n")


def out_path(path: str) -> Path:
    """An output file whose folder exists; InputError otherwise."""
    out = Path(path)
    if out.parent and not out.parent.exists():
        raise InputError(key="errors.cli.no_folder", folder=out.parent)
    return out


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """``--db`` and ``--lang``, what every oversight command takes."""
    parser.add_argument("--db", help="database URL (default: XAI_DB_URL, else sqlite:///var/oversight.db)")
    add_language_option(parser)


def store_from_args(args: argparse.Namespace):
    """The oversight database of ``--db``, else ``XAI_DB_URL``'s (or the default file)."""
    from ..oversight.store import Store, open_store

    return Store(args.db) if args.db else open_store()


def actor_from_args(args: argparse.Namespace):
    """Who acts: ``--actor``, else the operating-system user; recorded as unverified either way."""
    from ..oversight.audit import Actor

    name = getattr(args, "actor", None)
    if name is None:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
    return Actor(name, verified=False)
