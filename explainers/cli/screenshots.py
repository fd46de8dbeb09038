"""``screenshots``, for documentation: start the app, open every page of its navigation in headless Chromium,
bring each to the state that shows its answer, check that answer in the browser, then save a PNG.

Not engine work: this starts a server and a browser, so it lives beside the command line.

``python -m explainers screenshots --out docs/screenshots [--dataset credit] [--row 3] [--lang pt-BR]
[--pages local_explanation,what_if] [--width 1366|1920] [--presentation]``

Beside the PNGs it writes ``manifest.json`` (for each shot: page, dataset, row, language, the deep link and the
steps that reproduce it, what was checked before the shot; for all: data and model SHA-256, package versions,
date) and ``captions.md`` (one caption per shot in the chosen language). The pages are read from ``app.py``'s
``st.navigation`` list, so a page added there is photographed too. Needs the ``playwright`` package and Debian's
Chromium (``apt-get install -y chromium``); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from ..errors import InputError
from ..i18n import Translator, translator
from .common import add_language_option

ROOT = Path(__file__).resolve().parent.parent.parent
APP = ROOT / "app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
WIDTHS = (1366, 1920)
WINDOW = {"width": 1366, "height": 900}
MAX_HEIGHT = 12_000  # a taller page is cut here (Chromium's limit for one capture is about 16,000 px)
# The first page of a fresh server may train a model, and the report takes a while.
RUN_TIMEOUT_MS = int(os.environ.get("XAI_SHOT_TIMEOUT_MS", "180000"))
CALM_MS = 700
DEFAULT_PAGE = "overview"

SETTLED_JS = """([calm]) => {
    const h1 = document.querySelector('[data-testid="stMain"] h1');
    const root = document.querySelector('[data-testid="stApp"]');
    const state = root && root.getAttribute("data-test-script-state");
    const busy = document.querySelector(
        '[data-testid="stStatusWidget"], [data-testid="stSpinner"], [data-testid="stSkeleton"]');
    const still = h1 !== null && h1.offsetParent !== null && (state === null || state === "notRunning") && !busy;
    const now = performance.now();
    if (!still) { window.__shotCalmSince = null; return false; }
    if (window.__shotCalmSince == null) window.__shotCalmSince = now;
    return now - window.__shotCalmSince >= calm;
}"""
CHART = '[data-testid="stVegaLiteChart"]'
CHARTS_DRAWN_JS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .every(s => s.querySelector("svg.marks g.role-mark"))"""


# --------------------------------------------------------------------------------------------------------------
# The pages: read from app.py, so that future pages are photographed too


def app_pages(app: Path = APP) -> tuple[str, ...]:
    """The pages of ``app.py``'s navigation, in its order, by URL path (the default page as ``overview``)."""
    tree = ast.parse(app.read_text(encoding="utf-8"))
    pages = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "Page"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            default = any(k.arg == "default" and isinstance(k.value, ast.Constant) and k.value.value is True
                          for k in node.keywords)
            pages.append((node.lineno, node.col_offset, DEFAULT_PAGE if default else Path(node.args[0].value).stem))
    return tuple(name for *_, name in sorted(pages))


PAGES = app_pages() if APP.exists() else ()


def url_path(page: str) -> str:
    return "/" if page == DEFAULT_PAGE else f"/{page}"


def deep_link(page: str, dataset: str, row: int, lang: str, presentation: bool) -> str:
    """The address (after the server's) that opens ``page`` on this view."""
    params = {"dataset": dataset, "row": str(int(row)), "lang": lang}
    if presentation:
        params["presentation"] = "1"
    return f"{url_path(page)}?{urlencode(params)}"


def choose_pages(wanted: str | None, available: tuple[str, ...] = PAGES) -> list[str]:
    """``--pages a,b`` (names as in the manifest: ``overview``, ``what_if``, ...) checked against the app's pages."""
    if not wanted:
        return list(available)
    chosen = [p.strip() for p in wanted.split(",") if p.strip()]
    for page in chosen:
        if page not in available:
            raise InputError(key="errors.docs.pages_unknown", page=page, pages=", ".join(available))
    return chosen


