"""``cases``: saved cases (a row's explanation as it was, with a note), their list and review queue, reviews."""

from __future__ import annotations

import argparse

from ..i18n import translator
from .common import (
    actor_from_args,
    add_database_options,
    add_workspace_options,
    print_json,
    store_from_args,
    workspace_for_row,
)


def register(commands) -> None:
    cases = commands.add_parser("cases", help="saved cases: add, list, review")
    actions = cases.add_subparsers(dest="cases_command", required=True)
    add = actions.add_parser("add", help="save a case: one row's explanation as it is now, with a note")
    add_workspace_options(add)
    add.add_argument("--seed", type=int, default=0, help="seed of the model, LIME and counterfactuals (default 0)")
    add.add_argument("--row", type=int, required=True, help="row position, from 0")
    add.add_argument("--note", required=True, help="why this case matters")
    add.add_argument("--actor", help="who saves it (default: this user, unverified)")
    add_database_options(add)
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="list cases, newest first")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.add_argument("--dataset", help="only this dataset")
    listing.add_argument("--status", choices=("open", "agree", "override", "needs_information"))
    listing.add_argument("--reviewer", help="only cases whose latest review is by this reviewer")
    listing.add_argument("--since", help="saved on or after this day (YYYY-MM-DD)")
    listing.add_argument("--until", help="saved on or before this day (YYYY-MM-DD)")
    listing.add_argument("--search", help="text in the note")
    listing.add_argument("--queue", action="store_true", help="the review queue: cases without a review, oldest first")
    add_database_options(listing)
    listing.set_defaults(handler=run_list)
    review = actions.add_parser("review", help="record a verdict on a case")
    review.add_argument("id", type=int, help="case id")
    review.add_argument("--verdict", required=True, choices=("agree", "override", "needs_information"))
    review.add_argument("--outcome", help="override: the outcome the reviewer decided")
    review.add_argument("--reason", help="why (required for an override)")
    review.add_argument("--comment", help="anything else")
    review.add_argument("--actor", required=True, help="the reviewer's name (recorded as unverified)")
    add_database_options(review)
    review.set_defaults(handler=run_review)


def run_add(args: argparse.Namespace) -> int:
    from ..oversight.cases import save_case, snapshot

    actor = actor_from_args(args)
    store = store_from_args(args)
    workspace = workspace_for_row(args)
    snap = snapshot(workspace, args.row, "local", lang=args.lang, seed=args.seed)
    case_id = save_case(store, snap, actor, note=args.note)
    print(case_id)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ..oversight.cases import cases_frame, list_cases, review_queue

    store = store_from_args(args)
    if args.queue:
        items = review_queue(store)
    else:
        items = list_cases(store, dataset=args.dataset, status=args.status, reviewer=args.reviewer,
                           since=args.since, until=args.until, search=args.search)
    if args.format == "json":
        print_json([i.to_dict() for i in items])
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


def run_review(args: argparse.Namespace) -> int:
    from ..oversight.cases import record_review

    actor = actor_from_args(args)
    store = store_from_args(args)
    review_id = record_review(store, args.id, args.verdict, actor, outcome=args.outcome, reason=args.reason,
                              comment=args.comment)
    print(review_id)
    return 0
