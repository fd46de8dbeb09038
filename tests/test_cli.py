"""The command line: ``python -m explainers explain ...`` (in-process for speed, and for real)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from explainers import frame_of, load_builtin, train_default_model
from explainers.cli import main

REPO_ROOT = Path(__file__).resolve().parent.parent
CREDIT_CSV = REPO_ROOT / "datasets" / "credit.csv"
CREDIT_TOML = REPO_ROOT / "datasets" / "credit.toml"


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def explain_json(capsys, *argv: str) -> dict:
    code, out, err = run_cli(capsys, "explain", *argv)
    assert code == 0, err
    assert err == ""
    return json.loads(out)


def subprocess_env(cache_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["XAI_CACHE_DIR"] = str(cache_dir)
    env["TQDM_DISABLE"] = "1"
    env.pop("PYTHONWARNINGS", None)
    return env


def run_module(cache_dir: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "explainers", *argv],
        cwd=REPO_ROOT,
        env=subprocess_env(cache_dir),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def check_explanation(result: dict, dataset_name: str, row: int) -> None:
    """The JSON's shape, and that its numbers agree with the engine (the CLI trains with --seed)."""
    dataset = load_builtin(dataset_name)
    model = train_default_model(dataset, seed=result["seed"])
    assert {"task", "row", "prediction", "shap", "lime", "counterfactuals"} <= set(result)
    assert result["task"] == dataset.task
    assert result["row"] == row
    frame = dataset.row(row)

    prediction = result["prediction"]
    if dataset.task == "classification":
        assert set(prediction) == {"label", "probabilities"}
        assert prediction["label"] == model.predict(frame)[0]
        assert list(prediction["probabilities"]) == list(dataset.classes)
        np.testing.assert_allclose(
            list(prediction["probabilities"].values()), model.predict_proba(frame)[0], atol=1e-9
        )
    else:
        assert prediction["value"] == pytest.approx(float(model.predict_value(frame)[0]))

    shap = result["shap"]
    assert {"base_value", "values", "output", "space"} <= set(shap)
    assert list(shap["values"]) == dataset.feature_names  # original columns, no one-hot names
    assert shap["output"] == pytest.approx(shap["base_value"] + sum(shap["values"].values()), abs=1e-4)
    if dataset.task == "classification":
        assert shap["space"] == "log-odds"
        assert shap["class"] == dataset.spec.positive_class
        probability = prediction["probabilities"][shap["class"]]
        assert 1.0 / (1.0 + np.exp(-shap["output"])) == pytest.approx(probability, abs=1e-5)

    lime = result["lime"]
    assert {"weights", "score"} <= set(lime)
    assert set(lime["weights"]) == set(dataset.feature_names)

    for cf in result["counterfactuals"]:
        assert {"row", "changes", "prediction"} <= set(cf)
        assert list(cf["row"]) == dataset.feature_names
        assert set(cf["changes"]) <= set(dataset.feature_names)
        assert cf["changes"], "a counterfactual changes something"
        for name in dataset.spec.immutable:
            assert name not in cf["changes"]
        again = model.predict(frame_of(cf["row"], dataset))[0]
        assert again == cf["prediction"]["label"]
        assert again != prediction["label"]
    search = result["counterfactual_search"]
    assert search["valid"] == len(result["counterfactuals"])


# --------------------------------------------------------------------------------------------
# The real entry point (subprocess)


def test_module_entry_point_json_is_complete_and_reproducible(cache_dir):
    argv = ("explain", "--data", "hmda", "--row", "5", "--counterfactuals", "3", "--seed", "3")
    first = run_module(cache_dir, *argv)
    assert first.returncode == 0, first.stderr
    second = run_module(cache_dir, *argv)
    assert second.returncode == 0, second.stderr
    assert first.stdout == second.stdout  # byte for byte
    result = json.loads(first.stdout)
    check_explanation(result, "hmda", 5)
    assert result["seed"] == 3
    assert result["stamp"]["seed"] == 3
    assert len(result["stamp"]["data_sha256"]) == 64
    assert "Traceback" not in first.stderr


def test_module_entry_point_error_is_one_line(cache_dir, tmp_path):
    completed = run_module(cache_dir, "explain", "--data", str(tmp_path / "missing.csv"))
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), completed.stderr
    assert "does not exist" in lines[0]
    assert "Traceback" not in completed.stderr


# --------------------------------------------------------------------------------------------
# In-process


@pytest.mark.parametrize(("name", "row"), [("credit", 3), ("loans", 1), ("breast_cancer", 10)])
def test_explain_json(capsys, name, row):
    result = explain_json(capsys, "--data", name, "--row", str(row), "--counterfactuals", "2")
    if name == "loans":
        assert result["task"] == "regression"
        assert "value" in result["prediction"]
        assert result["shap"]["space"] == "raw"
        dataset = load_builtin("loans")
        model = train_default_model(dataset)
        assert result["shap"]["output"] == pytest.approx(
            float(model.predict_value(dataset.row(row))[0]), abs=1e-4
        )
        low, high = result["counterfactual_search"]["desired"]
        for cf in result["counterfactuals"]:
            value = float(model.predict_value(frame_of(cf["row"], dataset))[0])
            assert low <= value <= high
            assert cf["prediction"]["value"] == pytest.approx(value)
    else:
        check_explanation(result, name, row)


