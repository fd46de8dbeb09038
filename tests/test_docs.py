"""Documentation in one command: the use-case template, the model card in both languages, the ``docs`` folder
(its SHA256SUMS and one stamp), and the screenshots, checked in the browser before each shot, whose deep links
open the same views.

The browser tests drive Debian's Chromium through playwright (skipped without it, failed when CI=true).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from explainers.cli import main
from explainers.cli.screenshots import app_pages, choose_pages, deep_link
from explainers.data import builtin_names
from explainers.errors import InputError
from explainers.i18n import translator
from explainers.model_card import CARD_SECTIONS, bootstrap, build_model_card, use_case_template, wilson
from explainers.model_card.template import USE_CASE_ORDER
from explainers.models import train_test_indices
from explainers.report import USE_CASE_FIELDS, Table, UseCase
from explainers.trust import group_fairness
from tests.conftest import REPO_ROOT

LANGS = ("en", "pt-BR")
SHOT_PAGES = ("overview", "local_explanation", "what_if", "counterfactuals", "responsible_ai", "report")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header (its IHDR chunk)."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def check_sums(folder: Path) -> list[str]:
    """The files SHA256SUMS lists, after checking that each digest matches and that it lists every file."""
    listed = []
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
        listed.append(name)
    present = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert sorted([*listed, "SHA256SUMS"]) == present
    return listed


# ------------------------------------------------------------------------------------------------
# the use case


@pytest.mark.parametrize("lang", LANGS)
def test_template_has_every_field_and_reads_back_empty(lang, tmp_path, capsys):
    assert main(["use-case", "--template", "--lang", lang]) == 0
    text = capsys.readouterr().out
    path = tmp_path / "use_case.toml"
    path.write_text(text, encoding="utf-8")
    assert list(tomllib.loads(text)) == list(USE_CASE_ORDER)
    assert UseCase.from_toml(path) == UseCase()
    tr = translator(lang)
    for field in USE_CASE_FIELDS:  # each field explained in the chosen language
        assert f"# {tr(f'report.uc_{field}')}: {tr(f'docs.template.{field}')}" in text


def test_use_case_in_full_round_trips_and_old_files_still_load(tmp_path, capsys):
    full = UseCase(**{field: f"{field} text with \"quotes\", a tab\tand\nlines" for field in USE_CASE_FIELDS})
    path = tmp_path / "full.toml"
    path.write_text(use_case_template("pt-BR", full), encoding="utf-8")
    assert UseCase.from_toml(path) == UseCase(**{k: v.strip() for k, v in full.to_dict().items()})
    old = tmp_path / "old.toml"  # the report's five fields, with the old spellings
    old.write_text('[use_case]\ntitle = "Triage"\n"known limitations" = "Old data"\n"intended users" = "Nurses"\n',
                   encoding="utf-8")
    assert UseCase.from_toml(old) == UseCase(name="Triage", limitations="Old data", intended_users="Nurses")
    steps = tmp_path / "steps.toml"  # written as the issue names them; a list is one step per line
    steps.write_text('"brief description" = "Short"\n"main flow" = ["Open", "Review"]\n'
                     '"non-functional requirements" = "2 s"\n', encoding="utf-8")
    assert UseCase.from_toml(steps) == UseCase(description="Short", main_flow="Open\nReview",
                                               non_functional_requirements="2 s")
    assert main(["use-case", "--check", str(steps)]) == 0
    assert 'main_flow = "Open\\nReview"' in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text('colour = "blue"\n', encoding="utf-8")
    with pytest.raises(InputError):
        UseCase.from_toml(bad)


# ------------------------------------------------------------------------------------------------
# the model card


@pytest.fixture(scope="module")
def cards(credit):
    """The credit model's card in both languages, with only a name and a purpose stated."""
    use_case = UseCase(name="Loan pre-screening", purpose="Flag applications for a closer look.")
    return {lang: build_model_card(credit, use_case, lang) for lang in LANGS}


