"""A person's journeys through the dashboard in headless Chromium (issue 13, "The dashboard under a person's hands").

Each journey does what a person does: clicks the sidebar's page links (found by their address, never by position),
picks options, types numbers, presses Back and Forward. ``page.goto`` is used only to open the dashboard (``/``)
and for deep links. After each step it checks what that person would check: the sidebar's dataset, row, language
and presentation mode; the page's title and own row number (and prediction, where shown); the URL's query
parameters; and that no exception box, "Traceback", "KeyError" or "This page failed" line is on screen.

Most journeys share one server (module scope) and use a fresh browser context each, so a fresh Streamlit session.
The start-up journeys (a deep link as the very first request, rapid clicks while the server starts) each get a
server of their own, started with a copy of the shared server's model cache so they start warm.

Run: ``python -m pytest tests/test_journeys.py -m browser`` (``SCREENSHOT_DIR=shots`` keeps the screenshots).
Without Chromium or the playwright package the tests are skipped; under ``CI=true`` they fail.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import pytest

from explainers.data import builtin_spec
from explainers.i18n import catalogue, translator
from tests.browser_support import (
    MAIN,
    RUN_TIMEOUT_MS,
    SIDEBAR,
    VIEWPORT,
    Server,
    ServerError,
    choose,
    chromium,
    full_screenshot,
    heading,
    metric,
    metric_value,
    nav_link,
    nav_paths,
    nav_texts,
    number_box,
    path_of,
    problems,
    query,
    require_chromium,
    screenshot_dir,
    select_box,
    select_value,
    settle,
    streamlit_server,
    type_number,
)

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # skipped (or failed on CI) by _require_chromium
    Browser = Page = object  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

STEP_TIMEOUT_MS = 20_000  # how long a shown value may take to become what it should be
ACTION_TIMEOUT_MS = 30_000  # how long a click or a fill may wait for its element
LANGUAGE_NAMES = {"en": "English", "pt-BR": "Português (Brasil)"}
PAGE_ORDER = ["/", "/data_source", "/global_explanations", "/local_explanation", "/what_if", "/counterfactuals",
              "/responsible_ai", "/report", "/batch_results"]
_TITLE_KEYS = {"/data_source": "data.title", "/global_explanations": "global.title",
               "/local_explanation": "local.title", "/what_if": "whatif.title", "/counterfactuals": "cf.title",
               "/responsible_ai": "trust.title", "/report": "report.page_title", "/batch_results": "batch.title"}
_NAV_KEYS = {"/": "nav.overview", "/data_source": "data.nav", "/global_explanations": "nav.global",
             "/local_explanation": "nav.local", "/what_if": "nav.whatif", "/counterfactuals": "nav.counterfactuals",
             "/responsible_ai": "trust.nav", "/report": "report.nav", "/batch_results": "batch.nav"}
UPLOAD_MARK = "⬆"


def tr(lang: str) -> Callable[..., str]:
    messages = catalogue(lang)
    return lambda key, **values: messages[key].format(**values)


def dataset_title(dataset: str, lang: str) -> str:
    return builtin_spec(dataset).display_title(lang)


def page_title(path: str, dataset: str, lang: str) -> str | None:
    """The h1 a page shows (the overview's is the dataset's title); None where not known here (an upload's
    overview, a page added after these journeys were written)."""
    if path == "/":
        return None if dataset.startswith("upload") else dataset_title(dataset, lang)
    return tr(lang)(_TITLE_KEYS[path]) if path in _TITLE_KEYS else None


def row_text(path: str, row: int, lang: str) -> str | None:
    """The page's own statement of which row it shows, where it has one."""
    t = tr(lang)
    return {
        "/local_explanation": t("local.prediction_for", row=row),
        "/what_if": t("whatif.intro", row=row),
        "/counterfactuals": catalogue(lang)["cf.intro"].split("**")[0].format(row=row).strip(),
        "/responsible_ai": t("trust.row_heading", row=row),
    }.get(path)


def exactly(text: str) -> re.Pattern:
    """``text`` not followed by a digit: "row 7" must not match "row 70"."""
    return re.compile(re.escape(text) + r"(?!\d)")


