"""``errors``: where a model errs on its table's test split: the leaves of a shallow decision tree fitted to its
errors, each with its rule, rows, errors, error rate and share of all errors (JSON or text)."""

from __future__ import annotations

import argparse
import json

from ..data import load_dataset
from ..error_analysis import DEFAULT_MAX_DEPTH, ErrorTree, error_tree
from ..i18n import translator
from .common import add_language_option, out_path, write_bytes
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
    add_language_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    out = out_path(args.out) if args.out else None
    dataset = load_dataset(args.data, target=args.target, spec_path=args.spec)
    model = model_from_argument(args.model, dataset, args)
    tree = error_tree(model, max_depth=args.max_depth, seed=args.seed)
    if args.format == "json":
        text = json.dumps({"dataset": dataset.spec.name, "data_sha256": dataset.data_hash,
                           "model_sha256": model.model_hash, **tree.to_dict()}, ensure_ascii=False)
    else:
        text = text_report(tree, args.lang)
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