@pytest.mark.parametrize("lang", LANGS)
def test_model_card_has_every_section_in_each_format(cards, lang):
    card, tr = cards[lang], translator(lang)
    headings = [tr(f"docs.card.section_{key}") for key in CARD_SECTIONS]
    assert [title for _, title in card.sections] == headings
    html, markdown = card.to_html(), card.to_markdown()
    assert f'<html lang="{lang}">' in html and "plotlyjs" not in html  # no charts, no plotly.js
    for heading in headings:
        assert f"<h2>{heading}</h2>" in html
        assert re.search(rf"^## {re.escape(heading)}$", markdown, re.M), heading
    pdf = card.to_pdf()
    assert pdf.startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for heading in headings:
        assert " ".join(heading.split()) in " ".join(text.split()), heading


@pytest.mark.parametrize(("lang", "not_stated"), [("en", "(not stated)"), ("pt-BR", "(não informado)")])
def test_model_card_marks_missing_use_case_fields_not_stated(cards, lang, not_stated):
    card, tr = cards[lang], translator(lang)
    markdown = card.to_markdown()
    assert "Flag applications for a closer look." in markdown  # what was stated is shown
    for field in ("out_of_scope", "owner", "ethical_considerations", "limitations", "actors", "main_flow"):
        label = tr("docs.card.out_of_scope") if field == "out_of_scope" else tr(f"report.uc_{field}")
        assert f"| **{label}** | {not_stated} |" in markdown, field
    use_case_rows = _table_after(card, tr("docs.card.section_use_case"))
    stated = {label: value for label, value in use_case_rows}
    assert stated[tr("report.uc_name")] == "Loan pre-screening"
    assert sum(value == not_stated for value in stated.values()) == len(USE_CASE_FIELDS) - 2


def _table_after(card, heading: str):
    from explainers.report import Heading

    blocks = list(card.blocks)
    start = next(i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.text == heading)
    return next(b for b in blocks[start:] if isinstance(b, Table)).rows


def test_model_card_groups_match_the_fairness_code_with_intervals_around_them(credit, cards):
    card, tr = cards["en"], translator("en")
    blocks = list(card.blocks)
    fairness = group_fairness(credit.model, "Age", seed=card.stamp.split_seed, lang="en")
    heading = tr("report.fairness_feature", feature=credit.dataset.spec.short_labels(["Age"], "en")["Age"])
    table = next(blocks[i + 1] for i, b in enumerate(blocks) if getattr(b, "text", None) == heading)
    assert [row[0] for row in table.rows] == list(fairness.groups.index)
    _, test = train_test_indices(credit.dataset, card.stamp.split_seed)
    assert sum(int(row[1].replace(",", "")) for row in table.rows) == len(test)
    for row, (_, line) in zip(table.rows, fairness.groups.iterrows(), strict=True):
        shown, interval = re.fullmatch(r"(\S+) \((.+)\)", row[2]).groups()
        low, high = (float(v.rstrip("%")) / 100 for v in interval.split(" – "))
        assert low <= line["selection_rate"] + 1e-9 and line["selection_rate"] - 1e-9 <= high
        assert shown == tr.percent(line["selection_rate"])


def test_intervals():
    low, high = wilson(30, 100)
    assert low < 0.3 < high and low > 0.2 and high < 0.4
    assert all(math.isnan(v) for v in wilson(0, 0))
    values = np.random.default_rng(1).normal(5, 1, 400)
    low, high = bootstrap(lambda p: float(values[p].mean()), len(values), seed=0)
    assert low < values.mean() < high and high - low < 0.5
    assert bootstrap(lambda p: float(values[p].mean()), len(values), seed=0) == (low, high)  # seeded


# ------------------------------------------------------------------------------------------------
# the docs command


def _stamp_in(text: str, stamp: dict) -> bool:
    return stamp["model_sha256"] in text and stamp["data_content_sha256"] in text


