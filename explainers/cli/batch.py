"""``batch``: explain every row of a large table on Dask (predictions and SHAP to Parquet, resumable)."""

from __future__ import annotations

import argparse

from ..batch import DEFAULT_MAX_COUNTERFACTUAL_ROWS, DEFAULT_PARTITION_ROWS, BatchOptions, batch_explain
from .common import add_language_option, print_json


def register(commands) -> None:
    """The ``batch`` subcommand's options."""
    batch = commands.add_parser(
        "batch", help="explain every row of a large table on Dask: predictions and SHAP to Parquet")
    batch.add_argument("--data", required=True,
                       help="CSV or Parquet file, a folder of them, or a glob such as 'in/*.parquet'")
    batch.add_argument("--model", required=True,
                       help="model file: XGBoost .json/.ubj, LightGBM .txt/.json, CatBoost .cbm, ONNX .onnx or "
                       "scikit-learn .skops (XGBoost, LightGBM and CatBoost: exact TreeSHAP; others: permutation SHAP)")
    batch.add_argument("--out", required=True, help="folder for part-NNNNN.parquet and manifest.json")
    batch.add_argument("--target", help="target column, copied to the output (optional)")
    batch.add_argument("--spec", help="spec TOML file (default: <data>.toml beside a single data file, if any)")
    batch.add_argument("--scheduler", help="address of a Dask scheduler (default: start a local cluster)")
    batch.add_argument("--workers", type=int, help="local cluster: worker processes (default: one per core)")
    batch.add_argument("--partition-rows", type=int, default=DEFAULT_PARTITION_ROWS,
                       help=f"rows per partition (default {DEFAULT_PARTITION_ROWS:,}); bounds each worker's memory")
    batch.add_argument("--counterfactuals", type=int, default=0,
                       help="counterfactuals per row chosen by --where (0 to 20; default 0)")
    batch.add_argument("--where", help="filter choosing rows for counterfactuals: columns, values, comparisons, "
                       "in [...], and/or/not, e.g. \"score < 0.5 and Age > 30\"")
    batch.add_argument("--max-counterfactual-rows", type=int, default=DEFAULT_MAX_COUNTERFACTUAL_ROWS,
                       help=f"at most this many rows get counterfactuals (default {DEFAULT_MAX_COUNTERFACTUAL_ROWS:,})")
    batch.add_argument("--seed", type=int, default=0, help="seed of the counterfactual search and samples")
    batch.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                       help="auto: the GPU when XGBoost sees one (default); other kinds of model run on the CPU")
    batch.add_argument("--keep", type=_column_list, default=(), metavar="COL[,COL]",
                       help="input columns copied to the output unchanged, e.g. application_id,month (identifiers "
                       "and periods to join the results back or to group them by)")
    add_language_option(batch, help="language of the progress lines")
    batch.set_defaults(handler=run)


def _column_list(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def run(args: argparse.Namespace) -> int:
    """``python -m explainers batch``: progress on standard error, a JSON summary on standard output."""
    summary = batch_explain(BatchOptions(
        data=args.data, model=args.model, out=args.out, target=args.target, spec=args.spec,
        scheduler=args.scheduler, workers=args.workers, partition_rows=args.partition_rows,
        counterfactuals=args.counterfactuals, where=args.where,
        max_counterfactual_rows=args.max_counterfactual_rows, seed=args.seed, lang=args.lang, device=args.device,
        keep=args.keep,
    ))
    print_json(summary.to_dict(), allow_nan=True)
    return 0 if summary.complete else 1