def test_csv_path_and_parquet_copy_give_the_same_output(capsys, tmp_path):
    argv = ("--target", "Status", "--row", "7", "--counterfactuals", "3", "--seed", "1")
    from_csv = explain_json(capsys, "--data", str(CREDIT_CSV), *argv)
    parquet = tmp_path / "credit.parquet"
    pd.read_csv(CREDIT_CSV).to_parquet(parquet, index=False)
    shutil.copy(CREDIT_TOML, tmp_path / "credit.toml")  # the spec travels with the data
    from_parquet = explain_json(capsys, "--data", str(parquet), *argv)
    assert from_parquet == from_csv
    check_explanation(from_csv, "credit", 7)
    # and the built-in name gives the same again
    assert explain_json(capsys, "--data", "credit", *argv) == from_csv


def test_csv_and_parquet_without_spec_agree(capsys, tmp_path):
    frame = pd.read_csv(CREDIT_CSV)
    frame.to_csv(tmp_path / "plain.csv", index=False)
    frame.to_parquet(tmp_path / "plain.parquet", index=False)
    argv = ("--target", "Status", "--row", "4", "--counterfactuals", "2")
    a = explain_json(capsys, "--data", str(tmp_path / "plain.csv"), *argv)
    b = explain_json(capsys, "--data", str(tmp_path / "plain.parquet"), *argv)
    assert a == b
    assert "rownames" not in a["features"]
    assert any("rownames" in notice for notice in a["notices"])


def test_same_seed_same_json_in_process(capsys):
    argv = ("--data", "credit", "--row", "11", "--counterfactuals", "3", "--method", "genetic")
    first = run_cli(capsys, "explain", *argv)
    run_cli(capsys, "explain", "--data", "credit", "--row", "12", "--seed", "4")
    second = run_cli(capsys, "explain", *argv)
    assert first == second
    assert first[0] == 0


def test_immutable_override_keeps_income(capsys):
    dataset = load_builtin("credit")
    argv = ("--data", "credit", "--row", "0", "--counterfactuals", "6")
    free = explain_json(capsys, *argv)
    assert any("Income" in cf["changes"] for cf in free["counterfactuals"]), "Income may vary"
    fixed = explain_json(capsys, *argv, "--immutable", "Income")
    assert fixed["counterfactuals"]
    original = dataset.features.at[0, "Income"]
    for cf in fixed["counterfactuals"]:
        assert "Income" not in cf["changes"]
        assert cf["row"]["Income"] == pytest.approx(original)


def test_text_format_in_process(capsys):
    code, out, err = run_cli(
        capsys, "explain", "--data", "loans", "--row", "0", "--format", "text", "--counterfactuals", "0"
    )
    assert code == 0, err
    assert out.startswith("row 0 (regression)")
    assert "prediction:" in out and "SHAP (raw)" in out
    assert "counterfactuals:" not in out
    code, out, err = run_cli(
        capsys, "explain", "--data", "credit", "--row", "2", "--format", "text", "--counterfactuals", "2"
    )
    assert code == 0, err
    assert out.startswith("row 2 (classification)")
    assert "SHAP (log-odds)" in out and "LIME" in out and "counterfactuals:" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_datasets_command(capsys):
    code, out, _ = run_cli(capsys, "datasets")
    assert code == 0
    names = [line.split("\t")[0] for line in out.splitlines()]
    assert {"breast_cancer", "credit", "hmda", "loans"} <= set(names)
    assert names == sorted(names)
    assert "Credit scoring" in out
    code, out, _ = run_cli(capsys, "datasets", "--lang", "pt-BR")
    assert "Análise de crédito" in out


def test_explain_json_has_a_narrative_in_the_chosen_language(capsys):
    code, out, _ = run_cli(capsys, "explain", "--data", "credit", "--row", "2", "--lang", "pt-BR",
                           "--format", "json")
    assert code == 0
    narrative = json.loads(out)["narrative"]
    assert narrative["text"].startswith("O modelo prevê")
    assert narrative["score"] == round(100 * json.loads(out)["prediction"]["probabilities"]["good"], 1)


def test_counterfactuals_zero_skips_the_search(capsys):
    result = explain_json(capsys, "--data", "hmda", "--row", "1", "--counterfactuals", "0")
    assert result["counterfactuals"] == []
    assert result["counterfactual_search"] is None


# --------------------------------------------------------------------------------------------
# Error paths: exit 2, exactly one line on stderr, starting with "error:", no traceback