# --------------------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module", autouse=True)
def _require_chromium() -> None:
    require_chromium()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    try:
        with streamlit_server(tmp_path_factory.mktemp("journeys")) as app:
            yield app
    except ServerError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def fresh_server(tmp_path: Path, server: Server) -> Iterator[Server]:
    """A server of its own, just started and not yet asked for any page; warm model cache (a copy)."""
    try:
        with streamlit_server(tmp_path / "fresh", cache_from=server.cache_dir) as app:
            yield app
    except ServerError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (so a fresh Streamlit session) per journey."""
    tab = _new_page(browser)
    yield tab
    tab.context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return screenshot_dir(tmp_path)


# --------------------------------------------------------------------------------------------------------------
# A person's steps and checks


class Person:
    """One person at one tab: the steps they take and what they look at after each."""

    def __init__(self, page: Page, server: Server, shots: Path | None = None, name: str = "journey") -> None:
        self.page, self.server, self.shots, self.name = page, server, shots, name
        self.lang = "en"
        self.sidebar_openings = 0  # how often the sidebar had to be opened again
        self.predictions: dict[tuple, str] = {}  # (dataset, row, lang) -> the headline Local explanation shows

    # ---- helpers
    def fail(self, message: str) -> None:
        raise AssertionError(self.server.failure(f"[{self.name}] {message} (at {self.page.url})"))

    def settle(self) -> None:
        settle(self.page, self.server)
        self.clean()

    def clean(self) -> None:
        found = problems(self.page)
        if found:
            self.shot("problem")
            self.fail("\n".join(found))

    def shot(self, label: str) -> None:
        if self.shots is not None:
            full_screenshot(self.page, self.shots / f"{self.name}-{label}.png")

    def t(self, key: str, **values: object) -> str:
        return tr(self.lang)(key, **values)

    @property
    def sidebar(self):
        return self.page.locator(SIDEBAR)

    def open_sidebar(self) -> None:
        """Presentation mode starts with the sidebar collapsed: a person opens it (the ">" button)."""
        collapsed = self.sidebar.evaluate(
            "e => e.getAttribute('data-collapsed') === 'true' || e.getAttribute('aria-expanded') === 'false'")
        if collapsed:
            self.sidebar_openings += 1
            self.page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] '
                              'button').first.click()
            self.page.wait_for_function(
                "s => { const e = document.querySelector(s); return e && e.getAttribute('data-collapsed') !== 'true'"
                " && e.getAttribute('aria-expanded') !== 'false' && e.getBoundingClientRect().x >= 0; }",
                arg=SIDEBAR, timeout=STEP_TIMEOUT_MS)
            self.page.wait_for_timeout(300)  # the slide-in animation

    # ---- steps
    def open(self, path: str = "/") -> None:
        """Type an address into the browser (the first visit, or a deep link)."""
        self.page.goto(self.server.url + path)
        self.settle()

    def click_page(self, path: str) -> None:
        """Click the sidebar's link to ``path`` and wait for that page to be drawn."""
        self.open_sidebar()
        link = nav_link(self.page, path)
        try:
            link.wait_for(state="visible", timeout=STEP_TIMEOUT_MS)
        except Exception:  # Playwright's TimeoutError
            self.fail(f"no sidebar link to {path}; links: {nav_texts(self.page)}")
        link.click()
        self.wait_for_path(path)
        self.settle()

    def wait_for_path(self, path: str) -> None:
        try:
            self.page.wait_for_url(lambda url: (re.sub(r"^https?://[^/]+", "", url).split("?")[0].rstrip("/") or "/")
                                   == path, timeout=STEP_TIMEOUT_MS)
        except Exception:  # Playwright's TimeoutError
            self.fail(f"the address did not become {path}")

    def choose_dataset(self, dataset: str) -> None:
        self.open_sidebar()
        choose(self.page, select_box(self.sidebar, self.t("app.dataset")), dataset_title(dataset, self.lang))
        self.wait_for_query(dataset=dataset)
        self.settle()

    def choose_row(self, row: int) -> None:
        self.open_sidebar()
        type_number(self.page, number_box(self.sidebar, self.t("app.row")), row)
        self.wait_for_query(row=str(row))
        self.settle()

    def choose_language(self, lang: str) -> None:
        self.open_sidebar()
        choose(self.page, select_box(self.sidebar, self.t("app.language")), LANGUAGE_NAMES[lang])
        self.lang = lang
        self.wait_for_query(lang=lang)
        self.settle()

    def toggle_presentation(self, on: bool) -> None:
        self.open_sidebar()
        toggle = self.sidebar.locator('[data-testid="stCheckbox"]').filter(has_text=self.t("app.presentation"))
        toggle.locator("label").first.click()
        self.wait_for_query(presentation="1" if on else None)
        self.settle()

    def wait_for_query(self, **wanted: str | None) -> None:
        deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            shown = query(self.page)
            if all(shown.get(key) == value for key, value in wanted.items()):
                return
            self.page.wait_for_timeout(100)
        self.fail(f"the URL's query parameters did not become {wanted}")

    # ---- what a person checks
    def sidebar_view(self) -> dict[str, object]:
        self.open_sidebar()
        toggle = self.sidebar.locator('[data-testid="stCheckbox"]').filter(
            has_text=self.t("app.presentation")).locator('input[type="checkbox"]')
        return {
            "dataset": select_value(select_box(self.sidebar, self.t("app.dataset"))),
            "row": number_box(self.sidebar, self.t("app.row")).input_value(),
            "lang": select_value(select_box(self.sidebar, self.t("app.language"))),
            "presentation": toggle.is_checked(),
        }

    def check(self, path: str, dataset: str, row: int, *, presentation: bool = False, upload: bool = False) -> None:
        """The page ``path`` shows ``dataset`` (a built-in name, or an upload) and ``row`` in ``self.lang``."""
        lang = self.lang
        self.clean()
        if path_of(self.page) != path:
            self.fail(f"the page is {path_of(self.page)}, not {path}")
        title = page_title(path, "upload" if upload else dataset, lang)
        if title is not None:
            try:
                expect(self.page.locator(f"{MAIN} h1").first).to_have_text(title, timeout=STEP_TIMEOUT_MS)
            except AssertionError:
                self.fail(f"the page's title is {heading(self.page)!r}, not {title!r}")
        shown = self.sidebar_view()
        wanted = {
            "dataset": UPLOAD_MARK if upload else dataset_title(dataset, lang),
            "row": str(row),
            "lang": LANGUAGE_NAMES[lang],
            "presentation": presentation,
        }
        if upload:
            shown["dataset"] = UPLOAD_MARK if str(shown["dataset"]).startswith(UPLOAD_MARK) else shown["dataset"]
        if shown != wanted:
            self.shot("sidebar")
            self.fail(f"the sidebar shows {shown}, not {wanted}")
        params = query(self.page)
        if upload:
            if params.get("dataset") in ("credit", "hmda", "loans", "breast_cancer"):
                self.fail(f"an upload is selected but the URL says dataset={params.get('dataset')}")
        elif params.get("dataset") != dataset:
            self.fail(f"the URL says dataset={params.get('dataset')}, not {dataset}")
        if params.get("row") != str(row) or params.get("lang") != lang:
            self.fail(f"the URL says row={params.get('row')} lang={params.get('lang')}, not row={row} lang={lang}")
        if params.get("presentation") != ("1" if presentation else None):
            self.fail(f"the URL says presentation={params.get('presentation')}, presentation mode is "
                      f"{'on' if presentation else 'off'}")
        statement = row_text(path, row, lang)
        if statement is not None:
            try:
                expect(self.page.locator(MAIN).get_by_text(exactly(statement)).first).to_be_visible(
                    timeout=STEP_TIMEOUT_MS)
            except AssertionError:
                self.fail(f"the page does not say {statement!r}")
        if path == "/local_explanation":
            self.predictions.setdefault((dataset, row, lang), metric_value(self.page, row_text(path, row, lang)))
        if path == "/counterfactuals" and (dataset, row, lang) in self.predictions:
            said = self.page.locator(MAIN).get_by_text(exactly(statement)).first.inner_text()
            if self.predictions[(dataset, row, lang)] not in said:
                self.fail(f"Counterfactuals says {said!r}; Local explanation predicted "
                          f"{self.predictions[(dataset, row, lang)]!r} for the same row")
        self.clean()


