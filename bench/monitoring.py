"""Benchmark of monitoring (``python -m explainers monitor``): the credit data as the reference against a
1,000,000-row current table generated from it, on this machine.

    python3 -m bench.monitoring                      # 1,000,000 rows; Evidently if /tmp/evidently-venv has it
    python3 -m bench.monitoring --rows 200000 --evidently-python ''    # quicker, without Evidently
    python3 -m bench.monitoring --files-rows 10000000    # 10,000,000 rows in ten monthly Parquet files
    python3 -m bench.monitoring --batch-rows 10000000    # a 10,000,000-row batch folder, by month

The batch folder: the first 10,000 rows of each of ten monthly Parquet files (``generate_months``) explained by
``python -m explainers batch --keep application_id,month``, then assembled into a 10,000,000-row folder by writing
each month's partition 1,000 times with new row keys and ids (``assemble_folder``; explaining 10,000,000 rows takes
≈ 35 min of both cores here), then monitored as one table (a seeded 1,000,000-row sample of the folder, its stored
scores and SHAP values) and grouped by month into a timeline (100,000 rows sampled per month).

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
import functools
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


MONTHS = tuple(f"2026-{m:02d}" for m in range(1, 11))
CHUNK_ROWS = 250_000


def generate_months(folder: Path, rows: int, seed: int = 0) -> float:
    """``rows`` current rows in one Parquet file per month (``MONTHS``), written chunk by chunk (memory bounded by
    a chunk), with an ``application_id`` and a ``month`` column for ``batch --keep``. The drift grows month by
    month: Income moves up by 0 to 1 standard deviation, Home gets the new level "boat" from the sixth month,
    Debt's missing share rises from 0 to 25%. Returns the seconds it took."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from explainers import load_builtin

    started = time.perf_counter()
    credit = load_builtin("credit")
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    per_month = rows // len(MONTHS)
    spread = float(credit.features["Income"].std())
    written = 0
    for m, month in enumerate(MONTHS):
        share = m / (len(MONTHS) - 1)
        writer = None
        done = 0
        while done < per_month:
            n = min(CHUNK_ROWS, per_month - done)
            picked = rng.integers(0, len(credit.features), n)
            chunk = credit.features.iloc[picked].reset_index(drop=True)
            for name in credit.categorical:
                chunk[name] = chunk[name].astype(object).where(chunk[name].notna(), None)
            chunk["Income"] = chunk["Income"] + share * spread
            if m >= 5:
                chunk.loc[rng.random(n) < 0.10, "Home"] = "boat"
            chunk.loc[rng.random(n) < 0.25 * share, "Debt"] = np.nan
            chunk[credit.spec.target] = credit.target.iloc[picked].to_numpy()
            chunk.insert(0, "application_id", np.arange(written, written + n, dtype="int64"))
            chunk["month"] = month
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(folder / f"current-{month}.parquet", table.schema)
            writer.write_table(table, row_group_size=CHUNK_ROWS)
            done += n
            written += n
        writer.close()
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


def _timed(times: dict[str, float], name: str, function, *args, **kwargs):
    """``function(*args, **kwargs)``, its seconds recorded in ``times[name]``."""
    started = time.perf_counter()
    out = function(*args, **kwargs)
    times[name] = round(time.perf_counter() - started, 3)
    return out


def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def child_phases(path: str) -> dict:
    """Run in a fresh process: the engine's phases on ``path``, timed."""
    times: dict[str, float] = {}
    timed = functools.partial(_timed, times)

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


