"""Command line for human oversight, wired into ``python -m explainers`` by :func:`register`:

- ``notice --data PATH --target COL [--model PATH] --row N --out FILE.{html,md,pdf} [--lang] [--reasons K]``
- ``cases add --data PATH --target COL --row N --note TEXT [--actor NAME]``
- ``cases list [--format json|text] [--dataset NAME] [--status S] [--reviewer NAME] [--search TEXT]``
- ``cases review ID --verdict agree|override|needs_information [--outcome LABEL] --reason TEXT --actor NAME``
- ``audit-log verify`` (exit 0 when the chain holds; 1 and the first broken entry otherwise)
- ``audit-log export --format csv|json --out FILE``

Every command takes ``--db URL`` (default ``XAI_DB_URL``, else ``var/oversight.db``) and ``--lang``. Bad input
raises :class:`explainers.errors.InputError`, which ``python -m explainers`` turns into exit status 2 and
one ``error:`` line. Names typed with ``--actor`` are recorded as unverified.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from ..errors import InputError
from ..i18n import languages, translator


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database URL (default: XAI_DB_URL, else sqlite:///var/oversight.db)")
    parser.add_argument("--lang", choices=tuple(languages()), default="en", help="language of texts")


def _workspace_options(parser: argparse.ArgumentParser) -> None:
    from ..cli import add_workspace_options

    add_workspace_options(parser)
    parser.add_argument("--seed", type=int, default=0, help="seed of the model, LIME and counterfactuals (default 0)")


def register(subparsers) -> None:
    """Add ``notice``, ``cases`` and ``audit-log`` to ``python -m explainers``'s subcommands."""
    notice = subparsers.add_parser("notice", help="write a decision notice (HTML, Markdown or PDF) for one row")
    _workspace_options(notice)
    notice.add_argument("--row", type=int, required=True, help="row position, from 0")
    notice.add_argument("--out", required=True, help="output file: .html, .md or .pdf")
    notice.add_argument("--reasons", type=int, default=4, help="how many principal reasons (1 to 10; default 4)")
    notice.add_argument("--actor", help="who produces it, for the audit trail (default: this user, unverified)")
    _common(notice)
    notice.set_defaults(oversight=_notice)

    cases = subparsers.add_parser("cases", help="saved cases: add, list, review")
    commands = cases.add_subparsers(dest="cases_command", required=True)
    add = commands.add_parser("add", help="save a case: one row's explanation as it is now, with a note")
    _workspace_options(add)
    add.add_argument("--row", type=int, required=True, help="row position, from 0")
    add.add_argument("--note", required=True, help="why this case matters")
    add.add_argument("--actor", help="who saves it (default: this user, unverified)")
    _common(add)
    add.set_defaults(oversight=_cases_add)
    listing = commands.add_parser("list", help="list cases, newest first")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.add_argument("--dataset", help="only this dataset")
    listing.add_argument("--status", choices=("open", "agree", "override", "needs_information"))
    listing.add_argument("--reviewer", help="only cases whose latest review is by this reviewer")
    listing.add_argument("--since", help="saved on or after this day (YYYY-MM-DD)")
    listing.add_argument("--until", help="saved on or before this day (YYYY-MM-DD)")
    listing.add_argument("--search", help="text in the note")
    listing.add_argument("--queue", action="store_true", help="the review queue: cases without a review, oldest first")
    _common(listing)
    listing.set_defaults(oversight=_cases_list)
    review = commands.add_parser("review", help="record a verdict on a case")
    review.add_argument("id", type=int, help="case id")
    review.add_argument("--verdict", required=True, choices=("agree", "override", "needs_information"))
    review.add_argument("--outcome", help="override: the outcome the reviewer decided")
    review.add_argument("--reason", help="why (required for an override)")
    review.add_argument("--comment", help="anything else")
    review.add_argument("--actor", required=True, help="the reviewer's name (recorded as unverified)")
    _common(review)
    review.set_defaults(oversight=_cases_review)

    log = subparsers.add_parser("audit-log", help="the tamper-evident audit trail: verify, export")
    commands = log.add_subparsers(dest="audit_command", required=True)
    verify = commands.add_parser("verify", help="check the hash chain; exit 1 and name the first broken entry")
    _common(verify)
    verify.set_defaults(oversight=_audit_verify)
    export = commands.add_parser("export", help="write the audit trail as CSV or JSON")
    export.add_argument("--format", choices=("csv", "json"), required=True)
    export.add_argument("--out", required=True, help="output file")
    _common(export)
    export.set_defaults(oversight=_audit_export)