def counterfactual_line(page: Page, number: int) -> str:
    """The text of counterfactual #number ("#1 → Good payer: Income: 107 → 150; …")."""
    line = page.locator(MAIN).get_by_text(re.compile(rf"^#{number} → ")).first
    expect(line).to_be_visible(timeout=STEP_TIMEOUT_MS)
    return line.inner_text().strip()


def counterfactual_changes(line: str) -> list[str]:
    """["Income: 107 → 150", …] from a counterfactual's line."""
    _, _, changes = line.partition(": ")
    return [change.strip() for change in changes.split("; ") if "→" in change]


# --------------------------------------------------------------------------------------------------------------
# Journeys on the shared server


def test_every_page_in_order_and_back(page: Page, server: Server, shots: Path) -> None:
    """Pick a row, click every page in the sidebar's order, then press Back through them: the row stays."""
    person = Person(page, server, shots, "every-page")
    person.open("/")
    person.check("/", "credit", 0)
    person.choose_row(3)
    person.check("/", "credit", 3)
    paths = nav_paths(page)
    known = [path for path in paths if path in PAGE_ORDER]
    assert known == PAGE_ORDER, f"the sidebar links to {paths}; expected {PAGE_ORDER} among them, in this order"
    for path in paths[1:]:
        person.click_page(path)
        person.check(path, "credit", 3)
        if path in ("/global_explanations", "/what_if"):
            person.shot(path.strip("/"))
    for path in reversed(paths[:-1]):
        page.go_back()
        person.wait_for_path(path)
        person.settle()
        person.check(path, "credit", 3)
    person.shot("back-at-overview")


