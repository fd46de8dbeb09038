"""Benchmark: one row's SHAP explanation for each model kind, through the engine and through the stock path.

    python3 -m bench.model_kinds [--rows 20] [--out bench/model_kinds.json]

Same table (the built-in credit data, 4,454 rows, 9 numeric and 4 categorical columns), same rows (a seeded
sample of the test split), one row per call, p50 and p95 over the rows after one warm-up call:

- LightGBM (200 trees, 15 leaves) and CatBoost (200 trees, depth 6), trained here on the 80% split and saved
  as their files, loaded through ``explainers.models.load_model``; the engine's path is
  ``explainers.shap_values`` (the library's own contributions: ``pred_contrib`` / ``ShapValues``), the stock
  path ``shap.TreeExplainer(model).shap_values(row)`` with the explainer built once beforehand;
- ONNX (a scikit-learn pipeline, one-hot encoder, mean imputer and 200-tree gradient boosting, exported with skl2onnx);
  the engine's path is ``explainers.shap_values`` (shap's permutation explainer over the original columns,
  100 background rows), the stock path ``shap.KernelExplainer`` on the same session and the same background,
  ``nsamples="auto"``.

Each pair is also compared for agreement (largest difference of the values); the tree pairs must agree to
rounding. Writes the JSON and a Markdown table beside it (``model_kinds.md``) and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _paired(engine, stock, rows) -> dict:
    """Both paths on every row, one after the other (so that a busy shared machine slows both alike), after one
    warm-up call each (imports, compiled paths, first allocations); their timings and largest difference."""
    engine(rows[0])
    stock(rows[0])
    timings: dict[str, list[float]] = {"engine": [], "stock": []}
    difference = 0.0
    for row in rows:
        outputs = []
        for name, call in (("engine", engine), ("stock", stock)):
            began = time.perf_counter()
            outputs.append(np.asarray(call(row), dtype="float64").reshape(-1))
            timings[name].append(time.perf_counter() - began)
        difference = max(difference, float(np.max(np.abs(outputs[0] - outputs[1]))))
    return {"engine": _summary(timings["engine"]), "stock": _summary(timings["stock"]),
            "max_difference": difference}


def _summary(times: list[float]) -> dict:
    return {"p50_ms": 1000 * statistics.median(times), "p95_ms": 1000 * _percentile(times, 0.95),
            "calls": len(times)}


def run(rows_wanted: int) -> dict:
    os.environ.setdefault("XAI_CACHE_DIR", str(ROOT / "bench" / "out" / "cache"))
    warnings.simplefilter("ignore")
    import catboost as cb
    import lightgbm as lgb
    import shap
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from explainers import load_builtin, shap_values
    from explainers.models import load_model, train_test_indices
    from explainers.util import sample_positions

    dataset = load_builtin("credit")
    train, test = train_test_indices(dataset)
    chosen = test[sample_positions(len(test), rows_wanted, seed=0)]
    frames = [dataset.features.iloc[[int(i)]] for i in chosen]
    features, target = dataset.features.iloc[train], dataset.target_codes()[train]
    def as_text(frame):
        """Categories as plain text, a missing one as "nan" (what the engine gives CatBoost too)."""
        out = frame.copy()
        for name in dataset.categorical:
            out[name] = out[name].astype("object").where(out[name].notna(), "nan").astype(str)
        return out

    text = as_text(features)
    results: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        # LightGBM
        fitted = lgb.LGBMClassifier(n_estimators=200, num_leaves=15, learning_rate=0.05, random_state=0,
                                    verbose=-1).fit(features, target)
        path = Path(folder) / "model.txt"
        fitted.booster_.save_model(str(path))
        model = load_model(path, dataset)
        lightgbm_model = model
        explainer = shap.TreeExplainer(fitted.booster_)
        results["lightgbm"] = {"stock_path": "shap.TreeExplainer", **_paired(
            lambda row: shap_values(lightgbm_model, row).values, lambda row: explainer.shap_values(row), frames)}
        # CatBoost
        categorical = list(dataset.categorical)
        fitted = cb.CatBoostClassifier(iterations=200, depth=6, random_seed=0, verbose=0, thread_count=1,
                                       allow_writing_files=False, cat_features=categorical).fit(text, target)
        path = Path(folder) / "model.cbm"
        fitted.save_model(str(path))
        model = load_model(path, dataset)
        catboost_model = model
        tree_explainer = shap.TreeExplainer(fitted)

        def stock_catboost(row):
            return tree_explainer.shap_values(cb.Pool(as_text(row), cat_features=categorical))

        results["catboost"] = {"stock_path": "shap.TreeExplainer", **_paired(
            lambda row: shap_values(catboost_model, row).values, stock_catboost, frames)}
        # ONNX: a scikit-learn pipeline exported with skl2onnx, one input per column
        numeric = list(dataset.numeric)
        pipeline = make_pipeline(
            make_column_transformer((OneHotEncoder(handle_unknown="ignore"), categorical), (SimpleImputer(), numeric)),
            GradientBoostingClassifier(n_estimators=200, max_depth=3, random_state=0)).fit(text, target)
        types = [(n, StringTensorType([None, 1]) if n in categorical else FloatTensorType([None, 1]))
                 for n in dataset.feature_names]
        path = Path(folder) / "model.onnx"
        path.write_bytes(to_onnx(pipeline, initial_types=types, options={"zipmap": False}).SerializeToString())
        model = load_model(path, dataset)
        background = dataset.features.sample(n=100, random_state=0)
        index = model.positive_index

        def predict(codes):
            return model.predict_codes(codes)[:, index]

        kernel = shap.KernelExplainer(predict, dataset.to_codes(background))
        results["onnx"] = {"stock_path": "shap.KernelExplainer", **_paired(
            lambda row: shap_values(model, row, background=background).values,
            lambda row: kernel.shap_values(dataset.to_codes(row), silent=True), frames)}
    return {
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                    "cpus": os.cpu_count()},
        "table": "credit (4,454 rows, 13 columns)",
        "rows": len(frames),
        "results": results,
    }


def markdown(report: dict) -> str:
    lines = [
        f"One row's SHAP, {report['rows']} rows of the credit test split, one call per row "
        f"(machine: {report['machine']['cpus']} CPUs, Python {report['machine']['python']}).",
        "",
        "| model | engine p50 (ms) | engine p95 (ms) | stock path | stock p50 (ms) | stock p95 (ms) "
        "| largest difference |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for kind, result in report["results"].items():
        lines.append(f"| {kind} | {result['engine']['p50_ms']:.1f} | {result['engine']['p95_ms']:.1f} | "
                     f"{result['stock_path']} | {result['stock']['p50_ms']:.1f} | {result['stock']['p95_ms']:.1f} | "
                     f"{result['max_difference']:.2g} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--out", default=str(ROOT / "bench" / "model_kinds.json"))
    args = parser.parse_args(argv)
    report = run(args.rows)
    out = Path(args.out)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    table = markdown(report)
    out.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