def child_batch(folder: str, model_path: str) -> dict:
    """Run in a fresh process: monitoring one batch results folder (its stored scores and SHAP values) as one
    table (a seeded 1,000,000-row sample) and grouped by its kept ``month`` column into a timeline."""
    times: dict[str, float] = {}
    timed = functools.partial(_timed, times)

    from explainers import load_builtin, load_model
    from explainers.monitoring import monitor, monitor_all, prepare_reference, read_batch
    from explainers.monitoring.inputs import read_batch_periods
    from explainers.monitoring.timeline import timeline

    dataset = timed("load_dataset_and_model", load_builtin, "credit")
    model = load_model(model_path, dataset)
    reference = timed("prepare_reference", prepare_reference, dataset, model)
    baseline = _maxrss_mb()
    current = timed("read_sample_of_folder", read_batch, folder, dataset, model)
    whole = timed("compare_whole_folder", monitor, reference, current)
    rss_whole = _maxrss_mb()
    periods = timed("read_by_month", read_batch_periods, folder, "month", dataset, model)
    results = timed("compare_by_month", monitor_all, reference, periods)
    line = timeline(results)
    return {
        "seconds": times,
        "peak_rss_mb_after_whole_folder": round(rss_whole, 1),
        "peak_rss_mb": round(_maxrss_mb(), 1),
        "rss_before_reading_mb": round(baseline, 1),
        "folder_rows": current.total_rows,
        "rows_read": current.rows,
        "used_stored_shap": current.shap is not None,
        "rows_read_per_month": [t.rows for t in periods],
        "severity": whole.severity,
        "flags": {d.feature: d.severity for d in whole.features},
        "psi": {d.feature: round(d.psi, 4) for d in whole.features},
        "timeline_psi_income": [round(v, 4) for v in line.psi["Income"]],
        "timeline_severity": list(line.severity),
    }


def child_files(folder: str, model_path: str) -> dict:
    """Run in a fresh process: the ten monthly Parquet files (10,000,000 rows) monitored as one table (a quoted
    glob, read by DuckDB as a seeded 1,000,000-row sample) and as a timeline of ten months (one file each)."""
    times: dict[str, float] = {}
    timed = functools.partial(_timed, times)

    from explainers import load_builtin, load_model
    from explainers.monitoring import monitor, monitor_all, prepare_reference, read_path
    from explainers.monitoring.timeline import timeline

    dataset = timed("load_dataset_and_model", load_builtin, "credit")
    model = load_model(model_path, dataset)
    reference = timed("prepare_reference", prepare_reference, dataset, model)
    baseline = _maxrss_mb()
    current = timed("read_glob_sample", read_path, str(Path(folder) / "*.parquet"), dataset, model)
    whole = timed("compare_glob", monitor, reference, current)
    rss_whole = _maxrss_mb()
    months = timed("read_ten_month_files", lambda: [read_path(p, dataset, model)
                                                    for p in sorted(Path(folder).glob("*.parquet"))])
    results = timed("compare_ten_months", monitor_all, reference, months)
    line = timeline(results)
    return {
        "seconds": times,
        "peak_rss_mb_after_glob": round(rss_whole, 1),
        "peak_rss_mb": round(_maxrss_mb(), 1),
        "rss_before_reading_mb": round(baseline, 1),
        "rows_in_files": current.total_rows,
        "rows_read": current.rows,
        "severity": whole.severity,
        "flags": {d.feature: d.severity for d in whole.features},
        "psi": {d.feature: round(d.psi, 4) for d in whole.features},
        "timeline_psi_income": [round(v, 4) for v in line.psi["Income"]],
        "timeline_severity": list(line.severity),
    }


SMALL_ROWS_PER_MONTH = 10_000


def small_monthly_inputs(data: Path) -> Path:
    """The first 10,000 rows of each monthly file: the rows the batch command really explains."""
    import pyarrow.parquet as pq

    small = WORKDIR / "months_small"
    small.mkdir(parents=True, exist_ok=True)
    for path in sorted(data.glob("*.parquet")):
        if not (small / path.name).exists():
            pq.write_table(pq.ParquetFile(path).read_row_group(0).slice(0, SMALL_ROWS_PER_MONTH), small / path.name)
    return small


