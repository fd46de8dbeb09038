"""Ten people at once: concurrent Chromium sessions walking every page by clicking the sidebar's links.

    python3 -m bench.concurrency [--sessions 10] [--out bench/concurrency_results.json]

Two Streamlit servers run side by side in the same run: the dashboard (``app.py``) and a trivial two-page
Streamlit app written to a temporary folder (a title and a line of text per page), the floor that Streamlit, the
browser and this machine set. For each, one headless Chromium (Debian's, through Playwright's async API) opens
``--sessions`` browser contexts (independent sessions) at the same time; each opens the app's first page and then
clicks every page's sidebar link in turn, ending back on the first page (the trivial app: as many clicks, between
its two pages). A page's time runs from the click until the page is drawn: the address
is the page's, its h1 is the page's title, the script is not running and no status widget, spinner or skeleton is
on screen (the first moment of a 0.6 s still period, which is not counted). Errors: an exception box, the words
"Traceback"/"KeyError"/"This page failed" on screen, a wrong title, or no drawn page within ``--timeout-s``.

Before the concurrent walks, one session on the just-started dashboard times the *first* visit of Global
explanations and Responsible AI (their results are not cached yet; the trained model is).

Two p95 ratios: over the clicks alone, and over every page time with each session's first page (its opening of
the app) among them, as the issue's own figures were taken. The CPU seconds that the app's server and Chromium
spend during the walks (read with psutil) say where the time goes: with ten sessions on two cores a page waits
mostly for the CPU that the others' pages use.

Writes ``bench/concurrency_results.json`` and prints a table. Dashboard session *i* starts on row *i* of the
default dataset (``/?row=i``), so row-dependent results are not all shared. Models are cached in
``bench/out/cache`` (ignored by git), as for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import psutil  # installed with dask[distributed] (requirements.txt)

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from explainers.data import builtin_spec  # noqa: E402
from explainers.i18n import catalogue  # noqa: E402
from tests.browser_support import (  # noqa: E402
    APP,
    APP_DIR,
    CHROMIUM,
    CHROMIUM_ARGS,
    EXCEPTION,
    FORBIDDEN_TEXTS,
    MAIN,
    SKELETON,
    SPINNER,
    STATUS_WIDGET,
    VIEWPORT,
    _href_selector,
    missing_requirement,
    streamlit_server,
)

OUT_DIR = ROOT / "bench" / "out"
CACHE_DIR = OUT_DIR / "cache"
DEFAULT_OUT = ROOT / "bench" / "concurrency_results.json"
CALM_MS = 600

_EN = catalogue("en")
OURS_PAGES = {  # path -> h1 of the pages known here; the walk clicks every sidebar link (others: any h1)
    "/": builtin_spec("credit").display_title("en"),
    "/data_source": _EN["data.title"],
    "/global_explanations": _EN["global.title"],
    "/local_explanation": _EN["local.title"],
    "/what_if": _EN["whatif.title"],
    "/counterfactuals": _EN["cf.title"],
    "/responsible_ai": _EN["trust.title"],
    "/report": _EN["report.page_title"],
    "/batch_results": _EN["batch.title"],
}
TRIVIAL_PAGES = {"/": "Page one", "/two": "Page two"}


def trivial_walk(clicks: int) -> list[str]:
    return ["/two", "/"] * (clicks // 2) + ["/two"] * (clicks % 2)
TRIVIAL_APP = '''import streamlit as st


def one():
    st.title("Page one")
    st.write("The first page of a trivial app.")


def two():
    st.title("Page two")
    st.write("The second page of a trivial app.")


st.navigation([st.Page(one, title="Page one", url_path="one", default=True),
               st.Page(two, title="Page two", url_path="two")]).run()
'''
FAILURE_LINES = [text.split("{")[0].split(";")[0].strip()
                 for text in (catalogue(lang).get("app.page_failed") for lang in ("en", "pt-BR")) if text]

# Drawn: the wanted path and h1, the script not running, nothing busy; for CALM_MS in a row. Resolves to the
# performance.now() at which that still period began.
DRAWN_JS = """([path, title, main, app, busy, calm]) => {
    const here = location.pathname.replace(/\\/+$/, "") || "/";
    const h1 = document.querySelector(main + " h1");
    const root = document.querySelector(app);
    const state = root && root.getAttribute("data-test-script-state");
    const still = here === path && h1 !== null && (title === null || h1.innerText.trim() === title)
        && (state === null || state === "notRunning") && document.querySelector(busy) === null;
    const now = performance.now();
    if (!still) { window.__benchCalmSince = null; return false; }
    if (window.__benchCalmSince == null) window.__benchCalmSince = now;
    return now - window.__benchCalmSince >= calm ? window.__benchCalmSince : false;
}"""
PROBLEMS_JS = """([exception, app, words]) => {
    const found = [];
    const boxes = document.querySelectorAll(exception).length;
    if (boxes) found.push(boxes + " exception box(es)");
    const root = document.querySelector(app);
    const text = root ? root.innerText : "";
    for (const word of words) if (text.includes(word)) found.push("'" + word + "' on screen");
    return found;
}"""


async def _drawn(page, path: str, title: str, timeout_ms: int) -> float:
    handle = await page.wait_for_function(
        DRAWN_JS, arg=[path, title, MAIN, APP, f"{STATUS_WIDGET}, {SPINNER}, {SKELETON}", CALM_MS],
        timeout=timeout_ms, polling=50)
    return float(await handle.json_value())


async def _problems(page) -> list[str]:
    return await page.evaluate(PROBLEMS_JS, [EXCEPTION, APP, [*FORBIDDEN_TEXTS, *FAILURE_LINES]])


async def _click(page, path: str, title: str, timeout_ms: int) -> float:
    """Click the sidebar link to ``path``; the ms until that page is drawn."""
    started = await page.evaluate("() => { window.__benchCalmSince = null; return performance.now(); }")
    await page.locator(_href_selector(page, path)).first.click(timeout=timeout_ms)
    drawn_at = await _drawn(page, path, title, timeout_ms)
    return drawn_at - started


async def _sidebar_walk(page) -> list[str]:
    """Every page the sidebar links to, in its order, after the first; then back to the first."""
    paths = await page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=\"stSidebarNav\"] a, [data-testid=\"stSidebar\"] "
        "a[data-testid=\"stPageLink-NavLink\"]')].map(a => new URL(a.href).pathname.replace(/\\/+$/, '') || '/')")
    return [*[p for p in paths if p != "/"], "/"]


async def _session(browser, url: str, start: str, pages: dict[str, str], walk: list[str] | None, timeout_ms: int,
                   samples: list[dict], errors: list[dict], index: int) -> None:
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(timeout_ms)
    page = await context.new_page()
    try:
        opened = time.perf_counter()
        await page.goto(url + start)
        await _drawn(page, "/", pages["/"], timeout_ms)
        samples.append({"session": index, "page": "(open)", "ms": (time.perf_counter() - opened) * 1000})
        for path in walk or await _sidebar_walk(page):
            try:
                ms = await _click(page, path, pages.get(path), timeout_ms)
            except Exception as error:  # Playwright's TimeoutError: never drawn, or drawn wrong
                shown = await page.evaluate(f"() => (document.querySelector('{MAIN} h1') || {{}}).innerText")
                errors.append({"session": index, "page": path, "error": f"{type(error).__name__}: "
                               f"{str(error).splitlines()[0][:200]}; h1 {shown!r}; url {page.url}"})
                continue
            samples.append({"session": index, "page": path, "ms": ms})
            found = await _problems(page)
            if found:
                errors.append({"session": index, "page": path, "error": "; ".join(found)})
    except Exception as error:
        errors.append({"session": index, "page": "(open)", "error": f"{type(error).__name__}: {str(error)[:300]}"})
    finally:
        await context.close()


def _summary(samples: list[dict], errors: list[dict], walk_s: float) -> dict:
    clicks = [s["ms"] for s in samples if s["page"] != "(open)"]
    opens = [s["ms"] for s in samples if s["page"] == "(open)"]
    per_page = {}
    for path in dict.fromkeys(s["page"] for s in samples if s["page"] != "(open)"):
        times = [s["ms"] for s in samples if s["page"] == path]
        per_page[path] = {"n": len(times), "p50_ms": round(float(np.percentile(times, 50)), 1),
                          "p95_ms": round(float(np.percentile(times, 95)), 1)}
    return {
        "page_clicks": len(clicks),
        "errors": len(errors),
        "p50_ms": round(float(np.percentile(clicks, 50)), 1) if clicks else None,
        "p95_ms": round(float(np.percentile(clicks, 95)), 1) if clicks else None,
        "max_ms": round(max(clicks), 1) if clicks else None,
        "first_page_p50_ms": round(float(np.percentile(opens, 50)), 1) if opens else None,
        # Every page time, the first page each session opened included (16 per session): the measure under which
        # the figures were taken (a trivial app's p95 of 14 s is its first pages; its clicks take 1-2 s).
        "p95_with_first_pages_ms": round(float(np.percentile(clicks + opens, 95)), 1) if clicks else None,
        "walk_s": round(walk_s, 2),
        "per_page": per_page,
        "error_list": errors[:50],
        "samples": [{**s, "ms": round(s["ms"], 1)} for s in samples],
    }


def _cpu_seconds(process: psutil.Process) -> float | None:
    try:
        times = process.cpu_times()
    except psutil.Error:  # a renderer that has closed
        return None
    return times.user + times.system


def _server_seconds(server: psutil.Process) -> float:
    """The server's CPU seconds, with its finished children's (a model checked in a child process)."""
    times = server.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def _chromium_readings(readings: dict[int, float]) -> None:
    """Update ``readings`` (pid -> CPU seconds) with every Chromium process running now."""
    for process in psutil.Process().children(recursive=True):
        try:
            chromium = "chrom" in process.name().lower()
        except psutil.Error:  # gone since the listing
            continue
        seconds = _cpu_seconds(process) if chromium else None
        if seconds is not None:
            readings[process.pid] = seconds


async def _walks(browser, url: str, sessions: int, pages: dict[str, str], walk: list[str] | None, timeout_ms: int,
                 start_for, server_pid: int) -> dict:
    """The sessions' walks, and the CPU seconds the app's server and Chromium spent during them. Chromium is read
    every 0.5 s, so a renderer that closes loses at most its last half second."""
    samples: list[dict] = []
    errors: list[dict] = []
    server = psutil.Process(server_pid)
    server_before = _server_seconds(server)
    before: dict[int, float] = {}
    _chromium_readings(before)
    seen = dict(before)
    started = time.perf_counter()
    walking = asyncio.gather(*(_session(browser, url, start_for(i), pages, walk, timeout_ms, samples, errors, i)
                               for i in range(sessions)))
    while not walking.done():
        _chromium_readings(seen)
        await asyncio.wait([walking], timeout=0.5)
    await walking
    summary = _summary(samples, errors, time.perf_counter() - started)
    _chromium_readings(seen)
    clicks = max(summary["page_clicks"], 1)
    server_s = _server_seconds(server) - server_before
    chromium_s = sum(seconds - before.get(pid, 0.0) for pid, seconds in seen.items())
    summary["cpu_s"] = {"server": round(server_s, 1), "chromium": round(chromium_s, 1),
                        "server_per_click": round(server_s / clicks, 3),
                        "chromium_per_click": round(chromium_s / clicks, 3)}
    return summary


async def _first_visits(browser, url: str, timeout_ms: int) -> dict:
    """One session on the just-started dashboard: the first visit of the two heaviest pages."""
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    out = {}
    try:
        await page.goto(url + "/")
        await _drawn(page, "/", OURS_PAGES["/"], timeout_ms)
        out["sidebar_pages"] = len(await _sidebar_walk(page))
        for path in ("/global_explanations", "/responsible_ai"):
            out[path.strip("/") + "_first_ms"] = round(await _click(page, path, OURS_PAGES[path], timeout_ms), 1)
            out[path.strip("/") + "_problems"] = await _problems(page)
        for path in ("/global_explanations", "/responsible_ai"):  # again: now from Streamlit's caches
            out[path.strip("/") + "_again_ms"] = round(await _click(page, path, OURS_PAGES[path], timeout_ms), 1)
    finally:
        await context.close()
    return out


async def _run(ours_server, trivial_server, sessions: int, timeout_ms: int) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            first = await _first_visits(browser, ours_server.url, timeout_ms)
            clicks = first.pop("sidebar_pages")
            trivial = await _walks(browser, trivial_server.url, sessions, TRIVIAL_PAGES, trivial_walk(clicks),
                                   timeout_ms, lambda i: "/", trivial_server.process.pid)
            ours = await _walks(browser, ours_server.url, sessions, OURS_PAGES, None, timeout_ms,
                                lambda i: f"/?dataset=credit&row={i}", ours_server.process.pid)
        finally:
            await browser.close()
    return {"first_visit": first, "trivial": trivial, "ours": ours}


def _commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--timeout-s", type=float, default=180.0, help="longest wait for one page")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    missing = missing_requirement()
    if missing:
        print(f"bench.concurrency needs Chromium and the playwright package: {missing}", file=sys.stderr)
        return 2
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-concurrency-") as temp, ExitStack() as stack:
        temp_dir = Path(temp)
        trivial_dir = temp_dir / "trivial"
        trivial_dir.mkdir()
        (trivial_dir / "app.py").write_text(TRIVIAL_APP)
        ours = stack.enter_context(streamlit_server(temp_dir / "ours", cache_from=CACHE_DIR if CACHE_DIR.exists()
                                                    else None))
        trivial = stack.enter_context(streamlit_server(temp_dir / "trivial-server", cwd=trivial_dir))
        results = asyncio.run(_run(ours, trivial, args.sessions, int(args.timeout_s * 1000)))
        if not CACHE_DIR.exists() and ours.cache_dir.exists():  # keep the trained models for the next run
            import shutil

            shutil.copytree(ours.cache_dir, CACHE_DIR)
    report = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "commit": _commit(),
        "app_dir": None if APP_DIR == ROOT else str(APP_DIR),  # XAI_APP_DIR: the app ran from another copy
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_before": load_before,
                    "load_after": os.getloadavg()},
        "sessions": args.sessions,
        "clicks_per_session": results["ours"]["page_clicks"] // max(args.sessions, 1),
        "ratio_p50": _ratio(results["ours"]["p50_ms"], results["trivial"]["p50_ms"]),
        "ratio_p95": _ratio(results["ours"]["p95_ms"], results["trivial"]["p95_ms"]),
        "ratio_p95_with_first_pages": _ratio(results["ours"]["p95_with_first_pages_ms"],
                                             results["trivial"]["p95_with_first_pages_ms"]),
        "target": "ours p95 within 2x of the trivial app's p95",
        **results,
    }
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _print(report)
    return 0


def _print(report: dict) -> None:
    print(f"\n{report['sessions']} concurrent sessions, {report['clicks_per_session']} page clicks each "
          f"({report['machine']['cpus']} CPUs, load {report['machine']['load_before'][0]:.1f} before)")
    print(f"{'app':<9}{'clicks':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'open p50':>10}{'walk s':>8}")
    for name in ("trivial", "ours"):
        r = report[name]
        print(f"{name:<9}{r['page_clicks']:>7}{r['errors']:>8}{r['p50_ms'] or 0:>9.0f}{r['p95_ms'] or 0:>9.0f}"
              f"{r['max_ms'] or 0:>9.0f}{r['first_page_p50_ms'] or 0:>10.0f}{r['walk_s']:>8.1f}")
    for name in ("trivial", "ours"):
        cpu = report[name]["cpu_s"]
        print(f"{name} CPU per click: Chromium {cpu['chromium_per_click']:.3f} s, "
              f"server {cpu['server_per_click']:.3f} s (walks: Chromium {cpu['chromium']} s, server {cpu['server']} s)")
    verdict = "within" if report["ratio_p95"] is not None and report["ratio_p95"] <= 2 else "NOT within"
    print(f"ours / trivial: p50 {report['ratio_p50']}x, p95 {report['ratio_p95']}x ({verdict} the 2x target)")
    trivial_p95, ours_p95 = (report[name]["p95_with_first_pages_ms"] or 0 for name in ("trivial", "ours"))
    print(f"with each session's first page among the page times: p95 {trivial_p95:.0f} ms vs {ours_p95:.0f} ms, "
          f"{report['ratio_p95_with_first_pages']}x")
    print("ours per page (p50 / p95 ms): " + ", ".join(
        f"{path.strip('/') or 'overview'} {v['p50_ms']:.0f}/{v['p95_ms']:.0f}"
        for path, v in report["ours"]["per_page"].items()))
    first = report["first_visit"]
    print(f"first visit, one session: Global explanations {first.get('global_explanations_first_ms')} ms "
          f"(again {first.get('global_explanations_again_ms')} ms), Responsible AI "
          f"{first.get('responsible_ai_first_ms')} ms (again {first.get('responsible_ai_again_ms')} ms)")
    for name in ("trivial", "ours"):
        for error in report[name]["error_list"][:5]:
            print(f"  {name} error: session {error['session']} {error['page']}: {error['error']}")


if __name__ == "__main__":
    raise SystemExit(main())
