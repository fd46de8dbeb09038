"""LightGBM, CatBoost and ONNX model files beside XGBoost and skops (issue 18, item 1).

Every model is trained here on a seeded table with numbers (some missing) and a category, saved the way its
library saves it, and loaded through the engine: predictions equal the library's own, SHAP equals the library's
own contributions (tree models) and adds up to the output, counterfactuals re-check valid, a model that expects
other columns gets the model-vs-data error, hostile files give one line, and an upload through the Data source
page explains a row on the Local page."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import catboost as cb
import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from explainers import InputError, prepare_dataset, shap_values
from explainers.models import check_model_against_data, load_model
from explainers.spec import make_spec
from explainers.workspace import Workspace, frame_of

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = str(REPO_ROOT / "app.py")
ROWS = [0, 3, 7, 11, 19]


def seeded_table(n: int = 240, seed: int = 0, target: str = "binary") -> pd.DataFrame:
    """Numbers (income with gaps), a category (colour) and a target that depends on both."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 12, n).round(1)
    age = rng.integers(18, 75, n).astype(float)
    colour = rng.choice(["red", "green", "blue"], n)
    score = income + (colour == "red") * 9 - (age > 60) * 6 + rng.normal(0, 4, n)
    frame = pd.DataFrame({"income": income, "age": age, "colour": colour})
    frame.loc[::13, "income"] = np.nan
    if target == "binary":
        frame["y"] = np.where(score > 52, "yes", "no")
    elif target == "multi":
        frame["y"] = np.select([score < 45, score < 57], ["low", "mid"], "high")
    else:
        frame["y"] = score.round(2)
    return frame


def dataset_of(frame: pd.DataFrame):
    spec, notices = make_spec(frame, "y")
    return prepare_dataset(frame, spec, tuple(notices))


@pytest.fixture(scope="module")
def binary():
    return dataset_of(seeded_table())


def as_text(features: pd.DataFrame) -> pd.DataFrame:
    """The table as CatBoost and scikit-learn take it: categories as plain text."""
    out = features.copy()
    out["colour"] = out["colour"].astype(str)
    return out


def assert_additive(values) -> None:
    assert np.allclose(values.base_value + values.values.to_numpy().sum(axis=1), values.output, atol=1e-9)


def assert_counterfactuals_recheck(model, dataset) -> None:
    """The workspace's counterfactual search on one row finds alternatives, and each one, predicted again by the
    loaded model, has the other outcome."""
    ws = Workspace(dataset, model)
    row = dataset.row(ROWS[1])
    found = ws.counterfactuals.generate(row, total=2, seed=0)
    assert found.valid >= 1, found.to_dict()
    before = model.predict(row)[0]
    for counterfactual in found.counterfactuals:
        again = model.predict(frame_of(counterfactual.row, dataset))[0]
        assert again != before and str(again) == str(counterfactual.prediction.get("class", again))


# --------------------------------------------------------------------------------------------
# LightGBM


def lightgbm_classifier(dataset, **params) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(n_estimators=40, num_leaves=8, min_child_samples=5, random_state=0, verbose=-1,
                              **params).fit(dataset.features, dataset.target_codes())


@pytest.mark.parametrize("form", ["txt", "json"])
def test_lightgbm_predictions_and_shap_are_lightgbms_own(tmp_path, binary, form):
    fitted = lightgbm_classifier(binary)
    path = tmp_path / f"model.{form}"
    if form == "txt":
        fitted.booster_.save_model(str(path))
    else:
        path.write_text(json.dumps(fitted.booster_.dump_model()))
    model = load_model(path, binary)
    assert model.kind == "lightgbm" and model.native_shap
    rows = binary.features.iloc[ROWS]
    assert np.array_equal(model.predict_proba(binary.features)[:, 1], fitted.predict_proba(binary.features)[:, 1])
    values = shap_values(model, rows)
    native = fitted.booster_.predict(rows, pred_contrib=True)
    assert values.space == "log-odds" and values.method == "tree" and values.class_name == "yes"
    assert np.allclose(values.values.to_numpy(), native[:, :-1], atol=1e-12)
    assert np.allclose(values.output, fitted.booster_.predict(rows, raw_score=True), atol=1e-9)
    assert_additive(values)
    # the other class's log-odds are the negative ones
    other = shap_values(model, rows, class_name="no")
    assert np.allclose(other.values.to_numpy(), -native[:, :-1])


