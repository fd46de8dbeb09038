"""``audit-log``: the tamper-evident audit trail: ``verify`` the hash chain, ``export`` it as CSV or JSON."""

from __future__ import annotations

import argparse

from ..i18n import translator
from .common import add_database_options, out_path, store_from_args, write_bytes


def register(commands) -> None:
    log = commands.add_parser("audit-log", help="the tamper-evident audit trail: verify, export")
    actions = log.add_subparsers(dest="audit_command", required=True)
    checking = actions.add_parser("verify", help="check the hash chain; exit 1 and name the first broken entry")
    add_database_options(checking)
    checking.set_defaults(handler=run_verify)
    export = actions.add_parser("export", help="write the audit trail as CSV or JSON")
    export.add_argument("--format", choices=("csv", "json"), required=True)
    export.add_argument("--out", required=True, help="output file")
    add_database_options(export)
    export.set_defaults(handler=run_export)


def run_verify(args: argparse.Namespace) -> int:
    from ..oversight.audit import verify

    tr = translator(args.lang)
    result = verify(store_from_args(args))
    if result.ok:
        print(tr("auditlog.ok", n=tr.number(result.entries, 0), head=result.head) if result.entries
              else tr("auditlog.ok_empty"))
        return 0
    print(tr("auditlog.broken", seq=result.first_broken, reason=tr(f"auditlog.reason_{result.code}")))
    return 1


def run_export(args: argparse.Namespace) -> int:
    from ..oversight.audit import entries, export_csv, export_json

    out = out_path(args.out)
    items = entries(store_from_args(args), newest_first=False)
    data = export_csv(items) if args.format == "csv" else export_json(items)
    write_bytes(out, data)
    print(f"wrote {out} ({len(items):,} entries, {len(data):,} bytes)")
    return 0
