"""``monitor``: compare current tables with the reference (:mod:`explainers.monitoring`).

``monitor --data PATH --target COL [--model PATH] --current PATH [--current PATH ...] [--reference PATH]
[--by COLUMN] [--threshold NAME=VALUE ...] [--format json|text] [--lang en|pt-BR]``

Each ``--current`` is a table file (CSV, Parquet, Excel), a glob or folder of them read as one table, or a batch
results folder; two or more make a timeline, in the order given, and so does one batch folder with ``--by``
(one period per value of a column the batch kept, e.g. ``batch --keep month``).
Exit status: 3 when a major alert fires for any current table, 0 otherwise;
bad input raises :class:`~explainers.errors.InputError` (status 2 and one ``error:`` line).
"""

from __future__ import annotations

import argparse

from ..errors import InputError
from .common import add_language_option, add_workspace_options, print_json, workspace_from_args

MAJOR_EXIT = 3


def register(subparsers) -> None:
    """Add ``monitor`` to ``python -m explainers``'s subcommands."""
    parser = subparsers.add_parser("monitor", help="drift of the data, the predictions, the reasons and the "
                                                   "performance since the reference; exit 3 on a major alert")
    add_workspace_options(parser, data_help="the reference dataset: CSV or Parquet, or a built-in name")
    parser.add_argument("--current", action="append", required=True, metavar="PATH",
                        help="a current table (CSV, Parquet, Excel), a quoted glob such as 'months/*.parquet' or a "
                        "folder of them (one table), or a batch results folder; repeat for a timeline")
    parser.add_argument("--by", metavar="COLUMN",
                        help="group one batch results folder into periods by a column it kept (batch --keep), "
                        "e.g. month: a timeline from one folder")
    parser.add_argument("--reference", metavar="PATH",
                        help="compare with this table instead of the training rows of the 80/20 split")
    parser.add_argument("--threshold", action="append", default=[], metavar="NAME=VALUE",
                        help="change an alert threshold, e.g. psi_major=0.3 (also settable in the spec's [monitoring])")
    parser.add_argument("--seed", type=int, default=0, help="seed of the default model (default 0)")
    parser.add_argument("--format", choices=("json", "text"), default="text")
    add_language_option(parser, help="language of the alerts")
    parser.set_defaults(handler=run)


def _overrides(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(key="errors.cli.bad_threshold", item=item)
        out[name.strip()] = value.strip()
    return out


def run(args: argparse.Namespace) -> int:
    from ..i18n import translator
    from ..monitoring.inputs import read_batch_periods, read_path
    from ..monitoring.monitor import monitor_all, prepare_reference
    from ..monitoring.thresholds import thresholds_for
    from ..monitoring.timeline import timeline

    workspace = workspace_from_args(args)
    dataset, model = workspace.dataset, workspace.model
    thresholds = thresholds_for(dataset.spec, _overrides(args.threshold))
    reference_table = read_path(args.reference, dataset, model) if args.reference else None
    if args.by:
        if len(args.current) != 1:
            raise InputError(key="errors.batch_keep.by_one_folder")
        currents = read_batch_periods(args.current[0], args.by, dataset, model, seed=thresholds.seed)
    else:
        currents = [read_path(path, dataset, model, seed=thresholds.seed) for path in args.current]
    reference = prepare_reference(dataset, model, thresholds, reference_table)
    results = monitor_all(reference, currents, thresholds)
    tr = translator(args.lang)
    labels = dataset.spec.short_labels(dataset.feature_names, tr.lang)
    status = MAJOR_EXIT if any(r.major for r in results) else 0
    if args.format == "json":
        out = {
            "reference": {"rows": reference.table.rows, "source": args.reference or "training split (80/20, seed "
                          f"{int(model.details.get('seed', 0)) if model.is_default else 0})"},
            "thresholds": thresholds.to_dict(),
            "results": [r.to_dict(tr, dataset.spec, labels) for r in results],
            "timeline": timeline(results).to_dict() if len(results) > 1 else None,
            "exit_status": status,
            "stamp": {"data_sha256": dataset.data_hash, "model_sha256": model.model_hash, "seed": thresholds.seed},
        }
        print_json(out)
    else:
        print(text_summary(results, tr, dataset.spec, labels))
    return status


def text_summary(results, tr, spec, labels) -> str:
    lines = []
    for result in results:
        lines.append(tr("monitoring.cli_heading", current=result.name, rows=tr.number(result.rows, 0),
                        reference=tr.number(result.reference_rows, 0)))
        if not result.alerts:
            lines.append("  " + tr("monitoring.no_alerts"))
        for alert in result.alerts:
            lines.append(f"  [{tr(f'monitoring.severity_{alert.severity}')}] {alert.text(tr, spec, labels)}")
        lines.append("  " + tr("monitoring.cli_columns"))
        for _, row in result.feature_table().iterrows():
            p = row["p_adjusted"]
            p_text = "<0.001" if p < 0.001 else f"{p:.3f}"
            verdict = tr("monitoring.severity_" + row["severity"])
            lines.append(f"  {labels.get(row['feature'], row['feature'])[:28]:<28} {row['psi']:>7.3f} "
                         f"{p_text:>7} {row['missing_change']:>+8.1%}  {verdict}")
        lines.append("")
    return "\n".join(lines).rstrip()
