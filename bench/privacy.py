"""Benchmark of personal-data detection (:func:`explainers.privacy.detect_pii`) on a 1,000,000-row, 50-column table.

    python3 -m bench.privacy                 # 1,000,000 rows x 50 columns, 5 repetitions
    python3 -m bench.privacy --rows 100000   # quicker

The table (seeded, built in memory): 10 personal-data columns (names, CPF, CNPJ, e-mail, phone, IP address,
payment card, and three found by name only: address, date of birth, account id; some with neutral column names so
that only their values give them away) and 40 ordinary ones (numbers, whole numbers, categories, job titles,
dates as text, yes/no). Each personal column draws from 20,000 generated values with valid check digits.

Detection reads the column names and one seeded sample of rows (1,000 by default, the engine's
``DEFAULT_SAMPLE_ROWS``), so its time does not grow with the table. Measured: the wall time of ``detect_pii`` on
the table already in memory (median and max of the repetitions), for the default sample and for a 10,000-row
sample, and whether it found exactly the planted columns. Writes ``bench/privacy_results.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from explainers.privacy import DEFAULT_SAMPLE_ROWS, detect_pii  # noqa: E402
from explainers.privacy.recognisers import luhn_valid  # noqa: E402

POOL = 20_000
FIRST = ["Maria", "João", "Ana", "Pedro", "Juliana", "Carlos", "Fernanda", "Lucas", "Beatriz", "Rafael", "James",
         "Mary", "John", "Patricia"]
LAST = ["Souza", "Pereira", "Lima", "Costa", "Almeida", "Ribeiro", "Carvalho", "Gomes", "Smith", "Johnson"]
JOBS = ["teacher", "nurse", "engineer", "driver", "sales", "manager", "clerk", "cook", "analyst", "welder"]
PLANTED = {"cliente": "person_name", "doc_1": "cpf", "doc_2": "cnpj", "contato": "email", "fone_contato": "phone",
           "origem": "ip", "pagamento": "card", "endereco": "address", "data_nascimento": "birth_date",
           "id_conta": "account"}


def _check(base: list[int], weights: list[int]) -> int:
    rest = sum(v * w for v, w in zip(base, weights, strict=True)) % 11
    return 0 if rest < 2 else 11 - rest


def _cpf(rng) -> str:
    base = [int(d) for d in rng.integers(0, 10, 9)]
    base.append(_check(base, list(range(10, 1, -1))))
    base.append(_check(base, list(range(11, 1, -1))))
    t = "".join(map(str, base))
    return f"{t[:3]}.{t[3:6]}.{t[6:9]}-{t[9:]}"


def _cnpj(rng) -> str:
    base = [int(d) for d in rng.integers(0, 10, 8)] + [0, 0, 0, 1]
    for _ in range(2):
        base.append(_check(base, list(range(len(base) - 7, 1, -1)) + list(range(9, 1, -1))))
    t = "".join(map(str, base))
    return f"{t[:2]}.{t[2:5]}.{t[5:8]}/{t[8:12]}-{t[12:]}"


def _card(rng) -> str:
    while True:
        number = "4" + "".join(map(str, rng.integers(0, 10, 15)))
        if luhn_valid(number):
            return " ".join(number[i:i + 4] for i in range(0, 16, 4))


def make_table(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pools = {
        "cliente": [f"{FIRST[rng.integers(14)]} {LAST[rng.integers(10)]}" for _ in range(POOL)],
        "doc_1": [_cpf(rng) for _ in range(POOL)],
        "doc_2": [_cnpj(rng) for _ in range(POOL)],
        "contato": [f"user{i}@example.com" for i in range(POOL)],
        "fone_contato": [f"({rng.integers(11, 99)}) 9{rng.integers(1000, 9999)}-{rng.integers(1000, 9999)}"
                         for _ in range(POOL)],
        "origem": [f"10.{rng.integers(256)}.{rng.integers(256)}.{rng.integers(1, 255)}" for _ in range(POOL)],
        "pagamento": [_card(rng) for _ in range(POOL)],
        "endereco": [f"Rua {LAST[rng.integers(10)]}, {rng.integers(1, 3000)}" for _ in range(POOL)],
        "data_nascimento": [f"19{rng.integers(40, 99)}-0{rng.integers(1, 9)}-1{rng.integers(0, 9)}"
                            for _ in range(POOL)],
        "id_conta": [f"AC{i:08d}" for i in range(POOL)],
    }
    columns: dict[str, object] = {}
    for name, pool in pools.items():
        columns[name] = np.asarray(pool, dtype=object)[rng.integers(0, POOL, rows)]
    for i in range(40):
        kind = i % 5
        if kind == 0:
            columns[f"valor_{i}"] = rng.normal(100, 30, rows)
        elif kind == 1:
            columns[f"contagem_{i}"] = rng.integers(0, 10_000, rows)
        elif kind == 2:
            columns[f"categoria_{i}"] = np.asarray(["a", "b", "c", "d"], dtype=object)[rng.integers(0, 4, rows)]
        elif kind == 3:
            columns[f"cargo_{i}"] = np.asarray(JOBS, dtype=object)[rng.integers(0, len(JOBS), rows)]
        else:
            columns[f"quando_{i}"] = np.asarray([f"2026-0{m}-15" for m in range(1, 10)], dtype=object)[
                rng.integers(0, 9, rows)]
    return pd.DataFrame(columns)


def timed(frame: pd.DataFrame, sample_rows: int, repeats: int) -> tuple[list[float], dict[str, str]]:
    seconds, found = [], {}
    for _ in range(repeats):
        started = time.perf_counter()
        findings = detect_pii(frame, sample_rows=sample_rows)
        seconds.append(time.perf_counter() - started)
        found = {f.column: f.kind for f in findings}
    return seconds, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(REPO_ROOT / "bench" / "privacy_results.json"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    frame = make_table(args.rows)
    built = time.perf_counter() - started
    results = {"rows": len(frame), "columns": frame.shape[1], "planted": PLANTED, "build_seconds": round(built, 2),
               "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                           "python": platform.python_version()},
               "runs": {}}
    for sample in (DEFAULT_SAMPLE_ROWS, 10_000):
        seconds, found = timed(frame, sample, args.repeats)
        results["runs"][str(sample)] = {"sample_rows": sample, "median_seconds": round(statistics.median(seconds), 3),
                                        "max_seconds": round(max(seconds), 3),
                                        "found_exactly_the_planted": found == PLANTED, "found": found}
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"| sample rows | median s | max s | exactly the {len(PLANTED)} planted columns |")
    print("|---:|---:|---:|---|")
    for run in results["runs"].values():
        print(f"| {run['sample_rows']:,} | {run['median_seconds']} | {run['max_seconds']} | "
              f"{run['found_exactly_the_planted']} |")
    print(f"table: {len(frame):,} rows x {frame.shape[1]} columns, built in {built:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