def test_lightgbm_one_hot_inputs_are_summed_back_to_the_original_column(tmp_path, binary):
    encoded = pd.get_dummies(binary.features, columns=["colour"], dtype=float)
    fitted = lgb.LGBMClassifier(n_estimators=30, num_leaves=8, min_child_samples=5, random_state=0,
                                verbose=-1).fit(encoded, binary.target_codes())
    path = tmp_path / "onehot.txt"
    fitted.booster_.save_model(str(path))
    model = load_model(path, binary)
    assert model.details["encoded"]
    rows = binary.features.iloc[ROWS]
    assert np.array_equal(model.predict_proba(rows)[:, 1], fitted.predict_proba(encoded.iloc[ROWS])[:, 1])
    values = shap_values(model, rows)
    assert list(values.values.columns) == binary.feature_names
    native = pd.DataFrame(fitted.booster_.predict(encoded.iloc[ROWS], pred_contrib=True)[:, :-1],
                          columns=encoded.columns)
    dummies = [c for c in encoded.columns if c.startswith("colour_")]
    assert len(dummies) == 3
    assert np.allclose(values.values["colour"].to_numpy(), native[dummies].sum(axis=1).to_numpy())
    assert np.allclose(values.values["income"].to_numpy(), native["income"].to_numpy())
    assert_additive(values)


def test_lightgbm_multiclass_shap_per_class(tmp_path):
    dataset = dataset_of(seeded_table(target="multi"))
    fitted = lgb.LGBMClassifier(n_estimators=20, num_leaves=6, min_child_samples=5, random_state=0,
                                verbose=-1).fit(dataset.features, dataset.target_codes())
    path = tmp_path / "multi.txt"
    fitted.booster_.save_model(str(path))
    model = load_model(path, dataset)
    rows = dataset.features.iloc[ROWS]
    assert np.allclose(model.predict_proba(rows), fitted.predict_proba(rows))
    native = fitted.booster_.predict(rows, pred_contrib=True).reshape(len(ROWS), 3, -1)
    for index, name in enumerate(dataset.classes):
        values = shap_values(model, rows, class_name=name)
        assert np.allclose(values.values.to_numpy(), native[:, index, :-1])
        assert_additive(values)


def test_lightgbm_counterfactuals_recheck_valid(tmp_path, binary):
    path = tmp_path / "model.txt"
    lightgbm_classifier(binary).booster_.save_model(str(path))
    assert_counterfactuals_recheck(load_model(path, binary), binary)


def test_lightgbm_regressor_shap_adds_up_to_the_value(tmp_path):
    dataset = dataset_of(seeded_table(target="value"))
    fitted = lgb.LGBMRegressor(n_estimators=30, num_leaves=8, min_child_samples=5, random_state=0,
                               verbose=-1).fit(dataset.features, dataset.target_codes())
    path = tmp_path / "reg.txt"
    fitted.booster_.save_model(str(path))
    model = load_model(path, dataset)
    rows = dataset.features.iloc[ROWS]
    assert np.array_equal(model.predict(rows), fitted.predict(rows))
    values = shap_values(model, rows)
    assert values.space == "raw" and np.allclose(values.output, fitted.predict(rows))
    assert_additive(values)


def test_lightgbm_categories_coded_otherwise_are_refused(tmp_path, binary):
    """A model whose colour categories are other words than the table's gets the model-vs-data error."""
    features = binary.features.copy()
    features["colour"] = pd.Categorical(features["colour"].map({"red": "r", "green": "g", "blue": "b"}).astype(str))
    fitted = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(features, binary.target_codes())
    path = tmp_path / "recoded.txt"
    fitted.booster_.save_model(str(path))
    with pytest.raises(InputError) as caught:
        load_model(path, binary)
    assert caught.value.key == "errors.model_kinds.unknown_categories" and "colour" in str(caught.value)
    assert "colour" in caught.value.text("pt-BR") and "categorias" in caught.value.text("pt-BR")