def test_dataset_and_row_follow_every_page(page: Page, server: Server, shots: Path) -> None:
    """HMDA and row 7 chosen in the sidebar; three pages clicked: each shows HMDA and row 7."""
    person = Person(page, server, shots, "hmda-row-7")
    person.open("/")
    person.choose_dataset("hmda")
    person.check("/", "hmda", 0)
    person.choose_row(7)
    person.check("/", "hmda", 7)
    for path in ("/local_explanation", "/counterfactuals", "/what_if"):
        person.click_page(path)
        person.check(path, "hmda", 7)
    person.shot("what-if")
    assert metric_value(page, "Changed inputs") == "0"


def _what_if_inputs(page: Page) -> dict[str, str]:
    """Every what-if input's label → what it shows."""
    shown = {}
    main = page.locator(MAIN)
    for box in main.locator('[data-testid="stNumberInput"]').all():
        shown[box.locator('[data-testid="stWidgetLabel"]').inner_text().strip()] = box.locator("input").input_value()
    for box in main.locator('[data-testid="stSelectbox"]').all():
        label = box.locator('[data-testid="stWidgetLabel"]').inner_text().strip()
        shown[label] = box.locator('input[role="combobox"]').first.input_value()
    return shown


def feature_label(dataset: str, feature: str, lang: str, shown: Collection[str] = ()) -> str:
    """The label a person sees for ``feature``: the spec's short label (the dashboard's choice today), else its
    long label or the column name, whichever is on screen."""
    spec = builtin_spec(dataset)
    candidates = []
    if hasattr(spec, "short_labels"):
        from explainers import load_builtin

        candidates.append(spec.short_labels(load_builtin(dataset).feature_names, lang)[feature])
    candidates += [spec.feature_label(feature, lang), feature, feature.replace("_", " ")]
    return next((label for label in candidates if label in shown), candidates[0])


def _assert_real_values(person: Person, dataset: str, row: int, except_for: dict[str, float]) -> None:
    """The what-if inputs show the row's real values, except the edited ones, which show the edit."""
    import math

    from explainers import load_builtin

    real = load_builtin(dataset).row(row).iloc[0].to_dict()
    shown = _what_if_inputs(person.page)
    wrong = {}
    for feature, value in real.items():
        label = feature_label(dataset, feature, person.lang, shown)
        if label not in shown:
            wrong[feature] = f"(no input labelled {label!r})"
            continue
        text = shown[label]
        if feature in except_for:
            value = except_for[feature]
        if isinstance(value, str):  # a category, shown in the reader's words
            words = translator(person.lang).value(value)
            if text != words:
                wrong[feature] = f"{text!r} instead of {words!r}"
        elif value is None or (isinstance(value, float) and math.isnan(value)):
            if text not in ("", person.t("whatif.missing_option")):
                wrong[feature] = f"{text!r} instead of missing"
        else:
            try:
                ok = math.isclose(float(text.replace(",", "")), float(value), rel_tol=1e-3, abs_tol=1e-6)
            except ValueError:
                ok = False
            if not ok:
                wrong[feature] = f"{text!r} instead of {value!r}"
    if wrong:
        person.shot("what-if-values")
        person.fail(f"What-if shows other values than row {row} of {dataset}: {wrong}")


