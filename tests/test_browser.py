"""End-to-end tests: the real Streamlit app, driven in headless Chromium through Playwright.

A module-scoped fixture starts ``streamlit run app.py`` on a free port of 127.0.0.1 (models are cached in a
temporary ``XAI_CACHE_DIR``), every page of the default dataset is opened and checked, and a few interactions
(deep link, counterfactual search, a what-if edit) are played in the browser.

Run them with ``python -m pytest tests/test_browser.py -m browser -s`` (``-s`` shows the cold-start time).

Requirements: the ``playwright`` Python package and Debian's Chromium at ``/usr/bin/chromium`` (nothing is
downloaded; ``playwright install`` is never needed). Without them the tests are skipped, or fail when the
environment variable ``CI`` is ``true``.

Screenshots: a full-page PNG of each page is saved into the directory named by the environment variable
``SCREENSHOT_DIR`` (created if needed), else into the test's ``tmp_path``. It is an environment variable rather
than a ``--screenshots`` option because pytest reads ``pytest_addoption`` only from conftest.py or plugins.
Example: ``SCREENSHOT_DIR=shots python -m pytest tests/test_browser.py -s``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from explainers.i18n import catalogue
from explainers.screenshots import CHROMIUM as CHROMIUM_PATH
from explainers.screenshots import CHROMIUM_ARGS

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # the tests are skipped (or fail on CI) below
    sync_playwright = None

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(CHROMIUM_PATH)
MISSING_REASON = "Chromium not found: install it with `apt-get update && apt-get install -y chromium`"
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 120
RUN_TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1400, "height": 1000}

DEFAULT_DATASET = "credit"
DEFAULT_TITLE = "Credit scoring"
HMDA_TITLE = "Mortgage applications (Boston, 1990)"
REPORT_TITLE = catalogue("en")["report.page_title"]

# url path (as st.navigation derives it from the file name; the default page is "/") -> (h1 text, has charts)
PAGES = {
    "/": (DEFAULT_TITLE, True),
    "/global_explanations": ("Global explanations", True),
    "/local_explanation": ("Local explanation", True),
    "/what_if": ("What-if", True),
    "/counterfactuals": ("Counterfactuals", False),  # charts only after the search; none today
    "/data_source": ("Bring your own data", False),
    "/responsible_ai": ("Responsible AI", True),
    "/report": (REPORT_TITLE, False),
}

APP = '[data-testid="stApp"]'
STATUS_WIDGET = '[data-testid="stStatusWidget"]'
EXCEPTION = '[data-testid="stException"]'
PLOTLY = '.js-plotly-plot, [data-testid="stPlotlyChart"]'


def _missing_requirement() -> str | None:
    if sync_playwright is None:
        return "the playwright Python package is not installed"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} does not exist"
    return None


@pytest.fixture(scope="module", autouse=True)
def _require_chromium() -> None:
    """Skip (locally) or fail (CI=true) every test of this module when the browser cannot run."""
    missing = _missing_requirement()
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
    cold_start_s: float | None = field(default=None)

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-20_000:]
        except OSError as error:
            return f"(no server output: {error})"

    def failure(self, message: str) -> str:
        state = "running" if self.process.poll() is None else f"exited with {self.process.returncode}"
        return f"{message}\n--- streamlit server ({state}) output ---\n{self.output()}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``streamlit run app.py`` on a free local port, with its own model cache; stopped at teardown."""
    port = _free_port()
    workdir = tmp_path_factory.mktemp("browser")
    env = {**os.environ, "XAI_CACHE_DIR": str(workdir / "xai-cache"), "TQDM_DISABLE": "1"}
    log_path = workdir / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    app = Server(process, f"http://{HOST}:{port}", log_path, started)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(app.url):
            if process.poll() is not None:
                pytest.fail(app.failure("The Streamlit server exited before it answered its health check."),
                            pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(app.failure(f"No 'ok' from {app.url}/_stcore/health within {STARTUP_TIMEOUT_S} s."),
                            pytrace=False)
            time.sleep(0.25)
        yield app
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


# --------------------------------------------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (so a fresh Streamlit session) per test."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(RUN_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    wanted = os.environ.get("SCREENSHOT_DIR")
    path = Path(wanted) if wanted else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


def wait_for_run(page: Page, server: Server) -> None:
    """Wait until Streamlit has finished running the script and the page title (h1) is shown."""
    try:
        page.wait_for_selector(APP, timeout=RUN_TIMEOUT_MS)
        # Streamlit marks the app root with the script state ("initial", "running", "notRunning", …).
        page.wait_for_function(
            """([app, status]) => {
                const root = document.querySelector(app);
                const state = root && root.getAttribute("data-test-script-state");
                return (state === null || state === "notRunning") && document.querySelector(status) === null;
            }""",
            arg=[APP, STATUS_WIDGET],
            timeout=RUN_TIMEOUT_MS,
        )
        expect(page.locator(STATUS_WIDGET)).to_have_count(0, timeout=RUN_TIMEOUT_MS)
        expect(page.locator("h1").first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    except Exception as error:  # an expect() AssertionError or Playwright's TimeoutError
        raise AssertionError(server.failure(f"{page.url} did not finish drawing: {error}")) from error
    if server.cold_start_s is None:
        server.cold_start_s = time.perf_counter() - server.started
        print(f"\ncold start (Popen to first page fully drawn): {server.cold_start_s:.2f} s")


def open_page(page: Page, server: Server, path: str) -> None:
    page.set_viewport_size(VIEWPORT)
    page.goto(server.url + path)
    wait_for_run(page, server)


def assert_no_exception(page: Page, server: Server) -> None:
    exceptions = page.locator(EXCEPTION)
    if exceptions.count():
        shown = "\n\n".join(exceptions.all_inner_texts())
        pytest.fail(server.failure(f"{page.url} shows {exceptions.count()} exception(s):\n{shown}"), pytrace=False)


def wait_for_charts(page: Page, server: Server) -> list[int]:
    """Wait until every Plotly chart of the page is drawn; return the number of traces of each."""
    try:
        page.wait_for_function(
            """() => {
                const slots = document.querySelectorAll('[data-testid="stPlotlyChart"]').length;
                const plots = [...document.querySelectorAll(".js-plotly-plot")];
                return plots.length > 0 && plots.length >= slots && plots.every(p => p.querySelector("svg.main-svg"));
            }""",
            timeout=RUN_TIMEOUT_MS,
        )
    except Exception as error:  # Playwright's TimeoutError
        raise AssertionError(server.failure(f"No Plotly chart was drawn on {page.url}: {error}")) from error
    return page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(p => (p.data || []).length)")


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


def metric_value(page: Page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


# --------------------------------------------------------------------------------------------------------------
# Every page of the default dataset


@pytest.mark.parametrize("path", list(PAGES), ids=[p.strip("/") or "overview" for p in PAGES])
def test_page_draws(page: Page, server: Server, screenshot_dir: Path, path: str) -> None:
    title, has_charts = PAGES[path]
    open_page(page, server, path)
    assert_no_exception(page, server)
    expect(page.locator("h1").first).to_have_text(title)
    # The url keeps this page and writes the current selection into the query string.
    assert page.url.split("?")[0].rstrip("/") == (server.url + path).rstrip("/"), page.url
    assert f"dataset={DEFAULT_DATASET}" in page.url and "row=0" in page.url, page.url
    if has_charts:
        traces = wait_for_charts(page, server)
        assert all(n > 0 for n in traces), f"an empty Plotly chart on {path}: traces per chart {traces}"
    assert_no_exception(page, server)
    name = path.strip("/") or "overview"
    full_screenshot(page, screenshot_dir / f"{name}.png")
    assert (screenshot_dir / f"{name}.png").stat().st_size > 10_000


# --------------------------------------------------------------------------------------------------------------
# Interactions


def test_deep_link_sets_dataset_and_row(page: Page, server: Server) -> None:
    open_page(page, server, "/local_explanation?dataset=hmda&row=5")
    assert_no_exception(page, server)
    expect(page.locator("h1").first).to_have_text("Local explanation")
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.locator('[data-testid="stNumberInput"] input')).to_have_value("5")
    dataset = sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="Dataset")
    shown = dataset.inner_text() + " " + " ".join(
        dataset.locator("input").nth(i).input_value() for i in range(dataset.locator("input").count()))
    assert HMDA_TITLE in shown, f"the dataset select shows {shown!r}"
    expect(page.get_by_text("Prediction for row 5")).to_be_visible()
    assert "dataset=hmda" in page.url and "row=5" in page.url, page.url
    wait_for_charts(page, server)


def test_counterfactual_search(page: Page, server: Server, screenshot_dir: Path) -> None:
    open_page(page, server, "/counterfactuals")
    assert_no_exception(page, server)
    page.get_by_role("button", name="Find counterfactuals").click()
    try:
        expect(page.get_by_text("passed the re-check")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    except AssertionError as error:
        raise AssertionError(server.failure(f"No counterfactual result: {error}")) from error
    wait_for_run(page, server)
    assert_no_exception(page, server)
    shown = metric_value(page, "passed the re-check")
    assert " of " in shown and "proposed" in shown, shown
    full_screenshot(page, screenshot_dir / "counterfactuals_result.png")


def test_what_if_edit_counts_one_change(page: Page, server: Server) -> None:
    open_page(page, server, "/what_if")
    assert_no_exception(page, server)
    assert metric_value(page, "Changed inputs") == "0"
    first = page.locator('[data-testid="stMain"] [data-testid="stNumberInput"] input').first
    old = float(first.input_value())
    first.fill(f"{old + 1:g}")
    first.press("Enter")
    changed = page.locator('[data-testid="stMetric"]').filter(has_text="Changed inputs")
    try:
        expect(changed.locator('[data-testid="stMetricValue"]')).to_have_text("1", timeout=RUN_TIMEOUT_MS)
    except AssertionError as error:
        raise AssertionError(server.failure(f"The edit was not counted: {error}")) from error
    wait_for_run(page, server)
    assert_no_exception(page, server)
    expect(page.get_by_text("Changed: ")).to_be_visible()