def test_lightgbm_with_a_numeric_column_as_category_is_refused(tmp_path, binary):
    features = binary.features.copy()
    features["age"] = pd.Categorical(features["age"].astype(int).astype(str))
    fitted = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(features, binary.target_codes())
    path = tmp_path / "agecat.txt"
    fitted.booster_.save_model(str(path))
    with pytest.raises(InputError) as caught:
        load_model(path, binary)
    assert caught.value.key == "errors.model_kinds.categorical_mismatch" and "age" in str(caught.value)


# --------------------------------------------------------------------------------------------
# CatBoost


def catboost_classifier(dataset) -> cb.CatBoostClassifier:
    return cb.CatBoostClassifier(iterations=40, depth=4, random_seed=0, verbose=0, thread_count=1,
                                 allow_writing_files=False, cat_features=["colour"]).fit(
        as_text(dataset.features), dataset.target.astype(str))


def test_catboost_predictions_and_shap_are_catboosts_own(tmp_path, binary):
    fitted = catboost_classifier(binary)
    path = tmp_path / "model.cbm"
    fitted.save_model(str(path))
    model = load_model(path, binary)
    assert model.kind == "catboost" and model.classes == ("no", "yes")
    rows = as_text(binary.features.iloc[ROWS])
    assert np.array_equal(model.predict_proba(binary.features), fitted.predict_proba(as_text(binary.features)))
    values = shap_values(model, binary.features.iloc[ROWS])
    pool = cb.Pool(rows, cat_features=["colour"])
    native = fitted.get_feature_importance(pool, type="ShapValues")
    assert values.space == "log-odds" and values.method == "tree" and values.class_name == "yes"
    assert np.allclose(values.values.to_numpy(), native[:, :-1], atol=1e-12)
    assert np.allclose(values.output, fitted.predict(pool, prediction_type="RawFormulaVal"), atol=1e-9)
    assert_additive(values)


def test_catboost_counterfactuals_recheck_valid(tmp_path, binary):
    path = tmp_path / "model.cbm"
    catboost_classifier(binary).save_model(str(path))
    assert_counterfactuals_recheck(load_model(path, binary), binary)


def test_catboost_regressor_shap_adds_up_to_the_value(tmp_path):
    dataset = dataset_of(seeded_table(target="value"))
    fitted = cb.CatBoostRegressor(iterations=30, depth=4, random_seed=0, verbose=0, thread_count=1,
                                  allow_writing_files=False, cat_features=["colour"]).fit(
        as_text(dataset.features), dataset.target)
    path = tmp_path / "reg.cbm"
    fitted.save_model(str(path))
    model = load_model(path, dataset)
    rows = dataset.features.iloc[ROWS]
    assert np.allclose(model.predict(rows), fitted.predict(as_text(rows)))
    values = shap_values(model, rows)
    assert np.allclose(values.output, fitted.predict(as_text(rows))) and values.space == "raw"
    assert_additive(values)


# --------------------------------------------------------------------------------------------
# ONNX


def sklearn_pipeline(dataset, regressor: bool = False, features: pd.DataFrame | None = None):
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    estimator = (GradientBoostingRegressor if regressor else GradientBoostingClassifier)(n_estimators=30,
                                                                                         random_state=0)
    features = dataset.features if features is None else features
    pipeline = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["colour"]),
                                (SimpleImputer(), [c for c in features.columns if c != "colour"])),
        estimator)
    target = dataset.target if regressor else dataset.target.astype(str)
    return pipeline.fit(as_text(features), target)


