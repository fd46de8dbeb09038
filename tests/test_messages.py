"""Engine messages with keys: an InputError raised with a catalogue key reads in the user's language on the pages
and on the command line; pages recognise engine results by key, never by their English text."""

from __future__ import annotations

import ast
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
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


# --------------------------------------------------------------------------------------------
# Every engine message by key (issue 14, item 6)

ENGINE = REPO_ROOT / "explainers"
# Texts deliberately left without a key: a programmer's misuse of the Python API (never a user's input), each
# named by how it starts so that a new English-only error elsewhere fails the test below.
ENGLISH_ONLY = (
    "raw margins exist only",  # TabularModel.predict_margin on a model kind without margins
    "native contributions exist only",  # TabularModel.contributions on a model without them
    "probabilities exist only for classifiers",  # TabularModel.predict_proba on a regressor
    "values exist only for regressors",  # TabularModel.predict on a classifier's value path
    "unknown chart",  # report/figures: a chart kind the report itself did not make
    "{area.name} repeats catalogue keys",  # messages: a broken catalogue file, found by the tests
)


def _constant_keys(node: ast.expr) -> list[str]:
    """The catalogue keys a ``key=`` argument can take: a constant, either branch of ``a if c else b``, or for an
    f-string such as ``f"errors.models.{kind}"`` the pattern (``re:...``) its keys match."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constant_keys(node.body) + _constant_keys(node.orelse)
    if isinstance(node, ast.JoinedStr):  # a pattern: at least one key must match it
        return ["re:" + "".join(re.escape(p.value) if isinstance(p, ast.Constant) else r"\w+" for p in node.values)]
    return []


def _keyed_calls() -> list[tuple[str, int, str, set[str] | None]]:
    """Every ``InputError(key=...)`` and ``Message("...")`` in the engine: file, line, key, the parameters
    passed (None when some come from ``**mapping``)."""
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name | ast.Attribute):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            named = {k.arg for k in node.keywords if k.arg not in (None, "key")}
            params = None if any(k.arg is None for k in node.keywords) else named
            where = str(path.relative_to(REPO_ROOT))
            if name == "InputError":
                for keyword in (k for k in node.keywords if k.arg == "key"):
                    found += [(where, node.lineno, key, params) for key in _constant_keys(keyword.value)]
            elif name == "Message" and node.args:
                found += [(where, node.lineno, key, params) for key in _constant_keys(node.args[0])]
    return found


def test_every_key_the_engine_uses_exists_in_both_languages_and_renders_with_its_parameters():
    calls = _keyed_calls()
    assert len(calls) > 150  # the scan sees the engine's errors and notices
    for lang in languages():
        messages = catalogue(lang)
        for where, line, key, params in calls:
            if key.startswith("re:"):
                assert any(re.fullmatch(key[3:], k) for k in messages), f"{where}:{line}: no {lang} key is {key}"
                continue
            assert key in messages, f"{where}:{line}: {key} is not in the {lang} catalogue"
            if params is None:
                continue
            assert "message" not in params, f"{where}:{line}: 'message' is InputError's own text, not a parameter"
            needed = set(re.findall(r"{(\w+)", messages[key]))
            assert needed <= params, f"{where}:{line}: {key} ({lang}) needs {sorted(needed - params)}"
            text = InputError(key=key, **dict.fromkeys(params, "VALUE")).text(lang)  # a missing one: KeyError
            assert text.strip() and (not needed or "VALUE" in text), (where, key)


def test_no_user_facing_engine_error_is_english_only():
    plain = []
    for path in sorted(ENGINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            call = node.exc if isinstance(node, ast.Raise) else node.value if isinstance(node, ast.Return) else None
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                    and call.func.id in ("InputError", "ValueError") and call.args):
                continue
            first = call.args[0]
            text = first.value if isinstance(first, ast.Constant) else ast.unparse(first).lstrip("f'\"")
            if not any(text.startswith(allowed) for allowed in ENGLISH_ONLY):
                plain.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}: {text[:60]}")
    assert not plain, plain


def test_notices_are_messages_that_read_in_either_language():
    import pandas as pd

    from explainers import prepare_dataset
    from explainers.messages import Message
    from explainers.spec import infer_spec

    frame = pd.DataFrame({"id": [f"r{i:03d}" for i in range(40)], "mixed": ["n/a"] + ["7"] * 39,
                          "y": ["no", "yes"] * 19 + [None, None]})
    spec, notices = infer_spec(frame, "y")
    dataset = prepare_dataset(frame, spec, tuple(notices))
    assert all(isinstance(n, Message) for n in dataset.notices) and len(dataset.notices) == 3
    english = list(dataset.notices)
    assert english == ["Dropped ID-like columns: id.", "Dropped 2 rows whose target is missing.",
                       "Column 'mixed' is mostly numbers; 1 cell(s) of text such as 'n/a' were treated as missing."]
    assert [n.text("pt-BR") for n in dataset.notices] == [
        "Foram descartadas colunas que parecem identificadores: id.",
        "Foram descartadas 2 linhas sem valor na coluna-alvo.",
        "A coluna 'mixed' é quase toda de números; 1 célula(s) de texto como 'n/a' foram tratadas como ausentes."]
    assert pickle.loads(pickle.dumps(dataset.notices[1])).text("pt-BR") == dataset.notices[1].text("pt-BR")


def test_messages_inside_a_message_follow_its_language():
    from explainers.monitoring import Thresholds

    with pytest.raises(InputError) as caught:
        Thresholds().updated({"alpha": "much"})
    assert str(caught.value) == "monitoring thresholds: alpha must be a number, not 'much'."
    assert caught.value.text("pt-BR") == "limiares de monitoramento: alpha deve ser um número, não 'much'."
    with pytest.raises(InputError) as caught:
        Thresholds(alpha=2.0, confidence=0.2)
    assert caught.value.text("pt-BR") == ("limiares de monitoramento: alpha deve estar entre 0 e 1; "
                                          "confidence deve estar entre 0,5 e 1.")


NO_TARGET_PT = ('a especificação \'table\' não tem \'target\'; acrescente target = "COLUNA" ao arquivo de '
                'especificação.')


def test_a_portuguese_session_shows_spec_and_model_errors_in_portuguese(tmp_path):
    import pandas as pd
    import xgboost as xgb

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(18, 80, 120), "income": rng.normal(3000, 800, 120).round(),
                          "y": rng.choice(["no", "yes"], 120)})
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = "pt-BR"
    at.run()
    at.switch_page("pages/data_source.py").run()
    at.file_uploader(key="data_table").set_value(("table.csv", frame.to_csv(index=False).encode(), "text/csv")).run()
    at.file_uploader(key="data_spec_file").set_value(("table.toml", b'task = "classification"\n', "text/plain")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [NO_TARGET_PT]

    at.file_uploader(key="data_spec_file").set_value(None).run()
    model = xgb.XGBClassifier(n_estimators=5).fit(frame[["income"]].assign(bonus=1.0), frame["y"] == "yes")
    model.save_model(tmp_path / "other.json")
    at.radio(key="data_model_source").set_value("upload").run()
    at.file_uploader(key="data_model").set_value(
        ("other.json", (tmp_path / "other.json").read_bytes(), "application/json")).run()
    at.button(key="data_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [
        "os atributos do modelo não correspondem à tabela (ausentes da tabela: bonus; não usados pelo modelo: age); "
        "forneça a tabela com que o modelo foi treinado."]


def test_the_command_line_prints_a_spec_error_in_the_language_asked(tmp_path):
    (tmp_path / "table.csv").write_text("age,y\n30,no\n40,yes\n", encoding="utf-8")
    (tmp_path / "table.toml").write_text('task = "classification"\n', encoding="utf-8")
    command = [sys.executable, "-m", "explainers", "explain", "--data", str(tmp_path / "table.csv"), "--row", "0"]
    done = subprocess.run([*command, "--lang", "pt-BR"], capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert done.returncode == 2 and done.stderr.strip() == f"error: {NO_TARGET_PT}"
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert done.stderr.strip() == ("error: spec 'table' has no 'target'; add target = \"COLUMN\" to the spec "
                                   "file.")
