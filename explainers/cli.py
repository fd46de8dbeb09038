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


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print usage and a program name
        raise InputError(f"{message}; run with --help to see the options.")


def _columns(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(c.strip() for c in text.split(",") if c.strip())


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m explainers", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    explain = commands.add_parser("explain", help="explain one row: prediction, SHAP, LIME, counterfactuals")
    explain.add_argument("--data", required=True, help="CSV or Parquet file, or a built-in dataset name")
    explain.add_argument("--target", help="target column (optional when a spec names it)")
    explain.add_argument("--spec", help="spec TOML file (default: <data>.toml beside the data, if any)")
    explain.add_argument("--model", help="XGBoost .json/.ubj or skops file (default: train XGBoost)")
    explain.add_argument("--allow-pickle", action="store_true",
                         help="operator only: allow loading a pickle/joblib model from this disk")
    explain.add_argument("--row", type=int, default=0, help="row position, from 0 (default 0)")
    explain.add_argument("--immutable", help="comma-separated features that must not change")
    explain.add_argument("--counterfactuals", type=int, default=4, help="how many (0 to skip; default 4)")
    explain.add_argument("--method", choices=METHODS, default=DEFAULT_METHOD,
                         help="sparse: batched search (default); random, genetic, kdtree: DiCE")
    explain.add_argument("--seed", type=int, default=0, help="seed of LIME and DiCE (default 0)")
    explain.add_argument("--lang", choices=("en", "pt-BR"), default="en", help="language of texts")
    explain.add_argument("--format", choices=("json", "text"), default="json")
    commands.add_parser("datasets", help="list the built-in datasets")
    return parser


def _workspace(args: argparse.Namespace):
    from .data import load_dataset
    from .explanation import Workspace
    from .models import load_model, train_default_model
    from .spec import with_overrides

    dataset = load_dataset(args.data, target=args.target, spec_path=args.spec)
    immutable = _columns(args.immutable)
    if immutable is not None:
        unknown = [c for c in immutable if c not in dataset.feature_names]
        if unknown:
            raise InputError("--immutable names unknown columns: " + ", ".join(unknown) + ".")
        object.__setattr__(dataset, "spec", with_overrides(dataset.spec, immutable))
    if args.model:
        model = load_model(args.model, dataset, allow_pickle=args.allow_pickle)
    else:
        model = train_default_model(dataset, seed=args.seed)
    return Workspace(dataset, model, seed=args.seed)


def _text_report(result: dict) -> str:
    lines = [f"row {result['row']} ({result['task']})"]
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
    if args.command == "datasets":
        from .data import builtin_names

        print("\n".join(builtin_names()))
        return 0
    if args.counterfactuals < 0 or args.counterfactuals > 20:
        raise InputError("--counterfactuals must be between 0 and 20.")
    workspace = _workspace(args)
    explanation = workspace.explain(args.row, counterfactuals=args.counterfactuals,
                                    method=args.method, seed=args.seed)
    result = explanation.to_dict(workspace.dataset.task)
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
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else ""
        print(f"error: unexpected {type(exc).__name__}: {reason}; please report it.", file=sys.stderr)
        return 1
