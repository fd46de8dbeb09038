"""Named cohorts saved in the oversight database (issue 18, item 4): the engine, the migration from 0001, and the
Where it errs page across sessions.

Database tests run on SQLite, and on PostgreSQL when ``XAI_TEST_PG_URL`` names a server (as in
tests/test_oversight.py: skipped with a reason without it, failing under ``CI=true``).
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text, update
from streamlit.testing.v1 import AppTest

from explainers import load_builtin, train_default_model
from explainers.error_analysis import cohort_metrics
from explainers.errors import InputError
from explainers.expressions import select_rows
from explainers.i18n import catalogue
from explainers.models import train_test_indices
from explainers.oversight import audit, cases
from explainers.oversight.audit import Actor
from explainers.oversight.cohorts import MAX_NAME, delete_cohort, list_cohorts, save_cohort
from explainers.oversight.schema import audit_log, cohorts
from explainers.oversight.store import DB_ENV, HEAD, MIGRATIONS, Store, normalise_url

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
PG_ENV = "XAI_TEST_PG_URL"
ANA, BIA = Actor("Ana"), Actor("bia@example.org", verified=True)
OLDER_RENTERS = "Age > 40 and Home == 'rent'"


def _pg_admin_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"{PG_ENV} is not set under CI=true: .ci/run starts PostgreSQL and exports it.")
    pytest.skip(f"no PostgreSQL: set {PG_ENV}=postgresql://USER@HOST:PORT/postgres to run these tests.")
    return None


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    admin = normalise_url(_pg_admin_url())
    name = f"xai_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin.set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'oversight.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url):
    opened = Store(db_url)
    yield opened
    opened.dispose()


@pytest.fixture(scope="module")
def credit():
    return load_builtin("credit")


@pytest.fixture(scope="module")
def loans():
    return load_builtin("loans")


def refused(key: str, call) -> InputError:
    with pytest.raises(InputError) as caught:
        call()
    assert caught.value.key == key, (caught.value.key, str(caught.value))
    assert "\n" not in str(caught.value)
    return caught.value


# ------------------------------------------------------------------------------------------------
# The engine


def test_save_list_refuse_delete_and_audit(store, credit, loans):
    first = save_cohort(store, credit, "  Older   renters ", OLDER_RENTERS, ANA)
    assert first.name == "Older renters" and first.live and first.source == "filter"
    second = save_cohort(store, credit, "Leaf #3", "Income <= 80", BIA, source="leaf", model_sha256="ab" * 32)
    listed = list_cohorts(store, credit.data_hash)
    assert [(c.name, c.expression, c.actor, c.actor_verified) for c in listed] == [
        ("Older renters", OLDER_RENTERS, "Ana", False), ("Leaf #3", "Income <= 80", "bia@example.org", True)]
    assert listed[1].model_sha256 == "ab" * 32 and listed[0].dataset == "credit"
    # The same name on another table's content is another cohort; the credit list does not show it.
    save_cohort(store, loans, "Older renters", f"`{loans.feature_names[0]}` == `{loans.feature_names[0]}`", ANA)
    assert len(list_cohorts(store, credit.data_hash)) == 2 and len(list_cohorts(store, loans.data_hash)) == 1

    entries_before = audit.count(store)
    refused("errors.cohorts.exists", lambda: save_cohort(store, credit, "Older renters", "Age > 50", BIA))
    refused("errors.cohorts.no_name", lambda: save_cohort(store, credit, "   ", "Age > 50", ANA))
    refused("errors.cohorts.bad_name", lambda: save_cohort(store, credit, "x" * (MAX_NAME + 1), "Age > 50", ANA))
    refused("errors.cohorts.no_filter", lambda: save_cohort(store, credit, "Empty", "  ", ANA))
    unknown = refused("errors.cohorts.bad_filter", lambda: save_cohort(store, credit, "Bad", "Salary > 3", ANA))
    assert "Salary" in str(unknown) and "Bad" in unknown.text("pt-BR")
    refused("errors.cohorts.bad_filter", lambda: save_cohort(store, credit, "Bad", "Age >", ANA))
    refused("errors.cohorts.bad_filter", lambda: save_cohort(store, credit, "Bad", "Home > 3", ANA))
    refused("errors.cohorts.unknown_source", lambda: save_cohort(store, credit, "Odd", "Age > 1", ANA, source="x"))
    assert audit.count(store) == entries_before  # nothing refused was written
    assert [c.name for c in list_cohorts(store, credit.data_hash)] == ["Older renters", "Leaf #3"]

    gone = delete_cohort(store, credit.data_hash, "Older renters", BIA)
    assert gone.id == first.id and gone.expression == OLDER_RENTERS
    assert [c.name for c in list_cohorts(store, credit.data_hash)] == ["Leaf #3"]
    refused("errors.cohorts.not_found", lambda: delete_cohort(store, credit.data_hash, "Older renters", BIA))
    again = save_cohort(store, credit, "Older renters", "Age > 50", ANA)  # a deleted cohort frees its name
    assert again.id != first.id
    everything = list_cohorts(store, credit.data_hash, include_deleted=True)
    kept = next(c for c in everything if c.id == first.id)
    assert kept.deleted_by == "bia@example.org" and kept.deleted_at and kept.expression == OLDER_RENTERS
    assert len(list_cohorts(store, loans.data_hash)) == 1  # deleting on credit left loans alone

    found = audit.entries(store, action=["cohort.saved", "cohort.deleted"], newest_first=False)
    assert [(e.action, e.object, e.details["name"]) for e in found] == [
        ("cohort.saved", f"cohort:{first.id}", "Older renters"), ("cohort.saved", f"cohort:{second.id}", "Leaf #3"),
        ("cohort.saved", found[2].object, "Older renters"), ("cohort.deleted", f"cohort:{first.id}", "Older renters"),
        ("cohort.saved", f"cohort:{again.id}", "Older renters")]
    assert [e.data_sha256 for e in found] == [credit.data_hash] * 2 + [loans.data_hash] + [credit.data_hash] * 2
    assert found[0].details["expression"] == OLDER_RENTERS and found[3].actor == "bia@example.org"
    assert found[1].model_sha256 == "ab" * 32
    checked = audit.verify(store)
    assert checked.ok and checked.entries == 5

    # Rewriting what a cohort meant in the audit trail breaks the chain at that entry.
    with store.writing() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == found[0].seq)
                     .values(details=audit.canonical({**found[0].details, "expression": "Age > 0"})))
    broken = audit.verify(store)
    assert not broken.ok and broken.first_broken == found[0].seq and broken.code == "changed"


def test_two_writers_saving_one_name_leave_one_cohort(store, credit):
    outcomes: list[str] = []

    def save(who: str) -> None:
        try:
            save_cohort(store, credit, "Same name", "Age > 30", Actor(who))
            outcomes.append("saved")
        except InputError as exc:
            outcomes.append(exc.key)

    threads = [threading.Thread(target=save, args=(f"writer {i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["errors.cohorts.exists"] * 3 + ["saved"]
    assert len(list_cohorts(store, credit.data_hash)) == 1 and audit.verify(store).entries == 1


# ------------------------------------------------------------------------------------------------
# The migration from 0001


def test_a_0001_database_upgrades_in_place(db_url, credit):
    from alembic import command
    from alembic.config import Config

    old = Store(db_url, migrate=False)
    with old.writing() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    assert old.revision() == "0001"
    snap = {"kind": "local", "dataset": "credit", "data_sha256": credit.data_hash, "model_sha256": "cd" * 32,
            "row": 7, "prediction": {"label": "good"}, "narrative": {"lang": "en", "text": "…"}}
    case_id = cases.save_case(old, snap, ANA, "before the upgrade")
    old.dispose()

    upgraded = Store(db_url)  # what the new code does on first use
    try:
        assert upgraded.revision() == HEAD == "0002"
        case = cases.get_case(upgraded, case_id)
        assert (case.row, case.note, case.data_sha256) == (7, "before the upgrade", credit.data_hash)
        saved = save_cohort(upgraded, credit, "Older renters", OLDER_RENTERS, ANA)
        assert [c.id for c in list_cohorts(upgraded, credit.data_hash)] == [saved.id]
        checked = audit.verify(upgraded)
        assert checked.ok and checked.entries == 2
        assert [e.action for e in audit.entries(upgraded, newest_first=False)] == ["case.saved", "cohort.saved"]
        with upgraded.reading() as conn:
            assert conn.execute(cohorts.select()).first().name == "Older renters"
    finally:
        upgraded.dispose()


# ------------------------------------------------------------------------------------------------
# The Where it errs page


def open_errors_page(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["dataset"] = "credit"
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/errors.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def cohort_table(at: AppTest, lang: str = "en"):
    t = catalogue(lang)
    return next(d.value for d in at.dataframe if t["erroranalysis.cohort"] in d.value.columns)


def add_on_page(at: AppTest, name: str, expression: str, lang: str = "en") -> AppTest:
    at.text_input(key="errors_cohort_name").set_value(name)
    at.text_input(key="errors_cohort_filter").set_value(expression)
    next(b for b in at.button if b.label == catalogue(lang)["erroranalysis.add_cohort"]).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_cohort_added_in_one_session_is_in_the_next(tmp_path, monkeypatch, credit):
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    monkeypatch.setenv(DB_ENV, url)
    t = catalogue("en")
    name = f"Older renters {uuid.uuid4().hex[:6]}"
    first = add_on_page(open_errors_page(), name, OLDER_RENTERS)
    assert not first.error, [e.value for e in first.error]
    assert not any(t["erroranalysis.session_only"].split("(")[0] in i.value for i in first.info)
    add_on_page(first, "Broken", "Salary > 3")  # refused with one line, nothing saved
    assert len(first.error) == 1 and "Salary" in first.error[0].value

    model = train_default_model(credit)
    expected = cohort_metrics(model, {name: OLDER_RENTERS}).table.loc[name]
    test_rows = train_test_indices(credit)[1]
    direct = int(select_rows(credit.features.iloc[test_rows], OLDER_RENTERS).sum())
    assert int(expected["rows"]) == direct > 0

    second = open_errors_page()  # a fresh session: nothing in its session state
    assert not second.error, [e.value for e in second.error]
    table = cohort_table(second).set_index(t["erroranalysis.cohort"])
    assert name in table.index and "Broken" not in table.index
    assert int(table.loc[name, t["erroranalysis.rows"]]) == direct
    assert table.loc[name, t["erroranalysis.filter"]] == OLDER_RENTERS
    assert table.loc[name, t["erroranalysis.saved_by"]] == "anonymous"
    accuracy = table.loc[name, t["report.metric_accuracy"]]
    assert accuracy.startswith(f"{expected['accuracy']:.3f}"), (accuracy, expected["accuracy"])

    # Removing it in the second session removes it for everyone, and both steps are in the audit trail.
    second.multiselect(key="errors_remove").set_value([name]).run()
    second.button(key="errors_remove_button").click().run()
    assert name not in set(cohort_table(second)[t["erroranalysis.cohort"]])
    assert name not in set(cohort_table(open_errors_page())[t["erroranalysis.cohort"]])
    db = Store(url)
    try:
        found = audit.entries(db, action=["cohort.saved", "cohort.deleted"], search="cohort:", newest_first=False)
        assert [(e.action, e.details["name"]) for e in found] == [("cohort.saved", name), ("cohort.deleted", name)]
        assert audit.verify(db).ok
    finally:
        db.dispose()


def test_without_a_database_cohorts_stay_in_the_session(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the database's folder should be")
    monkeypatch.setenv(DB_ENV, f"sqlite:///{blocked / 'oversight.db'}")
    t = catalogue("pt-BR")
    at = add_on_page(open_errors_page("pt-BR"), "Mais velhos", OLDER_RENTERS, "pt-BR")
    assert any(t["erroranalysis.session_only"].split("(")[0] in i.value for i in at.info), [i.value for i in at.info]
    assert "Mais velhos" in set(cohort_table(at, "pt-BR")[t["erroranalysis.cohort"]])
    assert not blocked.is_dir()


# ------------------------------------------------------------------------------------------------
# In Chromium: a cohort saved in one browser is there in another one after the server restarted


@pytest.mark.browser
@pytest.mark.slow
def test_a_saved_cohort_survives_a_server_restart_in_the_browser(tmp_path):
    from tests.browser_support import (
        assert_clean,
        chromium,
        full_screenshot,
        new_tab,
        open_page,
        require_chromium,
        screenshot_dir,
        settle,
        streamlit_server,
    )

    require_chromium()
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    env = {DB_ENV: url}
    cache = REPO / ".cache"
    name = "Older renters"
    shots = screenshot_dir(tmp_path)
    with chromium() as browser:
        with streamlit_server(tmp_path / "first", cache_from=cache, env=env) as server, new_tab(browser) as page:
            open_page(page, server, "/errors?dataset=credit&lang=en")
            page.get_by_role("textbox", name="Name").fill(name)
            page.get_by_role("textbox", name="Rows where").fill(OLDER_RENTERS)
            page.get_by_role("button", name="Add the cohort").click()
            settle(page, server)
            assert_clean(page, server)
            full_screenshot(page, shots / "errors-cohort-added.png")
        with streamlit_server(tmp_path / "second", cache_from=cache, env=env) as server, new_tab(browser) as page:
            open_page(page, server, "/errors?dataset=credit&lang=en")
            assert_clean(page, server)
            # The table is drawn on a canvas; the saved cohort shows itself by refusing its name a second time.
            page.get_by_role("textbox", name="Name").fill(name)
            page.get_by_role("textbox", name="Rows where").fill("Age > 50")
            page.get_by_role("button", name="Add the cohort").click()
            settle(page, server)
            refusal = page.locator('[data-testid="stAlertContentError"]')
            assert refusal.count() == 1 and f"already has a cohort named {name}" in refusal.inner_text()
            full_screenshot(page, shots / "errors-cohorts-after-restart.png")
    db = Store(url)
    try:
        assert [(c.name, c.expression, c.actor) for c in list_cohorts(db, load_builtin("credit").data_hash)] == [
            (name, OLDER_RENTERS, "anonymous")]
    finally:
        db.dispose()


# ------------------------------------------------------------------------------------------------
# The command line


def test_errors_command_lists_the_saved_cohorts(tmp_path, credit):
    import json
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = Store(url)
    try:
        save_cohort(db, credit, "Older renters", OLDER_RENTERS, ANA)
        save_cohort(db, credit, "Nobody", "Age > 1000", ANA)
    finally:
        db.dispose()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "explainers", "errors", "--data", "credit", "--max-depth", "1",
                               "--cohorts", "--db", url, *args], capture_output=True, text=True, cwd=REPO, timeout=600)

    done = run("--format", "json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)["cohorts"]
    expected = cohort_metrics(train_default_model(credit), {"Older renters": OLDER_RENTERS}).table.loc["Older renters"]
    assert [c["name"] for c in listed] == ["Older renters", "Nobody"]
    assert listed[0]["rows"] == int(expected["rows"]) and listed[0]["errors"] == int(expected["errors"])
    assert listed[0]["accuracy"] == pytest.approx(expected["accuracy"]) and listed[0]["saved_by"] == "Ana"
    assert listed[1]["rows"] == 0 and listed[1]["error_rate"] is None
    text = run("--lang", "pt-BR")
    assert text.returncode == 0, text.stderr
    assert f"Older renters: {int(expected['rows'])} linhas, {int(expected['errors'])} erros" in text.stdout
    assert "Coortes salvas para esta tabela (2):" in text.stdout and OLDER_RENTERS in text.stdout
