"""Benchmark of the documentation folder (``python -m explainers docs``) on the credit data, on this machine.

    python3 -m bench.docs                    # documents only, then documents + screenshots of every page
    python3 -m bench.docs --pages local_explanation,what_if --lang pt-BR

Each run is a fresh child process (``python -m explainers docs --data credit --rows 3 ...``); the model cache is
warm (the default model is read from ``.cache/``, as on a second run). Measured:

1. the documents alone (``--no-screenshots``): model card and transparency report in HTML, Markdown and PDF, the
   use case, the stamp, SHA256SUMS; wall time, and when each file was written;
2. the whole folder with the screenshots: wall time, each page's seconds (from ``manifest.json``: open the deep
   link, bring the page to its result, check it, capture), and the time to the first shot (server start).

Peak memory: the largest resident set of the process tree (the command, the Streamlit server it starts and
Chromium's processes), sampled every 0.2 s with psutil, and the command's own peak (``ru_maxrss``). Writes
``bench/docs_results.json`` (or ``--out``) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKDIR = REPO_ROOT / "bench" / "out" / "docs"
MB = 2**20


def tree_rss(process) -> int:
    """Resident bytes of a process and all its descendants (0 for those gone meanwhile)."""
    import psutil

    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


def run_docs(out: Path, extra: list[str]) -> dict:
    """One ``docs`` run in a child process: wall time, when each file was written, peak memory."""
    import psutil

    command = [sys.executable, "-m", "explainers", "docs", "--data", "credit", "--rows", "3", "--out", str(out),
               *extra]
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "TQDM_DISABLE": "1"})
    watched = psutil.Process(child.pid)
    peak = {"tree": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            with contextlib.suppress(psutil.Error):
                peak["tree"] = max(peak["tree"], tree_rss(watched))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    written = []
    for line in child.stdout:
        if line.startswith("wrote "):
            written.append({"file": Path(line[6:].strip()).relative_to(out).as_posix(),
                            "at_s": round(time.perf_counter() - started, 2)})
    error = child.stderr.read()
    child.wait()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"docs failed ({child.returncode}): {error}")
    return {"command": " ".join(command[1:]), "seconds": round(seconds, 2), "written": written,
            "peak_tree_mb": round(peak["tree"] / MB), "stderr": error.strip()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", help="pages to photograph (default: all of app.py's)")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--out", default=str(REPO_ROOT / "bench" / "docs_results.json"))
    args = parser.parse_args(argv)
    WORKDIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    shots = ["--lang", args.lang] + (["--pages", args.pages] if args.pages else [])
    documents = run_docs(WORKDIR / f"{stamp}-documents", ["--lang", args.lang, "--no-screenshots"])
    folder = WORKDIR / f"{stamp}-all"
    everything = run_docs(folder, shots)
    manifest = json.loads((folder / "screenshots" / "manifest.json").read_text(encoding="utf-8"))
    pages = [{"page": s["page"], "seconds": s["seconds"], "height": s["height"]} for s in manifest["pages"]]
    first_shot = next(w["at_s"] for w in everything["written"] if w["file"].startswith("screenshots/"))
    results = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_before": os.getloadavg()},
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "documents_only": documents,
        "with_screenshots": {**everything, "first_shot_at_s": first_shot, "pages": pages,
                             "screenshots_s": round(sum(p["seconds"] for p in pages), 2)},
        "command_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("| run | wall s | peak MB (tree) |\n|---|---:|---:|")
    print(f"| documents only | {documents['seconds']} | {documents['peak_tree_mb']} |")
    print(f"| documents + {len(pages)} screenshots | {everything['seconds']} | {everything['peak_tree_mb']} |")
    print("\n| page | s | height px |\n|---|---:|---:|")
    for page in pages:
        print(f"| {page['page']} | {page['seconds']} | {page['height']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
