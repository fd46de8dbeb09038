"""``explain``: one row's prediction, SHAP, LIME, counterfactuals, narrative and trust checks, as JSON or text."""

from __future__ import annotations

import argparse

from ..counterfactuals import DEFAULT_METHOD, METHODS
from ..errors import InputError
from ..messages import in_language
from .common import add_language_option, add_workspace_options, print_json, workspace_from_args


def register(commands) -> None:
    explain = commands.add_parser("explain", help="explain one row: prediction, SHAP, LIME, counterfactuals")
    add_workspace_options(explain)
    explain.add_argument("--row", type=int, default=0, help="row position, from 0 (default 0)")
    explain.add_argument("--immutable", help="comma-separated features that must not change")
    explain.add_argument("--counterfactuals", type=int, default=4, help="how many (0 to skip; default 4)")
    explain.add_argument("--method", choices=METHODS, default=DEFAULT_METHOD,
                         help="sparse: batched search (default); random, genetic, kdtree: DiCE")
    explain.add_argument("--seed", type=int, default=0, help="seed of LIME and DiCE (default 0)")
    add_language_option(explain)
    explain.add_argument("--format", choices=("json", "text"), default="json")
    explain.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.counterfactuals < 0 or args.counterfactuals > 20:
        raise InputError(key="errors.batch.counterfactual_count")
    workspace = workspace_from_args(args)
    explanation = workspace.explain(args.row, counterfactuals=args.counterfactuals,
                                    method=args.method, seed=args.seed, checks=True, lang=args.lang)
    result = explanation.to_dict(workspace.dataset.task)
    result["notices"] = [in_language(notice, args.lang) for notice in workspace.dataset.notices]
    personal = workspace.dataset.personal
    if personal:  # which columns hold personal data and this row's values, masked: never a raw value
        result["personal"] = {**personal.to_dict(args.lang), "row": personal.masked_row(args.row)}
    result["stamp"] = workspace.stamp()
    if args.format == "json":
        print_json(result)
    else:
        print(text_report(result))
    return 0


def text_report(result: dict) -> str:
    """The ``--format text`` view of :func:`run`'s result."""
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
