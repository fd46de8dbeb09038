"""Benchmark: rows per second of ``batch`` for each kind of model file, on the same table.

    python3 -m bench.batch_kinds [--rows 20000] [--permutation-rows 200] [--workers 2]

The table: the built-in credit data drawn with replacement (seeded), one Parquet file. The models, trained here on
the credit table and saved as their files: XGBoost (the engine's default model), LightGBM (200 trees, 15 leaves),
CatBoost (200 trees, depth 6), and ONNX (a scikit-learn pipeline: one-hot encoder, mean imputer, 200-tree gradient
boosting, exported with skl2onnx). Each runs :func:`explainers.batch.batch_explain` on a local cluster of
``--workers`` single-threaded processes, as the command does; the figure is the compute phase's rows per second
(cluster start and planning excluded) and the end-to-end seconds. ONNX is explained by shap's permutation
explainer, row by row, so it gets the first ``--permutation-rows`` rows of the same table.

Writes ``bench/batch_kinds.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def train_models(folder: Path) -> dict[str, Path]:
    """The four model files, trained on the credit table."""
    import catboost as cb
    import lightgbm as lgb
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from explainers import load_builtin, train_default_model

    dataset = load_builtin("credit")
    features, target = dataset.features, dataset.target_codes()
    text = features.copy()
    for name in dataset.categorical:
        text[name] = text[name].astype("object").where(text[name].notna(), "nan").astype(str)
    paths = {"xgboost": folder / "model.ubj", "lightgbm": folder / "model.txt", "catboost": folder / "model.cbm",
             "onnx": folder / "model.onnx"}
    train_default_model(dataset).estimator.save_model(str(paths["xgboost"]))
    lgb.LGBMClassifier(n_estimators=200, num_leaves=15, random_state=0, verbose=-1).fit(
        features, target).booster_.save_model(str(paths["lightgbm"]))
    cb.CatBoostClassifier(iterations=200, depth=6, random_seed=0, verbose=0, thread_count=1,
                          allow_writing_files=False, cat_features=dataset.categorical).fit(
        text, dataset.target.astype(str)).save_model(str(paths["catboost"]))
    pipeline = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), dataset.categorical),
                                (SimpleImputer(), dataset.numeric)),
        GradientBoostingClassifier(n_estimators=200, max_depth=3, random_state=0)).fit(text, dataset.target.astype(str))
    types = [(name, StringTensorType([None, 1]) if name in dataset.categorical else FloatTensorType([None, 1]))
             for name in dataset.feature_names]
    paths["onnx"].write_bytes(to_onnx(pipeline, initial_types=types, options={"zipmap": False}).SerializeToString())
    return paths


def write_table(path: Path, rows: int, seed: int = 0) -> None:
    import numpy as np

    from explainers import load_builtin

    credit = load_builtin("credit")
    picked = np.random.default_rng(seed).integers(0, len(credit.features), rows)
    frame = credit.features.iloc[picked].reset_index(drop=True)
    for name in credit.categorical:  # as text, the way an export has them
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    frame[credit.spec.target] = credit.target.iloc[picked].to_numpy()
    frame.to_parquet(path)


def run(rows: int, permutation_rows: int, workers: int) -> dict:
    os.environ.setdefault("XAI_CACHE_DIR", str(ROOT / "bench" / "out" / "cache"))
    warnings.simplefilter("ignore")
    from explainers.batch import BatchOptions, batch_explain

    results = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        paths = train_models(folder)
        write_table(folder / "table.parquet", rows)
        write_table(folder / "small.parquet", permutation_rows)
        for kind, model in paths.items():
            data = folder / ("small.parquet" if kind == "onnx" else "table.parquet")
            summary = batch_explain(BatchOptions(
                data=str(data), model=str(model), out=str(folder / f"out-{kind}"), target="Status",
                workers=workers, partition_rows=max(100, (permutation_rows if kind == "onnx" else rows) // workers),
                device="cpu", log=lambda _: None))
            manifest = json.loads((folder / f"out-{kind}" / "manifest.json").read_text())
            results.append({"kind": kind, "rows": summary.rows, "shap": manifest["shap"]["method"],
                            "rows_per_second": round(summary.rows_per_second, 1),
                            "seconds": round(summary.seconds, 1)})
    return {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
            "table": "credit drawn with replacement (13 columns)", "workers": workers, "results": results}


def markdown(report: dict) -> str:
    lines = [f"`batch` on {report['workers']} workers, {report['machine']['cpus']} CPUs; {report['table']}", "",
             "| model | SHAP | rows | rows/s (compute) | seconds end to end |", "|---|---|---:|---:|---:|"]
    lines += [f"| {r['kind']} | {r['shap']} | {r['rows']:,} | {r['rows_per_second']:,.1f} | {r['seconds']:,.1f} |"
              for r in report["results"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows for the tree models (default 20,000)")
    parser.add_argument("--permutation-rows", type=int, default=200, help="rows for ONNX (default 200)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "bench" / "batch_kinds.json"))
    args = parser.parse_args(argv)
    report = run(args.rows, args.permutation_rows, args.workers)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
