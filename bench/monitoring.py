"""Benchmark of monitoring (``python -m explainers monitor``): the credit data as the reference against a
1,000,000-row current table generated from it, on this machine.

    python3 -m bench.monitoring                      # 1,000,000 rows; Evidently if /tmp/evidently-venv has it
    python3 -m bench.monitoring --rows 200000 --evidently-python ''    # quicker, without Evidently

The current table: credit rows drawn with replacement (seeded; not jittered: noise would itself be a real
change of the columns with few distinct values, such as the loan term), then three injected changes: Income
moved up by one standard deviation, Home given a new level ("boat") in 10% of the rows, Debt blanked in 25% of
the rows. It is written once as Parquet (in ``bench/out/monitoring/``, ignored by git).

Measured, each in a fresh child process (peak memory is the child's resident set size, ``ru_maxrss``):

1. the engine's phases in-process: reading and aligning the table, the reference (bins, held-out predictions and
   SHAP, performance bootstrap), then the comparison of the 1,000,000 rows (data drift, predictions, SHAP on a
   seeded 2,000-row sample, performance on a seeded 20,000-row sample with 200 bootstrap resamples);
2. the command end to end (``python -m explainers monitor --data credit --current FILE --format json``).

With ``--evidently-python`` (a Python with ``evidently`` installed, kept out of this project's environment),
Evidently's ``DataDriftPreset`` runs on the same reference and current rows, and its per-column drift flags are
set beside ours. Writes ``bench/monitoring_results.json`` (or ``--out``) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

WORKDIR = REPO_ROOT / "bench" / "out" / "monitoring"
EVIDENTLY_PYTHON = "/tmp/evidently-venv/bin/python"
MB = 2**20


def generate(path: Path, rows: int, seed: int = 0) -> float:
    """The shifted current table (see the module's text); returns the seconds it took."""
    import numpy as np

    from explainers import load_builtin

    started = time.perf_counter()
    credit = load_builtin("credit")
    rng = np.random.default_rng(seed)
    picked = rng.integers(0, len(credit.features), rows)
    frame = credit.features.iloc[picked].reset_index(drop=True)
    for name in credit.categorical:
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    frame["Income"] = frame["Income"] + float(credit.features["Income"].std())
    frame.loc[rng.random(rows) < 0.10, "Home"] = "boat"
    frame.loc[rng.random(rows) < 0.25, "Debt"] = np.nan
    frame[credit.spec.target] = credit.target.iloc[picked].to_numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, row_group_size=131_072)
    return time.perf_counter() - started


def reference_file(path: Path) -> None:
    """The reference rows (the training split) as Parquet, for Evidently."""
    from explainers import load_builtin, train_test_indices

    credit = load_builtin("credit")
    train, _ = train_test_indices(credit)
    frame = credit.features.iloc[train].reset_index(drop=True)
    for name in credit.categorical:
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    frame.to_parquet(path)


def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def child_phases(path: str) -> dict:
    """Run in a fresh process: the engine's phases on ``path``, timed."""
    times: dict[str, float] = {}

    def timed(name, function, *args, **kwargs):
        started = time.perf_counter()
        out = function(*args, **kwargs)
        times[name] = round(time.perf_counter() - started, 3)
        return out

    from explainers import load_builtin, train_default_model
    from explainers.monitoring import monitor, prepare_reference, read_path

    dataset = timed("load_dataset_and_model", load_builtin, "credit")
    model = train_default_model(dataset)
    baseline = _maxrss_mb()
    current = timed("read_and_align", read_path, path, dataset, model)
    reference = timed("prepare_reference", prepare_reference, dataset, model)
    result = timed("compare", monitor, reference, current)
    return {
        "seconds": times,
        "peak_rss_mb": round(_maxrss_mb(), 1),
        "rss_before_reading_mb": round(baseline, 1),
        "rows": current.rows,
        "severity": result.severity,
        "alerts": [(a.severity, a.kind, a.subject) for a in result.alerts],
        "flags": {d.feature: d.severity for d in result.features},
        "psi": {d.feature: round(d.psi, 4) for d in result.features},
    }


