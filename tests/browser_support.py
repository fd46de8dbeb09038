"""What the Chromium tests share: the Streamlit server, the browser, and how a person reads and works the page.

Not a test module. ``tests/test_browser.py`` (every page, a few interactions) and ``tests/test_journeys.py``
(a person's click paths) import it; ``bench/concurrency.py`` uses the same server and settle logic.

Notes on Streamlit 1.67 in Chromium are in ``../shared/testing-in-chromium.md``; the essentials:

- a page is *drawn* when ``[data-testid="stMain"] h1`` is visible, the script is not running, and none of the
  status widget, spinners or skeletons has been on screen for a short calm period (:func:`settle`);
- sidebar links are clicked by ``href`` (:func:`click_nav`), never by position;
- a select box shows its value in ``input[role="combobox"]`` (:func:`select_value`), and is changed by
  clicking it and then the ``[role="option"]`` with the wanted text (:func:`choose`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from explainers.screenshots import CHROMIUM as CHROMIUM_PATH
from explainers.screenshots import CHROMIUM_ARGS

try:
    from playwright.sync_api import Browser, Locator, Page, sync_playwright
except ImportError:  # the tests are skipped (or fail on CI)
    sync_playwright = None
    Browser = Locator = Page = object  # type: ignore[assignment,misc]

REPO_ROOT = Path(__file__).resolve().parent.parent
# The app the server runs: this checkout, or another copy of it (``XAI_APP_DIR``, e.g. an export of a commit
# while the working tree is being edited).
APP_DIR = Path(os.environ.get("XAI_APP_DIR") or REPO_ROOT)
CHROMIUM = Path(CHROMIUM_PATH)
MISSING_REASON = "Chromium not found: install it with `apt-get update && apt-get install -y chromium`"
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 120
RUN_TIMEOUT_MS = 60_000
CALM_MS = 600  # how long a page must stay still to count as drawn
VIEWPORT = {"width": 1400, "height": 1000}

APP = '[data-testid="stApp"]'
MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'
SIDEBAR_NAV = '[data-testid="stSidebarNav"]'
STATUS_WIDGET = '[data-testid="stStatusWidget"]'
SPINNER = '[data-testid="stSpinner"]'
SKELETON = '[data-testid="stSkeleton"]'
EXCEPTION = '[data-testid="stException"]'
CHART = '[data-testid="stVegaLiteChart"]'
# Words that must never be on screen: a person should never see Python's insides.
FORBIDDEN_TEXTS = ("Traceback", "KeyError")


def _failure_lines() -> tuple[str, ...]:
    """The start of the dashboard's "This page failed; ... Reference: <id>" line in every language."""
    from explainers.i18n import catalogue, languages

    lines = []
    for lang in languages():
        text = catalogue(lang).get("app.page_failed")
        if text:
            lines.append(text.split("{")[0].split(";")[0].strip())
    return tuple(lines)


def missing_requirement() -> str | None:
    if sync_playwright is None:
        return "the playwright Python package is not installed"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} does not exist"
    return None


def require_chromium() -> None:
    """Skip (locally) or fail (CI=true) the calling test module when the browser cannot run."""
    import pytest

    missing = missing_requirement()
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{MISSING_REASON} ({missing}; CI=true, so the browser tests must run)", pytrace=False)
    pytest.skip(MISSING_REASON)


# --------------------------------------------------------------------------------------------------------------
# The server


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log_path: Path
    started: float  # time.perf_counter() just before Popen
    cache_dir: Path
    cold_start_s: float | None = field(default=None)

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-20_000:]
        except OSError as error:
            return f"(no server output: {error})"

    def failure(self, message: str) -> str:
        state = "running" if self.process.poll() is None else f"exited with {self.process.returncode}"
        return f"{message}\n--- streamlit server ({state}) output ---\n{self.output()}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


class ServerError(RuntimeError):
    """The server did not start; the message holds its output."""


