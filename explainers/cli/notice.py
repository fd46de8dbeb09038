"""``notice``: a decision notice (HTML, Markdown or PDF) for one row, recorded in the audit trail.

The oversight commands import :mod:`explainers.oversight` (and SQLAlchemy) only when they run.
"""

from __future__ import annotations

import argparse

from ..errors import InputError
from .common import (
    actor_from_args,
    add_database_options,
    add_workspace_options,
    out_path,
    store_from_args,
    workspace_for_row,
)


def register(commands) -> None:
    notice = commands.add_parser("notice", help="write a decision notice (HTML, Markdown or PDF) for one row")
    add_workspace_options(notice)
    notice.add_argument("--seed", type=int, default=0, help="seed of the model, LIME and counterfactuals (default 0)")
    notice.add_argument("--row", type=int, required=True, help="row position, from 0")
    notice.add_argument("--out", required=True, help="output file: .html, .md or .pdf")
    notice.add_argument("--reasons", type=int, default=4, help="how many principal reasons (1 to 10; default 4)")
    notice.add_argument("--actor", help="who produces it, for the audit trail (default: this user, unverified)")
    add_database_options(notice)
    notice.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..oversight.events import record_notice
    from ..oversight.notice import MAX_REASONS, build_notice, notice_format, write_notice

    out = out_path(args.out)
    fmt = notice_format(out)
    if not 1 <= args.reasons <= MAX_REASONS:
        raise InputError(key="errors.cli.reasons", limit=MAX_REASONS)
    actor = actor_from_args(args)
    store = store_from_args(args)
    workspace = workspace_for_row(args)
    notice = build_notice(workspace, args.row, lang=args.lang, reasons=args.reasons, seed=args.seed)
    path, size = write_notice(notice, out)
    record_notice(store, notice, fmt, actor)
    print(f"wrote {path} ({size:,} bytes); reference {notice.reference}")
    return 0
