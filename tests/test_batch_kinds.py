"""``batch --model`` with every kind of model file (issue 18): LightGBM, CatBoost and ONNX beside XGBoost.

Each model is trained on the seeded table of tests/test_model_kinds.py and explains another draw of that table
(held-out-like) from two Parquet files, one partition each, on a shared local cluster: the output's prediction
and score are the library's own, SHAP plus its base adds up to the model's output (log-odds for the tree
libraries' exact TreeSHAP, the probability for the permutation explainer), and rows equal the single-row
engine. A model that expects other columns, a file of another kind and ``--device cuda`` give one line and exit code 2.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from test_model_kinds import (
    as_text,
    catboost_classifier,
    dataset_of,
    lightgbm_classifier,
    seeded_table,
    sklearn_pipeline,
    to_onnx_bytes,
)

from explainers import shap_values
from explainers.batch import BASE_COLUMN, MANIFEST, SHAP_PREFIX, BatchOptions, batch_explain
from explainers.cli import main
from explainers.models import load_model

pytestmark = pytest.mark.slow

FEATURES = ["income", "age", "colour"]
# Rows explained per kind, half in each file (the permutation explainer costs up to a second a row with its
# 100 background rows: ONNX gets fewer rows, and so a smaller reference sample to draw them from).
ROWS = {"lightgbm": 300, "catboost": 300, "onnx": 16}


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict:
    """The three models, trained on one seeded table, and the library objects that predict natively."""
    folder = tmp_path_factory.mktemp("batch-kinds")
    dataset = dataset_of(seeded_table())
    lightgbm, catboost, pipeline = lightgbm_classifier(dataset), catboost_classifier(dataset), sklearn_pipeline(dataset)
    lightgbm.booster_.save_model(str(folder / "model.txt"))
    catboost.save_model(str(folder / "model.cbm"))
    (folder / "model.onnx").write_bytes(to_onnx_bytes(pipeline))
    return {"folder": folder, "lightgbm": (folder / "model.txt", lightgbm),
            "catboost": (folder / "model.cbm", catboost), "onnx": (folder / "model.onnx", pipeline)}


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as local:
        yield local.scheduler_address


def native_outputs(kind: str, fitted, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The library's own probability of "yes", label, and the value SHAP adds up to (margin or probability)."""
    if kind == "lightgbm":
        probability = fitted.predict_proba(features)[:, 1]
        margin = fitted.booster_.predict(features, raw_score=True)
    elif kind == "catboost":
        probability = fitted.predict_proba(as_text(features))[:, list(fitted.classes_).index("yes")]
        margin = fitted.predict(as_text(features), prediction_type="RawFormulaVal")
    else:
        probability = fitted.predict_proba(as_text(features))[:, list(fitted.classes_).index("yes")]
        margin = probability
    return probability, np.where(probability > 0.5, "yes", "no"), margin