def to_onnx_bytes(pipeline, names=("income", "age", "colour"), zipmap: bool = False) -> bytes:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    types = [(name, StringTensorType([None, 1]) if name.startswith("colour") else FloatTensorType([None, 1]))
             for name in names]
    is_classifier = hasattr(pipeline, "predict_proba")
    options = None if zipmap or not is_classifier else {"zipmap": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return to_onnx(pipeline, initial_types=types, options=options).SerializeToString()


@pytest.mark.parametrize("zipmap", [False, True])
def test_onnx_classifier_predicts_as_scikit_learn_and_explains_additively(binary, zipmap):
    pipeline = sklearn_pipeline(binary)
    model = check_model_against_data(to_onnx_bytes(pipeline, zipmap=zipmap), binary, name="model.onnx")
    assert model.kind == "onnx" and not model.native_shap and model.classes == ("no", "yes")
    expected = pipeline.predict_proba(as_text(binary.features))
    assert np.allclose(model.predict_proba(binary.features), expected, atol=1e-5)
    rows = binary.features.iloc[ROWS[:2]]
    values = shap_values(model, rows)
    assert values.method == "permutation" and values.space == "probability"
    assert_additive(values)
    assert np.allclose(values.output, model.score(rows), atol=1e-6)


def test_onnx_regressor_predicts_as_scikit_learn_and_explains_additively(tmp_path):
    dataset = dataset_of(seeded_table(target="value"))
    pipeline = sklearn_pipeline(dataset, regressor=True)
    path = tmp_path / "reg.onnx"
    path.write_bytes(to_onnx_bytes(pipeline))
    model = load_model(path, dataset)
    assert np.allclose(model.predict(dataset.features), pipeline.predict(as_text(dataset.features)), atol=1e-3)
    values = shap_values(model, dataset.features.iloc[ROWS[:1]])
    assert values.space == "raw"
    assert_additive(values)


def test_onnx_counterfactuals_recheck_valid(binary):
    model = check_model_against_data(to_onnx_bytes(sklearn_pipeline(binary)), binary, name="model.onnx")
    assert_counterfactuals_recheck(model, binary)


def test_onnx_from_lightgbm_takes_one_tensor_of_codes(binary):
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    codes = binary.to_codes(binary.features)
    fitted = lgb.LGBMClassifier(n_estimators=20, num_leaves=8, min_child_samples=5, random_state=0,
                                verbose=-1).fit(codes, binary.target_codes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exported = convert_lightgbm(fitted, initial_types=[("input", FloatTensorType([None, 3]))], zipmap=False,
                                    target_opset=15)
    model = check_model_against_data(exported.SerializeToString(), binary, name="lgbm.onnx")
    assert model.details["inputs"] == "one tensor" and model.classes == binary.classes
    assert np.allclose(model.predict_proba(binary.features), fitted.predict_proba(codes), atol=1e-5)


def test_onnx_expecting_other_columns_gets_the_model_vs_data_error(binary):
    other = sklearn_pipeline(binary, features=binary.features.rename(columns={"income": "salary"}))
    with pytest.raises(InputError) as caught:
        check_model_against_data(to_onnx_bytes(other, names=("salary", "age", "colour")), binary, name="m.onnx")
    assert caught.value.key == "errors.models.features_mismatch"
    assert "salary" in str(caught.value) and "income" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_onnx_with_another_width_gets_the_model_vs_data_error(binary):
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    codes = np.column_stack([binary.to_codes(binary.features), np.zeros(len(binary.features))])
    fitted = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(codes, binary.target_codes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exported = convert_lightgbm(fitted, initial_types=[("input", FloatTensorType([None, 4]))], zipmap=False,
                                    target_opset=15)
    with pytest.raises(InputError) as caught:
        check_model_against_data(exported.SerializeToString(), binary, name="wide.onnx")
    assert caught.value.key == "errors.model_kinds.width_mismatch" and "4" in str(caught.value)


def test_onnx_classifier_for_a_regression_target_is_refused(binary):
    dataset = dataset_of(seeded_table(target="value"))
    with pytest.raises(InputError) as caught:
        check_model_against_data(to_onnx_bytes(sklearn_pipeline(binary)), dataset, name="m.onnx")
    assert caught.value.key == "errors.model_kinds.classifier_for_regression"


# --------------------------------------------------------------------------------------------
# Hostile files: one clear line, never a crash


def lightgbm_text(binary) -> str:
    return lightgbm_classifier(binary).booster_.model_to_string()


def hostile_files(binary) -> dict[str, tuple[str, bytes]]:
    text = lightgbm_text(binary)
    return {
        "lightgbm-truncated": ("m.txt", text[: len(text) // 2].encode()),
        "lightgbm-garbage": ("m.txt", bytes(range(256)) * 40),
        "lightgbm-huge-classes": ("m.txt", text.replace("num_class=1", "num_class=900000000", 1).encode()),
        "lightgbm-huge-features": ("m.txt", text.replace("max_feature_idx=2", "max_feature_idx=2000000000", 1)
                                   .encode()),
        "lightgbm-huge-leaves": ("m.txt", text.replace("num_leaves=8", "num_leaves=999999999", 1).encode()),
        "lightgbm-lying-tree-sizes": ("m.txt", _lie_about_tree_sizes(text).encode()),
        "lightgbm-json-deep": ("m.json", b'{"name":"tree","tree_info":' + b"[" * 5000 + b"]" * 5000 + b"}"),
        "onnx-garbage": ("m.onnx", b"\x08\x07\x12\x00garbage" * 100),
        "cbm-garbage": ("m.cbm", b"CBM1" + b"\x00\x00\x10\x00" + b"\xff" * 64),
    }


def _lie_about_tree_sizes(text: str) -> str:
    head, _, rest = text.partition("tree_sizes=")
    sizes, _, tail = rest.partition("\n")
    lied = " ".join(str(int(s) * 1000) for s in sizes.split())
    return f"{head}tree_sizes={lied}\n{tail}"


@pytest.fixture(scope="module")
def hostile(binary):
    return hostile_files(binary)


@pytest.mark.parametrize("case", ["lightgbm-truncated", "lightgbm-garbage", "lightgbm-huge-classes",
                                  "lightgbm-huge-features", "lightgbm-huge-leaves", "lightgbm-lying-tree-sizes",
                                  "lightgbm-json-deep", "onnx-garbage", "cbm-garbage"])
def test_hostile_files_give_one_clear_line(binary, hostile, case):
    name, data = hostile[case]
    with pytest.raises(InputError) as caught:
        check_model_against_data(data, binary, name=name)
    message = str(caught.value)
    assert "\n" not in message and name in message and len(message) < 600
    assert "Traceback" not in message


def test_truncated_catboost_and_onnx_files_give_one_line(tmp_path, binary):
    path = tmp_path / "model.cbm"
    catboost_classifier(binary).save_model(str(path))
    whole = path.read_bytes()
    onnx_bytes = to_onnx_bytes(sklearn_pipeline(binary))
    for name, data in (("m.cbm", whole[: len(whole) // 2]), ("m.onnx", onnx_bytes[: len(onnx_bytes) // 2])):
        with pytest.raises(InputError) as caught:
            check_model_against_data(data, binary, name=name)
        assert caught.value.key == "errors.models.check_failed" and "\n" not in str(caught.value)


def test_onnx_with_external_data_or_custom_operators_is_refused(binary):
    from onnx import TensorProto, helper

    weights = helper.make_tensor("w", TensorProto.FLOAT, [3, 1], [1.0, 2.0, 3.0])
    weights.data_location = TensorProto.EXTERNAL
    weights.ClearField("float_data")
    weights.external_data.add(key="location", value="/etc/passwd")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["input", "w"], ["variable"])], "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])], [weights])
    external = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    custom_graph = helper.make_graph(
        [helper.make_node("Evil", ["input"], ["variable"], domain="com.example")], "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])])
    custom = helper.make_model(custom_graph, opset_imports=[helper.make_opsetid("", 17),
                                                              helper.make_opsetid("com.example", 1)])
    dataset = dataset_of(seeded_table(target="value"))
    for data, words in ((external, "external data"), (custom.SerializeToString(), "standard")):
        with pytest.raises(InputError) as caught:
            check_model_against_data(data, dataset, name="m.onnx")
        assert words in str(caught.value) and "\n" not in str(caught.value)


# --------------------------------------------------------------------------------------------
# Through the browser page (AppTest): upload, then the Local page explains a row


def table_bytes() -> bytes:
    return seeded_table(n=120).to_csv(index=False).encode()


def model_files(tmp_path) -> dict[str, bytes]:
    frame = seeded_table(n=120)
    dataset = dataset_of(frame)
    lgb_path, cbm_path = tmp_path / "model.txt", tmp_path / "model.cbm"
    lightgbm_classifier(dataset).booster_.save_model(str(lgb_path))
    catboost_classifier(dataset).save_model(str(cbm_path))
    return {"model.txt": lgb_path.read_bytes(), "model.cbm": cbm_path.read_bytes(),
            "model.onnx": to_onnx_bytes(sklearn_pipeline(dataset))}


@pytest.fixture(scope="module")
def uploads(tmp_path_factory):
    return model_files(tmp_path_factory.mktemp("uploads"))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["model.txt", "model.cbm", "model.onnx"])
def test_each_kind_uploads_on_the_data_source_page_and_explains_a_row(uploads, name):
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("pages/data_source.py").run()
    at.file_uploader(key="data_table").set_value(("mine.csv", table_bytes(), "text/csv")).run()
    at.radio(key="data_model_source").set_value("upload").run()
    assert f".{name.split('.')[-1]}" in at.file_uploader(key="data_model").allowed_type
    at.file_uploader(key="data_model").set_value((name, uploads[name], "application/octet-stream")).run()
    at.button(key="data_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    dataset_name = at.session_state["view"]["dataset"]
    ws = at.session_state["uploads"][dataset_name]
    assert ws.model.kind == {"txt": "lightgbm", "cbm": "catboost", "onnx": "onnx"}[name.split(".")[-1]]
    at.switch_page("pages/local_explanation.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    row = at.session_state["view"]["row"]
    score = float(ws.model.score(ws.dataset.row(row))[0])
    shown = [m.value for m in at.metric]
    assert any(f"{100 * score:.1f}" in str(value) for value in shown), (shown, score)
    tables = [frame.value for frame in at.dataframe]
    effects = next(t for t in tables if "column" in t.columns)
    assert sorted(effects["column"]) == sorted(ws.dataset.feature_names)
    numbers = pd.to_numeric(effects["effect"].astype(str).str.replace(",", ""), errors="coerce")
    assert numbers.notna().all() and numbers.abs().sum() > 0



def test_lightgbm_with_boolean_categories_reads_the_tables_text(tmp_path):
    """A model trained on a category of booleans (False, True) reads the table's same values as text."""
    frame = seeded_table()
    frame["colour"] = frame["colour"] == "red"
    dataset = dataset_of(frame)
    assert "colour" in dataset.categorical
    features = dataset.features.copy()
    features["colour"] = pd.Categorical(features["colour"].astype(str) == "True")
    fitted = lgb.LGBMClassifier(n_estimators=20, num_leaves=8, min_child_samples=5, random_state=0,
                                verbose=-1).fit(features, dataset.target_codes())
    assert fitted.booster_.pandas_categorical == [[False, True]]
    path = tmp_path / "booleans.txt"
    fitted.booster_.save_model(str(path))
    model = load_model(path, dataset)
    assert np.array_equal(model.predict_proba(dataset.features)[:, 1], fitted.predict_proba(features)[:, 1])
    assert_additive(shap_values(model, dataset.features.iloc[ROWS]))


# --------------------------------------------------------------------------------------------
# The command line: --model takes every kind


@pytest.mark.parametrize("name", ["model.txt", "model.cbm", "model.onnx"])
def test_explain_on_the_command_line_with_each_kind(tmp_path, capsys, uploads, name):
    from explainers.cli import main

    table = tmp_path / "mine.csv"
    table.write_bytes(table_bytes())
    model_path = tmp_path / name
    model_path.write_bytes(uploads[name])
    code = main(["explain", "--data", str(table), "--target", "y", "--model", str(model_path), "--row", "3",
                 "--counterfactuals", "1", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    shap = result["shap"]
    assert set(shap["values"]) == {"income", "age", "colour"}
    assert shap["base_value"] + sum(shap["values"].values()) == pytest.approx(shap["output"], abs=1e-6)
    assert shap["method"] == ("permutation" if name.endswith(".onnx") else "tree")
    dataset = dataset_of(seeded_table(n=120))
    model = load_model(model_path, dataset)
    assert result["prediction"]["probabilities"]["yes"] == pytest.approx(
        float(model.predict_proba(dataset.row(3))[0, list(model.classes).index("yes")]), abs=1e-9)
