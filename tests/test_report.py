"""Transparency report: its language, its stamp, its three formats, the browser, and the `report` command.

The browser test drives Debian's Chromium at /usr/bin/chromium through the playwright package, with every
request other than file:// blocked; without Chromium it is skipped (and fails when CI=true).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from explainers import InputError, load_dataset
from explainers.cli.common import Parser, workspace_from_args
from explainers.cli.report import register as add_report_parser
from explainers.cli.report import run as run_report
from explainers.i18n import catalogue
from explainers.report import (
    SECTIONS,
    UseCase,
    build_report,
    default_use_case,
    report_format,
    write_report,
)

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # skipped (or failed under CI) below
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MISSING_CHROMIUM = "Chromium not found: install it with `apt-get update && apt-get install -y chromium`"
ROWS = [3, 17]
# Interface strings the report takes from other sections of the catalogue (charts, units, narrative).
BORROWED = ("charts.why", "charts.base", "charts.this_prediction", "charts.others", "charts.model_output",
            "charts.beeswarm", "charts.beeswarm_axis", "charts.feature_value", "charts.low", "charts.high",
            "common.missing")
BORROWED_SECTIONS = ("space.", "narrative.")
PLOTLY_JS = re.compile(r'<script id="plotlyjs">.*?</script>', re.S)
# The methods' own names stay in English in every language (each followed by a translation).
METHOD_NAMES = ("SHapley Additive exPlanations", "Local Interpretable Model-agnostic Explanations",
                "Diverse Counterfactual Explanations")
DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


# ------------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def pt_report(credit):
    return build_report(credit, ROWS, default_use_case(credit.dataset.spec, "pt-BR"), lang="pt-BR")


@pytest.fixture(scope="module")
def pt_html(pt_report) -> str:
    return pt_report.to_html()


@pytest.fixture(scope="module")
def files(tmp_path_factory, cache_dir) -> dict[str, Path]:
    """A small CSV table and an XGBoost model trained on it, saved as JSON."""
    folder = tmp_path_factory.mktemp("report-files")
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({
        "income": rng.normal(50, 10, n).round(1),
        "debt": rng.integers(0, 20, n),
        "region": rng.choice(["north", "south", "east"], n),
    })
    score = frame["income"] - 2 * frame["debt"] + 5 * (frame["region"] == "north") + rng.normal(0, 5, n)
    frame["approved"] = np.where(score > 25, "yes", "no")
    csv = folder / "applicants.csv"
    frame.to_csv(csv, index=False)
    dataset = load_dataset(csv, target="approved")
    matrix = xgb.DMatrix(dataset.features, label=dataset.target_codes(), enable_categorical=True)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "seed": 0, "nthread": 1}, matrix,
                        num_boost_round=25)
    model = folder / "model.json"
    booster.save_model(str(model))
    return {"folder": folder, "csv": csv, "model": model}


def cli_args(files: dict[str, Path], **overrides) -> argparse.Namespace:
    values = {"data": str(files["csv"]), "target": "approved", "spec": None, "model": str(files["model"]),
              "allow_pickle": False, "immutable": None, "rows": "1,5", "out": str(files["folder"] / "r.md"),
              "lang": "en", "use_case": None, "seed": 0}
    values.update(overrides)
    return argparse.Namespace(**values)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------------
# language


def english_fragments(data_words: set[str]) -> set[str]:
    """English texts of the interface strings the report uses whose Portuguese differs, cut at the
    placeholders; fragments that are data (column names, categories) are left out."""
    en, pt = catalogue("en"), catalogue("pt-BR")
    keys = [k for k in en if k.startswith("report.") or k in BORROWED or k.startswith(BORROWED_SECTIONS)]
    fragments = set()
    for key in keys:
        if en[key] == pt.get(key):
            continue
        for part in re.split(r"\{[^}]*\}", en[key]):
            part = part.strip(" .,:;()*“”\"'·—-|★")
            if len(re.sub(r"[^A-Za-z]", "", part)) >= 3 and not contains(pt[key], part) and part not in data_words:
                fragments.add(part)
    return fragments


def contains(text: str, fragment: str) -> bool:
    """Whether ``fragment`` occurs in ``text`` as whole words ("Model" is not in "Modelo")."""
    return re.search(r"(?<![A-Za-z])" + re.escape(fragment) + r"(?![A-Za-z])", text) is not None


def english_found(text: str, fragments: set[str]) -> list[str]:
    return sorted(f for f in fragments if contains(text, f))


def test_portuguese_report_has_no_english_interface_strings(pt_report, pt_html, credit):
    dataset = credit.dataset
    data_words = {*dataset.feature_names, dataset.spec.target, *dataset.classes,
                  *(c for info in dataset.schema for c in info.categories)}
    fragments = english_fragments(data_words)
    assert {"Use case", "Counterfactuals", "Model", "Reproducibility stamp"} <= fragments
    # What a reader sees: text, tables and chart labels; not tag attributes, anchors, image data or the
    # command line that rebuilds the report (its options are English by design).
    markdown = re.sub(r'<a id="[^"]*"></a>|\(#[\w-]+\)|```.*?```', "", DATA_URI.sub("", pt_report.to_markdown()),
                      flags=re.S)
    html_text = re.sub(r"<[^>]+>", " ", re.sub(r'<pre class="code">.*?</pre>', "", PLOTLY_JS.sub("", pt_html)))
    for name in METHOD_NAMES:
        markdown, html_text = markdown.replace(name, ""), html_text.replace(name, "")
    assert english_found(html_text, fragments) == []
    assert english_found(markdown, fragments) == []
    for text in (markdown, html_text):
        assert "Caso de uso" in text and "Contrafactuais" in text and "Carimbo de reprodutibilidade" in text
        assert "Bom pagador" in text  # class labels in Portuguese
        assert re.search(r"\d,\d", text)  # decimal commas
    assert '<html lang="pt-BR">' in pt_html


def test_report_keys_match_between_languages():
    en = {k for k in catalogue("en") if k.startswith("report.")}
    pt = {k for k in catalogue("pt-BR") if k.startswith("report.")}
    assert en == pt
    assert {f"report.section_{s}" for s in SECTIONS} <= en


# ------------------------------------------------------------------------------------------------
# content and formats


def test_report_gathers_every_part(pt_report, credit):
    expected = [s.replace("_", "-") for s in SECTIONS if s != "trust" or pt_report.trust_included]
    assert [a for a, _ in pt_report.sections] == expected
    assert [r.row for r in pt_report.rows] == ROWS
    for item in pt_report.rows:
        shap = item.shap
        assert abs(shap.base_value + sum(shap.row().values()) - float(shap.output[0])) < 1e-4
        assert item.lime is not None and item.counterfactuals is not None and item.narrative.text
        if item.best is not None:  # the counterfactual the narrative leads with, as on the pages and the CLI
            assert item.best is item.counterfactuals.counterfactuals[0]
    assert len(pt_report.importance) == 10
    assert set(pt_report.metrics) >= {"accuracy", "ROC AUC"}
    stamp = pt_report.stamp
    assert stamp.data_source == "datasets/credit.csv"
    assert stamp.data_sha256 == sha256(Path(__file__).resolve().parent.parent / "datasets" / "credit.csv")
    assert stamp.model_sha256 == credit.model.model_hash and not stamp.model_from_file
    assert stamp.generated.tzinfo is not None and stamp.generated.utcoffset().total_seconds() == 0
    assert {"shap", "lime", "dice-ml", "xgboost", "python"} <= set(stamp.versions)


def test_html_is_self_contained(pt_html, pt_report):
    assert pt_html.count('<script id="plotlyjs">') == 1  # plotly.js inline, once
    rest = PLOTLY_JS.sub("", pt_html)
    assert "http://" not in rest and "https://" not in rest
    assert "<link" not in rest and "@import" not in rest and "url(" not in rest
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', rest))
    assert rest.count('class="plotly-graph-div"') == 1 + len(ROWS)  # beeswarm + one waterfall per row
    assert "@media print" in rest
    assert pt_report.stamp.data_sha256 in rest and pt_report.stamp.model_sha256 in rest


def test_markdown_embeds_png_charts(pt_report):
    markdown = pt_report.to_markdown()
    images = re.findall(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown)
    assert len(images) == 1 + len(ROWS)
    import base64

    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    for _, heading in pt_report.sections:
        assert f"## {heading}" in markdown
    assert "| --- |" in markdown and pt_report.stamp.data_content_sha256 in markdown


def test_write_report_picks_the_format_from_the_extension(pt_report, tmp_path):
    assert report_format("a.HTML") == "html" and report_format("b.md") == "markdown" and report_format("c.pdf") == "pdf"
    for name in ("report.docx", "report", "report.txt"):
        with pytest.raises(InputError, match="extension"):
            write_report(pt_report, tmp_path / name)
    assert not list(tmp_path.iterdir())
    path = write_report(pt_report, tmp_path / "report.md")
    assert path.read_text(encoding="utf-8").startswith("# Relatório de transparência")


# ------------------------------------------------------------------------------------------------
# PDF: a small reader for fpdf2's output (Unicode fonts write glyph ids; their ToUnicode maps decode them)


def _unescape(literal: bytes) -> bytes:
    out, i = bytearray(), 0
    simple = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
    while i < len(literal):
        byte = literal[i]
        if byte != 0x5C:  # backslash
            out.append(byte)
            i += 1
            continue
        nxt = literal[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif 0x30 <= nxt <= 0x37:
            digits = re.match(rb"[0-7]{1,3}", literal[i + 1 : i + 4]).group()
            out.append(int(digits, 8) & 0xFF)
            i += 1 + len(digits)
        elif nxt in (0x0A, 0x0D):
            i += 2
        else:
            out.append(nxt)
            i += 2
    return bytes(out)


def pdf_text(data: bytes) -> str:
    objects: dict[int, tuple[bytes, bytes]] = {}
    for match in re.finditer(rb"(\d+) 0 obj\s*(.*?)endobj", data, re.S):
        body = match.group(2)
        head, found, rest = body.partition(b"stream")
        content = b""
        if found:
            length = int(re.search(rb"/Length (\d+)", head).group(1))
            content = rest.lstrip(b"\r\n")[:length]
            if b"/FlateDecode" in head:
                content = zlib.decompress(content)
        objects[int(match.group(1))] = (head, content)
    maps: dict[bytes, dict[int, str]] = {}
    for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", data):
        to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(number)][0])
        mapping: dict[int, str] = {}
        if to_unicode:
            cmap = objects[int(to_unicode.group(1))][1]
            for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
                for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                    mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
        maps[name] = mapping
    pages = [objects[int(n)][1] for head, _ in objects.values() if re.search(rb"/Type /Page\b", head)
             for n in re.findall(rb"/Contents (\d+) 0 R", head)]
    lines = []
    # Font changes, single strings (Tj) and arrays of strings with spacing (TJ, for justified lines).
    token = re.compile(rb"/(F\d+)\s+[\d.]+\s+Tf|\(((?:\\.|[^\\)])*)\)\s*Tj|\[((?:\\.|[^\\\]])*)\]\s*TJ", re.S)
    literal = re.compile(rb"\(((?:\\.|[^\\)])*)\)", re.S)
    for stream in pages:
        current: dict[int, str] = {}
        for match in token.finditer(stream):
            if match.group(1):
                current = maps.get(match.group(1), {})
                continue
            parts = [match.group(2)] if match.group(2) is not None else literal.findall(match.group(3))
            raw = b"".join(_unescape(p) for p in parts)
            lines.append("".join(current.get(int.from_bytes(raw[i : i + 2], "big"), "?")
                                 for i in range(0, len(raw) - 1, 2)))
    return "\n".join(lines)


def test_pdf_has_pages_and_the_stamp(files):
    out = files["folder"] / "report.pdf"
    assert run_report(cli_args(files, out=str(out), lang="pt-BR")) == 0
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b", data)) >= 1
    text = pdf_text(data)
    flat = text.replace("\n", "")
    assert sha256(files["csv"]) in flat and sha256(files["model"]) in flat
    assert "Relatório de transparência" in text and "Carimbo de reprodutibilidade" in text
    assert "→" in flat or "−" in flat  # symbols outside Latin-1 survive
    assert sha256(files["csv"]).encode() in data  # also in the document's keywords


# ------------------------------------------------------------------------------------------------
# the command line and the stamp


def test_cli_report_hashes_the_files(files, capsys):
    parser = Parser(prog="python -m explainers")
    add_report_parser(parser.add_subparsers(dest="command", required=True, parser_class=Parser))
    out = files["folder"] / "cli.md"
    use_case = files["folder"] / "use_case.toml"
    use_case.write_text('name = "Loan pre-screening"\npurpose = "Flag applications for a closer look."\n'
                        'intended_users = ["Credit analysts", "Auditors"]\n', encoding="utf-8")
    args = parser.parse_args(["report", "--data", str(files["csv"]), "--target", "approved", "--model",
                              str(files["model"]), "--rows", "1,5", "--out", str(out), "--use-case", str(use_case)])
    assert args.lang == "en" and args.seed == 0
    assert run_report(args) == 0
    assert str(out) in capsys.readouterr().out
    markdown = out.read_text(encoding="utf-8")
    assert sha256(files["csv"]) in markdown and sha256(files["model"]) in markdown
    assert "Loan pre-screening" in markdown and "Credit analysts<br>Auditors" in markdown
    assert "### Row 1" in markdown and "### Row 5" in markdown
    assert f"--model {files['model']}" in markdown and f"--use-case {use_case}" in markdown  # to rebuild it

    settings = cli_args(files)
    report = build_report(workspace_from_args(settings), [1], UseCase(), data_path=settings.data,
                          model_path=settings.model)
    assert report.stamp.data_sha256 == sha256(files["csv"])
    assert report.stamp.model_sha256 == sha256(files["model"]) and report.stamp.model_from_file
    assert report.stamp.data_source == str(files["csv"])
    assert "(not stated)" in report.to_markdown()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rows": "1,400"}, "row 400 does not exist"),
        ({"rows": "1,a"}, "--rows"),
        ({"rows": " , "}, "--rows is empty"),
        ({"out": "report.docx"}, "extension"),
        ({"use_case": "missing.toml"}, "does not exist"),
        ({"use_case": "broken.toml"}, "not valid TOML"),
        ({"use_case": "unknown.toml"}, "unknown key"),
        ({"out": "no-such-folder/r.html"}, "does not exist"),
    ],
)
def test_cli_report_rejects_bad_input(files, overrides, message):
    folder = files["folder"]
    (folder / "broken.toml").write_text('name = "unclosed\n', encoding="utf-8")
    (folder / "unknown.toml").write_text('name = "x"\ncolour = "blue"\n', encoding="utf-8")
    for key in ("use_case", "out"):
        if key in overrides:
            overrides[key] = str(folder / overrides[key])
    with pytest.raises(InputError, match=re.escape(message)):
        run_report(cli_args(files, **overrides))


def test_use_case_from_toml(tmp_path):
    path = tmp_path / "uc.toml"
    path.write_text('[use_case]\nname = "Triage"\n"known limitations" = "Old data"\ndecisions = "Who to call"\n',
                    encoding="utf-8")
    use_case = UseCase.from_toml(path)
    assert use_case == UseCase(name="Triage", decisions="Who to call", limitations="Old data")
    again = tmp_path / "again.toml"
    again.write_text(UseCase(name='A "quoted"\nname', purpose="p").to_toml(), encoding="utf-8")
    assert UseCase.from_toml(again) == UseCase(name='A "quoted"\nname', purpose="p")
    (tmp_path / "bad.toml").write_text("purpose = 3\n", encoding="utf-8")
    with pytest.raises(InputError, match="must be text"):
        UseCase.from_toml(tmp_path / "bad.toml")
    with pytest.raises(InputError, match="is a folder"):
        UseCase.from_toml(tmp_path)


def test_build_report_rejects_bad_arguments(credit):
    use_case = UseCase()
    with pytest.raises(InputError, match="does not exist"):
        build_report(credit, [len(credit.dataset.features)], use_case)
    with pytest.raises(InputError, match="at least one row"):
        build_report(credit, [], use_case)
    with pytest.raises(InputError, match="language"):
        build_report(credit, [0], use_case, lang="fr")
    with pytest.raises(InputError, match="does not exist"):
        build_report(credit, [0], use_case, data_path="/no/such/file.csv")


# ------------------------------------------------------------------------------------------------
# the page


def test_report_page_builds_a_report(monkeypatch):
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # as on the server: st.navigation, not the pages/ folder
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=180)
    at.query_params.update({"dataset": "credit", "row": "3", "lang": "pt-BR"})
    at.run()
    at.switch_page("pages/report.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Relatório de transparência"
    assert at.text_input[0].value == "Análise de crédito"  # prefilled from the spec
    assert at.multiselect[0].value == [3]  # the current row
    assert any("SHA-256 do arquivo de dados" in m.value for m in at.markdown)
    at.radio[0].set_value("markdown")
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success and "O relatório está pronto" in at.success[0].value
    assert any("Gerado em (UTC)" in m.value for m in at.markdown)


# ------------------------------------------------------------------------------------------------
# the browser


def _missing_browser() -> str | None:
    if sync_playwright is None:
        return "the playwright Python package is not installed: python -m pip install playwright"
    if not CHROMIUM.exists():
        return MISSING_CHROMIUM
    return None


@pytest.mark.browser
def test_html_report_opens_offline_in_chromium(pt_report, pt_html, tmp_path):
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    path = tmp_path / "report.html"
    path.write_text(pt_html, encoding="utf-8")
    attempted: list[str] = []
    errors: list[str] = []

    def route(route_) -> None:
        if route_.request.url.startswith("file://"):
            route_.continue_()
        else:
            route_.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda request: None if request.url.startswith(("file://", "data:"))
                    else attempted.append(request.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.route("**/*", route)
            page.goto(path.as_uri(), wait_until="load")
            for anchor, heading in pt_report.sections:
                title = page.locator(f"section#{anchor} > h2")
                expect(title).to_have_text(heading)
                title.scroll_into_view_if_needed()
                expect(title).to_be_visible()
            drawn = page.locator(".js-plotly-plot .main-svg")
            drawn.first.wait_for(state="visible", timeout=30_000)
            assert page.locator(".js-plotly-plot").count() == 1 + len(ROWS)
            box = drawn.first.bounding_box()
            assert box is not None and box["height"] > 200 and box["width"] > 400
            assert page.locator(".js-plotly-plot .point, .js-plotly-plot path.point").count() > 0
        finally:
            browser.close()
    assert attempted == [], attempted
    assert errors == [], errors