@pytest.mark.slow
@pytest.mark.parametrize("name", builtin_names())
def test_docs_on_each_builtin_dataset(name, tmp_path, capsys):
    out = tmp_path / name
    assert main(["docs", "--data", name, "--rows", "1", "--out", str(out), "--no-screenshots"]) == 0
    listed = check_sums(out)
    expected = [f"{doc}.{ext}" for doc in ("model_card", "transparency_report") for ext in ("html", "md", "pdf")]
    assert set(expected) | {"use_case.toml", "stamp.json"} == set(listed)
    stamp = json.loads((out / "stamp.json").read_text(encoding="utf-8"))
    for document in ("model_card.md", "transparency_report.md", "model_card.html", "transparency_report.html"):
        assert _stamp_in((out / document).read_text(encoding="utf-8"), stamp), document  # one stamp for all
    assert f"--data {name}" in (out / "transparency_report.md").read_text(encoding="utf-8")  # rebuilds it
    assert UseCase.from_toml(out / "use_case.toml") == UseCase()  # no use case given: nothing invented


def applications(folder: Path) -> Path:
    """A small table of one's own (not built in), as a CSV file."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"income": rng.normal(3000, 800, 600).round(), "years": rng.integers(0, 30, 600),
                          "region": rng.choice(["north", "south", "east"], 600)})
    frame["approved"] = np.where(frame["income"] / 1000 + frame["years"] / 10 + rng.normal(0, 1, 600) > 4,
                                 "yes", "no")
    data = folder / "applications.csv"
    frame.to_csv(data, index=False)
    return data


@pytest.mark.slow
def test_docs_on_an_uploaded_table(tmp_path, capsys):
    data = applications(tmp_path)
    use_case = tmp_path / "use_case.toml"
    use_case.write_text('name = "Applications"\nowner = "Risk team, risk@example.org"\n', encoding="utf-8")
    out = tmp_path / "docs"
    assert main(["docs", "--data", str(data), "--target", "approved", "--use-case", str(use_case), "--out", str(out),
                 "--lang", "pt-BR", "--rows", "0,5", "--no-screenshots"]) == 0
    check_sums(out)
    card = (out / "model_card.md").read_text(encoding="utf-8")
    assert "Risk team, risk@example\\.org" in card or "Risk team, risk@example.org" in card
    assert hashlib.sha256(data.read_bytes()).hexdigest() in card  # the uploaded file's own hash
    tr = translator("pt-BR")
    assert tr("docs.card.factors_none", not_stated="(não informado)") in card  # no sensitive columns named


@pytest.mark.slow
def test_docs_skips_screenshots_of_a_model_file(tmp_path, capsys):
    import xgboost as xgb

    from explainers import load_dataset

    data = applications(tmp_path)
    dataset = load_dataset(data, target="approved")
    matrix = xgb.DMatrix(dataset.features, label=dataset.target_codes(), enable_categorical=True)
    model = tmp_path / "model.json"
    xgb.train({"objective": "binary:logistic", "max_depth": 3, "seed": 0, "nthread": 1}, matrix,
              num_boost_round=20).save_model(str(model))
    out = tmp_path / "docs"
    assert main(["docs", "--data", str(data), "--target", "approved", "--model", str(model), "--out", str(out),
                 "--pages", "overview"]) == 0
    tr = translator("en")
    assert tr("docs.cli.screenshots_skipped", reason=tr("docs.cli.reason_model")) in capsys.readouterr().err
    assert "screenshots/manifest.json" not in check_sums(out)


def test_docs_refuses_an_unknown_page(tmp_path, capsys):
    assert main(["docs", "--data", "credit", "--out", str(tmp_path), "--pages", "nowhere"]) == 2
    assert "nowhere" in capsys.readouterr().err
    with pytest.raises(InputError):
        choose_pages("overview,nowhere")


def test_pages_come_from_the_apps_navigation():
    source = (REPO_ROOT / "app.py").read_text(encoding="utf-8")
    files = re.findall(r'st\.Page\(\s*"pages/(\w+)\.py"', source)
    pages = app_pages()
    assert len(pages) == len(files) and pages[0] == "overview"
    assert set(pages) - {"overview"} == set(files) - {"overview"}
    assert deep_link("overview", "credit", 3, "pt-BR", True) == "/?dataset=credit&row=3&lang=pt-BR&presentation=1"


# ------------------------------------------------------------------------------------------------
# the screenshots, in the browser


@pytest.fixture(scope="module")
def shots_folder(tmp_path_factory):
    from tests.browser_support import require_chromium

    require_chromium()
    out = tmp_path_factory.mktemp("docs-shots")
    assert main(["docs", "--data", "credit", "--rows", "3", "--out", str(out), "--lang", "pt-BR", "--width", "1920",
                 "--pages", ",".join(SHOT_PAGES)]) == 0
    return out


@pytest.mark.browser
@pytest.mark.slow
def test_each_screenshot_shows_its_checked_result(shots_folder):
    listed = check_sums(shots_folder)
    folder = shots_folder / "screenshots"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    stamp = json.loads((shots_folder / "stamp.json").read_text(encoding="utf-8"))
    assert (manifest["model_sha256"], manifest["data_sha256"]) == (stamp["model_sha256"], stamp["data_sha256"])
    assert manifest["versions"] == stamp["versions"] and manifest["language"] == "pt-BR"
    pages = {shot["page"]: shot for shot in manifest["pages"]}
    assert list(pages) == list(SHOT_PAGES)
    for shot in manifest["pages"]:
        assert f"screenshots/{shot['file']}" in listed
        width, height = png_size(folder / shot["file"])
        assert (width, height) == (1920, shot["height"]) and height >= 900
        assert shot["checked"]["view"] == {"dataset": "credit", "row": "3", "lang": "pt-BR"}
        assert shot["deep_link"].endswith("?dataset=credit&row=3&lang=pt-BR")
    assert pages["counterfactuals"]["checked"]["rechecked"] >= 1  # at least one re-checked counterfactual
    assert pages["counterfactuals"]["checked"]["listed"] >= 1
    assert pages["what_if"]["checked"]["changed_features"] >= 1 and pages["what_if"]["checked"]["curve_feature"]
    assert pages["local_explanation"]["checked"]["narrative"]
    assert pages["report"]["checked"]["report_built"].startswith("O relatório está pronto")
    assert pages["responsible_ai"]["checked"]["figures"] >= 1
    captions = (folder / "captions.md").read_text(encoding="utf-8")
    tr = translator("pt-BR")
    for page in SHOT_PAGES:
        assert tr(f"docs.shots.{page}").rstrip(".") in captions
        assert f"({pages[page]['file']})" in captions


@pytest.mark.browser
@pytest.mark.slow
def test_manifest_deep_link_opens_the_same_view(shots_folder, tmp_path):
    from tests.browser_support import (
        chromium,
        click_nav,
        metric,
        new_tab,
        open_page,
        query,
        streamlit_server,
        wait_for_run,
    )

    manifest = json.loads((shots_folder / "screenshots" / "manifest.json").read_text(encoding="utf-8"))
    local = next(shot for shot in manifest["pages"] if shot["page"] == "local_explanation")
    tr = translator("pt-BR")
    with streamlit_server(tmp_path / "server") as server, chromium() as browser, new_tab(browser) as page:
        open_page(page, server, local["deep_link"])
        assert query(page)["dataset"] == "credit" and query(page)["row"] == "3"
        assert metric(page, tr("local.prediction_for", row=3)).count() == 1
        assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip() == local["title"]

        # The Report page loads a use-case file into its form, which keeps it across a page switch.
        use_case = tmp_path / "use_case.toml"
        use_case.write_text(use_case_template("pt-BR", UseCase(name="Triagem", actors="Analista de crédito")),
                            encoding="utf-8")
        open_page(page, server, deep_link("report", "credit", 3, "pt-BR", False))
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(use_case))
        actors = page.locator('[data-testid="stTextArea"]').filter(
            has=page.locator('[data-testid="stWidgetLabel"]').get_by_text(tr("report.uc_actors"), exact=True))
        page.wait_for_function("() => [...document.querySelectorAll('textarea')]"
                               ".some(t => t.value === 'Analista de crédito')", timeout=60_000)
        for path in ("/", "/report"):  # away and back through the sidebar: the same session
            click_nav(page, path)
            wait_for_run(page, server)
        page.get_by_text(tr("docs.page.full_heading")).first.click()
        assert actors.locator("textarea").input_value() == "Analista de crédito"
        assert page.locator('[data-testid="stTextInput"] input').first.input_value() == "Triagem"


# ------------------------------------------------------------------------------------------------
# the Report page edits the use case


def test_report_page_edits_the_use_case_in_full():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=180)
    at.query_params.update({"dataset": "credit", "row": "2", "lang": "pt-BR"})
    at.run()
    at.switch_page("pages/report.py").run()
    assert not at.exception, [e.value for e in at.exception]
    tr = translator("pt-BR")
    areas = {area.label: area for area in at.text_area}
    for field in ("actors", "main_flow", "business_rules", "out_of_scope", "ethical_considerations"):
        assert tr(f"report.uc_{field}") in areas, field  # every field of the use case in full
    areas[tr("report.uc_actors")].input("Analista; solicitante")
    areas[tr("report.uc_main_flow")].input("1. Abrir o caso\n2. Revisar")
    submit = next(button for button in at.button if button.label == tr("report.build"))
    submit.click().run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    kept = at.session_state["page_report"]["use_case"]["credit"]["fields"]
    assert kept["actors"] == "Analista; solicitante" and kept["main_flow"] == "1. Abrir o caso\n2. Revisar"
    # Leaving the page and coming back finds the use case again, in the widgets that show it.
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/report.py").run()
    areas = {area.label: area for area in at.text_area}
    assert areas[tr("report.uc_actors")].value == "Analista; solicitante"
    download = [d for d in at.get("download_button") if d.proto.label == tr("docs.page.download")]
    assert download, "no use-case download"
    assert UseCase.from_mapping(tomllib.loads(use_case_template("pt-BR", UseCase(**kept)))).actors == \
        "Analista; solicitante"


@pytest.mark.browser
@pytest.mark.slow
def test_screenshots_of_an_uploaded_table(tmp_path):
    """A table of one's own: uploaded on the Data source page, then each page through the sidebar, in one session;
    the app's model and data hashes are the documents' (checked in its sidebar before any shot)."""
    from tests.browser_support import require_chromium

    require_chromium()
    data, out = applications(tmp_path), tmp_path / "docs"
    assert main(["docs", "--data", str(data), "--target", "approved", "--rows", "4", "--out", str(out),
                 "--pages", "local_explanation,what_if"]) == 0
    listed = check_sums(out)
    manifest = json.loads((out / "screenshots" / "manifest.json").read_text(encoding="utf-8"))
    stamp = json.loads((out / "stamp.json").read_text(encoding="utf-8"))
    assert manifest["model_sha256"] == stamp["model_sha256"] and manifest["dataset"].startswith("upload:")
    for shot in manifest["pages"]:
        assert f"screenshots/{shot['file']}" in listed
        assert png_size(out / "screenshots" / shot["file"])[0] == 1366
        assert shot["checked"]["view"]["row"] == "4" and shot["checked"]["view"]["dataset"] == manifest["dataset"]
        assert any(step.startswith("upload applications.csv") for step in shot["steps"])
    pages = {shot["page"]: shot for shot in manifest["pages"]}
    assert pages["local_explanation"]["checked"]["narrative"]
    assert pages["what_if"]["checked"]["changed_features"] >= 1
