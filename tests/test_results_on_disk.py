"""Dataset-level results kept on the server's disk (``pages/cached.py``): for built-in datasets only, under a key
that changes with the engine's code, the table, its spec and the model, so a restarted server reads them back and
never reuses a stale one; uploaded tables stay in memory."""

from __future__ import annotations

from dataclasses import replace

import pytest

import pages.cached as cached


def test_results_key_follows_the_engine_the_data_the_spec_and_the_model(monkeypatch):
    from explainers import load_builtin

    credit = load_builtin("credit")

    class Workspace:
        dataset = credit

    monkeypatch.setattr(cached, "workspace", lambda name: Workspace)
    key = cached.results_key("credit", "model-a")
    assert key == cached.results_key("credit", "model-a")  # stable
    assert key != cached.results_key("credit", "model-b")  # another model
    Workspace.dataset = replace(credit, spec=replace(credit.spec, min_group_rows=credit.spec.min_group_rows + 5))
    assert key != cached.results_key("credit", "model-a")  # another spec
    Workspace.dataset = replace(credit, data_hash="0" * 64)
    assert key != cached.results_key("credit", "model-a")  # another table
    Workspace.dataset = credit
    monkeypatch.setattr(cached, "engine_version", lambda: "another engine")
    assert key != cached.results_key("credit", "model-a")  # another engine


@pytest.mark.slow
def test_a_restarted_server_reads_the_global_results_back_from_disk(tmp_path):
    """Two servers one after the other with the same home folder: the first computes the Global and Responsible AI
    pages' results and keeps them on disk; the second draws the pages from them (nothing computed or written again)."""
    from tests.browser_support import (
        assert_clean,
        chromium,
        each_section,
        missing_requirement,
        new_tab,
        open_page,
        streamlit_server,
        wait_for_charts,
    )

    if missing_requirement():
        pytest.skip(missing_requirement())
    home = tmp_path / "home"
    home.mkdir()
    paths = ("/global_explanations?dataset=breast_cancer&row=0", "/responsible_ai?dataset=breast_cancer&row=0")

    def visit(server) -> None:
        with new_tab(browser) as page:
            for path in paths:  # both pages, every part: every result the warm-up computes ahead is then on disk
                open_page(page, server, path)
                for _ in each_section(page, server):
                    wait_for_charts(page, server)
                    assert_clean(page, server)

    with chromium() as browser:
        with streamlit_server(tmp_path / "first", env={"HOME": str(home)}) as server:
            visit(server)
        written = {p.name: p.stat().st_mtime_ns for p in (home / ".streamlit" / "cache").glob("*.memo")}
        assert written, "the first server kept nothing on disk"
        with streamlit_server(tmp_path / "second", env={"HOME": str(home)}) as server:
            visit(server)
        again = {p.name: p.stat().st_mtime_ns for p in (home / ".streamlit" / "cache").glob("*.memo")}
    assert again == written  # read back: nothing recomputed, nothing rewritten