# --------------------------------------------------------------------------------------------------------------
# The server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(port: int, env: dict | None = None) -> subprocess.Popen:
    """Start ``streamlit run app.py`` on 127.0.0.1:``port`` and wait until it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--theme.base", "light"],
        cwd=ROOT, env={**os.environ, "TQDM_DISABLE": "1", **(env or {})}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise InputError(key="errors.cli.app_stopped")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise InputError(key="errors.cli.app_slow")


# --------------------------------------------------------------------------------------------------------------
# Reading and working the page


class ShotError(InputError):
    """A page did not reach the state its screenshot must show."""


def wait_until_drawn(page, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Wait until the page's script has finished, its title shows, and no status widget, spinner or skeleton has
    been on screen for a calm moment; then until every chart has drawn its SVG."""
    try:
        page.evaluate("() => { window.__shotCalmSince = null; }")
        page.wait_for_function(SETTLED_JS, arg=[CALM_MS], timeout=timeout_ms, polling=100)
        page.wait_for_function(CHARTS_DRAWN_JS, timeout=timeout_ms, polling=100)
    except Exception as error:  # Playwright's TimeoutError
        raise ShotError(f"{page.url} did not finish drawing within {timeout_ms // 1000} s ({error}).") from None


def main_text(page) -> str:
    main = page.locator('[data-testid="stMain"]')
    return main.inner_text() if main.count() else ""


def prefix(template: str) -> str:
    """The fixed start of a catalogue message, before its first ``{parameter}``."""
    return template.split("{")[0].strip()


def check_clean(page, tr: Translator) -> None:
    """No exception box and no "This page failed" line: a shot of a broken page is never taken."""
    if page.locator('[data-testid="stException"]').count():
        raise ShotError(f"{page.url} shows an exception.")
    failed = prefix(tr("app.page_failed")).split(";")[0]
    if failed and failed in main_text(page):
        raise ShotError(f"{page.url} shows '{failed}'.")


def click_and_wait(page, locator, what: str) -> None:
    if not locator.count():
        raise ShotError(f"{page.url}: no {what} to click.")
    locator.first.click()
    page.wait_for_timeout(300)  # let the rerun start before waiting for it to end
    wait_until_drawn(page)


