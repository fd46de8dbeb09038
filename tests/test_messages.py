"""Engine messages with keys: an InputError raised with a catalogue key reads in the user's language on the pages
and on the command line; pages recognise engine results by key, never by their English text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explainers import InputError
from explainers.cli import main
from explainers.i18n import catalogue, languages
from explainers.upload import read_upload

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = str(REPO_ROOT / "app.py")
EMPTY_EN = "t.csv has a header row but no data rows, so the table is empty; add at least one row."
EMPTY_PT = ("t.csv tem uma linha de cabeçalho mas nenhuma linha de dados, então a tabela está vazia; "
            "acrescente pelo menos uma linha.")


def test_a_keyed_error_reads_in_english_by_default_and_in_any_language_asked():
    with pytest.raises(InputError) as caught:
        read_upload("t.csv", b"x,y\n")
    error = caught.value
    assert error.key == "errors.upload.header_only" and error.params == {"name": "t.csv"}
    assert str(error) == error.text() == error.text("en") == EMPTY_EN
    assert error.text("pt-BR") == EMPTY_PT
    assert error.text("xx") == EMPTY_EN  # a language without a catalogue: English


def test_numbers_in_a_message_follow_the_language():
    error = InputError(key="errors.upload.too_many_columns", name="t.csv", columns=1234, limit=500)
    assert "1,234 columns" in str(error) and "1.234 colunas" in error.text("pt-BR")


def test_an_error_raised_with_a_text_is_that_text_in_every_language():
    error = InputError("plain words")
    assert error.key is None and error.text("pt-BR") == "plain words" == str(error)


def test_every_error_key_has_both_languages_and_the_same_placeholders():
    english = {k: v for k, v in catalogue("en").items() if k.startswith("errors.")}
    assert english
    for lang in languages():
        other = {k: v for k, v in catalogue(lang).items() if k.startswith("errors.")}
        assert set(other) == set(english), lang
        for key, text in english.items():
            assert sorted(re.findall(r"{(\w+)", text)) == sorted(re.findall(r"{(\w+)", other[key])), (lang, key)


def test_every_key_the_engine_raises_is_in_the_catalogue():
    english = catalogue("en")
    sources = (REPO_ROOT / "explainers").rglob("*.py")
    used = {key for path in sources for key in re.findall(r'key="(errors\.[\w.]+)"', path.read_text("utf-8"))}
    assert used and used <= set(english), sorted(used - set(english))


def test_the_cli_error_line_follows_lang(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text("x,y\n", encoding="utf-8")
    assert main(["explain", "--data", str(table), "--target", "y", "--lang", "pt-BR"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {EMPTY_PT}"
    assert main(["explain", "--data", str(table), "--target", "y"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {EMPTY_EN}"
    assert main(["explain", "--data", str(tmp_path / "none.csv"), "--lang=pt-BR"]) == 2
    assert "não existe" in capsys.readouterr().err


def test_a_portuguese_session_shows_the_engine_error_in_portuguese():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "pt-BR"
    at.run()
    at.switch_page("pages/data_source.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.file_uploader(key="data_table").set_value(("t.csv", b"x,y\n", "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [EMPTY_PT]


def test_pages_never_recognise_engine_text_by_its_english_words():
    for page in (REPO_ROOT / "pages").glob("*.py"):
        text = page.read_text("utf-8")
        assert not re.search(r"(message|str\(\w+\))\.startswith\(", text), page.name
        assert not re.search(r'"[A-Z][a-z]+ [a-z]+[^"]*" in str\(', text), page.name


def test_the_data_checks_speak_portuguese_too():
    import pandas as pd

    from explainers import DatasetSpec, prepare_dataset

    frame = pd.DataFrame({"x": range(12), "y": ["a"] * 12})
    with pytest.raises(InputError) as caught:
        prepare_dataset(frame, DatasetSpec(name="t", target="y", task="classification"))
    assert caught.value.key == "errors.data.single_class"
    assert str(caught.value) == "target column 'y' has a single class (a); a classifier needs at least two."
    assert caught.value.text("pt-BR") == ("a coluna-alvo 'y' tem uma única classe (a); "
                                          "um classificador precisa de pelo menos duas.")