def test_what_if_edit_kept_after_leaving(page: Page, server: Server, shots: Path) -> None:
    """Edit one input, leave What-if, come back: the edit is there, the rest is the row's real values."""
    person = Person(page, server, shots, "what-if-edit")
    person.open("/")
    person.choose_row(4)
    person.click_page("/what_if")
    person.check("/what_if", "credit", 4)
    _assert_real_values(person, "credit", 4, {})
    assert metric_value(page, "Changed inputs") == "0"
    income = feature_label("credit", "Income", "en", _what_if_inputs(page))
    type_number(page, number_box(page.locator(MAIN), income), 150)
    expect(metric(page, "Changed inputs").locator('[data-testid="stMetricValue"]')).to_have_text(
        "1", timeout=STEP_TIMEOUT_MS)
    person.settle()
    person.click_page("/local_explanation")
    person.check("/local_explanation", "credit", 4)
    person.click_page("/what_if")
    person.check("/what_if", "credit", 4)
    person.shot("returned")
    _assert_real_values(person, "credit", 4, {"Income": 150})
    changed = metric_value(page, "Changed inputs")
    if changed != "1":
        person.fail(f"Changed inputs shows {changed} after coming back, not 1")
    expect(page.locator(MAIN).get_by_text(f"Changed: {income}: 107 → 150")).to_be_visible()


def _counterfactuals_to_what_if(person: Person, dataset: str, row: int) -> None:
    page = person.page
    person.click_page("/counterfactuals")
    person.check("/counterfactuals", dataset, row)
    page.get_by_role("button", name=person.t("cf.go")).click()
    try:
        expect(metric(page, person.t("cf.passed"))).to_be_visible(timeout=RUN_TIMEOUT_MS)
    except AssertionError:
        person.fail("no counterfactual result after pressing the search button")
    person.settle()
    first = counterfactual_line(page, 1)
    changes = counterfactual_changes(first)
    assert changes, first
    passed = metric_value(page, person.t("cf.passed"))
    person.shot(f"{dataset}-results")
    block = page.locator('[data-testid="stHorizontalBlock"]').filter(has=page.get_by_text(first, exact=True))
    block.get_by_role("button", name=person.t("cf.open")).last.click()
    person.wait_for_path("/what_if")
    person.settle()
    person.check("/what_if", dataset, row)
    person.shot(f"{dataset}-in-what-if")
    changed = metric_value(page, "Changed inputs")
    if changed != str(len(changes)):
        person.fail(f"What-if counts {changed} changed inputs; counterfactual #1 changes {len(changes)}: {first}")
    said = page.locator(MAIN).get_by_text(re.compile(r"^Changed: ")).first.inner_text()
    missing = [change for change in changes if change not in said]
    if missing:
        person.fail(f"What-if's changes ({said!r}) lack {missing} of counterfactual #1 ({first!r})")
    # Back to the results, by the sidebar: they are still there.
    person.click_page("/counterfactuals")
    person.check("/counterfactuals", dataset, row)
    try:
        expect(metric(page, person.t("cf.passed"))).to_be_visible(timeout=STEP_TIMEOUT_MS)
    except AssertionError:
        person.fail("the counterfactual results are gone after coming back from What-if")
    assert metric_value(page, person.t("cf.passed")) == passed
    assert counterfactual_line(page, 1) == first


def test_counterfactual_opened_in_what_if(page: Page, server: Server, shots: Path) -> None:
    """Search, open #1 in What-if (same dataset, row, language; the counterfactual's values), come back:
    the results are still there. Credit, then HMDA (its `pirat` feature once raised KeyError)."""
    person = Person(page, server, shots, "counterfactual")
    person.open("/")
    person.choose_row(2)
    _counterfactuals_to_what_if(person, "credit", 2)
    person.choose_dataset("hmda")
    person.check("/counterfactuals", "hmda", 0)
    person.choose_row(5)
    _counterfactuals_to_what_if(person, "hmda", 5)


