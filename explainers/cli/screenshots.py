"""``screenshots``, for documentation: start the app, open each page in headless Chromium, save PNGs.

Not engine work: this starts a server and a browser, so it lives beside the command line.

``python -m explainers screenshots --out docs/screenshots [--dataset credit] [--row 3] [--lang en]``
Needs the ``playwright`` package and Debian's Chromium (``apt-get install -y chromium``); nothing
is downloaded.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ..errors import InputError
from .common import add_language_option

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
PAGES = ("", "global_explanations", "local_explanation", "what_if", "counterfactuals")
WINDOW = {"width": 1400, "height": 1000}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(port: int, env: dict | None = None) -> subprocess.Popen:
    """Start ``streamlit run app.py`` on 127.0.0.1:``port`` and wait until it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--theme.base", "light"],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise InputError("the app stopped while starting; run `streamlit run app.py` to see why.")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise InputError("the app did not start within 120 s.")


def wait_until_drawn(page, timeout_ms: int = 90_000) -> None:
    """Wait until Streamlit has finished running the page and its title is visible."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    page.wait_for_function(
        "() => { const app = document.querySelector(\"[data-testid='stApp']\");"
        " return app && app.getAttribute('data-test-script-state') !== 'running'"
        " && !document.querySelector(\"[data-testid='stStatusWidget']\") && document.querySelector('h1'); }",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(800)  # let Plotly finish drawing


def take_screenshots(out: Path, dataset: str = "credit", row: int = 3, lang: str = "en") -> list[Path]:
    """One PNG per page, light theme, presentation mode on, at a fixed window size."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise InputError("screenshots need the playwright package: pip install playwright.") from None
    if not Path(CHROMIUM).exists():
        raise InputError("screenshots need Chromium: apt-get update && apt-get install -y chromium.")
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = start_app(port)
    written = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=WINDOW)
            for name in PAGES:
                page.goto(f"http://127.0.0.1:{port}/{name}?dataset={dataset}&row={row}&lang={lang}&presentation=1")
                wait_until_drawn(page)
                height = page.evaluate(
                    "() => document.querySelector(\"[data-testid='stMain']\")?.scrollHeight || 1000")
                page.set_viewport_size({"width": WINDOW["width"], "height": max(WINDOW["height"], int(height))})
                page.wait_for_timeout(500)
                path = out / f"{name or 'overview'}.png"
                page.screenshot(path=str(path), full_page=True)
                page.set_viewport_size(WINDOW)
                written.append(path)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return written


def register(commands) -> None:
    shots = commands.add_parser("screenshots", help="one PNG per dashboard page, for documentation")
    shots.add_argument("--out", default="docs/screenshots", help="folder for the PNG files")
    shots.add_argument("--dataset", default="credit", help="built-in dataset to show")
    shots.add_argument("--row", type=int, default=3, help="row shown on the local pages")
    add_language_option(shots, help="language of the pages")
    shots.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    for path in take_screenshots(Path(args.out), dataset=args.dataset, row=args.row, lang=args.lang):
        print(path)
    return 0
