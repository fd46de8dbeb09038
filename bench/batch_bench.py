"""Benchmark of batch explanations (``python -m explainers batch``) on this machine.

    python3 bench/batch_bench.py                       # 1M rows on 1 and 2 workers, then 10M rows end to end
    python3 bench/batch_bench.py --rows 2000000 --throughput-rows 250000   # what fits in ~15 minutes on 2 cores

Three runs of :func:`explainers.batch.batch_explain`, each starting its own local cluster as the command
does (one single-threaded worker process per worker): ``--throughput-rows`` rows on 1 worker and on 2
workers (rows per second of the compute phase, and end to end), then ``--rows`` rows on 2 workers (total
time, peak memory of each worker process). The data are credit-like rows (the built-in credit table drawn
with replacement, numbers jittered with seeded noise), generated file by file and written as Parquet in
row groups, so the generator holds one chunk at a time. Memory is the resident set size of each worker
process (psutil, sampled every 0.2 s by a thread of this process), and of this process (the driver).

Writes ``bench/batch_results.json`` (or ``--out``) and prints a Markdown table. The data and results go to a
temporary folder (``--workdir``), removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

MB = 2**20
CHUNK_ROWS = 100_000
FILE_ROWS = 1_000_000


def generate(folder: Path, rows: int, seed: int) -> tuple[float, int]:
    """``rows`` credit-like rows as Parquet files of at most FILE_ROWS rows, written chunk by chunk."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from explainers import load_builtin

    credit = load_builtin("credit")
    features = credit.features
    spreads = {name: float(features[name].std()) for name in credit.numeric}
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    started, written, index = time.perf_counter(), 0, 0
    while written < rows:
        file_rows = min(FILE_ROWS, rows - written)
        writer = None
        done = 0
        while done < file_rows:
            n = min(CHUNK_ROWS, file_rows - done)
            picked = rng.integers(0, len(features), n)
            chunk = features.iloc[picked].reset_index(drop=True)
            for name in credit.numeric:
                chunk[name] = chunk[name] + rng.normal(0.0, 0.05 * spreads[name], n)
            for name in credit.categorical:
                chunk[name] = chunk[name].astype(object).where(chunk[name].notna(), None)
            chunk[credit.spec.target] = credit.target.iloc[picked].to_numpy()
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(folder / f"credit-{index:04d}.parquet", table.schema)
            writer.write_table(table, row_group_size=CHUNK_ROWS)
            done += n
        writer.close()
        written += file_rows
        index += 1
    size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    return time.perf_counter() - started, size


class MemoryMonitor:
    """Peak resident memory of this process and of each child process (the Dask workers), sampled."""

    def __init__(self, interval: float = 0.2):
        import psutil

        self.process = psutil.Process()
        self.interval = interval
        self.peaks: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.driver_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                self.driver_peak = max(self.driver_peak, self.process.memory_info().rss)
                for child in self.process.children(recursive=True):
                    try:
                        rss = child.memory_info().rss
                        if child.pid not in self.names:
                            self.names[child.pid] = " ".join(child.cmdline())[:200]
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        continue
                    self.peaks[child.pid] = max(self.peaks.get(child.pid, 0), rss)
            except psutil.Error:
                pass
            self._stop.wait(self.interval)

    def workers(self) -> list[float]:
        """Peak RSS in MiB of each worker process (multiprocessing's helper processes left out)."""
        found = [peak for pid, peak in self.peaks.items()
                 if "resource_tracker" not in self.names.get(pid, "") and "forkserver" not in self.names.get(pid, "")]
        return sorted(round(peak / MB, 1) for peak in found)


