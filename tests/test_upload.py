"""Bring your own data and model, safely: explainers/upload.py, the data checks of prepare_dataset,
and the data source page (pages/data_source.py) driven through Streamlit's AppTest.

AppTest drives ``st.file_uploader`` directly (``at.file_uploader(key=...).set_value((name, bytes,
mime))``), so the page is tested as a user uses it; its logic also lives in
``explainers.workspace.build_workspace``, tested without Streamlit.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import xgboost as xgb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.testing.v1 import AppTest

from explainers import InputError, builtin_names, prepare_dataset, shap_values
from explainers.data import read_table
from explainers.documents import safe_csv
from explainers.models import check_model_against_data
from explainers.spec import make_spec
from explainers.upload import Limits, detect_separator, read_upload, spec_from_upload
from explainers.workspace import build_workspace

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = str(REPO_ROOT / "app.py")
PAGE = "pages/data_source.py"
SMALL = Limits()


# --------------------------------------------------------------------------------------------
# Helpers and tables


def table_csv(n: int = 60, sep: str = ",", seed: int = 0) -> bytes:
    """A small classification table: numbers, a category, a yes/no target (last column)."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 10, n).round(1)
    colour = rng.choice(["red", "green", "blue"], n)
    age = rng.integers(18, 70, n)
    y = np.where(income + (colour == "red") * 8 + rng.normal(0, 5, n) > 52, "yes", "no")
    frame = pd.DataFrame({"income": income, "colour": colour, "age": age, "y": y})
    return frame.to_csv(index=False, sep=sep).encode()


def load(name: str, data: bytes, target: str | None = None, limits: Limits = SMALL, **choices):
    """What the page does: read the upload, then check it against an (inferred) spec."""
    frame = read_upload(name, data, limits)
    spec, notices = make_spec(frame, target or str(frame.columns[-1]), **choices)
    return prepare_dataset(frame, spec, tuple(notices), limits=limits)


def one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert message and "\n" not in message
    assert type(exc.value) is InputError
    return message


