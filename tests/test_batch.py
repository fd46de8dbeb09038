"""Batch explanations on Dask (``python -m explainers batch``) and the Batch results page.

A seeded credit-like table of 200,000 rows in four Parquet files is explained once by the command on a
local cluster of two workers; the other tests reuse that output (SHAP is the costly part: about 2,500
rows a second per core here). Resume and counterfactuals run on small tables against one shared cluster.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from explainers import load_builtin, load_model, prepare_dataset, shap_values, train_default_model
from explainers.batch import (
    BASE_COLUMN,
    KEY,
    MANIFEST,
    SHAP_PREFIX,
    BatchOptions,
    batch_explain,
    open_results,
    save_manifest,
)
from explainers.cli import main
from explainers.upload import Limits

pytestmark = pytest.mark.slow

APP = str(Path(__file__).resolve().parent.parent / "app.py")
FILE_ROWS = (60_000, 40_000, 55_000, 45_000)  # 200,000 rows; partitions of 50,000 cut inside the files
PARTITION_ROWS = 50_000
NUMERIC_NOISE = 0.05  # seeded noise, as a share of each numeric column's standard deviation


def credit_like(rows: int, seed: int) -> pd.DataFrame:
    """Rows of the credit table drawn with replacement, numbers jittered; categories stay the credit ones."""
    credit = load_builtin("credit")
    rng = np.random.default_rng(seed)
    picked = rng.integers(0, len(credit.features), rows)
    frame = credit.features.iloc[picked].reset_index(drop=True)
    for name in credit.numeric:
        column = frame[name]
        frame[name] = column + rng.normal(0.0, NUMERIC_NOISE * float(column.std()), rows)
    for name in credit.categorical:  # as text, the way a CSV or an export would have them
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    frame[credit.spec.target] = credit.target.iloc[picked].to_numpy()
    return frame


def write_files(frame: pd.DataFrame, folder: Path, sizes: tuple[int, ...]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths, start = [], 0
    for i, size in enumerate(sizes):
        path = folder / f"credit-{i:02d}.parquet"
        frame.iloc[start:start + size].to_parquet(path, row_group_size=16_384)
        paths.append(path)
        start += size
    return paths


def read_parts(folder: Path, pattern: str = "part-*.parquet") -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in sorted(folder.glob(pattern))], ignore_index=True)


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("batch-model")
    model = train_default_model(load_builtin("credit"))
    model.estimator.save_model(folder / "model.json")
    return folder / "model.json"


@pytest.fixture(scope="module")
def big(tmp_path_factory, model_file) -> dict:
    """The 200,000-row table, and one uninterrupted run of the command over it (local cluster, 2 workers)."""
    root = tmp_path_factory.mktemp("batch-big")
    frame = credit_like(sum(FILE_ROWS), seed=7)
    write_files(frame, root / "data", FILE_ROWS)
    out = root / "out"
    code = main(["batch", "--data", str(root / "data" / "*.parquet"), "--model", str(model_file), "--out", str(out),
                 "--target", "Status", "--workers", "2", "--partition-rows", str(PARTITION_ROWS)])
    assert code == 0
    return {"root": root, "frame": frame, "out": out}


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as local:
        yield local.scheduler_address


def test_batch_rows_equal_the_single_row_engine(big, model_file):
    out, frame = big["out"], big["frame"]
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["status"] == "complete" and manifest["rows"] == len(frame) == 200_000
    assert [e["rows"] for e in manifest["partitions"]] == [
        [0, 50_000], [50_000, 60_000], [60_000, 100_000], [100_000, 150_000], [150_000, 155_000],
        [155_000, 200_000]]
    assert all(e["status"] == "complete" and e["device"] == "cpu" for e in manifest["partitions"])
    assert manifest["shap"]["space"] == "log-odds" and manifest["shap"]["class"] == "good"
    assert len(manifest["data"]["sha256"]) == len(manifest["model"]["sha256"]) == 64
    assert {"dask", "distributed", "xgboost", "duckdb"} <= set(manifest["versions"])
    result = read_parts(out)
    assert result[KEY].tolist() == list(range(len(frame)))
    dataset = prepare_dataset(frame, load_builtin("credit").spec, limits=Limits(sample_rows=10**7))
    model = load_model(model_file, dataset)
    rows = np.random.default_rng(3).choice(len(frame), size=20, replace=False)
    for i in sorted({0, len(frame) - 1, 59_999, 60_000, *rows.tolist()}):
        expected = shap_values(model, dataset.row(int(i)))
        stored = result.iloc[int(i)]
        for feature, value in expected.row().items():
            assert stored[SHAP_PREFIX + feature] == pytest.approx(value, abs=1e-6), (i, feature)
        assert stored[BASE_COLUMN] == pytest.approx(expected.base_value, abs=1e-6)
        assert stored["score"] == pytest.approx(float(model.score(dataset.row(int(i)))[0]), abs=1e-6)
        assert stored["prediction"] == model.predict(dataset.row(int(i)))[0]
        assert stored["Status"] == dataset.target.iloc[int(i)]
        for feature in dataset.feature_names:
            original = dataset.features.iloc[int(i)][feature]
            assert (pd.isna(original) and pd.isna(stored[feature])) or original == stored[feature]


def test_resume_recomputes_only_missing_partitions(big, model_file, cluster, tmp_path):
    """Deleted partitions (file and manifest entry) are recomputed; the others are not touched."""
    out = tmp_path / "resumed"
    shutil.copytree(big["out"], out)
    manifest = json.loads((out / MANIFEST).read_text())
    for index in (1, 4):
        (out / manifest["partitions"][index]["file"]).unlink()
        manifest["partitions"][index] = {k: v for k, v in manifest["partitions"][index].items()
                                         if k in ("index", "file", "rows", "source")} | {"status": "pending"}
    manifest["status"] = "running"
    save_manifest(out, manifest)
    kept = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}
    lines: list[str] = []
    summary = batch_explain(BatchOptions(data=str(big["root"] / "data" / "*.parquet"), model=str(model_file),
                                         out=str(out), target="Status", partition_rows=PARTITION_ROWS,
                                         scheduler=cluster, log=lines.append))
    assert summary.complete and summary.computed == [1, 4] and summary.skipped == [0, 2, 3, 5]
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet") if p.name in kept} == kept
    assert any("4 of 6 partitions are already complete" in line for line in lines)
    for name in sorted(p.name for p in big["out"].glob("part-*.parquet")):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(big["out"] / name))
    assert json.loads((out / MANIFEST).read_text())["status"] == "complete"


def test_interrupted_run_finishes_like_an_uninterrupted_one(model_file, cluster, tmp_path):
    """A run stopped after two partitions, then run again (now with counterfactuals), equals a straight run."""
    frame = credit_like(6_000, seed=11)
    frame.loc[[5, 4_321], "Home"] = "castle"  # not among the model's categories: becomes missing
    write_files(frame, tmp_path / "data", (2_500, 2_000, 1_500))
    common = {"data": str(tmp_path / "data"), "model": str(model_file), "target": "Status",
              "partition_rows": 1_000, "scheduler": cluster, "log": lambda line: None}
    straight = batch_explain(BatchOptions(out=str(tmp_path / "straight"), **common))
    assert straight.complete and straight.partitions == 7
    out = tmp_path / "interrupted"
    stopped = batch_explain(BatchOptions(out=str(out), stop_after=2, **common))
    assert not stopped.complete and len(stopped.computed) == 2
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["status"] == "stopped"
    finished = [e for e in manifest["partitions"] if e["status"] == "complete"]
    assert len(finished) == 2
    mtimes = {e["file"]: (out / e["file"]).stat().st_mtime_ns for e in finished}
    lines: list[str] = []
    resumed = batch_explain(BatchOptions(out=str(out), counterfactuals=2, where="score < 0.5",
                                         max_counterfactual_rows=12, **{**common, "log": lines.append}))
    assert resumed.complete and set(resumed.skipped) == {e["index"] for e in finished}
    assert set(resumed.computed) == set(range(7)) - set(resumed.skipped)
    assert {name: (out / name).stat().st_mtime_ns for name in mtimes} == mtimes
    pd.testing.assert_frame_equal(read_parts(out), read_parts(tmp_path / "straight"))

    result = read_parts(out)
    assert result.loc[[5, 4_321], "Home"].isna().all()
    manifest = json.loads((out / MANIFEST).read_text())
    assert sum(e.get("unseen_categories", {}).get("Home", 0) for e in manifest["partitions"]) == 2
    assert any("Home: 2 value(s) not among the model's categories" in line for line in lines)
    credit = load_builtin("credit")
    model = load_model(model_file, credit)
    expected = shap_values(model, credit.coerce(frame.iloc[[5]].drop(columns="Status")))
    assert result.loc[5, SHAP_PREFIX + "Home"] == pytest.approx(expected.row()["Home"], abs=1e-6)

    # Counterfactuals: the first 12 rows (by key) that --where picks, each re-checked against the model.
    picked = result.loc[result["score"] < 0.5, KEY].iloc[:12].tolist()
    assert any("rows match --where" in n for n in resumed.notices)
    found = read_parts(out, "counterfactuals-*.parquet")
    assert set(found[KEY]) <= set(picked) and len(set(found[KEY])) >= 8
    assert found.groupby(KEY)["rank"].max().max() <= 2
    for _, counterfactual in found.iterrows():
        row = credit.coerce(result.loc[[counterfactual[KEY]], credit.feature_names])
        for feature, change in json.loads(counterfactual["changes"]).items():
            row[feature] = pd.Series([change["to"]], index=row.index).astype(row[feature].dtype)
        assert float(model.score(row)[0]) == pytest.approx(counterfactual["score"], abs=1e-9)
        assert counterfactual["prediction"] == "good" and counterfactual["score"] >= 0.5
    assert json.loads((out / MANIFEST).read_text())["counterfactuals"]["explained"] == 12




def test_dashboard_importance_equals_pandas_over_all_files(big, navigation_mode, monkeypatch):
    monkeypatch.setenv("XAI_BATCH_ROOT", str(big["root"]))
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["dataset"] = "credit"
    at.run()
    at.switch_page("pages/batch_results.py").run()
    assert not at.exception, [e.value for e in at.exception]
    picker = at.selectbox(key="batch_folder")
    assert picker.options == ["out"] and picker.value is None  # chosen from the results root, never typed
    picker.set_value("out").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    shown = next(frame.value for frame in at.dataframe if "mean |SHAP|" in frame.value.columns)["mean |SHAP|"]
    features = load_builtin("credit").feature_names
    stored = read_parts(big["out"])
    expected = stored[[SHAP_PREFIX + f for f in features]].abs().mean()
    expected.index = features
    assert sorted(shown.index) == sorted(features)
    for feature in features:
        assert float(shown[feature]) == pytest.approx(expected[feature], abs=5e-5)  # shown to 4 decimals
    assert list(shown.index) == list(expected.sort_values(ascending=False).index)

    at.number_input(key="batch_row").set_value(123_456).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label == "Prediction for row 123456" and m.value == stored.loc[123_456, "prediction"]
               for m in at.metric)
    row_table = next(frame.value for frame in at.dataframe if "SHAP" in frame.value.columns)
    for feature in features:
        assert row_table.loc[feature, "SHAP"] == pytest.approx(stored.loc[123_456, SHAP_PREFIX + feature], abs=1e-12)

    results = open_results(big["out"])
    sample = results.sample(500, seed=1)
    assert len(sample) == 500 and sample.equals(results.sample(500, seed=1))
    assert sample[KEY].is_unique


def test_cli_errors_exit_2_with_one_line(big, model_file, capsys, tmp_path):
    data = str(big["root"] / "data" / "*.parquet")
    code = main(["batch", "--data", str(tmp_path / "missing" / "*.parquet"), "--model", str(model_file),
                 "--out", str(tmp_path / "a")])
    assert code == 2 and "no .parquet or .csv file matches" in one_error_line(capsys.readouterr().err)

    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(b"not a model")
    code = main(["batch", "--data", data, "--model", str(pickled), "--out", str(tmp_path / "b")])
    assert code == 2 and "batch explanations take a model file of one of these kinds" in one_error_line(
        capsys.readouterr().err)

    other = tmp_path / "model.ubj"
    train_default_model(load_builtin("credit")).estimator.save_model(other)
    code = main(["batch", "--data", data, "--model", str(other), "--out", str(big["out"]), "--target", "Status",
                 "--partition-rows", str(PARTITION_ROWS)])
    line = one_error_line(capsys.readouterr().err)
    assert code == 2 and "holds results of another model" in line and "use another --out" in line

    code = main(["batch", "--data", data, "--model", str(model_file), "--out", str(tmp_path / "c"),
                 "--counterfactuals", "2", "--where", "scor < 0.5"])
    assert code == 2 and "--where 'scor < 0.5' could not be evaluated" in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "c").exists()