@pytest.mark.parametrize("kind", ["lightgbm", "catboost", "onnx"])
def test_batch_with_each_kind_is_the_librarys_own_and_the_single_row_engines(kind, trained, cluster, tmp_path):
    path, fitted = trained[kind]
    frame = seeded_table(n=ROWS[kind], seed=1)
    half = len(frame) // 2
    data = tmp_path / "data"
    data.mkdir()
    frame.iloc[:half].to_parquet(data / "a.parquet")
    frame.iloc[half:].to_parquet(data / "b.parquet")
    out = tmp_path / "out"
    summary = batch_explain(BatchOptions(data=str(data), model=str(path), out=str(out), target="y",
                                         scheduler=cluster, log=lambda _: None))
    assert summary.complete and summary.partitions == 2 and summary.rows == len(frame)

    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["model"]["kind"] == kind
    assert manifest["model"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    tree = kind != "onnx"
    assert manifest["shap"]["method"] == ("tree" if tree else "permutation")
    assert manifest["shap"]["space"] == ("log-odds" if tree else "probability")
    assert [f["kind"] for f in manifest["schema"]["features"]] == ["numeric", "numeric", "categorical"]
    # ONNX names its inputs but types only the text one: the numbers' kinds come from the data
    assert manifest["schema"].get("kinds_from_data", []) == ([] if tree else ["income", "age"])

    rows = pd.concat([pd.read_parquet(p) for p in sorted(out.glob("part-*.parquet"))], ignore_index=True)
    reference = dataset_of(frame)  # the table typed as the dashboard types an upload
    features = reference.features
    probability, label, margin = native_outputs(kind, fitted, features)
    tolerance = 1e-9 if tree else 1e-5  # ONNX computes in float32
    assert np.allclose(rows["score"], probability, atol=tolerance, rtol=0)
    assert (rows["prediction"].to_numpy() == label).all()
    shap = rows[[SHAP_PREFIX + name for name in FEATURES]].to_numpy()
    added = rows[BASE_COLUMN].to_numpy() + shap.sum(axis=1)
    assert np.allclose(added, margin if tree else rows["score"], atol=1e-6 if tree else 1e-9, rtol=0)
    if not tree:  # the permutation explainer adds up to the probability ONNX gives, near scikit-learn's
        assert np.allclose(added, probability, atol=1e-5, rtol=0)

    # A row of the batch is the single-row engine's (same table, so the same permutation background)
    model = load_model(path, reference)
    for position in (1, half + 1):  # a row of each partition
        single = shap_values(model, reference.row(position))
        assert np.allclose(shap[position], single.values.iloc[0][FEATURES].to_numpy(dtype=float), atol=1e-9)
        assert rows[BASE_COLUMN][position] == pytest.approx(single.base_value, abs=1e-9)
        assert rows["score"][position] == pytest.approx(float(model.score(reference.row(position))[0]), abs=1e-12)


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("kind", ["lightgbm", "catboost", "onnx"])
def test_a_model_that_expects_other_columns_gets_one_line(kind, trained, tmp_path, capsys):
    path, _ = trained[kind]
    data = tmp_path / "other.parquet"
    seeded_table(n=200, seed=2).rename(columns={"income": "salary"}).to_parquet(data)
    code = main(["batch", "--data", str(data), "--model", str(path), "--out", str(tmp_path / "out"),
                 "--target", "y"])
    line = one_error_line(capsys.readouterr().err)
    assert code == 2 and "lack the model's feature columns: income" in line
    assert not (tmp_path / "out").exists()


def test_other_files_and_the_gpu_for_other_kinds_get_one_line(trained, tmp_path, capsys):
    data = tmp_path / "table.parquet"
    seeded_table(n=200, seed=2).to_parquet(data)
    other = tmp_path / "model.h5"
    other.write_bytes(b"not a model")
    code = main(["batch", "--data", str(data), "--model", str(other), "--out", str(tmp_path / "a")])
    line = one_error_line(capsys.readouterr().err)
    assert code == 2 and "model.h5" in line
    assert all(kind in line for kind in ("XGBoost", "LightGBM", "CatBoost", "ONNX", ".skops"))

    path, _ = trained["lightgbm"]
    code = main(["batch", "--data", str(data), "--model", str(path), "--out", str(tmp_path / "b"),
                 "--device", "cuda", "--lang", "pt-BR"])
    line = one_error_line(capsys.readouterr().err)
    assert code == 2 and "apenas modelos XGBoost" in line and "lightgbm" in line
    assert not (tmp_path / "b").exists()


def test_the_manifest_names_the_model_kind_for_xgboost_too(tmp_path):
    """The XGBoost description (what the plan reads) is the booster's own: names, categorical types, classes."""
    import xgboost as xgb

    from explainers.models import describe_model

    dataset = dataset_of(seeded_table())
    booster = xgb.XGBClassifier(n_estimators=5, enable_categorical=True, tree_method="hist").fit(
        dataset.features, dataset.target_codes()).get_booster()
    path = tmp_path / "model.json"
    booster.save_model(str(path))
    info = describe_model(path)
    assert info.kind == "xgboost" and info.task == "classification" and info.num_class == 2
    assert info.features == tuple(FEATURES) and info.kinds == ("numeric", "numeric", "categorical")