def run(data: Path, model: Path, out: Path, workers: int, partition_rows: int) -> dict:
    from explainers.batch import BatchOptions, batch_explain

    shutil.rmtree(out, ignore_errors=True)
    lines: list[str] = []
    started = time.perf_counter()
    with MemoryMonitor() as memory:
        summary = batch_explain(BatchOptions(data=str(data), model=str(model), out=str(out), target="Status",
                                             workers=workers, partition_rows=partition_rows, log=lines.append))
    seconds = time.perf_counter() - started
    assert summary.complete, lines[-3:]
    output_bytes = sum(p.stat().st_size for p in out.glob("part-*.parquet"))
    return {
        "workers": workers,
        "rows": summary.rows,
        "partitions": summary.partitions,
        "partition_rows": partition_rows,
        "device": summary.device,
        "seconds_total": round(seconds, 2),
        "seconds_cluster_start": round(summary.cluster_seconds, 2),
        "seconds_compute": round(summary.compute_seconds, 2),
        "rows_per_second_compute": round(summary.rows / summary.compute_seconds, 1),
        "rows_per_second_total": round(summary.rows / seconds, 1),
        "peak_rss_mib_per_worker": memory.workers(),
        "driver_peak_rss_mib": round(memory.driver_peak / MB, 1),
        "output_bytes": output_bytes,
    }


def markdown(results: dict) -> str:
    lines = [
        "| run | workers | rows | partitions | total s | compute s | rows/s (compute) | rows/s (total) "
        "| peak RSS per worker (MiB) | driver peak (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in [*[(f"throughput, {t['workers']} worker(s)", t) for t in results["throughput"]],
                    ("end to end", results["end_to_end"])]:
        lines.append(
            f"| {name} | {r['workers']} | {r['rows']:,} | {r['partitions']} | {r['seconds_total']:,.1f} | "
            f"{r['seconds_compute']:,.1f} | {r['rows_per_second_compute']:,.0f} | {r['rows_per_second_total']:,.0f} | "
            f"{', '.join(f'{m:,.0f}' for m in r['peak_rss_mib_per_worker'])} | {r['driver_peak_rss_mib']:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the end-to-end run (default 10M)")
    parser.add_argument("--throughput-rows", type=int, default=1_000_000,
                        help="rows of the 1- and 2-worker throughput runs (default 1M)")
    parser.add_argument("--partition-rows", type=int, default=100_000, help="rows per partition (default 100,000)")
    parser.add_argument("--workdir", help="folder for the generated data and the results (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--out", default=str(REPO_ROOT / "bench" / "batch_results.json"))
    args = parser.parse_args(argv)

    os.environ.setdefault("XAI_CACHE_DIR", str(REPO_ROOT / "bench" / "out" / "cache"))
    from importlib import metadata

    import psutil

    from explainers import load_builtin, train_default_model

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="batch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        model = work / "model.json"
        train_default_model(load_builtin("credit")).estimator.save_model(model)
        small_seconds, _ = generate(work / "throughput", args.throughput_rows, seed=1)
        print(f"generated {args.throughput_rows:,} rows in {small_seconds:.1f} s", file=sys.stderr, flush=True)
        throughput = []
        for workers in (1, 2):
            throughput.append(run(work / "throughput", model, work / f"out-{workers}", workers, args.partition_rows))
            print(json.dumps(throughput[-1]), file=sys.stderr, flush=True)
            shutil.rmtree(work / f"out-{workers}", ignore_errors=True)
        shutil.rmtree(work / "throughput", ignore_errors=True)
        big_seconds, big_bytes = generate(work / "big", args.rows, seed=2)
        print(f"generated {args.rows:,} rows in {big_seconds:.1f} s", file=sys.stderr, flush=True)
        end_to_end = run(work / "big", model, work / "out-big", 2, args.partition_rows)
        end_to_end.update(generate_seconds=round(big_seconds, 1), input_bytes=big_bytes)
        results = {
            "machine": {"cpus": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                        "python": platform.python_version(), "platform": platform.platform()},
            "versions": {name: metadata.version(name) for name in ("xgboost", "dask", "distributed", "pyarrow",
                                                                    "duckdb", "pandas", "numpy")},
            "model": "default XGBoost on the credit data (300 trees, depth 4, 13 features, 4 categorical)",
            "requested_rows": args.rows,
            "throughput": throughput,
            "end_to_end": end_to_end,
        }
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        print(markdown(results))
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