@pytest.fixture(scope="module")
def bad_models(tmp_path_factory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("bad-models")
    marker = directory / "executed"

    class _Marker:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    pickled = directory / "model.pkl"
    pickled.write_bytes(pickle.dumps(_Marker()))
    dataset = load_builtin("credit")
    good = xgb.XGBClassifier(enable_categorical=True, n_estimators=5, tree_method="hist")
    good.fit(dataset.features, dataset.target_codes())
    json_path = directory / "good.json"
    good.save_model(json_path)
    corrupt = directory / "corrupt.json"
    corrupt.write_bytes(json_path.read_bytes()[:1000])
    hmda_model = directory / "hmda.json"
    hmda = load_builtin("hmda")
    other = xgb.XGBClassifier(enable_categorical=True, n_estimators=5, tree_method="hist")
    other.fit(hmda.features, hmda.target_codes())
    other.save_model(hmda_model)
    return {"pkl": pickled, "marker": marker, "corrupt": corrupt, "good": json_path,
            "other": hmda_model}


@pytest.fixture(scope="module")
def bad_tables(tmp_path_factory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("bad-tables")
    empty = directory / "empty.csv"
    empty.write_text("")
    header = directory / "header.csv"
    header.write_text("a,b,y\n")
    infinite = directory / "inf.csv"
    infinite.write_text("a,b,y\n1,2,p\ninf,3,q\n4,5,p\n")
    single = directory / "single.csv"
    single.write_text("a,y\n1,p\n2,p\n3,p\n")
    return {"empty": empty, "header": header, "inf": infinite, "single": single}


ERROR_CASES = {
    "missing-file": ["explain", "--data", "/nonexistent/table.csv", "--target", "y"],
    "unknown-option": ["explain", "--data", "credit", "--colour", "blue"],
    "missing-data": ["explain", "--row", "1"],
    "no-command": [],
    "row-out-of-range": ["explain", "--data", "credit", "--row", "99999"],
    "negative-row": ["explain", "--data", "credit", "--row", "-1"],
    "row-not-a-number": ["explain", "--data", "credit", "--row", "two"],
    "target-not-in-table": ["explain", "--data", str(CREDIT_CSV), "--target", "Colour"],
    "builtin-other-target": ["explain", "--data", "credit", "--target", "Income"],
    "unknown-immutable": ["explain", "--data", "credit", "--immutable", "Income,Shoe"],
    "unknown-method": ["explain", "--data", "credit", "--method", "annealing"],
    "too-many-counterfactuals": ["explain", "--data", "credit", "--counterfactuals", "99"],
    "negative-counterfactuals": ["explain", "--data", "credit", "--counterfactuals", "-1"],
    "missing-spec": ["explain", "--data", str(CREDIT_CSV), "--spec", "/nonexistent/spec.toml"],
}


def _assert_one_error_line(code: int, out: str, err: str) -> str:
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("argv", list(ERROR_CASES.values()), ids=list(ERROR_CASES))
def test_error_paths_exit_2_with_one_line(capsys, argv):
    code, out, err = run_cli(capsys, *argv)
    _assert_one_error_line(code, out, err)


def test_error_messages_say_what_is_wrong(capsys):
    line = _assert_one_error_line(*run_cli(capsys, *ERROR_CASES["row-out-of-range"]))
    assert "0 to 4453" in line
    line = _assert_one_error_line(*run_cli(capsys, *ERROR_CASES["unknown-immutable"]))
    assert "Shoe" in line and "Income" not in line.split("columns:")[-1]
    line = _assert_one_error_line(*run_cli(capsys, *ERROR_CASES["target-not-in-table"]))
    assert "'Colour'" in line
    line = _assert_one_error_line(*run_cli(capsys, *ERROR_CASES["unknown-option"]))
    assert "--colour" in line


@pytest.mark.parametrize("kind", ["pkl", "corrupt", "other"])
def test_bad_model_files(capsys, bad_models, kind):
    line = _assert_one_error_line(
        *run_cli(capsys, "explain", "--data", "credit", "--model", str(bad_models[kind]))
    )
    if kind == "pkl":
        assert "pickle" in line
        assert not bad_models["marker"].exists()
    elif kind == "corrupt":
        assert "corrupt.json" in line
    else:
        assert "missing from the table: pirat" in line


def test_good_model_file(capsys, bad_models):
    result = explain_json(
        capsys, "--data", "credit", "--model", str(bad_models["good"]), "--counterfactuals", "1"
    )
    assert result["stamp"]["model"] == "good.json"
    assert list(result["shap"]["values"]) == load_builtin("credit").feature_names


@pytest.mark.parametrize(
    "kind",
    [
        "empty",
        "header",
        "inf",
        "single",
    ],
)
def test_bad_tables(capsys, bad_tables, kind):
    _assert_one_error_line(
        *run_cli(capsys, "explain", "--data", str(bad_tables[kind]), "--target", "y")
    )