@contextmanager
def streamlit_server(workdir: Path, *, app: str = "app.py", cwd: Path = APP_DIR, cache_from: Path | None = None,
                     env: Mapping[str, str] | None = None, extra_args: tuple[str, ...] = ()) -> Iterator[Server]:
    """``streamlit run <app>`` on a free local port with its own ``XAI_CACHE_DIR`` under ``workdir``
    (a copy of ``cache_from`` when given: trained models and evaluations, so a fresh server starts warm).
    Yields once its health check answers; stopped on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    cache_dir = workdir / "xai-cache"
    if cache_from is not None and cache_from.exists() and not cache_dir.exists():
        shutil.copytree(cache_from, cache_dir)
    port = free_port()
    full_env = {**os.environ, "XAI_CACHE_DIR": str(cache_dir), "TQDM_DISABLE": "1", **(env or {})}
    log_path = workdir / f"streamlit-{port}.log"
    command = [sys.executable, "-m", "streamlit", "run", app, "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               # Never reload modules mid-test when a source file changes (others may be editing the tree).
               "--server.fileWatcherType", "none", *extra_args]
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, f"http://{HOST}:{port}", log_path, started, cache_dir)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not healthy(server.url):
            if process.poll() is not None:
                raise ServerError(server.failure("The Streamlit server exited before it answered its health check."))
            if time.monotonic() > deadline:
                raise ServerError(server.failure(f"No 'ok' from {server.url}/_stcore/health within "
                                                 f"{STARTUP_TIMEOUT_S} s."))
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


# --------------------------------------------------------------------------------------------------------------
# The browser


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium through Playwright (never a downloaded browser)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def new_tab(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (so a fresh Streamlit session) with one tab."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(RUN_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


SETTLED_JS = """([main, app, busy, calm]) => {
    const h1 = document.querySelector(main + " h1");
    const root = document.querySelector(app);
    const state = root && root.getAttribute("data-test-script-state");
    const still = h1 !== null && h1.offsetParent !== null && (state === null || state === "notRunning")
        && document.querySelector(busy) === null;
    const now = performance.now();
    if (!still) { window.__xaiCalmSince = null; return false; }
    if (window.__xaiCalmSince == null) window.__xaiCalmSince = now;
    return now - window.__xaiCalmSince >= calm;
}"""


def settle(page: Page, server: Server | None = None, *, timeout_ms: int = RUN_TIMEOUT_MS,
           calm_ms: int = CALM_MS) -> None:
    """Wait until the page is drawn: an h1 in the main area, the script not running, and no status widget,
    spinner or skeleton, all for ``calm_ms`` in a row."""
    try:
        page.evaluate("() => { window.__xaiCalmSince = null; }")
        page.wait_for_function(SETTLED_JS, arg=[MAIN, APP, f"{STATUS_WIDGET}, {SPINNER}, {SKELETON}", calm_ms],
                               timeout=timeout_ms, polling=50)
    except Exception as error:  # Playwright's TimeoutError
        message = f"{page.url} did not finish drawing: {error}"
        raise AssertionError(server.failure(message) if server else message) from error


def wait_for_run(page: Page, server: Server) -> None:
    """:func:`settle`, and remember the server's cold start (Popen to the first page drawn)."""
    settle(page, server)
    if server.cold_start_s is None:
        server.cold_start_s = time.perf_counter() - server.started
        print(f"\ncold start (Popen to first page fully drawn): {server.cold_start_s:.2f} s")


def open_page(page: Page, server: Server, path: str) -> None:
    page.set_viewport_size(VIEWPORT)
    page.goto(server.url + path)
    wait_for_run(page, server)


