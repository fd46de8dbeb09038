"""``audit``: group fairness metrics (fairlearn) and the flip test for each sensitive feature, as JSON or text."""

from __future__ import annotations

import argparse

from ..errors import InputError
from ..i18n import translator
from ..trust import flip_test, group_fairness
from .common import add_language_option, add_workspace_options, print_json, workspace_from_args
from .common import columns as column_list


def register(commands) -> None:
    audit = commands.add_parser("audit", help="fairness audit: group metrics and flip test per sensitive feature")
    add_workspace_options(audit)
    audit.add_argument("--sensitive", help="comma-separated sensitive columns (default: the spec's)")
    audit.add_argument("--bins", type=int, default=4, help="groups for a numeric sensitive column (default 4)")
    audit.add_argument("--sample", type=int, default=2000, help="rows in the flip test (default 2000)")
    audit.add_argument("--seed", type=int, default=0, help="seed of the split and the sample (default 0)")
    add_language_option(audit)
    audit.add_argument("--format", choices=("json", "text"), default="json")
    audit.set_defaults(immutable=None, handler=run)


def run(args: argparse.Namespace) -> int:
    """Group metrics and the flip test for each sensitive feature, as JSON or text."""
    if args.sample < 1:
        raise InputError(key="errors.cli.sample")
    workspace = workspace_from_args(args)
    dataset, model = workspace.dataset, workspace.model
    sensitive = column_list(args.sensitive) or dataset.spec.sensitive
    if not sensitive:
        raise InputError(key="errors.cli.no_sensitive")
    unknown = [c for c in sensitive if c not in dataset.feature_names]
    if unknown:
        raise InputError(key="errors.cli.unknown_sensitive", columns=", ".join(unknown),
                         choices=", ".join(dataset.feature_names[:30]))
    features = {}
    for feature in sensitive:
        fairness = group_fairness(model, feature, bins=args.bins, seed=args.seed, lang=args.lang)
        flips = flip_test(model, feature, max_rows=args.sample, seed=args.seed, bins=args.bins)
        features[feature] = {**fairness.to_dict(args.lang), "flip_test": flips.to_dict()}
    result = {"dataset": dataset.spec.name, "task": dataset.task, "sensitive": features,
              "stamp": workspace.stamp()}
    if args.format == "json":
        print_json(result)
        return 0
    tr = translator(args.lang)
    first = next(iter(features.values()))
    lines = [tr("trust.audit_title", dataset=dataset.spec.name, rows=tr.number(first["rows"], 0))]
    for feature, found in features.items():
        lines += ["", tr("trust.audit_feature", feature=feature)]
        columns = [c for c in found["groups"][0] if c != "group"]
        table = [[tr("trust.col_group"), *[tr("trust.col_" + c) for c in columns]]]
        for group in found["groups"]:
            table.append([group["group"], *[tr.number(group[c], 0 if c == "count" else 3)
                                            if group[c] is not None else "-" for c in columns]])
        widths = [max(len(line[j]) for line in table) for j in range(len(table[0]))]
        for line in table:
            lines.append("  " + line[0].ljust(widths[0]) + "".join(
                "  " + cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)))
        lines.append(tr("trust.audit_gaps") + ": " + "; ".join(
            f"{tr('trust.gap_' + name)} {tr.number(value, 3) if value is not None else '-'}"
            for name, value in found["gaps"].items()))
        lines.append(found["summary"])
        flips = found["flip_test"]
        key = "trust.audit_flips" if model.is_classifier else "trust.audit_flips_regression"
        lines.append(tr(key, changed=tr.number(flips["changed"], 0), variants=tr.number(flips["variants"], 0),
                        rows=tr.number(flips["rows_tested"], 0), change=tr.number(flips["mean_abs_change"], 4),
                        tolerance=tr.number(flips["tolerance"] or 0.0, 3)))
    print("\n".join(lines))
    return 0