def _store(args: argparse.Namespace):
    from .store import Store

    return Store(args.db) if args.db else _default_store()


def _default_store():
    from .store import open_store

    return open_store()


def _actor(args: argparse.Namespace):
    from .audit import Actor

    name = getattr(args, "actor", None)
    if name is None:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
    return Actor(name, verified=False)


def _load(args: argparse.Namespace):
    from ..workspace import open_workspace

    workspace = open_workspace(args.data, target=args.target, spec=args.spec, model=args.model,
                               allow_pickle=args.allow_pickle, seed=args.seed)
    rows = len(workspace.dataset.features)
    if not 0 <= args.row < rows:
        raise InputError(f"--row {args.row} does not exist; choose a position from 0 to {rows - 1}.")
    return workspace


def _out(path: str) -> Path:
    out = Path(path)
    if out.parent and not out.parent.exists():
        raise InputError(f"folder {out.parent} does not exist; create it or choose another --out.")
    return out


def _notice(args: argparse.Namespace) -> int:
    from .events import record_notice
    from .notice import MAX_REASONS, build_notice, notice_format, write_notice

    out = _out(args.out)
    fmt = notice_format(out)
    if not 1 <= args.reasons <= MAX_REASONS:
        raise InputError(f"--reasons must be between 1 and {MAX_REASONS}.")
    actor = _actor(args)
    store = _store(args)
    workspace = _load(args)
    notice = build_notice(workspace, args.row, lang=args.lang, reasons=args.reasons, seed=args.seed)
    path, size = write_notice(notice, out)
    record_notice(store, notice, fmt, actor)
    print(f"wrote {path} ({size:,} bytes); reference {notice.reference}")
    return 0


def _cases_add(args: argparse.Namespace) -> int:
    from .cases import save_case, snapshot

    actor = _actor(args)
    store = _store(args)
    workspace = _load(args)
    snap = snapshot(workspace, args.row, "local", lang=args.lang, seed=args.seed)
    case_id = save_case(store, snap, actor, note=args.note)
    print(case_id)
    return 0


def _cases_list(args: argparse.Namespace) -> int:
    from .cases import cases_frame, list_cases, review_queue

    store = _store(args)
    if args.queue:
        items = review_queue(store)
    else:
        items = list_cases(store, dataset=args.dataset, status=args.status, reviewer=args.reviewer,
                           since=args.since, until=args.until, search=args.search)
    if args.format == "json":
        json.dump([i.to_dict() for i in items], sys.stdout, ensure_ascii=False, allow_nan=False)
        sys.stdout.write("\n")
        return 0
    tr = translator(args.lang)
    frame = cases_frame(items)
    if frame.empty:
        print(tr("cases.none"))
        return 0
    frame["note"] = frame["note"].map(lambda n: " ".join(str(n).split())[:60])
    frame["status"] = frame["status"].map(lambda s: tr(f"cases.status_{s}"))
    frame = frame.fillna("")
    headers = {c: tr(f"cases.col_{k}") for c, k in (("id", "id"), ("created_at", "saved"), ("dataset", "dataset"),
                                                    ("row", "row"), ("kind", "kind"), ("prediction", "prediction"),
                                                    ("status", "status"), ("reviewer", "reviewer"),
                                                    ("actor", "actor"), ("note", "note"))}
    print(frame.rename(columns=headers).to_string(index=False))
    return 0


def _cases_review(args: argparse.Namespace) -> int:
    from .cases import record_review

    actor = _actor(args)
    store = _store(args)
    review_id = record_review(store, args.id, args.verdict, actor, outcome=args.outcome, reason=args.reason,
                              comment=args.comment)
    print(review_id)
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from .audit import verify

    tr = translator(args.lang)
    result = verify(_store(args))
    if result.ok:
        print(tr("auditlog.ok", n=tr.number(result.entries, 0), head=result.head) if result.entries
              else tr("auditlog.ok_empty"))
        return 0
    print(tr("auditlog.broken", seq=result.first_broken, reason=tr(f"auditlog.reason_{result.code}")))
    return 1


def _audit_export(args: argparse.Namespace) -> int:
    from .audit import entries, export_csv, export_json

    out = _out(args.out)
    items = entries(_store(args), newest_first=False)
    data = export_csv(items) if args.format == "csv" else export_json(items)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise InputError(f"could not write {out} ({exc.strerror or type(exc).__name__}); check the folder.") from None
    print(f"wrote {out} ({len(items):,} entries, {len(data):,} bytes)")
    return 0