def test_language_switch_keeps_dataset_and_row(page: Page, server: Server, shots: Path) -> None:
    person = Person(page, server, shots, "language")
    person.open("/")
    person.choose_dataset("hmda")
    person.choose_row(7)
    person.click_page("/local_explanation")
    person.check("/local_explanation", "hmda", 7)
    person.choose_language("pt-BR")
    person.check("/local_explanation", "hmda", 7)
    for path in ("/what_if", "/responsible_ai", "/"):
        person.click_page(path)
        person.check(path, "hmda", 7)
    names = nav_texts(page)
    wanted = [catalogue("pt-BR")[_NAV_KEYS[path]] for path in PAGE_ORDER]
    english = {catalogue("en")[key] for key in _NAV_KEYS.values()} - set(wanted)
    assert [name for name in names if name in wanted] == wanted, f"the sidebar's links are {names}, not {wanted}"
    assert not english & set(names), f"English page names in Portuguese: {sorted(english & set(names))}"
    person.shot("overview-pt-BR")


def test_presentation_mode_in_url_and_kept(page: Page, server: Server, shots: Path) -> None:
    person = Person(page, server, shots, "presentation")
    person.open("/")
    person.choose_dataset("hmda")
    person.choose_row(7)
    person.toggle_presentation(True)
    person.check("/", "hmda", 7, presentation=True)
    for path in ("/local_explanation", "/what_if"):
        person.click_page(path)
        person.check(path, "hmda", 7, presentation=True)
    person.shot("what-if")
    print(f"\npresentation mode: the sidebar was opened again {person.sidebar_openings} time(s)")
    person.toggle_presentation(False)
    person.check("/what_if", "hmda", 7)


def _small_csv(path: Path) -> Path:
    lines = ["age,income,colour,approved"]
    for i in range(160):
        age, income = 20 + (i * 7) % 50, 1000 + (i * 137) % 4000
        colour = ("red", "green", "blue")[i % 3]
        approved = "yes" if income + 30 * age + (500 if colour == "green" else 0) > 3500 else "no"
        lines.append(f"{age},{income},{colour},{approved}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_upload_then_pages_then_builtin(page: Page, server: Server, shots: Path, tmp_path: Path) -> None:
    person = Person(page, server, shots, "upload")
    person.open("/")
    person.click_page("/data_source")
    person.check("/data_source", "credit", 0)
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text=person.t("data.table_label")).first
    uploader.locator('input[type="file"]').set_input_files(str(_small_csv(tmp_path / "journey_upload.csv")))
    go = page.get_by_role("button", name=person.t("data.go"))
    expect(go).to_be_enabled(timeout=STEP_TIMEOUT_MS)
    person.settle()
    go.click()
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while not select_value(select_box(person.sidebar, person.t("app.dataset"))).startswith(UPLOAD_MARK):
        if time.monotonic() > deadline:
            person.shot("not-selected")
            person.fail("the uploaded table was not selected after 'Use this data'")
        page.wait_for_timeout(200)
    person.settle()
    person.check("/data_source", "upload", 0, upload=True)
    person.shot("trained")
    for path in ("/", "/local_explanation", "/what_if"):
        person.click_page(path)
        person.check(path, "upload", 0, upload=True)
    person.choose_row(3)
    person.check("/what_if", "upload", 3, upload=True)
    person.click_page("/local_explanation")
    person.check("/local_explanation", "upload", 3, upload=True)
    person.choose_dataset("hmda")
    person.check("/local_explanation", "hmda", 0)
    person.click_page("/")
    person.check("/", "hmda", 0)


def test_two_tabs_do_not_affect_each_other(browser: Browser, server: Server, shots: Path) -> None:
    first, second = _new_page(browser), _new_page(browser)
    try:
        one, two = Person(first, server, shots, "tab-one"), Person(second, server, shots, "tab-two")
        one.open("/")
        two.open("/")
        one.choose_dataset("hmda")
        two.choose_dataset("loans")
        one.choose_row(7)
        two.choose_row(3)
        one.click_page("/local_explanation")
        one.check("/local_explanation", "hmda", 7)
        two.click_page("/local_explanation")
        two.check("/local_explanation", "loans", 3)
        one.click_page("/what_if")
        one.check("/what_if", "hmda", 7)
        two.check("/local_explanation", "loans", 3)  # untouched by the other tab's runs
        two.click_page("/")
        two.check("/", "loans", 3)
        one.check("/what_if", "hmda", 7)
        two.shot("overview")
    finally:
        first.context.close()
        second.context.close()