def rows_csv(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def repeated(values: list[str], n: int = 40) -> list[str]:
    return [values[i % len(values)] for i in range(n)]


LABELS = repeated(["p", "q", "q"])  # a two-class target with repeated values (never ID-like)

# Each bad input: (file name, bytes, extra choices, limits, distinctive part of the message).
# "read" cases fail while the table is read; "prepare" cases when it is checked against the spec.
READ_CASES = {
    "empty": ("t.csv", b"", "is empty; give a file"),
    "blank": ("t.csv", b" \n\n  \n", "is empty; give a file"),
    "header-only": ("t.csv", b"a,b,y\n", "header row but no data rows"),
    "binary-junk": ("t.csv", bytes(range(256)) * 8, "not a text table"),
    "utf16-no-bom": ("t.csv", "a,b,y\n1,2,p\n3,4,q\n".encode("utf-16-le"), "UTF-16"),
    "duplicate-columns": ("t.csv", b"x,x,y\n1,2,p\n3,4,q\n", "duplicate column names: x"),
    "ragged-rows": ("t.csv", b"a,b\n1,2,3\n4,5,6\n", "more fields than the header"),
    "open-quote": ("t.csv", b'a,b\n1,"2\n3,4\n', "check the separator and the quotes"),
    "bad-parquet": ("t.parquet", b"not parquet at all", "not a readable Parquet file"),
    "bad-xlsx": ("t.xlsx", b"not a workbook", "not a readable Excel workbook"),
    "old-xls": ("t.xlsx", b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "old Excel (.xls)"),
}

PREPARE_CASES = {
    "target-empty": (rows_csv("a,y", [f"{i % 5}," for i in range(40)]), {}, "is empty; choose a column"),
    "single-class": (rows_csv("a,y", [f"{i % 5},p" for i in range(40)]), {}, "single class"),
    "infinite-feature": (
        rows_csv("a,y", [f"{'inf' if i == 3 else i % 5},{v}" for i, v in enumerate(LABELS)]), {}, "infinite"
    ),
    "infinite-target": (
        rows_csv("a,y", [f"{i % 5},{'inf' if i == 3 else (i % 7) * 1.5}" for i in range(40)]),
        {"task": "regression"}, "'y' contains infinite values",
    ),
    "impossible-date": (
        rows_csv("a;d;y", [f"{i % 5};{'31/02/2021' if i == 5 else '01/03/2021'};{v}" for i, v in enumerate(LABELS)]),
        {}, "'31/02/2021' is not a valid date",
    ),
    "levels-of-a-sensitive-column": (
        rows_csv("a,n,y", [f"{i % 5},name{i % 30},{v}" for i, v in enumerate(LABELS)]),
        {"sensitive": ["n"]}, "30 distinct values, over the limit of 10",
    ),
}
PREPARE_LIMITS = Limits(max_levels=10)


@pytest.mark.parametrize("case", list(READ_CASES), ids=list(READ_CASES))
def test_bad_tables_are_refused_with_one_line(case):
    name, data, expected = READ_CASES[case]
    with pytest.raises(InputError) as exc:
        read_upload(name, data, SMALL)
    assert expected in one_line(exc)


@pytest.mark.parametrize("case", list(PREPARE_CASES), ids=list(PREPARE_CASES))
def test_bad_data_is_refused_with_one_line(case):
    data, choices, expected = PREPARE_CASES[case]
    with pytest.raises(InputError) as exc:
        load("t.csv", data, limits=PREPARE_LIMITS, **choices)
    assert expected in one_line(exc)


def test_target_missing_from_the_table():
    frame = read_upload("t.csv", table_csv(), SMALL)
    with pytest.raises(InputError) as exc:
        build_workspace(frame, "outcome", limits=SMALL)
    message = one_line(exc)
    assert "'outcome' is not in the table" in message and "income, colour, age, y" in message


def test_limits_are_enforced_with_the_variable_to_change():
    data = table_csv(60)
    cases = [
        (Limits(max_bytes=100), "XAI_MAX_MB"),
        (Limits(max_rows=50), "more than 50 rows"),
        (Limits(max_columns=3), "4 columns, over the limit of 3 (XAI_MAX_COLUMNS)"),
    ]
    for limits, expected in cases:
        with pytest.raises(InputError) as exc:
            read_upload("t.csv", data, limits)
        assert expected in one_line(exc)
    frame = pd.read_csv(io.BytesIO(data))
    spec, _ = make_spec(frame, "y")
    with pytest.raises(InputError, match="XAI_MAX_ROWS"):
        prepare_dataset(frame, spec, limits=Limits(max_rows=10))


def test_limits_from_the_environment():
    limits = Limits.from_env({"XAI_MAX_MB": "5", "XAI_MAX_ROWS": "1000", "XAI_SAMPLE_ROWS": "100",
                              "XAI_MAX_COLUMNS": "7", "XAI_MAX_LEVELS": "9"})
    assert limits == Limits(max_bytes=5 * 1024 * 1024, max_rows=1000, sample_rows=100, max_columns=7, max_levels=9)
    assert Limits.from_env({}) == Limits()
    with pytest.raises(InputError, match="XAI_MAX_ROWS must be a positive whole number"):
        Limits.from_env({"XAI_MAX_ROWS": "lots"})


def test_above_the_sample_limit_a_seeded_sample_is_used_and_said():
    first = load("t.csv", table_csv(300), limits=Limits(sample_rows=120))
    second = load("t.csv", table_csv(300), limits=Limits(sample_rows=120))
    assert len(first.features) == 120
    assert first.data_hash == second.data_hash
    assert any("seeded random sample of 120 rows" in n for n in first.notices)
    assert first.extra["sampled_from_rows"] == 300


# --------------------------------------------------------------------------------------------
# The choices made for awkward data: each is a notice, never silent


def test_mostly_numbers_with_some_text_is_numeric_with_a_notice():
    rows = [f"{'unknown' if i == 7 else (i % 9) * 1.5},{v}" for i, v in enumerate(LABELS)]
    dataset = load("t.csv", rows_csv("amount,y", rows))
    assert dataset.info["amount"].kind == "numeric"
    assert np.isnan(dataset.features["amount"][7])
    assert dataset.features["amount"].notna().sum() == 39
    notice = next(n for n in dataset.notices if "'amount'" in n)
    assert "mostly numbers" in notice and "'unknown'" in notice


def test_numbers_and_text_half_and_half_is_categorical_with_a_notice():
    rows = [f"{'abc' if i % 2 else i % 4},{v}" for i, v in enumerate(LABELS)]
    dataset = load("t.csv", rows_csv("code,y", rows))
    assert dataset.info["code"].kind == "categorical"
    assert any("mixes numbers and text" in n and "'abc'" in n for n in dataset.notices)


@pytest.mark.parametrize(
    "dates",
    [
        ["2021-01-15", "2021-06-30", "2022-12-31"],
        ["15/01/2021", "30/06/2021", "31/12/2022"],
        ["2021-01-15T10:30:00", "2021-06-30 08:00", "2022-12-31T23:59:59Z"],
    ],
    ids=["iso", "brazilian", "iso-with-time"],
)
def test_dates_become_year_month_and_day_of_year(dates):
    rows = [f"{dates[i % 3]};{i % 5};{v}" for i, v in enumerate(LABELS)]
    dataset = load("t.csv", rows_csv("opened;a;y", rows), immutable=["opened"])
    assert dataset.feature_names == ["opened_year", "opened_month", "opened_dayofyear", "a"]
    assert dataset.features.iloc[:3][["opened_year", "opened_month", "opened_dayofyear"]].to_numpy().tolist() == [
        [2021, 1, 15], [2021, 6, 181], [2022, 12, 365]
    ]
    assert dataset.spec.immutable == ("opened_year", "opened_month", "opened_dayofyear")
    assert any("Date column 'opened'" in n for n in dataset.notices)


def test_a_datetime_column_from_parquet_becomes_numbers():
    frame = pd.DataFrame({"when": pd.to_datetime(repeated(["2020-02-29", "2021-07-04"])), "y": LABELS})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    dataset = load("t.parquet", buffer.getvalue())
    assert dataset.features["when_dayofyear"].iloc[0] == 60


def test_a_categorical_with_too_many_levels_is_dropped_with_a_notice():
    rows = [f"{i % 5},name{i % 30},{v}" for i, v in enumerate(LABELS)]
    dataset = load("t.csv", rows_csv("a,n,y", rows), limits=Limits(max_levels=10))
    assert dataset.feature_names == ["a"]
    assert any("Dropped column 'n'" in n and "30 distinct values" in n for n in dataset.notices)


def test_a_text_column_without_values_is_kept_as_missing_numbers():
    frame = pd.DataFrame({"note": pd.Series([None] * 40, dtype=object), "a": range(40), "y": LABELS})
    spec, notices = make_spec(frame, "y")
    dataset = prepare_dataset(frame, spec, tuple(notices))
    assert dataset.features["note"].isna().all()
    assert dataset.info["note"].kind == "numeric"


# --------------------------------------------------------------------------------------------
# Reading: encodings, separators, decimal commas, formats


def test_semicolon_latin1_with_decimal_commas_reads_the_right_numbers():
    text = (
        "nome;saldo;taxa;idade;y\n"
        "João;1.234,56;0,5;30;sim\n"
        "Conceição;-12,5;1,25;41;não\n"
        "Zé;1.000.000,00;2;52;sim\n"
        "Açaí;;3,75;;não\n"
    )
    frame = read_upload("contas.csv", text.encode("latin-1"), SMALL)
    assert list(frame.columns) == ["nome", "saldo", "taxa", "idade", "y"]
    assert frame["nome"].tolist() == ["João", "Conceição", "Zé", "Açaí"]
    np.testing.assert_array_equal(frame["saldo"].to_numpy(), [1234.56, -12.5, 1_000_000.0, np.nan])
    np.testing.assert_array_equal(frame["taxa"].to_numpy(), [0.5, 1.25, 2.0, 3.75])
    assert frame["y"].tolist() == ["sim", "não", "sim", "não"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_separator_and_encoding_are_detected(encoding, sep):
    text = sep.join(["município", "valor", "y"]) + "\n" + sep.join(["São Paulo", "3", "sim"]) + "\n"
    text += sep.join(["Goiânia", "4", "não"]) + "\n"
    frame = read_upload("t.csv", text.encode(encoding), SMALL)
    assert list(frame.columns) == ["município", "valor", "y"]
    assert frame["município"].tolist() == ["São Paulo", "Goiânia"]
    assert frame["valor"].tolist() == [3, 4]


def test_a_one_column_table_keeps_its_header():
    assert detect_separator("y\n1\n0\n") == ","
    assert list(read_upload("t.csv", b"y\n1\n0\n1\n", SMALL).columns) == ["y"]


def test_excel_parquet_and_gzip_read_like_the_csv():
    expected = pd.read_csv(io.BytesIO(table_csv()))
    excel = io.BytesIO()
    expected.to_excel(excel, index=False)
    parquet = io.BytesIO()
    expected.to_parquet(parquet)
    for name, data in [("t.xlsx", excel.getvalue()), ("t.parquet", parquet.getvalue()),
                       ("t.csv.gz", gzip.compress(table_csv()))]:
        frame = read_upload(name, data, SMALL)
        pd.testing.assert_frame_equal(frame, expected, check_dtype=False, obj=name)


def test_excel_duplicate_headers_and_text_numbers():
    frame = pd.DataFrame([["x", "x", "y"], [1, 2, "p"], [3, 4, "q"]])
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, header=False)
    with pytest.raises(InputError, match="duplicate column names: x"):
        read_upload("t.xlsx", buffer.getvalue(), SMALL)
    text_numbers = pd.DataFrame({"a": ["1,5", "2,25", "1.000,5"], "b": ["7", "8", "9"], "y": ["p", "q", "p"]})
    buffer = io.BytesIO()
    text_numbers.to_excel(buffer, index=False)
    frame = read_upload("t.xlsx", buffer.getvalue(), SMALL)
    assert frame["a"].tolist() == [1.5, 2.25, 1000.5] and frame["b"].tolist() == [7, 8, 9]


def test_read_table_uses_the_same_reader(tmp_path):
    path = tmp_path / "br.csv"
    path.write_bytes("a;b;y\n1,5;2;p\n2,5;3;q\n".encode("cp1252"))
    assert read_table(path)["a"].tolist() == [1.5, 2.5]
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="is empty"):
        read_table(empty)


