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

from collections.abc import Iterator
from pathlib import Path

import pytest

from explainers.i18n import catalogue
from tests.browser_support import (
    RUN_TIMEOUT_MS,
    VIEWPORT,
    Server,
    ServerError,
    chromium,
    each_section,
    full_screenshot,
    metric_value,
    open_page,
    problems,
    require_chromium,
    section_buttons,
    streamlit_server,
    wait_for_charts,
    wait_for_run,
)
from tests.browser_support import screenshot_dir as _screenshot_dir

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # the tests are skipped (or fail on CI) by _require_chromium
    Browser = Page = object  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

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


# Pages that open on one part, with buttons for the others (pages.common.section_picker).
CUT_INTO_PARTS = {"/", "/global_explanations", "/local_explanation", "/what_if", "/responsible_ai"}


@pytest.fixture(scope="module", autouse=True)
def _require_chromium() -> None:
    """Skip (locally) or fail (CI=true) every test of this module when the browser cannot run."""
    require_chromium()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``streamlit run app.py`` on a free local port, with its own model cache; stopped at teardown."""
    try:
        with streamlit_server(tmp_path_factory.mktemp("browser")) as app:
            yield app
    except ServerError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


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
    return _screenshot_dir(tmp_path)


def assert_no_exception(page: Page, server: Server) -> None:
    found = problems(page)
    if found:
        pytest.fail(server.failure(f"{page.url} shows:\n" + "\n".join(found)), pytrace=False)


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
    if path in CUT_INTO_PARTS:  # a picker the helper cannot find would make the loop below check one part only
        assert len(section_buttons(page)) >= 2, f"no part buttons on {path}"
    for section in each_section(page, server):  # every part of a busy page, clicked as a person would
        if has_charts:
            traces = wait_for_charts(page, server)
            assert all(n > 0 for n in traces), f"an empty chart on {path} ({section}): {traces} marks"
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