def problems(page: Page) -> list[str]:
    """What a person should never see: exception boxes, the words Traceback and KeyError, and the dashboard's
    own "This page failed" line (a page that failed shows it instead of a traceback)."""
    found = []
    exceptions = page.locator(EXCEPTION)
    if exceptions.count():
        found.append(f"{exceptions.count()} exception box(es):\n" + "\n\n".join(exceptions.all_inner_texts()))
    shown = page.locator(APP).inner_text() if page.locator(APP).count() else ""
    for word in (*FORBIDDEN_TEXTS, *_failure_lines()):
        if word in shown:
            at = shown.index(word)
            found.append(f"the text {word!r} is on screen: …{shown[max(0, at - 200):at + 300]}…")
    return found


def assert_clean(page: Page, server: Server | None = None) -> None:
    """None of :func:`problems` on screen."""
    found = problems(page)
    if found:
        message = f"{page.url} shows:\n" + "\n".join(found)
        raise AssertionError(server.failure(message) if server else message)


def wait_for_charts(page: Page, server: Server) -> list[int]:
    """Wait until every chart of the page is drawn (Vega's SVG is in place); return the number of data marks (bars,
    dots, lines, cells and their numbers; not axes, legends or titles) that each one draws."""
    try:
        page.wait_for_function(
            """() => {
                const slots = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
                return slots.length > 0 && slots.every(s => s.querySelector("svg.marks g.role-mark"));
            }""",
            timeout=RUN_TIMEOUT_MS,
        )
    except Exception as error:  # Playwright's TimeoutError
        raise AssertionError(server.failure(f"No chart was drawn on {page.url}: {error}")) from error
    return page.evaluate(CHART_MARKS_JS)


# The data marks of each chart: Vega draws each mark as a group of role "mark" holding one element per datum.
CHART_MARKS_JS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map(s =>
    [...s.querySelectorAll("svg.marks g.role-mark")]
        .filter(g => !g.parentElement.closest(".role-axis, .role-legend, .role-title, .role-mark"))
        .reduce((n, g) => n + g.children.length, 0))"""


# The part picker's container: Streamlit marks a keyed widget's box with ``st-key-<key>``, and every picker's key
# ends in ``_section`` (a page may hold other button groups, e.g. Local explanation's units).
SECTION_PICKER = '[class*="st-key-"][class*="_section"] [data-testid="stButtonGroup"]'


def section_buttons(page: Page) -> list[str]:
    """The labels of the buttons above a busy page that choose its part (``pages.common.section_picker``); empty
    on a page that is not cut into parts."""
    return page.locator(f"{MAIN} {SECTION_PICKER} [role='radio']").all_inner_texts()


def each_section(page: Page, server: Server | None = None) -> Iterator[str | None]:
    """Click every part of the page in turn, as a person would, yielding each part's label once it is drawn
    (``None`` once for a page that is not cut into parts); ends back on the first part."""
    labels = [label.strip() for label in section_buttons(page)]
    if not labels:
        yield None
        return
    group = page.locator(f"{MAIN} {SECTION_PICKER}").first
    for label in [*labels[1:], labels[0]]:
        group.get_by_role("radio", name=label, exact=True).click()
        settle(page, server)
        if label != labels[0]:
            yield label
    yield labels[0]


def full_screenshot(page: Page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside ``stMain``, so grow the viewport to its height first."""
    height = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            const sidebar = document.querySelector('[data-testid="stSidebarContent"]');
            return Math.max(main ? main.scrollHeight : 0, sidebar ? sidebar.scrollHeight : 0,
                            document.documentElement.scrollHeight);
        }"""
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(int(height), VIEWPORT["height"]), 8000)})
    page.wait_for_timeout(500)  # let Plotly re-layout after the resize
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)


def screenshot_dir(fallback: Path) -> Path:
    """``SCREENSHOT_DIR`` when set, else ``fallback``; created if needed."""
    wanted = os.environ.get("SCREENSHOT_DIR")
    path = Path(wanted) if wanted else fallback
    path.mkdir(parents=True, exist_ok=True)
    return path


# --------------------------------------------------------------------------------------------------------------
# Reading the page as a person does


def metric(page: Page, label: str) -> Locator:
    return page.locator('[data-testid="stMetric"]').filter(has_text=label)


def metric_value(page: Page, label: str) -> str:
    return metric(page, label).locator('[data-testid="stMetricValue"]').inner_text().strip()


def heading(page: Page) -> str:
    return page.locator(f"{MAIN} h1").first.inner_text().strip()


def path_of(page: Page) -> str:
    """The page's URL path, "/" for the default page."""
    return urlsplit(page.url).path.rstrip("/") or "/"


