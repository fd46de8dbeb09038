"""Benchmark of the oversight database (issue 15): saving a case, the Cases page's listing, verifying the chain.

    python3 bench/oversight.py                                   # SQLite (a temporary file)
    python3 bench/oversight.py --pg postgresql://USER@HOST:PORT/postgres   # and PostgreSQL (a temporary database)

On each database:

- **save a case**: :func:`explainers.oversight.cases.save_case` with a real snapshot (credit, row 17, built
  once: prediction, SHAP, LIME, narrative, versions), ``--saves`` times; p50 and p95 of the call (the insert,
  the audit entry appended under the write lock, the commit). Building the snapshot is the page's work and
  is not included.
- **listing with 10,000 cases**: 10,000 cases (and a review on every third) are inserted in bulk; then the
  Cases page's queries are timed: ``list_cases`` with no filter and its page limit (2,000 rows), the same
  with no limit (all 10,000), a filtered one (status and a note search) and the review queue.
- **verify 100,000 entries**: 100,000 chained entries inserted in bulk (hashes computed as ``append`` does),
  then :func:`explainers.oversight.audit.verify` over all of them.

Writes ``bench/oversight_results.json`` (or ``--out``) and prints a Markdown table.
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
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from explainers import Workspace, load_builtin, train_default_model  # noqa: E402
from explainers.oversight import audit, cases  # noqa: E402
from explainers.oversight.audit import Actor  # noqa: E402
from explainers.oversight.schema import audit_log, reviews  # noqa: E402
from explainers.oversight.schema import cases as cases_table  # noqa: E402
from explainers.oversight.store import Store, normalise_url  # noqa: E402

TARGETS = {"save_p50_ms": 50.0, "list_10k_s": 1.0, "verify_100k_s": 5.0}


def _ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50": 1000 * statistics.median(ordered), "p95": 1000 * ordered[int(0.95 * (len(ordered) - 1))],
            "n": len(ordered)}


def _timed(function, repeat: int = 5) -> dict:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        samples.append(time.perf_counter() - started)
    return {"median_s": statistics.median(samples), "min_s": min(samples), "max_s": max(samples),
            "rows": len(result), "runs": repeat}


def _commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def bench_database(url: str, snap: dict, saves: int, n_cases: int, n_entries: int) -> dict:
    store = Store(url)
    actor = Actor("bench")
    out: dict = {"url": store.display_url}
    for _ in range(5):  # warm the pool and the statements
        cases.save_case(store, snap, actor, note="warm-up")
    samples = []
    for i in range(saves):
        started = time.perf_counter()
        cases.save_case(store, snap, actor, note=f"bench case {i}")
        samples.append(time.perf_counter() - started)
    out["save_case_ms"] = _ms(samples)

    # 10,000 cases in total, a review on every third, inserted in bulk.
    body = audit.canonical(snap)
    existing = len(cases.list_cases(store))
    rows = [{"created_at": audit.now(), "actor": "bench", "actor_verified": False, "kind": "local",
             "dataset": "credit" if i % 2 else "hmda", "data_sha256": snap["data_sha256"],
             "model_sha256": snap["model_sha256"], "row_position": i % 4000, "lang": "en",
             "note": f"note {i} income" if i % 5 == 0 else f"note {i}", "prediction": "good", "snapshot": body}
            for i in range(n_cases - existing)]
    with store.writing() as conn:
        conn.execute(insert(cases_table), rows)
        ids = [r[0] for r in conn.execute(text("SELECT id FROM cases ORDER BY id"))]
        conn.execute(insert(reviews), [{"case_id": case_id, "created_at": audit.now(), "reviewer": f"r{case_id % 7}",
                                        "reviewer_verified": False, "verdict": ("agree", "override")[case_id % 2],
                                        "outcome": None, "reason": "bench", "comment": None}
                                       for case_id in ids[::3]])
    out["cases"] = len(ids)
    out["list_page"] = _timed(lambda: cases.list_cases(store, limit=2000))
    out["list_all"] = _timed(lambda: cases.list_cases(store))
    out["list_filtered"] = _timed(lambda: cases.list_cases(store, status="open", search="income"))
    out["review_queue"] = _timed(lambda: cases.review_queue(store, limit=200))
    out["distinct_values"] = _timed(lambda: [cases.distinct_values(store)])

    # 100,000 chained entries after those already written by the saves.
    last = audit.entries(store, limit=1)[0]
    previous, seq = last.hash, last.seq
    batch = []
    with store.writing() as conn:
        for i in range(n_entries - seq):
            seq += 1
            fields = {"seq": seq, "at": audit.now(), "actor": f"user {i % 13}", "verified": bool(i % 2),
                      "action": audit.ACTIONS[i % len(audit.ACTIONS)], "object": f"case:{i}",
                      "data_sha256": snap["data_sha256"], "model_sha256": snap["model_sha256"],
                      "details": {"i": i, "dataset": "credit", "row": i % 4000}, "prev_hash": previous}
            previous = audit.entry_hash(fields)
            batch.append({**fields, "details": audit.canonical(fields["details"]), "hash": previous})
            if len(batch) == 10_000:
                conn.execute(insert(audit_log), batch)
                batch = []
        if batch:
            conn.execute(insert(audit_log), batch)
    samples, result = [], None
    for _ in range(3):
        started = time.perf_counter()
        result = audit.verify(store)
        samples.append(time.perf_counter() - started)
    out["verify"] = {"entries": result.entries, "ok": result.ok, "median_s": statistics.median(samples),
                     "runs": samples}
    store.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="PostgreSQL server URL where a temporary database may be created")
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--out", default=str(REPO / "bench" / "oversight_results.json"))
    args = parser.parse_args()
    os.environ.setdefault("XAI_CACHE_DIR", str(REPO / "bench" / "out" / "cache"))

    dataset = load_builtin("credit")
    workspace = Workspace(dataset, train_default_model(dataset))
    snap = cases.snapshot(workspace, 17, "local", dataset="credit")
    results: dict = {
        "commit": _commit(),
        "machine": {"cpu": _cpu(), "cores": os.cpu_count(),
                    "python": platform.python_version(), "load_before": os.getloadavg()},
        "snapshot_bytes": len(audit.canonical(snap).encode()),
        "targets": TARGETS,
        "databases": {},
    }
    with tempfile.TemporaryDirectory() as folder:
        results["databases"]["sqlite"] = bench_database(f"sqlite:///{Path(folder) / 'bench.db'}", snap, args.saves,
                                                        args.cases, args.entries)
    if args.pg:
        admin = normalise_url(args.pg)
        name = f"xai_bench_{uuid.uuid4().hex[:10]}"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            settings = {k: conn.execute(text(f"SHOW {k}")).scalar() for k in ("server_version", "fsync",
                                                                               "synchronous_commit")}
        try:
            url = admin.set(database=name).render_as_string(hide_password=False)
            results["databases"]["postgresql"] = {**bench_database(url, snap, args.saves, args.cases, args.entries),
                                                  "settings": settings}
        finally:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()
    results["machine"]["load_after"] = os.getloadavg()
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")

    print("| database | save a case p50 / p95 | list 10,000 cases: page (2,000) / all | filtered | queue | "
          "verify 100,000 entries |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, found in results["databases"].items():
        print(f"| {name} | {found['save_case_ms']['p50']:.1f} / {found['save_case_ms']['p95']:.1f} ms | "
              f"{1000 * found['list_page']['median_s']:.0f} / {1000 * found['list_all']['median_s']:.0f} ms | "
              f"{1000 * found['list_filtered']['median_s']:.0f} ms | {1000 * found['review_queue']['median_s']:.0f} ms"
              f" | {found['verify']['median_s']:.2f} s ({found['verify']['entries']:,}, ok={found['verify']['ok']}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
