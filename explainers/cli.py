"""Command line: ``python -m explainers explain --data PATH --target COLUMN ...``.

Bad input exits with status 2 and one line on standard error that starts with ``error:``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence

from .counterfactuals import DEFAULT_METHOD, METHODS
from .errors import InputError
from .narrative import narrate


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print usage and a program name
        raise InputError(f"{message}; run with --help to see the options.")


def _columns(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(c.strip() for c in text.split(",") if c.strip())


def add_workspace_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that loads a table and a model shares (read by ``_workspace``)."""
    parser.add_argument("--data", required=True, help="CSV or Parquet file, or a built-in dataset name")
    parser.add_argument("--target", help="target column (optional when a spec names it)")
    parser.add_argument("--spec", help="spec TOML file (default: <data>.toml beside the data, if any)")
    parser.add_argument("--model", help="XGBoost .json/.ubj or skops file (default: train XGBoost)")
    parser.add_argument("--allow-pickle", action="store_true",
                        help="operator only: allow loading a pickle/joblib model from this disk")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m explainers", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    explain = commands.add_parser("explain", help="explain one row: prediction, SHAP, LIME, counterfactuals")
    add_workspace_options(explain)
    explain.add_argument("--row", type=int, default=0, help="row position, from 0 (default 0)")
    explain.add_argument("--immutable", help="comma-separated features that must not change")
    explain.add_argument("--counterfactuals", type=int, default=4, help="how many (0 to skip; default 4)")
    explain.add_argument("--method", choices=METHODS, default=DEFAULT_METHOD,
                         help="sparse: batched search (default); random, genetic, kdtree: DiCE")
    explain.add_argument("--seed", type=int, default=0, help="seed of LIME and DiCE (default 0)")
    explain.add_argument("--lang", choices=("en", "pt-BR"), default="en", help="language of texts")
    explain.add_argument("--format", choices=("json", "text"), default="json")
    listing = commands.add_parser("datasets", help="list the built-in datasets")
    listing.add_argument("--lang", choices=("en", "pt-BR"), default="en", help="language of the titles")
    from .report import add_report_parser

    add_report_parser(commands)
    shots = commands.add_parser("screenshots", help="one PNG per dashboard page, for documentation")
    shots.add_argument("--out", default="docs/screenshots", help="folder for the PNG files")
    shots.add_argument("--dataset", default="credit", help="built-in dataset to show")
    shots.add_argument("--row", type=int, default=3, help="row shown on the local pages")
    shots.add_argument("--lang", choices=("en", "pt-BR"), default="en", help="language of the pages")
    _add_audit_parser(commands)
    from .batch import add_batch_parser

    add_batch_parser(commands)
    from .oversight.cli import register

    register(commands)
    from .monitoring.cli import register as register_monitoring

    register_monitoring(commands)
    return parser


def _add_audit_parser(commands) -> None:
    audit = commands.add_parser("audit", help="fairness audit: group metrics and flip test per sensitive feature")
    add_workspace_options(audit)
    audit.add_argument("--sensitive", help="comma-separated sensitive columns (default: the spec's)")
    audit.add_argument("--bins", type=int, default=4, help="groups for a numeric sensitive column (default 4)")
    audit.add_argument("--sample", type=int, default=2000, help="rows in the flip test (default 2000)")
    audit.add_argument("--seed", type=int, default=0, help="seed of the split and the sample (default 0)")
    audit.add_argument("--lang", choices=("en", "pt-BR"), default="en", help="language of texts")
    audit.add_argument("--format", choices=("json", "text"), default="json")
    audit.set_defaults(immutable=None)


def _audit(args: argparse.Namespace) -> int:
    """Group metrics and the flip test for each sensitive feature, as JSON or text."""
    from .i18n import translator
    from .trust import flip_test, group_fairness

    if args.sample < 1:
        raise InputError("--sample must be at least 1.")
    workspace = _workspace(args)
    dataset, model = workspace.dataset, workspace.model
    sensitive = _columns(args.sensitive) or dataset.spec.sensitive
    if not sensitive:
        raise InputError("no sensitive feature given and the spec names none; pass --sensitive COL[,COL].")
    unknown = [c for c in sensitive if c not in dataset.feature_names]
    if unknown:
        raise InputError("--sensitive names unknown columns: " + ", ".join(unknown) + "; choose among: "
                         + ", ".join(dataset.feature_names[:30]) + ".")
    features = {}
    for feature in sensitive:
        fairness = group_fairness(model, feature, bins=args.bins, seed=args.seed, lang=args.lang)
        flips = flip_test(model, feature, max_rows=args.sample, seed=args.seed, bins=args.bins)
        features[feature] = {**fairness.to_dict(args.lang), "flip_test": flips.to_dict()}
    result = {"dataset": dataset.spec.name, "task": dataset.task, "sensitive": features,
              "stamp": workspace.stamp()}
    if args.format == "json":
        json.dump(result, sys.stdout, ensure_ascii=False, allow_nan=False)
        sys.stdout.write("\n")
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


