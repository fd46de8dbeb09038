"""Human oversight: saved cases, reviews, decision notices and the hash-chained audit trail (issue 15).

Every database test runs on SQLite; those marked with the ``db_url`` fixture run on PostgreSQL too when
``XAI_TEST_PG_URL`` names a server where databases may be created (``.ci/run`` starts a throw-away one).
Outside CI they are skipped with a reason without it; under ``CI=true`` they fail.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest

from explainers import DatasetSpec, Workspace, prepare_dataset, shap_values, train_default_model
from explainers.cli import main
from explainers.counterfactuals import prediction_dict
from explainers.oversight import audit, cases, events, notice
from explainers.oversight.audit import Actor
from explainers.oversight.store import HEAD, MIGRATIONS, Store, normalise_url

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
PG_ENV = "XAI_TEST_PG_URL"
ANA = Actor("Ana")


# ------------------------------------------------------------------------------------------------
# Databases


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
    url = admin.set(database=name).render_as_string(hide_password=False)
    yield url
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


@pytest.fixture
def sqlite_store(tmp_path):
    opened = Store(f"sqlite:///{tmp_path / 'oversight.db'}")
    yield opened
    opened.dispose()


# ------------------------------------------------------------------------------------------------
# Storage and migrations


def test_migrations_run_on_first_use_and_head_is_alembics(tmp_path):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD
    path = tmp_path / "new" / "folder" / "o.db"
    opened = Store(f"sqlite:///{path}")
    assert path.exists() and opened.revision() == HEAD
    with opened.reading() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"audit_log", "cases", "reviews", "alembic_version"} <= tables
    Store(f"sqlite:///{path}")  # a second start finds the tables at the head and changes nothing
    opened.dispose()


def test_default_database_is_a_sqlite_file_in_var(monkeypatch):
    from explainers.oversight.store import DB_ENV, default_url

    monkeypatch.delenv(DB_ENV, raising=False)
    assert default_url() == f"sqlite:///{REPO / 'var' / 'oversight.db'}"
    monkeypatch.setenv(DB_ENV, "postgresql://u@h:5/d")
    assert default_url() == "postgresql://u@h:5/d"
    assert normalise_url(default_url()).drivername == "postgresql+psycopg"
    assert "var/" in (REPO / ".gitignore").read_text().splitlines()


@pytest.mark.parametrize("url", ["mysql://a@b/c", "not a url", "sqlite://", "sqlite:///:memory:"])
def test_unusable_database_urls_are_input_errors(url):
    from explainers.errors import InputError

    with pytest.raises(InputError):
        Store(url)


# ------------------------------------------------------------------------------------------------
# Cases


def test_saved_case_reopens_to_the_same_numbers(store, credit):
    snap = cases.snapshot(credit, 17, "local", dataset="credit", lang="pt-BR")
    case_id = cases.save_case(store, snap, ANA, note="verificar renda")
    case = cases.get_case(store, case_id)
    assert case.snapshot == json.loads(json.dumps(snap))
    assert (case.dataset, case.row, case.kind, case.lang, case.note, case.status) == \
        ("credit", 17, "local", "pt-BR", "verificar renda", "open")
    assert case.matches(credit)
    again = credit.explain(17, counterfactuals=0)
    assert case.snapshot["prediction"] == json.loads(json.dumps(again.prediction))
    assert case.snapshot["shap"]["values"] == pytest.approx(again.shap.row(), abs=1e-12)
    assert case.snapshot["lime"]["weights"] == pytest.approx(again.lime.weights, abs=1e-12)
    assert case.snapshot["score"] == pytest.approx(float(credit.model.score(credit.dataset.row(17))[0]))
    assert case.snapshot["narrative"]["lang"] == "pt-BR" and "modelo" in case.snapshot["narrative"]["text"]
    assert case.snapshot["versions"]["python"] and case.snapshot["seed"] == credit.seed
    entry = audit.entries(store, action="case.saved")[0]
    assert (entry.object, entry.actor, entry.verified) == (f"case:{case_id}", "Ana", False)
    assert (entry.data_sha256, entry.model_sha256) == (credit.dataset.data_hash, credit.model.model_hash)


def test_what_if_and_counterfactual_snapshots_hold_the_edits_and_the_choice(sqlite_store, credit):
    dataset, model = credit.dataset, credit.model
    edits = {"Amount": 300.0, "Home": "owner"}
    snap = cases.snapshot(credit, 2, "whatif", dataset="credit", edits=edits)
    row = {**{k: v for k, v in dataset.row(2).iloc[0].items()}, **edits}
    from explainers import frame_of

    expected = prediction_dict(model, frame_of(row, dataset))[0]
    assert snap["edits"] == edits and snap["shown"]["Amount"] == 300.0 and snap["shown"]["Home"] == "owner"
    assert snap["prediction"]["label"] == expected["label"]
    assert snap["prediction"]["probabilities"] == pytest.approx(expected["probabilities"])
    found = credit.counterfactuals.generate(dataset.row(2), seed=0).counterfactuals
    chosen = found[-1]
    snap = cases.snapshot(credit, 2, "counterfactual", dataset="credit", counterfactual=chosen)
    case = cases.get_case(sqlite_store, cases.save_case(sqlite_store, snap, ANA))
    assert case.snapshot["counterfactual"]["changes"] == json.loads(json.dumps(chosen.changes))
    assert case.kind == "counterfactual"


def test_case_opens_from_its_snapshot_when_the_model_changed(sqlite_store, credit, hmda):
    case = cases.get_case(sqlite_store, cases.save_case(sqlite_store, cases.snapshot(credit, 1, dataset="credit"), ANA))
    assert case.matches(credit)
    assert not case.matches(Workspace(credit.dataset, hmda.model))
    assert case.snapshot["prediction"]  # everything shown comes from the snapshot


def test_reviews_override_needs_a_reason_and_an_outcome(store, credit):
    from explainers.errors import InputError

    case_id = cases.save_case(store, cases.snapshot(credit, 4, dataset="credit"), ANA, note="x")
    bob = Actor("Bob")
    with pytest.raises(InputError, match="reason"):
        cases.record_review(store, case_id, "override", bob, outcome="good")
    with pytest.raises(InputError, match="reason"):
        cases.record_review(store, case_id, "override", bob, outcome="good", reason="   ")
    with pytest.raises(InputError, match="outcome"):
        cases.record_review(store, case_id, "override", bob, reason="income verified")
    with pytest.raises(InputError, match="classes"):
        cases.record_review(store, case_id, "override", bob, outcome="maybe", reason="income verified")
    with pytest.raises(InputError, match="verdict"):
        cases.record_review(store, case_id, "approve", bob)
    with pytest.raises(InputError, match="no case"):
        cases.record_review(store, 999, "agree", bob)
    assert cases.get_case(store, case_id).reviews == ()
    assert audit.entries(store, action="review.recorded") == []  # nothing refused reached the trail
    cases.record_review(store, case_id, "needs_information", bob, comment="ask for payslips")
    review_id = cases.record_review(store, case_id, "override", Actor("Carla", verified=True), outcome="good",
                                    reason="income verified")
    case = cases.get_case(store, case_id)
    assert [r.verdict for r in case.reviews] == ["needs_information", "override"]
    assert case.status == "override" and case.reviews[-1].id == review_id and case.reviews[-1].outcome == "good"
    entry = audit.entries(store, action="review.recorded")[0]
    assert entry.actor == "Carla" and entry.verified and entry.details["outcome"] == "good"


def test_case_list_filters_and_review_queue(store, credit, hmda):
    ids = [cases.save_case(store, cases.snapshot(ws, row, dataset=name), ANA, note=note)
           for ws, name, row, note in ((credit, "credit", 0, "income 100%_sure"), (credit, "credit", 1, "plain"),
                                       (hmda, "hmda", 2, "Check INCOME"), (hmda, "hmda", 3, ""))]
    cases.record_review(store, ids[0], "agree", Actor("Bob"))
    cases.record_review(store, ids[2], "override", Actor("Dee"), outcome="yes", reason="r")
    listed = cases.list_cases(store)
    assert [c.id for c in listed] == ids[::-1]  # newest first
    assert {c.id for c in cases.list_cases(store, dataset="hmda")} == {ids[2], ids[3]}
    assert [c.id for c in cases.list_cases(store, status="open")] == [ids[3], ids[1]]
    assert [c.id for c in cases.list_cases(store, status="override")] == [ids[2]]
    assert [c.id for c in cases.list_cases(store, reviewer="Bob")] == [ids[0]]
    assert {c.id for c in cases.list_cases(store, search="income")} == {ids[0], ids[2]}  # any case
    assert [c.id for c in cases.list_cases(store, search="100%_")] == [ids[0]]  # % and _ are literal
    assert cases.list_cases(store, search="%") == [cases.list_cases(store, search="100%")[0]]
    today = listed[0].created_at[:10]
    assert len(cases.list_cases(store, since=today, until=today)) == 4
    assert cases.list_cases(store, until="2000-01-01") == []
    assert [c.id for c in cases.review_queue(store)] == [ids[1], ids[3]]  # unreviewed, oldest first
    assert cases.distinct_values(store) == {"dataset": ["credit", "hmda"], "reviewer": ["Bob", "Dee"]}


# ------------------------------------------------------------------------------------------------
# Decision notices


def _unfavourable_rows(ws: Workspace, n: int = 3) -> list[int]:
    model = ws.model
    positive = model.classes[model.positive_index]
    labels = model.predict(ws.dataset.features.iloc[:400])
    return [int(i) for i in np.flatnonzero(np.asarray(labels) != positive)[:n]]


@pytest.mark.parametrize("name", ["credit", "hmda"])
def test_notice_reasons_are_the_most_negative_shap_values_and_never_sensitive(workspace_for, name):
    ws = workspace_for(name)
    spec = ws.dataset.spec
    assert spec.sensitive
    with_change = []
    for row in [*_unfavourable_rows(ws), 0]:
        for lang in ("en", "pt-BR"):
            found = notice.build_notice(ws, row, lang=lang)
            values = shap_values(ws.model, ws.dataset.row(row)).row()
            allowed = {f: v for f, v in values.items() if f not in spec.sensitive and v < 0}
            expected = sorted(allowed, key=lambda f: (allowed[f], f))[:4]
            assert found.reason_features == expected
            assert [r.shap for r in found.reasons] == pytest.approx([values[f] for f in expected])
            labels = spec.short_labels(ws.dataset.feature_names, lang)
            documents = [found.text(), found.to_html(), found.to_markdown()]
            for feature in spec.sensitive:
                for document in documents:
                    assert not re.search(rf"\b{re.escape(feature)}\b", document), (feature, lang)
                    assert labels[feature] not in document and spec.feature_label(feature, lang) not in document
            if not found.favourable and found.counterfactual is not None:
                with_change.append(row)
                changed = set(found.counterfactual["changes"])
                assert not changed & (set(spec.sensitive) | set(spec.immutable))
                again = prediction_dict(ws.model, pd.DataFrame([found.counterfactual["row"]]).pipe(ws.dataset.coerce))
                assert again[0]["label"] == ws.model.classes[ws.model.positive_index]
            assert found.reference in found.to_html() and found.to_pdf().startswith(b"%PDF")
    assert with_change  # some unfavourable row has a re-checked change to offer


def test_notice_reason_count_language_and_formats(credit, tmp_path):
    row = _unfavourable_rows(credit, 1)[0]
    two = notice.build_notice(credit, row, lang="pt-BR", reasons=2)
    assert len(two.reasons) == 2 and "Principais motivos" in two.to_markdown()
    assert "Principal reasons" in notice.build_notice(credit, row, lang="en").to_html()
    for fmt, suffix in (("html", ".html"), ("markdown", ".md"), ("pdf", ".pdf")):
        path, size = notice.write_notice(two, tmp_path / f"n{suffix}")
        assert path.stat().st_size == size > 500
        assert notice.notice_format(path) == fmt
    from explainers.errors import InputError

    for bad in (0, 11, True):
        with pytest.raises(InputError):
            notice.build_notice(credit, row, reasons=bad)
    with pytest.raises(InputError):
        notice.build_notice(credit, 10**7)
    with pytest.raises(InputError):
        notice.notice_format("x.docx")


def test_notice_escapes_everything_from_the_data(cache_dir):
    rng = np.random.default_rng(0)
    n = 400
    hostile = "<script>alert(1)</script> **bold** [x](http://evil.example)"
    frame = pd.DataFrame({
        "amount": rng.normal(size=n),
        "kind": rng.choice([hostile, "=HYPERLINK(1)", "plain"], size=n),
        "customer_name": rng.choice(["Ann", "Bo"], size=n),
    })
    frame["y"] = np.where(frame["amount"] + (frame["kind"] == hostile) * 2 > 0.5, "no", "yes")
    spec = DatasetSpec(name="hostile", target="y", task="classification", positive_class="yes")
    dataset = prepare_dataset(frame, spec)
    ws = Workspace(dataset, train_default_model(dataset))
    rows = [i for i in range(n) if frame["kind"].iloc[i] == hostile and ws.model.predict(ws.dataset.row(i))[0] == "no"]
    found = notice.build_notice(ws, rows[0], reasons=3)
    assert "customer_name" in found.excluded and "customer_name" not in found.reason_features
    assert "kind" in found.reason_features  # the hostile value is named, as text
    page = found.to_html()
    assert "<script>" not in page and "&lt;script&gt;" in page and "<strong>bold</strong>" not in page
    markdown = found.to_markdown()
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert "[x](http" not in markdown and "\\*\\*bold\\*\\*" in markdown
    assert found.to_pdf().startswith(b"%PDF")


# ------------------------------------------------------------------------------------------------
# The audit trail


def _fill(store: Store, n: int) -> None:
    with store.connection() as conn:
        for i in range(n):
            with store.writing(conn) as locked:
                audit.append(store, "case.saved", f"case:{i}", ANA, details={"i": i, "text": "ção"}, conn=locked)


def test_changing_any_stored_entry_breaks_the_chain_at_that_entry(store):
    _fill(store, 12)
    assert audit.verify(store).ok and audit.verify(store).entries == 12
    columns = {"actor": "'Mallory'", "at": "'2000-01-01T00:00:00.000000Z'", "action": "'report.produced'",
               "object": "'case:999'", "data_sha256": "'00'", "details": "'{\"i\": 99}'", "verified": "true"}
    for seq, (column, value) in enumerate(columns.items(), start=2):
        with store.engine.begin() as conn:
            original = conn.execute(text(f"SELECT {column} FROM audit_log WHERE seq = :s"), {"s": seq}).scalar()
            conn.execute(text(f"UPDATE audit_log SET {column} = {value} WHERE seq = :s"), {"s": seq})
        result = audit.verify(store)
        assert (result.ok, result.first_broken, result.code) == (False, seq, "changed"), column
        with store.engine.begin() as conn:
            conn.execute(text(f"UPDATE audit_log SET {column} = :v WHERE seq = :s"), {"v": original, "s": seq})
        assert audit.verify(store).ok
    # An entry changed together with its own hash: the next entry's link no longer matches.
    entry = audit.entries(store, newest_first=False)[8]
    fields = {**entry.to_dict(), "actor": "Mallory"}
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'Mallory', hash = :h WHERE seq = 9"),
                     {"h": audit.entry_hash(fields)})
    result = audit.verify(store)
    assert (result.first_broken, result.code) == (10, "link")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = :a, hash = :h WHERE seq = 9"),
                     {"a": entry.actor, "h": entry.hash})
        conn.execute(text("DELETE FROM audit_log WHERE seq = 5"))
    result = audit.verify(store)
    assert (result.ok, result.first_broken, result.code) == (False, 5, "missing")


_WORKER = """
import sys, threading
sys.path.insert(0, {repo!r})
from explainers.oversight import audit
from explainers.oversight.store import Store
store = Store({url!r})
def work(thread):
    actor = audit.Actor(f"process {{sys.argv[1]}} thread {{thread}}")
    with store.connection() as conn:
        for i in range({per_thread}):
            with store.writing(conn) as locked:
                audit.append(store, "case.saved", f"case:{{thread}}-{{i}}", actor, details={{"i": i}}, conn=locked)