def query(page: Page) -> dict[str, str]:
    """The URL's query parameters (the last value of each)."""
    return {key: values[-1] for key, values in parse_qs(urlsplit(page.url).query, keep_blank_values=True).items()}


def _page_of(scope: Page | Locator) -> Page:
    return scope if hasattr(scope, "main_frame") else scope.page


def _labelled(scope: Page | Locator, widget: str, label: str) -> Locator:
    """The widget (a data-testid) whose label is exactly ``label``."""
    return scope.locator(f'[data-testid="{widget}"]').filter(
        has=_page_of(scope).locator('[data-testid="stWidgetLabel"]').get_by_text(label, exact=True))


def select_box(scope: Page | Locator, label: str) -> Locator:
    """The select box whose label is exactly ``label``."""
    return _labelled(scope, "stSelectbox", label)


def select_value(box: Locator) -> str:
    """What a select box shows (its combobox input's value)."""
    return box.locator('input[role="combobox"]').first.input_value()


def choose(page: Page, box: Locator, option: str) -> None:
    """Open a select box (its "Open" button) and click the option whose text is exactly ``option``."""
    opener = box.locator('button[aria-haspopup="listbox"], [data-baseweb="select"]').first
    opener.click()
    page.get_by_role("option", name=option, exact=True).first.click()


def number_box(scope: Page | Locator, label: str) -> Locator:
    """The input of the number box whose label is exactly ``label``."""
    return _labelled(scope, "stNumberInput", label).locator("input")


def type_number(page: Page, box: Locator, value: object) -> None:
    box.fill(str(value))
    box.press("Enter")


NAV_LINKS = f'{SIDEBAR_NAV} a, {SIDEBAR} a[data-testid="stPageLink-NavLink"]'


def _href_selector(page: Page, path: str) -> str:
    """A CSS selector for the sidebar links to ``path``, whatever form their href takes (absolute, relative,
    with or without the view's query string)."""
    name = path.strip("/")
    port = urlsplit(page.url).port
    if name:
        forms = [f'href$="/{name}"', f'href*="/{name}?"', f'href="{name}"', f'href^="{name}?"']
    else:
        forms = [f'href$=":{port}/"', f'href*=":{port}/?"', 'href="/"', 'href^="/?"', 'href^="?"', 'href=""',
                 'href="./"', 'href^="./?"']
    return ", ".join(f"{link}[{form}]" for link in NAV_LINKS.split(", ") for form in forms)


def nav_link(page: Page, path: str) -> Locator:
    """The sidebar link to ``path`` ("/what_if"; "/" is the default page), found by its href."""
    return page.locator(_href_selector(page, path)).first


def click_nav(page: Page, path: str) -> None:
    nav_link(page, path).click()


def nav_texts(page: Page) -> list[str]:
    """The sidebar links' names (without their icons)."""
    return [text.strip().split("\n")[-1] for text in page.locator(NAV_LINKS).all_inner_texts()]


def nav_paths(page: Page) -> list[str]:
    """The sidebar links' paths, in the sidebar's order ("/" for the default page)."""
    return page.evaluate("sel => [...document.querySelectorAll(sel)].map(a => new URL(a.href).pathname"
                         ".replace(/\\/+$/, '') || '/')", NAV_LINKS)