def run_batch(data: Path, model: Path, out: Path) -> dict:
    """``python -m explainers batch --keep application_id,month`` over ``data`` (resumed when an earlier run was
    cut off; skipped when complete), one partition per month."""
    manifest = out / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("status") == "complete":
        return {"skipped": "complete folder from an earlier run"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "explainers", "batch", "--data", str(data / "*.parquet"),
                           "--model", str(model), "--out", str(out), "--target", "Status", "--keep",
                           "application_id,month", "--partition-rows", str(SMALL_ROWS_PER_MONTH)], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    return {"exit_status": done.returncode, "seconds": round(time.perf_counter() - started, 1)}


def assemble_folder(small: Path, big: Path, repeat: int) -> dict:
    """A results folder of ``repeat`` times the rows of ``small``: each of its partition files written ``repeat``
    times in a row with new row keys and application ids (the month, features, scores and SHAP values are the
    real batch results of those rows), and a manifest that lists them. It stands in for a run over
    ``repeat`` × the rows, which would take ≈ 35 minutes of both cores of this machine per 10,000,000 rows."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from explainers.batch import KEY

    started = time.perf_counter()
    manifest = json.loads((small / "manifest.json").read_text())
    if big.exists():
        import shutil

        shutil.rmtree(big)
    big.mkdir(parents=True)
    partitions, offset = [], 0
    per_copy = int(manifest["rows"])
    for entry in manifest["partitions"]:
        table = pq.read_table(small / entry["file"])
        for copy in range(repeat):
            rows = table.num_rows
            keys = pa.array(range(offset, offset + rows), type=pa.int64())
            shifted = table.set_column(table.schema.get_field_index(KEY), KEY, keys)
            ids = pc.add(shifted["application_id"], pa.scalar(copy * per_copy, type=pa.int64()))
            shifted = shifted.set_column(shifted.schema.get_field_index("application_id"), "application_id", ids)
            name = f"part-{len(partitions):05d}.parquet"
            pq.write_table(shifted, big / name)
            partitions.append({**entry, "index": len(partitions), "rows": [offset, offset + rows], "file": name})
            offset += rows
    manifest.update({"rows": offset, "partitions": partitions,
                     "assembled": {"from": str(small), "repeat": repeat,
                                   "note": "each partition of a real batch run written repeat times with new row "
                                           "keys and application ids"}})
    (big / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return {"rows": offset, "partitions": len(partitions), "seconds": round(time.perf_counter() - started, 1)}


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


def _monthly_inputs(rows: int) -> tuple[Path, Path, float | None]:
    from explainers import load_builtin, train_default_model

    data = WORKDIR / f"months_{rows // 1_000_000}m"
    generated = None if (data / f"current-{MONTHS[-1]}.parquet").exists() else generate_months(data, rows)
    model = WORKDIR / "model.json"
    if not model.exists():
        train_default_model(load_builtin("credit")).estimator.save_model(model)
    return data, model, generated


def files_benchmark(rows: int) -> int:
    """Monitoring ``rows`` rows of monthly Parquet files (never loaded whole); merged into
    ``bench/monitoring_results.json`` under ``parquet_files``."""
    data, model, generated = _monthly_inputs(rows)
    measured = _run([sys.executable, "-m", "bench.monitoring", "--child", "files", "--path", str(data),
                     "--model-path", str(model)], timeout=3600)
    started = time.perf_counter()
    cli = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "explainers", "monitor", "--data", "credit",
                          "--model", str(model), "--current", str(data / "*.parquet"), "--format", "json"],
                         cwd=REPO_ROOT, capture_output=True, text=True)
    cli_seconds = time.perf_counter() - started
    peak = next((line.split(":")[-1].strip() for line in cli.stderr.splitlines() if "Maximum resident" in line), None)
    path = REPO_ROOT / "bench" / "monitoring_results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results["parquet_files"] = {
        "rows": rows, "files": len(list(data.glob("*.parquet"))),
        "input_mb": round(sum(p.stat().st_size for p in data.glob("*.parquet")) / MB, 1),
        "generated_seconds": None if generated is None else round(generated, 1),
        "drift_injected": "month by month: Income +0 to +1 standard deviation, Home 'boat' in 10% from the sixth "
                          "month, Debt missing from 0% to 25%",
        "monitor": measured,
        "cli_glob": {"seconds": round(cli_seconds, 1), "exit_status": cli.returncode,
                     "peak_rss_mb": round(int(peak) / 1024, 1) if peak else None},
        "load": [round(v, 2) for v in os.getloadavg()],
    }
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(results["parquet_files"], indent=2))
    return 0


def batch_folder_benchmark(rows: int) -> int:
    """The monthly files, the batch folder made from them, then monitoring it; results merged into
    ``bench/monitoring_results.json`` under ``batch_folder``."""
    data, model, generated = _monthly_inputs(rows)
    small = WORKDIR / "batch_small"
    batch = run_batch(small_monthly_inputs(data), model, small)
    out = WORKDIR / f"batch_{rows // 1_000_000}m"
    repeat = rows // (SMALL_ROWS_PER_MONTH * len(MONTHS))
    assembled = assemble_folder(small, out, repeat)
    measured = _run([sys.executable, "-m", "bench.monitoring", "--child", "batch", "--path", str(out),
                     "--model-path", str(model)], timeout=3600)
    started = time.perf_counter()
    cli = subprocess.run([sys.executable, "-m", "explainers", "monitor", "--data", "credit", "--model", str(model),
                          "--current", str(out), "--by", "month", "--format", "json"], cwd=REPO_ROOT,
                         capture_output=True, text=True)
    cli_seconds = time.perf_counter() - started
    path = REPO_ROOT / "bench" / "monitoring_results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results["batch_folder"] = {
        "rows": rows, "months": list(MONTHS), "input_mb": round(sum(p.stat().st_size for p in data.glob("*.parquet"))
                                                                / MB, 1),
        "folder_mb": round(sum(p.stat().st_size for p in out.glob("*.parquet")) / MB, 1),
        "generated_seconds": None if generated is None else round(generated, 1),
        "drift_injected": "month by month: Income +0 to +1 standard deviation, Home 'boat' in 10% from the sixth "
                          "month, Debt missing from 0% to 25%",
        "batch_of_real_rows": {"rows": SMALL_ROWS_PER_MONTH * len(MONTHS), **batch},
        "assembled": {**assembled, "repeat": repeat,
                      "how": "each month's partition of the real batch run written repeat times with new row "
                             "keys and application ids (see assemble_folder)"},
        "monitor": measured,
        "cli_by_month": {"seconds": round(cli_seconds, 1), "exit_status": cli.returncode},
        "load": [round(v, 2) for v in os.getloadavg()],
    }
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(results["batch_folder"], indent=2))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(REPO_ROOT / "bench" / "monitoring_results.json"))
    parser.add_argument("--evidently-python", default=EVIDENTLY_PYTHON,
                        help="a Python with evidently installed ('' to skip)")
    parser.add_argument("--batch-rows", type=int, default=0,
                        help="also monitor a batch results folder of this many rows (e.g. 10000000), grouped by month")
    parser.add_argument("--files-rows", type=int, default=0,
                        help="also monitor monthly Parquet files of this many rows in all (e.g. 10000000), as one "
                        "glob and as a ten-month timeline")
    parser.add_argument("--child", choices=("phases", "cli", "batch", "files"), help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--model-path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("XAI_CACHE_DIR", str(REPO_ROOT / "bench" / "out" / "cache"))
    if args.child in ("batch", "files"):
        child = child_batch if args.child == "batch" else child_files
        print(json.dumps(child(args.path, args.model_path)))
        return 0
    if args.files_rows:
        return files_benchmark(args.files_rows)
    if args.child:
        print(json.dumps(child_phases(args.path) if args.child == "phases" else child_cli(args.path)))
        return 0
    if args.batch_rows:
        return batch_folder_benchmark(args.batch_rows)

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
