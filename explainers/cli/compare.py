"""``compare``: two or more models of one table side by side: test metrics with bootstrap intervals, importance
ranks, and the test rows where they disagree (JSON or text).

``--model`` is given once per model: ``default`` (the default XGBoost), ``baseline`` (the linear baseline) or a
model file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..baseline import train_baseline_model
from ..comparison import DEFAULT_RESAMPLES, Comparison, compare
from ..data import Dataset, load_dataset
from ..errors import InputError
from ..i18n import translator
from ..metrics import METRIC_KEYS
from ..models import TabularModel, load_model, train_default_model
from .common import add_language_option, out_path, write_bytes

BUILT_IN_MODELS = ("default", "baseline")


def register(commands) -> None:
    parser = commands.add_parser("compare", help="compare models of one table: metrics, importance, disagreements")
    add_table_options(parser)
    parser.add_argument("--model", action="append", required=True,
                        help="default, baseline, or an XGBoost .json/.ubj or skops file; give it once per model")
    parser.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES,
                        help=f"bootstrap resamples of the test rows (default {DEFAULT_RESAMPLES})")
    parser.add_argument("--rows", type=int, default=50, help="disagreeing rows listed in full (default 50)")
    parser.add_argument("--format", choices=("json", "text"), default="json")
    parser.add_argument("--out", help="write the result to this file instead of standard output")
    add_language_option(parser)
    parser.set_defaults(handler=run)


def add_table_options(parser: argparse.ArgumentParser) -> None:
    """The table's options (the models come separately)."""
    parser.add_argument("--data", required=True, help="CSV or Parquet file, or a built-in dataset name")
    parser.add_argument("--target", help="target column (optional when a spec names it)")
    parser.add_argument("--spec", help="spec TOML file (default: <data>.toml beside the data, if any)")
    parser.add_argument("--allow-pickle", action="store_true",
                        help="operator only: allow loading a pickle/joblib model from this disk")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, the bootstrap and SHAP (default 0)")


def model_from_argument(value: str, dataset: Dataset, args: argparse.Namespace) -> TabularModel:
    """``default``, ``baseline`` or a model file, for ``dataset``."""
    if value == "default":
        return train_default_model(dataset, seed=args.seed)
    if value == "baseline":
        return train_baseline_model(dataset, seed=args.seed)
    return load_model(value, dataset, allow_pickle=args.allow_pickle)


def named_models(values: list[str], dataset: Dataset, args: argparse.Namespace) -> dict[str, TabularModel]:
    """Each ``--model`` under a name: ``default``, ``baseline`` or the file's name (numbered when repeated)."""
    models: dict[str, TabularModel] = {}
    for value in values:
        name = value if value in BUILT_IN_MODELS else Path(value).name
        if name in models:
            name = f"{name}#{sum(1 for n in models if n.split('#')[0] == name) + 1}"
        models[name] = model_from_argument(value, dataset, args)
    return models


def run(args: argparse.Namespace) -> int:
    if args.rows < 0:
        raise InputError(key="errors.compare.rows")
    out = out_path(args.out) if args.out else None
    dataset = load_dataset(args.data, target=args.target, spec_path=args.spec)
    models = named_models(args.model, dataset, args)
    result = compare(models, resamples=args.resamples, seed=args.seed)
    payload = {"dataset": dataset.spec.name, "data_sha256": dataset.data_hash,
               "model_sha256": {name: model.model_hash for name, model in models.items()},
               **result.to_dict(rows=args.rows)}
    text = (json.dumps(payload, ensure_ascii=False) if args.format == "json" else text_report(result, args.lang)) + "\n"
    if out is None:
        print(text, end="")
    else:
        write_bytes(out, text.encode("utf-8"))
    return 0


def text_report(result: Comparison, lang: str) -> str:
    """The ``--format text`` view: metrics with intervals, importance ranks, the disagreement."""
    tr = translator(lang)
    width = max(len(name) for name in result.names) + 2
    lines = [tr("compare.cli_metrics", rows=result.rows, percent=tr.percent(result.confidence, 0),
                resamples=result.resamples)]
    metrics = list(result.metrics.loc[result.names[0]].index)
    for metric in metrics:
        lines.append(f"  {tr('report.metric_' + METRIC_KEYS.get(metric, metric))}")
        for name in result.names:
            r = result.metrics.loc[(name, metric)]
            lines.append(f"    {name:<{width}} {tr.fixed(r['value'], 4)}  ({tr.fixed(r['low'], 4)} – "
                         f"{tr.fixed(r['high'], 4)})")
    lines.append(tr("compare.cli_importance"))
    header = "  " + " " * 30 + "".join(f"{name[:14]:>16}" for name in result.names)
    lines.append(header)
    for feature, row in result.importance.iterrows():
        lines.append(f"  {str(feature)[:30]:<30}" + "".join(f"{int(row[f'rank:{n}']):>16}" for n in result.names))
    lines.append(tr("compare.cli_disagree", rows=len(result.disagree), total=result.rows,
                    rate=tr.percent(result.disagreement_rate)))
    return "\n".join(lines)
