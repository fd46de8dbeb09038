"""Benchmark: loading a legitimate 300-tree XGBoost model through the validating child process vs directly.

    python3 -m bench.model_loading [--repeats 15] [--out bench/model_loading.json]

"Direct" is what the engine did before: ``xgboost.Booster(model_file=...)`` and its configuration.
"Checked" is what it does now (:func:`explainers.models.read_xgboost_file` with the table): the bytes go to
a short-lived child (``explainers/model_check.py``: bracket depth, structure of every tree, libxgboost's own
parse and a 16-row prediction, under memory and CPU limits), then this process parses the same bytes.
The per-process cache of checked files is cleared before every repetition, so each one starts a child.
Both formats (JSON and UBJ) of the default credit model (300 trees, depth 4). Writes the JSON and a short
Markdown table beside it (``model_loading.md``), and prints the table.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run(repeats: int) -> dict:
    os.environ.setdefault("XAI_CACHE_DIR", str(ROOT / "bench" / "out" / "cache"))
    import warnings

    warnings.simplefilter("ignore")
    import xgboost as xgb

    from explainers import load_builtin, model_check, train_default_model
    from explainers.models import read_xgboost_file

    dataset = load_builtin("credit")
    booster = train_default_model(dataset).estimator
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for fmt in ("json", "ubj"):
            path = Path(folder) / f"model.{fmt}"
            booster.save_model(str(path))
            data = path.read_bytes()
            direct, checked = [], []
            for _ in range(2):  # warm the page cache and the imports for both paths
                xgb.Booster(model_file=bytearray(data))
                model_check._CACHE.clear()
                read_xgboost_file(path, dataset, data)
            for _ in range(repeats):
                began = time.perf_counter()
                loaded = xgb.Booster(model_file=bytearray(data))
                json.loads(loaded.save_config())
                direct.append(time.perf_counter() - began)
                model_check._CACHE.clear()
                began = time.perf_counter()
                read_xgboost_file(path, dataset, data)
                checked.append(time.perf_counter() - began)
            overhead = [c - d for c, d in zip(checked, direct, strict=True)]
            results[fmt] = {
                "bytes": len(data),
                "trees": int(booster.num_boosted_rounds()),
                "direct_ms": {"p50": 1000 * statistics.median(direct), "p95": 1000 * _percentile(direct, 0.95)},
                "checked_ms": {"p50": 1000 * statistics.median(checked), "p95": 1000 * _percentile(checked, 0.95)},
                "overhead_ms": {"p50": 1000 * statistics.median(overhead), "p95": 1000 * _percentile(overhead, 0.95)},
                "samples_ms": {"direct": [1000 * v for v in direct], "checked": [1000 * v for v in checked]},
            }
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "load": list(os.getloadavg()), "python": platform.python_version()},
        "repeats": repeats,
        "target_overhead_p50_ms": 300,
        "results": results,
    }


def markdown(report: dict) -> str:
    lines = [
        "# Model loading: validating child process vs direct load",
        "",
        f"{report['when']}; {report['machine']['cores']} cores, load {report['machine']['load'][0]:.2f}; "
        f"{report['repeats']} repetitions each; default credit model ({report['results']['json']['trees']} trees).",
        "",
        "| format | size | direct p50 / p95 | checked p50 / p95 | overhead p50 / p95 | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for fmt, row in report["results"].items():
        ok = "✔" if row["overhead_ms"]["p50"] < report["target_overhead_p50_ms"] else "✘"
        lines.append(
            f"| {fmt} | {row['bytes'] / 1024:,.0f} KB"
            f" | {row['direct_ms']['p50']:.1f} / {row['direct_ms']['p95']:.1f} ms"
            f" | {row['checked_ms']['p50']:.1f} / {row['checked_ms']['p95']:.1f} ms"
            f" | {row['overhead_ms']['p50']:.1f} / {row['overhead_ms']['p95']:.1f} ms"
            f" | p50 < {report['target_overhead_p50_ms']} ms {ok} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", default=str(ROOT / "bench" / "model_loading.json"))
    args = parser.parse_args(argv)
    report = run(args.repeats)
    out = Path(args.out)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    table = markdown(report)
    out.with_suffix(".md").write_text(table, encoding="utf-8")
    sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