def metric_value(page, label: str) -> str | None:
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True))
    if not metric.count():
        return None
    return metric.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def choose_option(page, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label``."""
    box = page.locator('[data-testid="stSelectbox"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]').get_by_text(label, exact=True))
    if not box.count():
        raise ShotError(f"{page.url}: no select box '{label}'.")
    if box.first.locator('input[role="combobox"]').first.input_value() == option:
        return
    field = box.first.locator('input[role="combobox"]').first
    field.click()
    field.fill(option)  # filters the list to the wanted option
    page.get_by_role("option", name=option, exact=True).first.click()
    page.wait_for_timeout(300)
    wait_until_drawn(page)


# --------------------------------------------------------------------------------------------------------------
# What each page must show, and how to get there


@dataclass
class Shot:
    """One screenshot: the page, its file, the deep link and steps that reproduce it, and what was checked."""

    page: str
    file: str
    title: str
    deep_link: str
    steps: list[str] = field(default_factory=list)
    checked: dict = field(default_factory=dict)
    width: int = 0
    height: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"page": self.page, "file": self.file, "title": self.title, "deep_link": self.deep_link,
                "steps": self.steps, "checked": self.checked, "width": self.width, "height": self.height,
                "seconds": round(self.seconds, 2)}


@dataclass
class View:
    """The browser tab and the view it shows; ``go`` opens a page of that view: by its deep link for a built-in
    dataset, or by the sidebar's link for an uploaded table (a new page load would start a new session, which
    does not have the upload)."""

    page: object
    tr: Translator
    base: str
    dataset: str
    row: int
    lang: str
    presentation: bool = False
    uploaded: bool = False

    def link(self, name: str) -> str:
        return deep_link(name, self.dataset, self.row, self.lang, self.presentation)

    def go(self, name: str) -> str:
        """Open page ``name``; returns the step, as the manifest records it."""
        if not self.uploaded:
            self.page.goto(self.base + self.link(name))
            wait_until_drawn(self.page)
            return f"open {self.link(name)}"
        path, port = url_path(name).strip("/"), urlsplit(self.base).port
        if path:  # the link's address may be absolute or relative, with or without the view's query
            forms = [f'href$="/{path}"', f'href*="/{path}?"', f'href="{path}"', f'href^="{path}?"']
        else:
            forms = [f'href$=":{port}/"', f'href*=":{port}/?"', 'href="/"', 'href^="/?"', 'href^="?"', 'href=""',
                     'href="./"', 'href^="./?"']
        selector = ", ".join(f'[data-testid="stSidebar"] a[{form}]' for form in forms)
        click_and_wait(self.page, self.page.locator(selector), f"sidebar link to {name}")
        return f"click “{name}” in the sidebar"


def show_local(view: View, shot: Shot) -> None:
    """Local: the prediction of this row and its narrative."""
    page, tr, row = view.page, view.tr, view.row
    if metric_value(page, tr("local.prediction_for", row=row)) is None:
        raise ShotError(f"{page.url}: no prediction for row {row}.")
    narrative = tr("local.narrative") + "."
    text = main_text(page)
    if narrative not in text:
        raise ShotError(f"{page.url}: no narrative.")
    shot.checked.update(prediction_for_row=row, narrative=text.split(narrative, 1)[1].strip().split("\n")[0][:300])


def find_counterfactuals(page, tr: Translator, shot: Shot) -> int:
    """Counterfactuals: press the button (unless this session's search is already shown), wait for the results,
    and check that at least one passed the re-check; returns how many did."""
    if metric_value(page, tr("cf.passed")) is None:
        click_and_wait(page, page.locator(".st-key-cf_go button"), f"'{tr('cf.go')}' button")
        shot.steps.append(f"click “{tr('cf.go')}”")
    value = metric_value(page, tr("cf.passed"))
    numbers = [int(n) for n in re.findall(r"\d+", value or "")]
    if not numbers or numbers[0] < 1:
        raise ShotError(f"{page.url}: no counterfactual passed the re-check ({value!r}).")
    shot.checked.update(rechecked=numbers[0], proposed=numbers[1] if len(numbers) > 1 else None)
    return numbers[0]


def counterfactual_lines(page) -> dict[int, int]:
    """Each listed counterfactual (#i) and how many features it changes."""
    lines = {}
    for text in page.locator('[data-testid="stMarkdownContainer"]').all_inner_texts():
        found = re.match(r"^#(\d+)\s*→", text.strip())
        if found:
            lines[int(found.group(1))] = text.count("→") - 1
    return lines


def show_counterfactuals(view: View, shot: Shot) -> None:
    page, tr = view.page, view.tr
    find_counterfactuals(page, tr, shot)
    lines = counterfactual_lines(page)
    if not lines:
        raise ShotError(f"{page.url}: the counterfactuals are not listed.")
    shot.checked["listed"] = len(lines)


def show_what_if(view: View, shot: Shot) -> None:
    """What-if: open the counterfactual with the fewest changes from the Counterfactuals page (so the edit flips,
    or nearly flips, the outcome), then draw the curve of the changed feature, marked at its new value."""
    page, tr = view.page, view.tr
    if metric_value(page, tr("whatif.changed")) in (None, "0"):
        shot.steps.append(view.go("counterfactuals"))
        find_counterfactuals(page, tr, shot)
        lines = counterfactual_lines(page)
        if not lines:
            raise ShotError(f"{page.url}: no counterfactual to open in What-if.")
        fewest = min(lines, key=lambda i: (lines[i], i))
        click_and_wait(page, page.locator(f".st-key-cf_open_{fewest} button"), f"'{tr('cf.open')}' button")
        shot.steps.append(f"click “{tr('cf.open')}” of #{fewest}")
    changed = metric_value(page, tr("whatif.changed"))
    if changed in (None, "0"):
        raise ShotError(f"{page.url}: What-if shows no edit.")
    flips_text = prefix(tr("whatif.flips", before="{", after="{"))
    text = main_text(page)
    shot.checked.update(changed_features=int(re.sub(r"\D", "", changed) or 0), flips=flips_text in text)
    listed = prefix(tr("whatif.changed_list", changes="{"))
    line = next((ln for ln in text.splitlines() if ln.startswith(listed)), "")
    first = line[len(listed):].strip().split("; ")[0].rsplit(": ", 1)[0] if line else ""
    curve_part = tr("sections.whatif_curve")
    click_and_wait(page, page.locator('[data-testid="stButtonGroup"]').get_by_role("radio", name=curve_part,
                                                                                   exact=True), "curve part")
    shot.steps.append(f"click “{curve_part}”")
    if first:
        choose_option(page, tr("whatif.curve_feature"), first)
        shot.steps.append(f"choose “{first}” in “{tr('whatif.curve_feature')}”")
        shot.checked["curve_feature"] = first
    if page.locator(CHART).count() < 1:  # the curve
        raise ShotError(f"{page.url}: the curve is not drawn.")


def show_responsible_ai(view: View, shot: Shot) -> None:
    page = view.page
    figures = page.locator(CHART).count()
    if figures < 1:
        raise ShotError(f"{page.url}: no figures.")
    shot.checked["figures"] = figures


def show_report(view: View, shot: Shot) -> None:
    page, tr = view.page, view.tr
    built = prefix(tr("report.built"))
    if built not in main_text(page):
        click_and_wait(page, page.get_by_role("button", name=tr("report.build")), f"'{tr('report.build')}' button")
        shot.steps.append(f"click “{tr('report.build')}”")
    if built not in main_text(page) or not page.locator(".st-key-report_download").count():
        raise ShotError(f"{page.url}: the report was not built.")
    shot.checked["report_built"] = next(ln for ln in main_text(page).splitlines() if ln.startswith(built))


def press_if_there(key: str, message: str) -> Callable:
    """A page whose answer comes after one button (the notice, the audit trail's check)."""

    def act(view: View, shot: Shot) -> None:
        page, tr = view.page, view.tr
        button = page.locator(f".st-key-{key} button")
        if button.count() and button.first.is_enabled():
            click_and_wait(page, button, key)
            shot.steps.append(f"click “{tr(message)}”")
            shot.checked["pressed"] = tr(message)

    return act


def charts_if_any(view: View, shot: Shot) -> None:
    page = view.page
    shot.checked["figures"] = page.locator(CHART).count()


RECIPES: dict[str, Callable] = {
    "local_explanation": show_local,
    "counterfactuals": show_counterfactuals,
    "what_if": show_what_if,
    "responsible_ai": show_responsible_ai,
    "report": show_report,
    "notice": press_if_there("notice_write", "notice.write"),
    "audit": press_if_there("audit_verify", "auditlog.verify"),
}


# --------------------------------------------------------------------------------------------------------------
# Taking the shots


def check_view(page, dataset: str, row: int, lang: str) -> dict:
    """The view the app shows is the one asked for: the URL's dataset, row and language."""
    query = {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}
    shown = {"dataset": query.get("dataset"), "row": query.get("row"), "lang": query.get("lang")}
    if shown != {"dataset": dataset, "row": str(row), "lang": lang}:
        raise ShotError(f"{page.url}: the app shows {shown}, not dataset {dataset}, row {row}, language {lang}.")
    return shown


def capture(page, path: Path, width: int) -> tuple[int, int]:
    """The whole page at ``width``: Streamlit scrolls inside its main area, so grow the window to its height."""
    height = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            const sidebar = document.querySelector('[data-testid="stSidebarContent"]');
            return Math.max(main ? main.scrollHeight : 0, sidebar ? sidebar.scrollHeight : 0,
                            document.documentElement.scrollHeight);
        }""")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # no focus ring in the shot
    height = min(max(int(height), WINDOW["height"]), MAX_HEIGHT)
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(700)  # the charts re-lay out at the new width
    page.wait_for_function(CHARTS_DRAWN_JS, timeout=RUN_TIMEOUT_MS)
    page.screenshot(path=str(path), full_page=False)
    page.set_viewport_size({"width": width, "height": WINDOW["height"]})
    return width, height


@dataclass(frozen=True)
class Upload:
    """A table to upload on the Data source page before the shots (the app trains its default model on it), and
    the hashes the app must then show (what the documents' stamp says)."""

    table: Path
    target: str | None = None
    spec: Path | None = None
    model_sha256: str | None = None
    data_sha256: str | None = None


def upload_table(view: View, upload: Upload) -> list[str]:
    """Upload the table as a person does, make it the current dataset, go to the row; returns the steps."""
    page, tr = view.page, view.tr
    # The first page of a session through app.py (a deep link into pages/ may run without it), then the
    # sidebar's link, as a person goes.
    start = deep_link(DEFAULT_PAGE, view.dataset, 0, view.lang, False)
    page.goto(view.base + start)
    wait_until_drawn(page)
    view.uploaded, view.presentation = True, False
    steps = [f"open {start}", view.go("data_source")]
    for label, path in ((tr("data.table_label"), upload.table), (tr("data.spec_label"), upload.spec)):
        if path is not None:
            field = page.locator('[data-testid="stFileUploader"]').filter(has_text=label).first
            field.locator('input[type="file"]').set_input_files(str(path))
            page.wait_for_timeout(500)
            wait_until_drawn(page)
            steps.append(f"upload {Path(path).name} as “{label}”")
    if upload.target:
        choose_option(page, tr("data.target"), upload.target)
        steps.append(f"choose “{upload.target}” in “{tr('data.target')}”")
    click_and_wait(page, page.get_by_role("button", name=tr("data.go")), f"'{tr('data.go')}' button")
    steps.append(f"click “{tr('data.go')}”")
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while not (parse_qs(urlsplit(page.url).query).get("dataset") or [""])[-1].startswith("upload:"):
        if time.monotonic() > deadline:
            raise ShotError(f"{page.url}: the uploaded table did not become the current dataset.")
        page.wait_for_timeout(300)
    wait_until_drawn(page)
    view.dataset = parse_qs(urlsplit(page.url).query)["dataset"][-1]
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    for what, digest in (("model", upload.model_sha256), ("data", upload.data_sha256)):
        if digest and digest[:10] not in sidebar:
            raise ShotError(f"the app's {what} is not the documents' ({digest[:10]}… is not in its sidebar).")
    if view.row:
        box = page.locator('[data-testid="stSidebar"] [data-testid="stNumberInput"]').filter(
            has=page.locator('[data-testid="stWidgetLabel"]').get_by_text(tr("app.row"), exact=True)).locator("input")
        box.first.fill(str(view.row))
        box.first.press("Enter")
        page.wait_for_timeout(500)
        wait_until_drawn(page)
        steps.append(f"type {view.row} in “{tr('app.row')}”")
    return steps


def take_screenshots(out: Path, dataset: str = "credit", row: int = 3, lang: str = "en",
                     pages: list[str] | None = None, width: int = WINDOW["width"], presentation: bool = False,
                     on_shot: Callable[[Shot], None] | None = None, upload: Upload | None = None) -> list[Shot]:
    """One checked PNG per page (all of ``app.py``'s navigation by default), light theme, at ``width`` pixels.

    With ``upload``, the table is first uploaded on the Data source page (``dataset`` is then only the page the
    browser starts on) and the pages are opened through the sidebar, in that one session; presentation mode is
    then off (its sidebar is hidden)."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise InputError(key="errors.cli.no_playwright") from None
    if not Path(CHROMIUM).exists():
        raise InputError(key="errors.cli.no_chromium")
    if width not in WIDTHS:
        raise InputError(key="errors.docs.width", width=width)
    pages = choose_pages(",".join(pages) if pages else None)
    tr = translator(lang)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="xai-shots-") as scratch:
        # The app records its events (a report built, a notice written) in an oversight database of its own.
        server = start_app(port, env={"XAI_DB_URL": f"sqlite:///{Path(scratch) / 'oversight.db'}"})
        shots: list[Shot] = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport={"width": width, "height": WINDOW["height"]},
                                              locale="pt-BR" if lang == "pt-BR" else "en-US")
                context.set_default_timeout(RUN_TIMEOUT_MS)
                page = context.new_page()
                view = View(page, tr, f"http://127.0.0.1:{port}", dataset, row, lang, presentation)
                first_steps = []
                if upload is not None:
                    try:
                        first_steps = upload_table(view, upload)
                    except (ShotError, PlaywrightError) as error:
                        page.screenshot(path=str(out / "failed-upload.png"))
                        raise ShotError(f"upload: {str(error).splitlines()[0]}") from None
                for name in pages:
                    started = time.perf_counter()
                    shot = Shot(page=name, file=f"{name}.png", title="", deep_link=view.link(name))
                    try:
                        shot.steps = [*first_steps, view.go(name)]
                        RECIPES.get(name, charts_if_any)(view, shot)
                        check_clean(page, tr)
                        shot.checked["view"] = check_view(page, view.dataset, row, lang)
                    except (ShotError, PlaywrightError) as error:
                        page.screenshot(path=str(out / f"failed-{shot.file}"))  # what the page showed instead
                        if isinstance(error, ShotError):
                            raise
                        raise ShotError(f"{name}: {str(error).splitlines()[0]}") from None
                    shot.title = page.locator('[data-testid="stMain"] h1').first.inner_text().strip()
                    shot.width, shot.height = capture(page, out / shot.file, width)
                    shot.seconds = time.perf_counter() - started
                    shots.append(shot)
                    if on_shot is not None:
                        on_shot(shot)
                browser.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    return shots


def caption(shot: Shot, tr: Translator, dataset_title: str, row: int) -> str:
    """The shot's caption in the translator's language."""
    key = f"docs.shots.{shot.page}"
    what = tr(key) if tr(key) != key else tr("docs.shots.other", page=shot.title)
    return tr("docs.shots.caption", text=what.rstrip("."), dataset=dataset_title, row=row)


def write_manifest(out: Path, shots: list[Shot], *, dataset: str, row: int, lang: str, width: int,
                   presentation: bool, stamp, title: str | None = None) -> tuple[Path, Path]:
    """``manifest.json`` (the stamp, the view, each shot's deep link, steps and checks) and ``captions.md``;
    ``title`` names the dataset (default: the built-in dataset's title)."""
    from ..data import builtin_spec

    tr = translator(lang)
    title = title or builtin_spec(dataset).display_title(lang)
    manifest = {
        "generated_utc": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "dataset": dataset, "dataset_title": title, "row": row, "language": lang, "presentation": presentation,
        "width": width,
        "data_sha256": stamp.data_sha256, "data_content_sha256": stamp.data_content_sha256,
        "model_sha256": stamp.model_sha256, "model_source": stamp.model_source, "seed": stamp.seed,
        "split_seed": stamp.split_seed, "versions": dict(stamp.versions),
        "deep_links": "relative to the app's address, e.g. http://localhost:8501",
        "pages": [{**s.to_dict(), "dataset": dataset, "row": row, "language": lang,
                   "caption": caption(s, tr, title, row)} for s in shots],
    }
    manifest_path = out / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = [f"# {tr('docs.shots.heading', dataset=title)}", ""]
    for number, shot in enumerate(shots, 1):
        text = caption(shot, tr, title, row)
        lines += [f"## {number}. {shot.title}", "", f"![{shot.title}]({shot.file})", "", text, ""]
    captions_path = out / "captions.md"
    captions_path.write_text("\n".join(lines), encoding="utf-8")
    return manifest_path, captions_path


def screenshot_stamp(dataset: str, seed: int = 0):
    """The stamp of a built-in dataset with its default model: what the app shows."""
    from ..report import compute_stamp
    from ..workspace import open_workspace

    return compute_stamp(open_workspace(dataset, seed=seed), dataset, None, seed)


# --------------------------------------------------------------------------------------------------------------
# The command


def add_shot_options(parser: argparse.ArgumentParser) -> None:
    """The options ``screenshots`` and ``docs`` share."""
    parser.add_argument("--pages", help=f"comma-separated pages (default: all of app.py's: {', '.join(PAGES)})")
    parser.add_argument("--width", type=int, choices=WIDTHS, default=WIDTHS[0], help="window width in pixels")
    parser.add_argument("--presentation", action="store_true", help="presentation mode (larger text, no sidebar)")


def register(commands) -> None:
    shots = commands.add_parser("screenshots", help="one checked PNG per dashboard page, with manifest and captions")
    shots.add_argument("--out", default="docs/screenshots", help="folder for the PNG files")
    shots.add_argument("--dataset", default="credit", help="built-in dataset to show")
    shots.add_argument("--row", type=int, default=3, help="row shown on the local pages")
    add_shot_options(shots)
    add_language_option(shots, help="language of the pages")
    shots.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..data import builtin_names

    if args.dataset not in builtin_names():
        raise InputError(key="errors.cli.not_builtin", name=repr(args.dataset), choices=', '.join(builtin_names()))
    out = Path(args.out)
    pages = choose_pages(args.pages)
    stamp = screenshot_stamp(args.dataset)
    shots = take_screenshots(out, dataset=args.dataset, row=args.row, lang=args.lang, pages=pages,
                             width=args.width, presentation=args.presentation,
                             on_shot=lambda shot: print(out / shot.file, flush=True))
    for path in write_manifest(out, shots, dataset=args.dataset, row=args.row, lang=args.lang, width=args.width,
                               presentation=args.presentation, stamp=stamp):
        print(path)
    return 0