threads = [threading.Thread(target=work, args=(t,)) for t in range({threads})]
[t.start() for t in threads]
[t.join() for t in threads]
"""


@pytest.mark.slow
def test_eight_threads_in_two_processes_lose_nothing_and_keep_the_chain(store):
    """2 processes x 8 threads x 500 appends, all at once: 8,000 entries, 1..8000, and the chain holds."""
    _fill(store, 3)
    url = store.url.render_as_string(hide_password=False)
    script = _WORKER.format(repo=str(REPO), url=url, per_thread=500, threads=8)
    processes = [subprocess.Popen([sys.executable, "-c", script, str(p)], cwd=REPO, stderr=subprocess.PIPE)
                 for p in range(2)]
    errors = [p.communicate(timeout=600)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], errors
    result = audit.verify(store)
    assert result.ok and result.entries == 8003
    actors = audit.actors(store)
    assert len(actors) == 17  # Ana and 16 threads
    with store.reading() as conn:
        counts = dict(conn.execute(text("SELECT actor, COUNT(*) FROM audit_log GROUP BY actor")).all())
    assert all(counts[a] == 500 for a in actors if a != "Ana")


def test_threads_of_one_process_share_the_store(store):
    threads = [threading.Thread(target=_fill, args=(store, 50)) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    result = audit.verify(store)
    assert result.ok and result.entries == 400


def test_exports_escape_formulas_and_keep_every_field(sqlite_store, credit):
    audit.append(sqlite_store, "data.uploaded", "=HYPERLINK(\"http://x\")", Actor("@evil"), details={"f": "+1"})
    events.record_report(sqlite_store, credit, [3, 17], "pdf", "en", ANA, dataset="credit")
    events.record_upload(sqlite_store, credit, ANA, model_changed=True, dataset="upload:ab-cd", source="m.json")
    items = audit.entries(sqlite_store, newest_first=False)
    assert [e.action for e in items] == ["data.uploaded", "report.produced", "model.changed"]
    assert items[1].details == {"dataset": "credit", "rows": [3, 17], "format": "pdf", "lang": "en"}
    csv = audit.export_csv(items).decode("utf-8-sig")
    frame = pd.read_csv(__import__("io").StringIO(csv), dtype=str, keep_default_na=False)
    assert frame.loc[0, "actor"] == "'@evil" and frame.loc[0, "object"].startswith("'=HYPERLINK")
    assert list(frame.columns) == [*audit.FIELDS, "hash"] and frame["hash"].tolist() == [e.hash for e in items]
    exported = json.loads(audit.export_json(items))
    assert exported[0]["object"] == "=HYPERLINK(\"http://x\")"  # JSON keeps the exact text
    assert [audit.entry_hash(e) for e in exported] == [e["hash"] for e in exported]
    assert [e.action for e in audit.entries(sqlite_store, action=["model.changed"])] == ["model.changed"]
    assert audit.entries(sqlite_store, search="upload:")[0].action == "model.changed"
    assert audit.entries(sqlite_store, actor="@evil")[0].seq == 1
    entry = events.record_command_report(credit, [5], "html", "pt-BR", db=sqlite_store.url.render_as_string())
    assert (entry.seq, entry.action, entry.details["rows"], entry.verified) == (4, "report.produced", [5], False)
    assert audit.verify(sqlite_store).ok


# ------------------------------------------------------------------------------------------------
# Command line


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_command_line_cases_notice_and_audit_log(capsys, tmp_path, credit):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    data = ["--data", "datasets/credit.csv", "--target", "Status"]
    code, out, _ = _run(capsys, "cases", "add", *data, "--row", "5", "--note", "=1+1 check", "--actor", "Ana",
                        "--db", db)
    assert code == 0 and out.strip() == "1"
    code, out, _ = _run(capsys, "cases", "list", "--format", "json", "--db", db)
    listed = json.loads(out)
    assert listed[0]["id"] == 1 and listed[0]["note"] == "=1+1 check" and listed[0]["status"] == "open"
    code, out, _ = _run(capsys, "cases", "list", "--queue", "--lang", "pt-BR", "--db", db)
    assert code == 0 and "Não revisado" in out
    code, out, err = _run(capsys, "cases", "review", "1", "--verdict", "override", "--outcome", "good",
                          "--actor", "Bob", "--db", db)
    assert code == 2 and err.startswith("error:") and "reason" in err and len(err.strip().splitlines()) == 1
    code, out, _ = _run(capsys, "cases", "review", "1", "--verdict", "override", "--outcome", "good", "--reason",
                        "payslips", "--actor", "Bob", "--db", db)
    assert code == 0 and out.strip() == "1"
    for suffix in ("md", "html", "pdf"):
        out_file = tmp_path / f"notice.{suffix}"
        code, out, _ = _run(capsys, "notice", *data, "--row", "2", "--out", str(out_file), "--lang", "pt-BR",
                            "--reasons", "3", "--actor", "Ana", "--db", db)
        assert code == 0 and out_file.stat().st_size > 500
    assert "Principais motivos" in (tmp_path / "notice.md").read_text()
    code, out, _ = _run(capsys, "audit-log", "verify", "--db", db)
    assert code == 0 and "5" in out
    code, out, _ = _run(capsys, "audit-log", "export", "--format", "csv", "--out", str(tmp_path / "a.csv"), "--db", db)
    assert code == 0
    exported = pd.read_csv(tmp_path / "a.csv", encoding="utf-8-sig")
    assert exported["action"].tolist() == ["case.saved", "review.recorded", *["notice.produced"] * 3]
    code, out, _ = _run(capsys, "audit-log", "export", "--format", "json", "--out", str(tmp_path / "a.json"),
                        "--db", db)
    assert code == 0 and len(json.loads((tmp_path / "a.json").read_text())) == 5
    engine = create_engine(db)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET object = 'case:2' WHERE seq = 2"))
    engine.dispose()
    code, out, _ = _run(capsys, "audit-log", "verify", "--db", db)
    assert code == 1 and "2" in out and "changed" in out
    code, out, _ = _run(capsys, "audit-log", "verify", "--db", db, "--lang", "pt-BR")
    assert code == 1 and "alterado" in out


@pytest.mark.parametrize("argv", [
    ["audit-log", "verify", "--db", "mysql://a@b/c"],
    ["audit-log", "verify", "--db", "nonsense"],
    ["audit-log", "export", "--format", "xml", "--out", "x"],
    ["cases", "review", "abc", "--verdict", "agree", "--actor", "A"],
    ["cases", "review", "1", "--verdict", "maybe", "--actor", "A"],
    ["cases", "review", "77", "--verdict", "agree", "--actor", "A"],
    ["cases", "review", "1", "--verdict", "agree", "--actor", "  "],
    ["cases", "list", "--since", "yesterday"],
    ["notice", "--data", "datasets/credit.csv", "--target", "Status", "--row", "2", "--out", "n.docx"],
    ["notice", "--data", "datasets/credit.csv", "--target", "Status", "--row", "99999", "--out", "n.md"],
    ["notice", "--data", "datasets/credit.csv", "--target", "Status", "--row", "2", "--out", "n.md", "--reasons", "0"],
    ["notice", "--data", "datasets/credit.csv", "--target", "Status", "--row", "2", "--out", "/no/such/dir/n.md"],
    ["cases", "add", "--data", "missing.csv", "--target", "y", "--row", "0", "--note", "x"],
])
def test_command_line_bad_input_exits_2_with_one_error_line(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.setenv("XAI_DB_URL", f"sqlite:///{tmp_path / 'bad.db'}")
    monkeypatch.chdir(REPO)
    code, out, err = _run(capsys, *argv)
    assert code == 2, (out, err)
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1, err


# ------------------------------------------------------------------------------------------------
# Pages (AppTest)


@pytest.fixture
def page_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    monkeypatch.setenv("XAI_DB_URL", url)
    return url


def open_app(dataset: str = "credit", row: int = 0, page: str | None = None, lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["dataset"] = dataset
    at.query_params["row"] = str(row)
    at.query_params["lang"] = lang
    at.run()
    if page is not None:
        at.switch_page(page).run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "This page failed" in e.value or "A página falhou" in e.value]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_cases_audit_and_notice_pages_render(page_db, lang):
    at = open_app(page="pages/cases.py", lang=lang)
    assert at.title[0].value in ("Saved cases", "Casos salvos")
    for page in ("pages/audit.py", "pages/notice.py"):
        at.switch_page(page).run()
        ok(at)
        assert not at.error and at.title
    assert at.title[0].value in ("Decision notice", "Aviso de decisão")
    assert any("Principal reasons" in m.value or "Principais motivos" in m.value for m in at.markdown)


def test_saved_local_case_reopens_the_same_view(page_db, credit):
    at = open_app(row=2, page="pages/local_explanation.py")
    shown = metrics(at)
    at.text_input(key="oversight_name_local").input("Ana").run()
    at.text_area(key="oversight_note_local").input("check =HYPERLINK(1)").run()
    at.button(key="oversight_save_local").click().run()
    ok(at)
    assert at.success and "1" in at.success[0].value
    at.sidebar.number_input(key="sidebar_row").set_value(9).run()  # move away
    at.switch_page("pages/cases.py").run()
    ok(at)
    assert any("same view" in s.value for s in at.success)
    assert metrics(at)["Score"] == shown["Score"]
    at.button(key="cases_open").click().run()
    ok(at)
    assert at.title[0].value == "Local explanation"
    assert metrics(at) == shown
    store = Store(page_db)
    case = cases.get_case(store, 1)
    assert case.note == "check =HYPERLINK(1)" and case.actor == "Ana" and not case.actor_verified
    assert audit.verify(store).ok


def test_saved_what_if_case_reopens_with_its_edits(page_db, credit):
    at = open_app(row=3, page="pages/what_if.py")
    at.number_input(key="whatif_input_Amount").set_value(4000.0).run()
    edited = metrics(at)
    at.text_input(key="oversight_name_whatif").input("Ana").run()
    at.button(key="oversight_save_whatif").click().run()
    ok(at)
    assert at.success
    at.button(key="whatif_reset").click().run()
    assert metrics(at) != edited
    at.switch_page("pages/cases.py").run()
    at.button(key="cases_open").click().run()
    ok(at)
    assert at.title[0].value == "What-if" and metrics(at) == edited
    snap = cases.get_case(Store(page_db), 1).snapshot
    assert snap["edits"] == {"Amount": 4000.0} and snap["kind"] == "whatif"


def test_counterfactual_case_saves_the_chosen_one(page_db, credit):
    at = open_app(row=2, page="pages/counterfactuals.py")
    assert any("Search for counterfactuals" in i.value for i in at.info)
    at.button(key="cf_go").click().run()
    ok(at)
    at.selectbox(key="oversight_cf_choice").set_value(2).run()
    at.text_input(key="oversight_name_counterfactual").input("Ana").run()
    at.button(key="oversight_save_counterfactual").click().run()
    ok(at)
    snap = cases.get_case(Store(page_db), 1).snapshot
    found = credit.counterfactuals.generate(credit.dataset.row(2), seed=0).counterfactuals
    assert snap["counterfactual"]["changes"] == json.loads(json.dumps(found[1].changes))


def test_review_on_the_page_refuses_an_override_without_reason(page_db, credit):
    store = Store(page_db)
    cases.save_case(store, cases.snapshot(credit, 5, dataset="credit"), ANA, note="look")
    at = open_app(page="pages/cases.py")
    at.text_input(key="cases_reviewer_name").input("Bob").run()
    at.radio(key="cases_verdict_1").set_value("override").run()
    at.button(key="cases_record").click().run()
    ok(at)
    assert any("reason" in e.value for e in at.error)
    assert cases.get_case(store, 1).reviews == ()
    at.text_area(key="cases_reason_1").input("payslips seen").run()
    at.button(key="cases_record").click().run()
    ok(at)
    assert any("recorded" in s.value for s in at.success)
    review = cases.get_case(store, 1).reviews[0]
    assert (review.verdict, review.reviewer, review.reason) == ("override", "Bob", "payslips seen")
    assert cases.review_queue(store) == []


def test_case_with_another_model_opens_from_its_snapshot(page_db, credit):
    store = Store(page_db)
    snap = cases.snapshot(credit, 5, dataset="credit")
    cases.save_case(store, {**snap, "model_sha256": "f" * 64}, ANA)
    at = open_app(page="pages/cases.py")
    assert any("has changed" in w.value for w in at.warning)
    assert not [b for b in at.button if b.key == "cases_open"]
    assert metrics(at)["Prediction"]  # shown from the snapshot


def test_audit_page_verifies_and_shows_a_broken_chain(page_db):
    store = Store(page_db)
    _fill(store, 5)
    at = open_app(page="pages/audit.py")
    at.button(key="audit_verify").click().run()
    assert any("chain holds" in s.value for s in at.success)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'Mallory' WHERE seq = 3"))
    at.button(key="audit_verify").click().run()
    assert any("broken at entry 3" in e.value for e in at.error)
    assert len(at.dataframe[0].value) == 5


def test_notice_page_writes_and_records_the_notice(page_db, credit):
    at = open_app(row=2, page="pages/notice.py")
    at.selectbox(key="notice_format").set_value("markdown").run()
    at.button(key="notice_write").click().run()
    ok(at)
    assert at.success
    entry = audit.entries(Store(page_db), action="notice.produced")[0]
    assert entry.details["format"] == "markdown" and entry.details["row"] == 2 and entry.actor == "anonymous"
    shown = " ".join(m.value for m in at.markdown)
    labels = credit.dataset.spec.short_labels(credit.dataset.feature_names, "en")
    assert "Principal reasons" in shown and not [f for f in credit.dataset.spec.sensitive if labels[f] in shown]