def test_back_and_forward(page: Page, server: Server, shots: Path) -> None:
    """Pages A, B, C by clicking; Back returns to B, Back again to A, Forward to B; one press each."""
    person = Person(page, server, shots, "history")
    person.open("/")
    person.choose_dataset("hmda")
    person.choose_row(5)
    a, b, c = "/local_explanation", "/what_if", "/counterfactuals"
    for path in (a, b, c):
        person.click_page(path)
        person.check(path, "hmda", 5)
    for step, path in ((page.go_back, b), (page.go_back, a), (page.go_forward, b)):
        step()
        person.wait_for_path(path)
        person.settle()
        person.check(path, "hmda", 5)
    person.shot("forward-to-b")


# --------------------------------------------------------------------------------------------------------------
# Start-up journeys: each on a server of its own, just started


@pytest.mark.parametrize("path", ["/local_explanation", "/"], ids=["local_explanation", "overview"])
def test_deep_link_as_first_request_then_clicks(browser: Browser, fresh_server: Server, shots: Path, path: str) -> None:
    """A deep link (the README's, on a page and on the overview) is the fresh server's very first request; the
    next clicks (pages, then a widget) keep its view."""
    tab = _new_page(browser)
    try:
        person = Person(tab, fresh_server, shots, f"deep-link-{path.strip('/') or 'overview'}")
        person.lang = "pt-BR"
        person.open(f"{path}?dataset=hmda&row=5&lang=pt-BR")
        person.check(path, "hmda", 5)
        person.shot("first")
        for target in [p for p in ("/what_if", "/counterfactuals", "/local_explanation") if p != path][:2]:
            person.click_page(target)
            person.check(target, "hmda", 5)
        person.choose_row(6)  # the first widget change on this server
        person.check(path_of(tab), "hmda", 6)
    finally:
        tab.context.close()


_WATCH_LINKS = """() => {
    window.__xaiLinks = new Set();
    const note = () => document.querySelectorAll(
        '[data-testid="stSidebarNav"] a, [data-testid="stSidebar"] a[data-testid="stPageLink-NavLink"]')
        .forEach(a => window.__xaiLinks.add(a.innerText.split("\\n").pop().trim()));
    new MutationObserver(note).observe(document, {childList: true, subtree: true, characterData: true});
}"""


def test_rapid_clicks_during_start_up_and_computation(browser: Browser, fresh_server: Server, shots: Path) -> None:
    """Clicks on several pages as soon as the first page appears, and again while a page computes."""
    tab = _new_page(browser)
    tab.add_init_script(f"({_WATCH_LINKS})()")
    try:
        person = Person(tab, fresh_server, shots, "rapid")
        tab.goto(fresh_server.url + "/")
        expect(tab.locator(f"{MAIN} h1").first).to_be_visible(timeout=RUN_TIMEOUT_MS)
        clicked = ["/local_explanation", "/what_if", "/counterfactuals"]
        for path in clicked:
            nav_link(tab, path).click()
        person.wait_for_path(clicked[-1])
        person.settle()
        person.check(clicked[-1], "credit", 0)
        seen = set(tab.evaluate("() => [...window.__xaiLinks]"))
        final = set(nav_texts(tab))
        english = {catalogue("en")[key] for key in _NAV_KEYS.values()}
        if not english <= final:
            person.fail(f"the sidebar lists {sorted(final)}, without {sorted(english - final)}")
        if seen - final:
            person.fail(f"during start-up the sidebar listed {sorted(seen - final)} (files of pages/?)")
        # While a page computes (HMDA's global explanations on this new server), click three more.
        person.choose_dataset("hmda")
        person.choose_row(7)
        nav_link(tab, "/global_explanations").click()
        person.wait_for_path("/global_explanations")
        for path in ("/responsible_ai", "/local_explanation", "/what_if"):
            nav_link(tab, path).click()
            tab.wait_for_timeout(150)
        person.wait_for_path("/what_if")
        person.settle()
        person.check("/what_if", "hmda", 7)
        person.shot("after-rapid-clicks")
        assert metric_value(tab, "Changed inputs") == "0"
        person.click_page("/global_explanations")
        person.check("/global_explanations", "hmda", 7)
    finally:
        tab.context.close()