def test_safe_csv_escapes_formulas_in_text_cells_only():
    frame = pd.DataFrame({"=cmd": ["=1+1", "+2", "-3", "@SUM(A1)", "\tx", "\ry", "fine"], "n": [-1, 2, 3, 4, 5, 6, 7]})
    out = pd.read_csv(io.BytesIO(safe_csv(frame)), keep_default_na=False)
    assert list(out.columns) == ["'=cmd", "n"]
    assert out["'=cmd"].tolist() == ["'=1+1", "'+2", "'-3", "'@SUM(A1)", "'\tx", "'\ry", "fine"]
    assert out["n"].tolist() == [-1, 2, 3, 4, 5, 6, 7]


# --------------------------------------------------------------------------------------------
# Models: pickles never run, skops only with trusted types, XGBoost checked against the table


class Evil:
    """Unpickling this opens (creates) a file: proof that a pickle was executed."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


class CustomScaler(StandardScaler):
    """A type skops does not trust."""


@pytest.fixture(scope="module")
def small_dataset():
    return load("t.csv", table_csv())


@pytest.mark.parametrize("name", ["evil.pkl", "evil.joblib", "evil.pickle", "evil.json", "evil.skops"])
def test_an_uploaded_pickle_is_refused_and_never_run(tmp_path, small_dataset, name):
    marker = tmp_path / "executed"
    data = pickle.dumps(Evil(marker))
    with pytest.raises(InputError) as exc:
        check_model_against_data(data, small_dataset, name=name)
    message = one_line(exc)
    assert "pickle" in message and "run any code" in message
    path = tmp_path / name
    path.write_bytes(data)
    if name.endswith((".pkl", ".joblib", ".pickle")):
        with pytest.raises(InputError, match="pickle"):
            check_model_against_data(path, small_dataset)
    assert not marker.exists()


def test_the_cli_refuses_a_pickle_and_never_runs_it(tmp_path, cache_dir):
    marker = tmp_path / "executed"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps(Evil(marker)))
    env = {**os.environ, "XAI_CACHE_DIR": str(cache_dir), "TQDM_DISABLE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "explainers", "explain", "--data", "datasets/credit.csv", "--target", "Status",
         "--model", str(evil)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("error:") and "pickle" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not marker.exists()


def test_skops_with_an_untrusted_type_is_refused_by_name(small_dataset):
    pipeline = Pipeline([("scale", CustomScaler()), ("classify", LogisticRegression())])
    pipeline.fit(small_dataset.features[small_dataset.numeric], small_dataset.target)
    with pytest.raises(InputError) as exc:
        check_model_against_data(sio.dumps(pipeline), small_dataset, name="custom.skops")
    message = one_line(exc)
    assert "not trusted" in message and "CustomScaler" in message


def test_the_uploaded_model_lives_only_in_a_private_folder_that_is_removed(monkeypatch, tmp_path, small_dataset):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    booster = xgb.XGBClassifier(n_estimators=3, enable_categorical=True).fit(
        small_dataset.features, small_dataset.target_codes()).get_booster()
    model = check_model_against_data(bytes(booster.save_raw("json")), small_dataset, name="../../m o.json")
    assert model.source == "m_o.json"
    assert list(tmp_path.iterdir()) == []


def test_xgboost_model_checked_for_features_and_classes(small_dataset):
    features = small_dataset.features
    labels = small_dataset.target_codes()

    def model_bytes(estimator, frame, fmt: str = "json") -> bytes:
        return bytes(estimator.fit(frame, labels).get_booster().save_raw(fmt))

    cases = {
        "missing from the table: extra": features.assign(extra=1.0),
        "not used by the model: age": features[["income", "colour"]],
        "in another order: the model expects age, income, colour": features[["age", "income", "colour"]],
    }
    for expected, frame in cases.items():
        data = model_bytes(xgb.XGBClassifier(n_estimators=3, enable_categorical=True), frame)
        with pytest.raises(InputError) as exc:
            check_model_against_data(data, small_dataset, name="m.json")
        message = one_line(exc)
        assert "features do not match" in message and expected in message
    as_numbers = features.assign(colour=features["colour"].cat.codes.astype(float))
    with pytest.raises(InputError, match="disagree on which columns are categorical: colour"):
        check_model_against_data(model_bytes(xgb.XGBClassifier(n_estimators=3), as_numbers), small_dataset,
                                 name="m.json")
    regressor = xgb.XGBRegressor(n_estimators=3, enable_categorical=True)
    with pytest.raises(InputError, match="the model is a regressor"):
        check_model_against_data(model_bytes(regressor, features, "ubj"), small_dataset, name="m.ubj")
    three = xgb.XGBClassifier(n_estimators=3, enable_categorical=True).fit(features, np.arange(len(features)) % 3)
    with pytest.raises(InputError, match="predicts 3 classes but the target has 2"):
        check_model_against_data(bytes(three.get_booster().save_raw("json")), small_dataset, name="m.json")


@pytest.fixture(scope="module")
def user_csv() -> bytes:
    return table_csv(200, sep=";", seed=3)


def test_users_xgboost_json_with_a_categorical_gives_additive_shap(tmp_path, user_csv):
    # what the user did: read their CSV, mark the text column categorical, fit, save_model
    frame = pd.read_csv(io.BytesIO(user_csv), sep=";")
    features = frame.drop(columns="y").assign(colour=lambda f: f["colour"].astype("category"))
    model = xgb.XGBClassifier(n_estimators=40, max_depth=3, enable_categorical=True, tree_method="hist")
    model.fit(features, (frame["y"] == "yes").astype(int))
    model.save_model(tmp_path / "user.json")
    ws = build_workspace(read_upload("mine.csv", user_csv, SMALL), "y",
                         model_bytes=(tmp_path / "user.json").read_bytes(), model_name="user.json", limits=SMALL)
    rows = ws.dataset.features.iloc[:25]
    result = shap_values(ws.model, rows)
    assert list(result.values.columns) == ["income", "colour", "age"]
    total = result.base_value + result.values.sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, ws.model.predict_margin(rows), atol=1e-4)
    np.testing.assert_allclose(ws.model.predict_proba(rows)[:, 1], model.predict_proba(features.iloc[:25])[:, 1],
                               atol=1e-6)


def test_users_skops_pipeline_gives_additive_shap(user_csv):
    frame = pd.read_csv(io.BytesIO(user_csv), sep=";")
    pipeline = Pipeline([
        ("encode", ColumnTransformer([("onehot", OneHotEncoder(handle_unknown="ignore"), ["colour"])],
                                     remainder="passthrough")),
        ("classify", LogisticRegression(max_iter=2000)),
    ])
    pipeline.fit(frame.drop(columns="y"), frame["y"])
    ws = build_workspace(read_upload("mine.csv", user_csv, SMALL), "y", model_bytes=sio.dumps(pipeline),
                         model_name="pipeline.skops", limits=SMALL)
    assert ws.model.kind == "sklearn"
    rows = ws.dataset.features.iloc[:3]
    result = shap_values(ws.model, rows)
    assert list(result.values.columns) == ["income", "colour", "age"]
    total = result.base_value + result.values.sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, ws.model.predict_proba(rows)[:, ws.model.positive_index], atol=1e-6)
    np.testing.assert_allclose(total, pipeline.predict_proba(frame.drop(columns="y").iloc[:3])[:, 1], atol=1e-6)


def test_an_uploaded_spec_sets_target_and_constraints():
    spec = spec_from_upload("mine.toml", b'name = "mine"\ntarget = "y"\npositive_class = "yes"\n'
                                         b'immutable = ["age"]\nsensitive = ["age"]\nloader = "os:system"\n')
    assert spec.loader is None
    ws = build_workspace(read_upload("t.csv", table_csv(), SMALL), "y", spec=spec, limits=SMALL)
    assert ws.dataset.spec.immutable == ("age",) and ws.dataset.positive_class == "yes"
    with pytest.raises(InputError, match="not valid TOML"):
        spec_from_upload("bad.toml", b"target = \n")


# --------------------------------------------------------------------------------------------
# Hypothesis: malformed input gets InputError or a table, never another exception


def answer(name: str, data: bytes) -> None:
    try:
        frame = read_upload(name, data, SMALL)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    try:
        load(name, data)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)


FAST = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NAMES = st.sampled_from(["t.csv", "t.txt", "t.tsv", "t.parquet", "t.xlsx", "t.csv.gz"])


@FAST
@given(NAMES, st.binary(max_size=400))
def test_random_bytes(name, data):
    answer(name, data)


CELLS = st.one_of(
    st.text(alphabet=st.sampled_from(list('ab1.,;\t"\' -é\r\n=+xyçã0')), max_size=6),
    st.sampled_from(["inf", "-inf", "NaN", "", "1.234,56", "2021-02-30", "31/12/2020", "1e308", "1e999"]),
    st.integers(-10, 10).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@FAST
@given(
    st.lists(st.lists(CELLS, min_size=1, max_size=5), min_size=1, max_size=12),
    st.sampled_from([",", ";", "\t", "|", " "]),
    st.sampled_from(['"', "'"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le"]),
)
def test_random_csv_text(rows, sep, quote, encoding):
    text = "\n".join(sep.join(f"{quote}{c}{quote}" if i % 3 == 0 else c for i, c in enumerate(r)) for r in rows)
    answer("t.csv", text.encode(encoding, errors="replace"))


MIXED = st.one_of(st.none(), st.just(np.nan), st.just(np.inf), st.just(-np.inf), st.integers(-5, 5),
                  st.floats(width=32), st.sampled_from(["a", "b", "", " ", "1,5", "2021-01-01", "x"]), st.booleans())


@FAST
@given(st.integers(1, 30).flatmap(lambda n: st.lists(st.lists(MIXED, min_size=n, max_size=n), min_size=2,
                                                      max_size=4)))
def test_random_frames(columns):
    frame = pd.DataFrame({f"c{i}": values for i, values in enumerate(columns)})
    try:
        spec, notices = make_spec(frame, frame.columns[-1])
        dataset = prepare_dataset(frame, spec, tuple(notices), limits=SMALL)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert not np.isinf(dataset.features[dataset.numeric].to_numpy(dtype="float64")).any()
    answer("t.csv", safe_csv(frame))


# --------------------------------------------------------------------------------------------
# The page, through AppTest




@pytest.fixture
def upload_titles(monkeypatch):
    """AppTest formats the sidebar's dataset value with its format_func outside a script run, where
    ``st.session_state`` is not the app's, so ``dataset_title`` cannot see this session's uploads and
    the next run fails. Outside a run, answer with the label the app itself drew for that option."""
    import pages.common as common

    apps: list[AppTest] = []
    real = common.dataset_title

    def dataset_title(name, *args, **kwargs):
        if get_script_run_ctx() is None and apps:
            state = apps[-1].session_state
            uploaded = list(state["uploads"]) if "uploads" in state else []
            names = [*builtin_names(), *uploaded]
            options = apps[-1].selectbox(key="sidebar_dataset").options
            if name in names and len(options) == len(names):
                return options[names.index(name)]
        return real(name, *args, **kwargs)

    monkeypatch.setattr(common, "dataset_title", dataset_title)
    return apps


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def upload(at: AppTest, name: str, data: bytes, key: str = "data_table") -> AppTest:
    at.file_uploader(key=key).set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def snapshot(at: AppTest) -> tuple:
    state = at.session_state
    return dict(state["view"]), dict(state["uploads"]) if "uploads" in state else {}


def test_the_page_renders_with_its_limits():
    at = open_page()
    assert at.title[0].value == "Bring your own data"
    assert any("2,000,000 rows" in c.value for c in at.caption)
    assert at.file_uploader(key="data_table").allowed_type == [".csv", ".txt", ".tsv", ".parquet", ".xlsx"]
    assert not errors(at)


@pytest.mark.parametrize("case", list(READ_CASES), ids=list(READ_CASES))
def test_page_shows_read_errors_and_keeps_the_workspace(case):
    name, data, expected = READ_CASES[case]
    at = open_page()
    before = snapshot(at)
    upload(at, name, data)
    assert len(errors(at)) == 1 and expected in errors(at)[0]
    assert snapshot(at) == before
    assert "data_parsed" not in at.session_state


@pytest.mark.parametrize("case", list(PREPARE_CASES), ids=list(PREPARE_CASES))
def test_page_shows_data_errors_and_keeps_the_workspace(monkeypatch, case):
    monkeypatch.setenv("XAI_MAX_LEVELS", "10")
    data, choices, expected = PREPARE_CASES[case]
    at = open_page()
    before = snapshot(at)
    upload(at, "t.csv", data)
    assert not errors(at)
    if "task" in choices:
        at.radio(key="data_task").set_value(choices["task"]).run()
    if "sensitive" in choices:
        at.multiselect(key="data_sensitive").set_value(choices["sensitive"]).run()
    at.button(key="data_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(errors(at)) == 1 and expected in errors(at)[0], errors(at)
    assert snapshot(at) == before


def test_page_over_the_limits(monkeypatch):
    monkeypatch.setenv("XAI_MAX_ROWS", "50")
    at = open_page()
    assert any("50 rows" in c.value for c in at.caption)
    upload(at, "t.csv", table_csv(60))
    assert "more than 50 rows" in errors(at)[0]
    assert snapshot(at)[0]["dataset"] == "credit"


def test_page_refuses_a_pickle_model_and_never_runs_it(tmp_path):
    marker = tmp_path / "executed"
    at = open_page()
    upload(at, "t.csv", table_csv())
    at.radio(key="data_model_source").set_value("upload").run()
    upload(at, "evil.pkl", pickle.dumps(Evil(marker)), key="data_model")
    assert len(errors(at)) == 1 and "pickle" in errors(at)[0] and "run any code" in errors(at)[0]
    assert at.button(key="data_go").disabled
    # the same bytes under a model extension are not unpickled either
    upload(at, "evil.json", pickle.dumps(Evil(marker)), key="data_model")
    at.button(key="data_go").click().run()
    assert "pickle" in errors(at)[-1]
    assert snapshot(at)[0]["dataset"] == "credit" and not marker.exists()


def test_page_trains_the_default_model_and_switches_the_dashboard(upload_titles):
    at = open_page()
    upload_titles.append(at)
    upload(at, "mine.csv", table_csv())
    assert at.selectbox(key="data_target").value == "y"
    assert at.radio(key="data_task").value == "classification"
    assert at.dataframe[0].value.shape == (20, 4)
    at.multiselect(key="data_immutable").set_value(["age"]).run()
    at.button(key="data_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    name = at.session_state["view"]["dataset"]
    assert name.startswith("upload:")
    ws = at.session_state["uploads"][name]
    assert ws.dataset.spec.immutable == ("age",) and ws.model.kind == "xgboost"
    assert "⬆ mine" in at.selectbox(key="sidebar_dataset").options
    assert any("Now explaining your upload" in s.value for s in at.success)
    # a bad upload afterwards changes nothing: the upload stays selected
    upload(at, "bad.csv", b"a,a\n1,2\n")
    assert "duplicate column names" in errors(at)[0]
    assert at.session_state["view"]["dataset"] == name


@pytest.mark.parametrize("chosen", ["aprovado", "negado"])
def test_page_asks_which_outcome_is_favourable(upload_titles, chosen):
    """A Portuguese yes/no target: the page proposes "aprovado" and says why; the user's choice is the
    model's positive class, so the probability shown is the chosen class's."""
    at = open_page()
    upload_titles.append(at)
    frame = pd.read_csv(io.BytesIO(table_csv()))
    frame["y"] = frame["y"].map({"yes": "aprovado", "no": "negado"})
    upload(at, "pedidos.csv", frame.to_csv(index=False).encode())
    box = at.selectbox(key="data_favourable")
    assert box.value == "aprovado" and box.options == ["aprovado", "negado"]
    assert any("aprovado" in c.value and "name" in c.value for c in at.caption)
    box.set_value(chosen).run()
    at.button(key="data_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    ws = at.session_state["uploads"][at.session_state["view"]["dataset"]]
    assert ws.dataset.spec.positive_class == chosen
    assert ws.model.classes[ws.model.positive_index] == chosen
    row = ws.dataset.row(0)
    assert ws.model.score(row)[0] == pytest.approx(ws.model.predict_proba(row)[0][ws.model.positive_index])


def test_page_loads_an_uploaded_xgboost_model(tmp_path, user_csv, upload_titles):
    frame = pd.read_csv(io.BytesIO(user_csv), sep=";")
    features = frame.drop(columns="y").assign(colour=lambda f: f["colour"].astype("category"))
    model = xgb.XGBClassifier(n_estimators=10, enable_categorical=True).fit(features, (frame["y"] == "yes").astype(int))
    model.save_model(tmp_path / "user.json")
    at = open_page()
    upload_titles.append(at)
    upload(at, "mine.csv", user_csv)
    at.radio(key="data_model_source").set_value("upload").run()
    upload(at, "user.json", (tmp_path / "user.json").read_bytes(), key="data_model")
    at.button(key="data_go").click().run()
    assert not at.exception and not errors(at), errors(at)
    ws = at.session_state["uploads"][at.session_state["view"]["dataset"]]
    assert ws.model.source == "user.json"


def test_uploads_are_private_to_their_session(upload_titles):
    first, second = open_page(), open_page()
    upload_titles.append(first)
    upload(first, "mine.csv", table_csv())
    first.button(key="data_go").click().run()
    assert "⬆ mine" in first.selectbox(key="sidebar_dataset").options
    upload_titles.append(second)
    second.run()
    options = second.selectbox(key="sidebar_dataset").options
    assert not any(o.startswith("⬆") for o in options)
    assert "uploads" not in second.session_state or not second.session_state["uploads"]
    assert second.session_state["view"]["dataset"] == "credit"


def test_page_takes_defaults_from_an_uploaded_spec_and_the_target():
    at = open_page()
    upload(at, "mine.csv", table_csv())
    upload(at, "mine.toml", b'name = "mine"\ntarget = "y"\nimmutable = ["age"]\nsensitive = ["age"]\n',
           key="data_spec_file")
    assert at.selectbox(key="data_target").value == "y"
    assert at.multiselect(key="data_immutable").value == ["age"]
    at.selectbox(key="data_target").set_value("income").run()
    assert at.radio(key="data_task").value == "regression"
    assert at.multiselect(key="data_immutable").value == []
    upload(at, "bad.toml", b"target = \n", key="data_spec_file")
    assert "not valid TOML" in errors(at)[0]