def child_cli(path: str) -> dict:
    """Run in a fresh process: the command end to end, its exit status and peak memory."""
    import contextlib
    import io

    from explainers.cli import main

    started = time.perf_counter()
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["monitor", "--data", "credit", "--current", path, "--format", "json"])
    seconds = time.perf_counter() - started
    out = json.loads(buffer.getvalue()) if code in (0, 3) else {}
    return {"seconds": round(seconds, 3), "exit_status": code, "peak_rss_mb": round(_maxrss_mb(), 1),
            "alerts": len(out.get("results", [{}])[0].get("alerts", [])) if out else None}


EVIDENTLY_SCRIPT = r"""
import json, resource, sys, time
import pandas as pd
started = time.perf_counter()
from evidently import Report
from evidently.presets import DataDriftPreset
imported = time.perf_counter() - started
reference = pd.read_parquet(sys.argv[1]); current = pd.read_parquet(sys.argv[2])[list(reference.columns)]
started = time.perf_counter()
snapshot = Report([DataDriftPreset()]).run(reference_data=reference, current_data=current)
seconds = time.perf_counter() - started
flags, details = {}, {}
for metric in snapshot.dict()["metrics"]:
    name = str(metric.get("metric_name", ""))
    config = metric.get("config", {})
    column = config.get("column")
    if column is not None and name.startswith("ValueDrift"):
        value = metric.get("value")
        threshold = config.get("threshold")
        method = config.get("method")
        score = float(value)
        is_test = "p_value" in str(method).lower()
        drifted = score < threshold if is_test else score >= threshold
        flags[column] = bool(drifted)
        details[column] = {"method": method, "value": score, "threshold": threshold}
import evidently
print(json.dumps({"seconds": round(seconds, 3), "import_seconds": round(imported, 3), "flags": flags,
                  "details": details, "version": evidently.__version__,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def _run(argv: list[str], timeout: int = 1800) -> dict:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:] }
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(REPO_ROOT / "bench" / "monitoring_results.json"))
    parser.add_argument("--evidently-python", default=EVIDENTLY_PYTHON,
                        help="a Python with evidently installed ('' to skip)")
    parser.add_argument("--child", choices=("phases", "cli"), help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("XAI_CACHE_DIR", str(REPO_ROOT / "bench" / "out" / "cache"))
    if args.child:
        print(json.dumps(child_phases(args.path) if args.child == "phases" else child_cli(args.path)))
        return 0

    current = WORKDIR / f"current_{args.rows}.parquet"
    generated = generate(current, args.rows) if not current.exists() else None
    reference = WORKDIR / "reference.parquet"
    reference_file(reference)
    load = os.getloadavg()
    results = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_before": [round(v, 2) for v in load],
                    "note": "2 cores shared with other agents' work; times vary with their load"},
        "current": {"rows": args.rows, "file_mb": round(current.stat().st_size / MB, 1),
                    "generated_seconds": None if generated is None else round(generated, 2),
                    "drift_injected": {"Income": "+1 standard deviation", "Home": "new level 'boat' in 10% of rows",
                                       "Debt": "missing in 25% of rows"}},
    }
    me = [sys.executable, "-m", "bench.monitoring", "--path", str(current)]
    results["phases"] = _run([*me, "--child", "phases"])
    results["cli"] = _run([*me, "--child", "cli"])
    if args.evidently_python and Path(args.evidently_python).exists():
        evidently = _run([args.evidently_python, "-c", EVIDENTLY_SCRIPT, str(reference), str(current)])
        results["evidently"] = evidently
        ours = results["phases"].get("flags", {})
        if "flags" in evidently:
            results["agreement"] = {
                column: {"ours": ours.get(column), "ours_drifted": ours.get(column) in ("moderate", "major"),
                         "evidently_drifted": flag}
                for column, flag in evidently["flags"].items()
            }
    else:
        results["evidently"] = {"skipped": "no Python with evidently installed was given"}
    results["load_after"] = [round(v, 2) for v in os.getloadavg()]
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    phases = results["phases"]
    print("| step | seconds | peak memory |\n|---|---:|---:|")
    for name, seconds in phases.get("seconds", {}).items():
        print(f"| {name} | {seconds} | |")
    print(f"| phases, whole child | | {phases.get('peak_rss_mb')} MB |")
    print(f"| command end to end | {results['cli'].get('seconds')} | {results['cli'].get('peak_rss_mb')} MB |")
    if "seconds" in results.get("evidently", {}):
        print(f"| Evidently DataDriftPreset | {results['evidently']['seconds']} | "
              f"{results['evidently']['peak_rss_mb']} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