# --------------------------------------------------------------------------------------------------------------
# Several models per dataset (issue 18)


def test_model_picker_follows_pages_and_back(page: Page, server: Server, shots: Path) -> None:
    """The baseline picked in the sidebar: Local explanation and Compare models show it, the URL names it, and Back
    returns through the same views to the dataset's own model."""
    person = Person(page, server, shots, "model-picker")
    person.open("/")
    person.choose_row(3)
    baseline, default = person.t("compare.model_baseline_classification"), person.t("compare.model_default")
    model_box = select_box(person.sidebar, person.t("compare.model"))
    assert select_value(model_box) == default
    choose(page, model_box, baseline)
    person.wait_for_query(model="baseline", row="3")
    person.settle()
    for path in ("/local_explanation", "/compare"):
        person.click_page(path)
        person.check(path, "credit", 3)
        assert query(page).get("model") == "baseline"
        assert select_value(select_box(person.sidebar, person.t("compare.model"))) == baseline
    # The page opens on the metrics; the row through each model is one click away, above the page.
    page.locator(MAIN).get_by_role("radio", name=person.t("sections.compare_row")).click()
    person.settle()
    expect(page.locator(MAIN).get_by_text(person.t("compare.one_row", row=3))).to_be_visible()
    chosen = page.locator(MAIN).locator('[data-testid="stMultiSelect"]').first.inner_text()
    assert baseline in chosen and default in chosen  # the chosen model, and the one it is compared with
    person.shot("compare")
    for path, model in (("/local_explanation", "baseline"), ("/", "baseline"), ("/", None)):
        page.go_back()
        person.wait_for_query(model=model)
        person.wait_for_path(path)
        person.settle()
        person.check(path, "credit", 3)
        assert select_value(select_box(person.sidebar, person.t("compare.model"))) == (baseline if model else default)


def test_model_added_on_compare_is_explained_everywhere(page: Page, server: Server, shots: Path,
                                                        tmp_path: Path) -> None:
    """A model file added on Compare models joins the comparison and the sidebar's models; chosen there, Local
    explanation shows that model's own probability for the row, and the URL names it by its hash."""
    import xgboost as xgb

    from explainers import load_builtin
    from explainers.models import load_model

    dataset = load_builtin("credit")
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 2, "seed": 0, "max_cat_to_onehot": 1},
                        xgb.DMatrix(dataset.features, label=dataset.target_codes(), enable_categorical=True),
                        num_boost_round=15)
    path = tmp_path / "challenger.json"
    booster.save_model(str(path))
    challenger = load_model(path, dataset)
    person = Person(page, server, shots, "model-upload")
    person.open("/")
    person.choose_row(2)
    person.click_page("/compare")
    person.check("/compare", "credit", 2)
    page.locator(MAIN).get_by_text(person.t("compare.add_model")).first.click()
    uploader = page.locator('[data-testid="stFileUploader"]').first
    uploader.locator('input[type="file"]').set_input_files(str(path))
    add = page.get_by_role("button", name=person.t("compare.add_model_button"))
    expect(add).to_be_enabled(timeout=STEP_TIMEOUT_MS)
    person.settle()
    add.click()
    title = f"{UPLOAD_MARK} challenger.json"
    expect(page.locator(MAIN).locator('[data-testid="stMultiSelect"]').first).to_contain_text(
        title, timeout=RUN_TIMEOUT_MS)
    person.settle()
    person.shot("added")
    choose(page, select_box(person.sidebar, person.t("compare.model")), title)
    person.wait_for_query(model=f"upload:{challenger.model_hash[:8]}")
    person.settle()
    person.click_page("/local_explanation")
    person.check("/local_explanation", "credit", 2)
    expected = f"{challenger.score(dataset.row(2))[0] * 100:.1f}%"
    assert metric_value(page, "Score") == expected
