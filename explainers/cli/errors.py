"""``errors``: where a model errs on its table's test split: the leaves of a shallow decision tree fitted to its
errors, each with its rule, rows, errors, error rate and share of all errors (JSON or text); with ``--cohorts``,
also the cohorts saved for the table in the case database, with the model's metrics on each."""

from __future__ import annotations

import argparse
import json

from ..data import load_dataset
from ..error_analysis import DEFAULT_MAX_DEPTH, ErrorTree, cohort_metrics, error_tree
from ..i18n import translator
from .common import add_language_option, out_path, store_from_args, write_bytes
from .compare import add_table_options, model_from_argument


def register(commands) -> None:
    parser = commands.add_parser("errors", help="where a model errs: the leaves of an error tree on the test split")
    add_table_options(parser)
    parser.add_argument("--model", default="default",
                        help="default (XGBoost, the default), baseline, or an XGBoost .json/.ubj or skops file")
    parser.add_argument("--max-depth", type=int, default=DEFAULT_MAX_DEPTH,
                        help=f"depth of the error tree (default {DEFAULT_MAX_DEPTH})")
    parser.add_argument("--format", choices=("json", "text"), default="text")
    parser.add_argument("--out", help="write the result to this file instead of standard output")
    parser.add_argument("--cohorts", action="store_true",
                        help="also the cohorts saved for this table (Where it errs page), with metrics on each")
    parser.add_argument("--db", help="database URL of the cohorts (default: XAI_DB_URL, else sqlite:///var/oversight.db)")
    add_language_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    out = out_path(args.out) if args.out else None
    dataset = load_dataset(args.data, target=args.target, spec_path=args.spec)
    model = model_from_argument(args.model, dataset, args)
    tree = error_tree(model, max_depth=args.max_depth, seed=args.seed)
    cohorts = saved_cohorts(args, dataset, model) if args.cohorts else None
    if args.format == "json":
        extra = {} if cohorts is None else {"cohorts": cohorts}
        text = json.dumps({"dataset": dataset.spec.name, "data_sha256": dataset.data_hash,
                           "model_sha256": model.model_hash, **tree.to_dict(), **extra}, ensure_ascii=False)
    else:
        text = text_report(tree, args.lang)
        if cohorts is not None:
            text += "\n" + cohorts_report(cohorts, args.lang)
    if out is None:
        print(text)
    else:
        write_bytes(out, (text + "\n").encode("utf-8"))
    return 0


def text_report(tree: ErrorTree, lang: str) -> str:
    """The ``--format text`` view: the tree's totals, then each leaf (highest error rate first) and its rule."""
    tr = translator(lang)
    lines = [tr("compare.cli_tree", depth=tree.max_depth, errors=tree.total_errors, rows=len(tree.rows),
                rate=tr.percent(tree.error_rate))]
    for leaf in tree.leaves:
        lines.append(tr("compare.cli_leaf", node=leaf.node, rows=leaf.rows, errors=leaf.errors,
                        rate=tr.percent(leaf.error_rate), share=tr.percent(tree.share_of_errors(leaf))))
        lines.append(f"    {leaf.expression() or '(all rows)'}")
    return "\n".join(lines)


def saved_cohorts(args: argparse.Namespace, dataset, model) -> list[dict]:
    """The cohorts saved for this table's content, oldest first, each with the model's metrics on it."""
    from ..oversight.cohorts import list_cohorts

    saved = list_cohorts(store_from_args(args), dataset.data_hash)
    if not saved:
        return []
    measured = cohort_metrics(model, {c.name: c.expression for c in saved}, seed=args.seed).to_dict()
    out = []
    for cohort in saved:
        row = {"name": cohort.name, "expression": cohort.expression, "saved_by": cohort.actor,
               "saved_at": cohort.created_at, **measured[cohort.name]}
        for count in ("rows", "errors"):  # counts, not the table's floats
            if row.get(count) is not None:
                row[count] = int(row[count])
        out.append(row)
    return out


def cohorts_report(cohorts: list[dict], lang: str) -> str:
    """The ``--cohorts`` part of the text view: each saved cohort's rows, errors and error rate, and its filter."""
    tr = translator(lang)
    if not cohorts:
        return tr("erroranalysis.cli_no_cohorts")
    lines = [tr("erroranalysis.cli_cohorts", count=len(cohorts))]
    for cohort in cohorts:
        rate = cohort.get("error_rate")
        lines.append(tr("erroranalysis.cli_cohort", name=cohort["name"], rows=cohort["rows"],
                        errors="—" if cohort.get("errors") is None else cohort["errors"],
                        rate="—" if rate is None else tr.percent(rate)))
        lines.append(f"    {cohort['expression']}")
    return "\n".join(lines)