def _workspace(args: argparse.Namespace):
    from .workspace import open_workspace

    return open_workspace(args.data, target=args.target, spec=args.spec, model=args.model,
                          allow_pickle=args.allow_pickle, immutable=_columns(args.immutable), seed=args.seed)


def _text_report(result: dict) -> str:
    lines = [f"row {result['row']} ({result['task']})", result["narrative"]["text"].replace("**", "")]
    prediction = result["prediction"]
    if "label" in prediction:
        chances = ", ".join(f"{k}: {v:.3f}" for k, v in prediction["probabilities"].items())
        lines.append(f"prediction: {prediction['label']} ({chances})")
    else:
        lines.append(f"prediction: {prediction['value']:.4g}")
    shap = result["shap"]
    lines.append(f"SHAP ({shap['space']}): base {shap['base_value']:.4f} -> output {shap['output']:.4f}")
    for name, value in sorted(shap["values"].items(), key=lambda kv: -abs(kv[1]))[:5]:
        lines.append(f"  {name:<30} {value:+.4f}")
    if result["lime"]:
        lines.append(f"LIME (fit R² {result['lime']['score']:.2f}):")
        for name, value in sorted(result["lime"]["weights"].items(), key=lambda kv: -abs(kv[1]))[:5]:
            lines.append(f"  {name:<30} {value:+.4f}")
    search = result["counterfactual_search"]
    if search:
        lines.append(f"counterfactuals: {search['valid']} valid of {search['proposed']} proposed")
        for i, cf in enumerate(result["counterfactuals"], 1):
            change = "; ".join(f"{k}: {v['from']} -> {v['to']}" for k, v in cf["changes"].items())
            lines.append(f"  {i}. {change}")
        if search["message"]:
            lines.append(f"  {search['message']}")
    return "\n".join(lines)


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "oversight", None):  # notice, cases, audit-log (explainers/oversight/cli.py)
        return args.oversight(args)
    if args.command == "datasets":
        from .data import builtin_names, builtin_spec

        print("\n".join(f"{name}\t{builtin_spec(name).display_title(args.lang)}" for name in builtin_names()))
        return 0
    if args.command == "report":
        from .report import run_report

        return run_report(args)
    if args.command == "screenshots":
        from pathlib import Path

        from .screenshots import take_screenshots

        for path in take_screenshots(Path(args.out), dataset=args.dataset, row=args.row, lang=args.lang):
            print(path)
        return 0
    if args.command == "audit":
        return _audit(args)
    if args.command == "batch":
        from .batch import run_batch

        return run_batch(args)
    if args.counterfactuals < 0 or args.counterfactuals > 20:
        raise InputError("--counterfactuals must be between 0 and 20.")
    workspace = _workspace(args)
    explanation = workspace.explain(args.row, counterfactuals=args.counterfactuals,
                                    method=args.method, seed=args.seed, checks=True)
    result = explanation.to_dict(workspace.dataset.task)
    found = explanation.counterfactuals.counterfactuals if explanation.counterfactuals else ()
    result["narrative"] = narrate(workspace.model, workspace.dataset.row(args.row), found[0] if found else None,
                                  lang=args.lang, seed=args.seed).to_dict()
    result["notices"] = list(workspace.dataset.notices)
    result["stamp"] = workspace.stamp()
    if args.format == "json":
        json.dump(result, sys.stdout, ensure_ascii=False, allow_nan=False)
        sys.stdout.write("\n")
    else:
        print(_text_report(result))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TQDM_DISABLE", "1")
    warnings.filterwarnings("ignore")
    try:
        return run(argv)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader closed the pipe (e.g. `| head`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else ""
        print(f"error: unexpected {type(exc).__name__}: {reason}; please report it.", file=sys.stderr)
        return 1
