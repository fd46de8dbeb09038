"""The explanation engine on real data: SHAP, LIME, schema inference and input errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import BUILTINS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import expit, softmax

from explainers import (
    DatasetSpec,
    InputError,
    Workspace,
    builtin_names,
    infer_spec,
    load_builtin,
    load_dataset,
    prepare_dataset,
    read_table,
    shap_values,
    top_features,
    train_default_model,
)
from explainers.data import DATASETS_DIR


def _rows_with_missing(dataset, n: int = 20) -> pd.DataFrame:
    """About ``n`` rows: the first ones, plus up to half of them with a missing value (if any)."""
    features = dataset.features
    missing = features[features.isna().any(axis=1)].head(n // 2)
    plain = features.drop(index=missing.index).head(n - len(missing))
    return pd.concat([plain, missing])


# --------------------------------------------------------------------------------------------
# Built-in datasets as the README describes them


@pytest.mark.parametrize(
    ("name", "n_rows", "n_features", "counts"),
    [
        ("credit", 4454, 13, {"good": 3200, "bad": 1254}),
        ("hmda", 2380, 13, {"no": 2095, "yes": 285}),
        ("loans", 10000, 38, None),
        ("breast_cancer", 569, 30, {"benign": 357, "malignant": 212}),
    ],
)
def test_builtin_datasets_match_readme(name, n_rows, n_features, counts):
    dataset = load_builtin(name)
    assert len(dataset.features) == len(dataset.target) == n_rows
    assert len(dataset.feature_names) == n_features
    assert dataset.spec.target not in dataset.feature_names
    assert "rownames" not in dataset.feature_names
    for dropped in dataset.spec.drop:
        assert dropped not in dataset.feature_names
    if counts is None:
        assert dataset.task == "regression"
        assert dataset.target.min() == pytest.approx(5.31)
        assert dataset.target.max() == pytest.approx(30.94)
    else:
        assert dataset.target.value_counts().to_dict() == counts
        assert dataset.classes == tuple(sorted(counts))
    assert set(BUILTINS) <= set(builtin_names())
    assert builtin_names() == sorted(builtin_names())


def test_credit_missing_values_are_kept_as_missing():
    dataset = load_builtin("credit")
    # datasets/README.md: Income 381, Assets 47, Debt 18, Home 6, Job 2, Marital 1 missing.
    expected = {"Income": 381, "Assets": 47, "Debt": 18, "Home": 6, "Job": 2, "Marital": 1}
    missing = dataset.features.isna().sum()
    assert {k: int(v) for k, v in missing.items() if v} == expected
    assert isinstance(dataset.features["Home"].dtype, pd.CategoricalDtype)
    assert dataset.features["Income"].dtype == np.float64


def test_data_hash_is_stable_and_content_sensitive():
    a, b = load_builtin("hmda"), load_builtin("hmda")
    assert a.data_hash == b.data_hash and len(a.data_hash) == 64
    raw = read_table(DATASETS_DIR / str(a.spec.source))
    changed = raw.copy()
    changed.loc[0, "pirat"] = changed.loc[0, "pirat"] + 0.001
    assert prepare_dataset(changed, a.spec).data_hash != a.data_hash
    assert prepare_dataset(raw, a.spec).data_hash == a.data_hash


# --------------------------------------------------------------------------------------------
# 1. SHAP additivity and agreement with the model's own output


@pytest.mark.parametrize("name", BUILTINS)
def test_tree_shap_is_additive_and_equals_model_output(name, workspace_for):
    workspace = workspace_for(name)
    dataset, model = workspace.dataset, workspace.model
    rows = _rows_with_missing(dataset, 20)
    assert len(rows) == 20
    result = shap_values(model, rows)

    assert result.method == "tree"
    # keyed by original columns only, in the table's order, one row per input row
    assert list(result.values.columns) == dataset.feature_names
    assert list(result.values.index) == list(rows.index)
    assert np.isfinite(result.values.to_numpy()).all()

    total = result.base_value + result.values.to_numpy().sum(axis=1)
    np.testing.assert_allclose(total, result.output, rtol=0, atol=1e-4)

    margin = model.predict_margin(rows)
    if model.is_classifier:
        assert result.space == "log-odds"
        assert result.class_name == dataset.spec.positive_class
        assert model.classes[model.positive_index] == dataset.spec.positive_class
        # XGBoost's margin is the log-odds of classes[1]; those of classes[0] are its negative.
        sign = 1.0 if model.positive_index == 1 else -1.0
        np.testing.assert_allclose(result.output, sign * margin, rtol=0, atol=1e-4)
        probability = model.predict_proba(rows)[:, model.positive_index]
        np.testing.assert_allclose(expit(result.output), probability, rtol=0, atol=1e-5)
    else:
        assert result.space == "raw"
        assert result.class_name is None
        np.testing.assert_allclose(result.output, margin, rtol=0, atol=1e-4)
        np.testing.assert_allclose(result.output, model.predict_value(rows), rtol=0, atol=1e-4)


@pytest.mark.parametrize("name", ["credit", "hmda", "breast_cancer"])
def test_binary_shap_of_the_other_class_is_the_negative(name, workspace_for):
    workspace = workspace_for(name)
    model = workspace.model
    rows = workspace.dataset.features.iloc[:10]
    positive = shap_values(model, rows)
    other_class = model.classes[1 - model.positive_index]
    other = shap_values(model, rows, class_name=other_class)
    assert other.class_name == other_class
    np.testing.assert_allclose(other.values.to_numpy(), -positive.values.to_numpy(), atol=1e-9)
    assert other.base_value == pytest.approx(-positive.base_value)
    probability = model.predict_proba(rows)[:, model.classes.index(other_class)]
    np.testing.assert_allclose(expit(other.output), probability, atol=1e-5)


def test_shap_to_dict_is_one_row(credit):
    result = shap_values(credit.model, credit.dataset.features.iloc[[3, 4]])
    out = result.to_dict(1)
    assert set(out) == {"base_value", "values", "output", "space", "method", "class"}
    assert list(out["values"]) == credit.dataset.feature_names
    assert out["output"] == pytest.approx(out["base_value"] + sum(out["values"].values()), abs=1e-6)
    assert out["output"] == pytest.approx(float(result.output[1]))


def test_multiclass_shap_is_additive_per_class(iris):
    dataset, model = iris.dataset, iris.model
    assert dataset.classes == ("setosa", "versicolor", "virginica")
    rows = dataset.features.iloc[::8].head(20)
    margin = model.predict_margin(rows)
    assert margin.shape == (len(rows), 3)
    outputs = []
    for i, name in enumerate(model.classes):
        result = shap_values(model, rows, class_name=name)
        assert result.class_name == name
        assert list(result.values.columns) == dataset.feature_names
        total = result.base_value + result.values.to_numpy().sum(axis=1)
        np.testing.assert_allclose(total, result.output, atol=1e-4)
        np.testing.assert_allclose(result.output, margin[:, i], atol=1e-4)
        outputs.append(result.output)
    probabilities = softmax(np.column_stack(outputs), axis=1)
    np.testing.assert_allclose(probabilities, model.predict_proba(rows), atol=1e-5)
    # without a class, a multiclass model explains the last class (no positive class in the spec)
    assert shap_values(model, rows).class_name == "virginica"


def test_shap_unknown_class_is_an_input_error(iris):
    with pytest.raises(InputError, match="unknown"):
        shap_values(iris.model, iris.dataset.features.iloc[:2], class_name="rose")


def test_multiclass_lime_explains_the_requested_class(iris):
    row = iris.dataset.row(120)
    explanation = iris.lime.explain(row, seed=0, num_samples=1000, class_name="setosa")
    assert explanation.class_name == "setosa"
    assert set(explanation.weights) == set(iris.dataset.feature_names)
    # petal measurements separate setosa; sepal width does not
    assert top_features(explanation.weights, 1)[0] in ("petal length (cm)", "petal width (cm)")


# --------------------------------------------------------------------------------------------
# 3. One feature drives the target: SHAP and LIME both find it


def test_synthetic_classifier_is_accurate(synthetic_classification):
    dataset, model = synthetic_classification.dataset, synthetic_classification.model
    predicted = model.predict(dataset.features)
    assert (predicted == dataset.target.to_numpy()).mean() > 0.97


@pytest.mark.parametrize("fixture", ["synthetic_classification", "synthetic_regression"])
def test_shap_ranks_the_driving_feature_first(fixture, request):
    workspace = request.getfixturevalue(fixture)
    dataset, model = workspace.dataset, workspace.model
    result = shap_values(model, dataset.features.iloc[:300])
    importance = result.values.abs().mean()
    assert importance.idxmax() == "x0"
    assert importance["x0"] > 5 * importance.drop("x0").max()
    # and row by row, for rows far from the decision boundary
    strong = dataset.features.index[dataset.features["x0"].abs() > 1.0][:10]
    for position in strong:
        row_values = shap_values(model, dataset.features.loc[[position]]).row(0)
        assert top_features(row_values, 1) == ["x0"], row_values


@pytest.mark.parametrize("fixture", ["synthetic_classification", "synthetic_regression"])
def test_lime_ranks_the_driving_feature_first(fixture, request):
    workspace = request.getfixturevalue(fixture)
    dataset = workspace.dataset
    strong = dataset.features.index[dataset.features["x0"].abs() > 1.0][:3]
    for position in strong:
        explanation = workspace.lime.explain(dataset.row(int(position)), seed=0, num_samples=2000)
        assert set(explanation.weights) == set(dataset.feature_names)
        weights = pd.Series(explanation.weights)
        assert weights.abs().idxmax() == "x0", explanation.weights
        assert abs(weights["x0"]) > 3 * weights.drop("x0").abs().max()
        # x0's sign follows the row: above 0 raises the score, below 0 lowers it
        x0 = float(dataset.features.at[position, "x0"])
        assert np.sign(weights["x0"]) == np.sign(x0)


def test_lime_explanation_fields(credit):
    explanation = credit.lime.explain(credit.dataset.row(0), seed=3, num_samples=500)
    assert explanation.class_name == "good"
    assert explanation.seed == 3 and explanation.num_samples == 500
    assert set(explanation.weights) == set(credit.dataset.feature_names)
    assert set(explanation.conditions) <= set(credit.dataset.feature_names)
    assert 0.0 <= explanation.score <= 1.0
    out = explanation.to_dict()
    assert {"weights", "score", "intercept", "local_prediction", "class"} <= set(out)


def test_lime_rejects_bad_calls(credit):
    with pytest.raises(InputError):
        credit.lime.explain(credit.dataset.features.iloc[:2])
    with pytest.raises(InputError):
        credit.lime.explain(credit.dataset.row(0), num_samples=5)
    with pytest.raises(InputError):
        credit.lime.explain(credit.dataset.row(0), class_name="excellent")


# --------------------------------------------------------------------------------------------
# 5. Reproducibility of LIME


def test_lime_same_seed_same_weights_on_a_fresh_setup(hmda):
    row = hmda.dataset.row(3)
    first = Workspace(hmda.dataset, hmda.model).lime.explain(row, seed=7, num_samples=1000)
    second = Workspace(hmda.dataset, hmda.model).lime.explain(row, seed=7, num_samples=1000)
    assert first.weights == second.weights
    assert first.score == second.score
    other_seed = Workspace(hmda.dataset, hmda.model).lime.explain(row, seed=8, num_samples=1000)
    assert other_seed.weights != first.weights


def test_lime_same_seed_same_weights_after_other_calls(hmda):
    setup = Workspace(hmda.dataset, hmda.model).lime
    row = hmda.dataset.row(3)
    first = setup.explain(row, seed=7, num_samples=1000)
    setup.explain(hmda.dataset.row(10), seed=1, num_samples=1000)
    again = setup.explain(row, seed=7, num_samples=1000)
    assert again.weights == first.weights


# --------------------------------------------------------------------------------------------
# 6. Schema inference


def _id_frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "id": np.arange(1000, 1000 + n),
            "x": x,
            "colour": rng.choice(["red", "green", "blue"], size=n),
            "y": np.where(x + rng.normal(scale=0.3, size=n) > 0, "yes", "no"),
        }
    )


def test_infer_spec_drops_id_column_with_notice(tmp_path):
    frame = _id_frame()
    spec, notices = infer_spec(frame, "y")
    assert spec.drop == ("id",)
    assert notices == ["Dropped ID-like columns: id."]
    assert spec.task == "classification"
    assert spec.positive_class == "yes"

    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    dataset = load_dataset(path, target="y")
    assert dataset.feature_names == ["x", "colour"]
    assert "Dropped ID-like columns: id." in dataset.notices
    assert dataset.spec.name == "table"


def test_infer_spec_drops_monotonic_unique_integers_by_content():
    frame = _id_frame().rename(columns={"id": "ref"})
    spec, notices = infer_spec(frame, "y")
    assert spec.drop == ("ref",)
    assert "ref" in notices[0]


def test_infer_spec_keeps_ordinary_numeric_columns():
    frame = _id_frame()
    frame["count"] = np.random.default_rng(3).permutation(len(frame))  # unique but not an ID
    spec, _ = infer_spec(frame, "y")
    assert "count" not in spec.drop and "x" not in spec.drop


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["cat", "dog"] * 30, "classification"),
        ([True, False, False] * 20, "classification"),
        ([0, 1, 2, 1] * 15, "classification"),
        (list(np.linspace(0.0, 100.0, 60)), "regression"),
        (list(range(60)), "regression"),  # more than 10 whole values
        ([0.5, 1.5] * 30, "regression"),  # non-whole floats
    ],
)
def test_infer_task(values, task):
    frame = pd.DataFrame({"x": np.arange(len(values)) % 7, "target": values})
    spec, _ = infer_spec(frame, "target")
    assert spec.task == task
    dataset = prepare_dataset(frame, spec)
    assert dataset.task == task
    if task == "classification":
        assert len(dataset.classes) >= 2
        assert spec.positive_class in dataset.classes or len(dataset.classes) > 2
    else:
        assert dataset.target.dtype == np.float64


def test_infer_positive_class_prefers_favourable_words():
    frame = pd.DataFrame({"x": range(40), "t": ["denied", "approved"] * 20})
    assert infer_spec(frame, "t")[0].positive_class == "approved"
    frame = pd.DataFrame({"x": range(40), "t": ["a", "b"] * 20})
    assert infer_spec(frame, "t")[0].positive_class == "b"
    frame = pd.DataFrame({"x": range(40), "t": ["a", "b", "c", "d"] * 10})
    assert infer_spec(frame, "t")[0].positive_class is None


def test_missing_feature_values_are_kept_and_model_predicts(tmp_path):
    rng = np.random.default_rng(5)
    n = 300
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "x": x,
            "z": rng.normal(size=n),
            "colour": rng.choice(["red", "green"], size=n).astype(object),
            "y": np.where(x > 0, "yes", "no"),
        }
    )
    frame.loc[[0, 5, 9], "x"] = np.nan
    frame.loc[[1, 5], "colour"] = None
    path = tmp_path / "gaps.csv"
    frame.to_csv(path, index=False)
    dataset = load_dataset(path, target="y")
    assert dataset.features["x"].isna().sum() == 3
    assert bool(np.isnan(dataset.features.at[0, "x"]))
    assert dataset.features["colour"].isna().sum() == 2
    assert pd.isna(dataset.features.at[1, "colour"])
    assert set(dataset.info["colour"].categories) == {"green", "red"}

    model = train_default_model(dataset, use_cache=False)
    rows = dataset.features.iloc[[0, 1, 5, 9]]
    probabilities = model.predict_proba(rows)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    result = shap_values(model, rows)
    np.testing.assert_allclose(
        expit(result.output), probabilities[:, model.positive_index], atol=1e-5
    )
    # the explanation shows the missing value as missing (null), not as an imputed number
    explanation = Workspace(dataset, model).explain(0, counterfactuals=0)
    assert explanation.features["x"] is None
    assert explanation.prediction["probabilities"] == pytest.approx(
        dict(zip(model.classes, probabilities[0], strict=True))
    )


# --------------------------------------------------------------------------------------------
# 8. Data errors: InputError with one line, never another exception type


def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert message and "\n" not in message
    assert type(exc.value) is InputError
    return message


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_empty_csv_is_an_input_error(tmp_path):
    path = _write(tmp_path, "empty.csv", "")
    with pytest.raises(InputError) as exc:
        load_dataset(path, target="y")
    _one_line(exc)


def test_header_only_csv(tmp_path):
    path = _write(tmp_path, "header.csv", "a,b,y\n")
    with pytest.raises(InputError) as exc:
        load_dataset(path, target="y")
    assert "empty" in _one_line(exc)


def test_single_column_csv_keeps_its_header(tmp_path):
    path = _write(tmp_path, "one.csv", "y\n1\n0\n1\n")
    assert list(read_table(path).columns) == ["y"]


def test_duplicate_column_names_in_a_frame():
    frame = pd.DataFrame([[1, 2, "a"], [3, 4, "b"]], columns=["x", "x", "y"])
    with pytest.raises(InputError) as exc:
        prepare_dataset(frame, DatasetSpec(name="t", target="y", task="classification"))
    assert "duplicate column names: x" in _one_line(exc)


def test_duplicate_column_names_in_a_csv(tmp_path):
    path = _write(tmp_path, "dupes.csv", "x,x,y\n1,2,a\n3,4,b\n5,6,a\n")
    with pytest.raises(InputError) as exc:
        load_dataset(path, target="y")
    assert "duplicate" in _one_line(exc)


def test_infer_spec_with_duplicate_column_names():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(30, 3)), columns=["x", "x", "y"])
    with pytest.raises(InputError) as exc:
        infer_spec(frame, "y")
    _one_line(exc)


def test_target_missing_from_the_table(tmp_path):
    path = _write(tmp_path, "t.csv", "a,b\n1,2\n3,4\n")
    with pytest.raises(InputError) as exc:
        load_dataset(path, target="y")
    message = _one_line(exc)
    assert "'y'" in message and "a, b" in message
    with pytest.raises(InputError):
        prepare_dataset(pd.read_csv(path), DatasetSpec(name="t", target="y", task="regression"))


def test_target_with_a_single_class(tmp_path):
    path = _write(tmp_path, "t.csv", "a,y\n1,no\n2,no\n3,no\n")
    with pytest.raises(InputError) as exc:
        load_dataset(path, target="y")
    assert "single class" in _one_line(exc)


def test_target_without_values():
    frame = pd.DataFrame({"a": [1.0, 2.0], "y": [None, None]})
    with pytest.raises(InputError) as exc:
        prepare_dataset(frame, DatasetSpec(name="t", target="y", task="classification"))
    _one_line(exc)


def test_too_many_classes():
    frame = pd.DataFrame({"a": range(50), "y": [f"c{i}" for i in range(25)] * 2})
    with pytest.raises(InputError) as exc:
        prepare_dataset(frame, DatasetSpec(name="t", target="y", task="classification"))
    assert "25 classes" in _one_line(exc)


@pytest.mark.parametrize("value", ["inf", "-inf"])
def test_infinite_feature_values(tmp_path, value):
    path = _write(tmp_path, "t.csv", f"a,b,y\n1,2,no\n{value},3,yes\n4,5,no\n")
    with pytest.raises(InputError) as exc:
        load_dataset(path, target="y")
    assert "'a'" in _one_line(exc) and "infinite" in str(exc.value)


def test_infinite_regression_target():
    frame = pd.DataFrame({"a": np.arange(40.0), "y": np.r_[np.linspace(0, 1, 39), np.inf]})
    with pytest.raises(InputError) as exc:
        prepare_dataset(frame, DatasetSpec(name="t", target="y", task="regression"))
    _one_line(exc)


def test_non_numeric_regression_target():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": ["1.5", "abc", "2"]})
    with pytest.raises(InputError) as exc:
        prepare_dataset(frame, DatasetSpec(name="t", target="y", task="regression"))
    _one_line(exc)


def test_no_feature_columns():
    frame = pd.DataFrame({"y": ["a", "b"], "id": [1, 2]})
    with pytest.raises(InputError) as exc:
        prepare_dataset(frame, DatasetSpec(name="t", target="y", task="classification", drop=("id",)))
    _one_line(exc)


def test_unknown_immutable_or_positive_class():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": ["p", "q", "p"]})
    spec = DatasetSpec(name="t", target="y", task="classification", immutable=("zz",))
    with pytest.raises(InputError, match="zz"):
        prepare_dataset(frame, spec)
    spec = DatasetSpec(name="t", target="y", task="classification", positive_class="r")
    with pytest.raises(InputError, match="'r'"):
        prepare_dataset(frame, spec)


def test_text_column_with_no_values():
    frame = pd.DataFrame(
        {"note": pd.Series([None, None, None, None], dtype=object), "a": [1.0, 2, 3, 4],
         "y": ["p", "q", "p", "q"]}
    )
    try:
        dataset = prepare_dataset(frame, infer_spec(frame, "y")[0])
    except InputError:
        return
    assert dataset.features["note"].isna().all()


def test_inferred_positive_class_is_a_class_for_date_targets():
    frame = pd.DataFrame(
        {"a": [1.0, 2, 3, 4], "y": pd.to_datetime(["2020-01-01", "2021-01-01"] * 2)}
    )
    spec, _ = infer_spec(frame, "y")
    dataset = prepare_dataset(frame, spec)
    assert spec.positive_class in dataset.classes


def test_unknown_builtin_name():
    with pytest.raises(InputError) as exc:
        load_builtin("nope")
    message = _one_line(exc)
    for name in BUILTINS:
        assert name in message


@pytest.mark.parametrize("index", [-1, 4454, 10**9, 1.0, "0"])
def test_row_out_of_range(index):
    dataset = load_builtin("credit")
    with pytest.raises(InputError) as exc:
        dataset.row(index)
    assert "0 to 4453" in _one_line(exc)


def test_missing_file_and_unsupported_type(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    path = _write(tmp_path, "t.xlsx", "a")
    with pytest.raises(InputError, match="unsupported file type"):
        read_table(path)
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(InputError) as exc:
        read_table(path)
    _one_line(exc)


def test_spec_file_errors(tmp_path):
    data = _write(tmp_path, "t.csv", "a,y\n1,p\n2,q\n")
    bad = _write(tmp_path, "bad.toml", "target = \n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_dataset(data, spec_path=bad)
    no_target = _write(tmp_path, "nt.toml", 'name = "t"\n')
    with pytest.raises(InputError, match="no 'target'"):
        load_dataset(data, spec_path=no_target)
    with pytest.raises(InputError, match="no target column"):
        load_dataset(data)


# Hypothesis: random small tables either load or raise InputError.

_NAMES = st.text(
    alphabet=st.sampled_from(list("abcxyz_ 1é-")), min_size=1, max_size=6
)
_CELL = st.one_of(
    st.none(),
    st.just(np.nan),
    st.just(float("inf")),
    st.just(""),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from(["a", "b", "yes", "no", " ", "1", "1.5"]),
    st.booleans(),
)


def _column(n: int):
    return st.one_of(
        st.lists(_CELL, min_size=n, max_size=n),  # mixed types
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n),
        st.lists(st.integers(-3, 3), min_size=n, max_size=n),
        st.lists(st.sampled_from(["u", "v", "", None]), min_size=n, max_size=n),
        st.lists(st.one_of(st.booleans(), st.none()), min_size=n, max_size=n),
    )


@st.composite
def _tables(draw):
    n_rows = draw(st.integers(0, 25))
    names = draw(st.lists(_NAMES, min_size=2, max_size=5, unique=True))
    data = {name: draw(_column(n_rows)) for name in names}
    frame = pd.DataFrame(data) if n_rows else pd.DataFrame({name: [] for name in names})
    target = draw(st.sampled_from(names))
    return frame, target


@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(_tables())
def test_random_tables_load_or_raise_input_error(table):
    frame, target = table
    try:
        spec, notices = infer_spec(frame, target)
        dataset = prepare_dataset(frame, spec, tuple(notices))
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert len(dataset.features) == int(frame[target].notna().sum())
    assert dataset.spec.target not in dataset.feature_names
    assert len(dataset.schema) == dataset.features.shape[1]
    numeric = dataset.features[dataset.numeric].to_numpy(dtype="float64")
    assert not np.isinf(numeric).any()
    if dataset.task == "classification":
        assert len(dataset.classes) >= 2
        assert set(dataset.target) <= set(dataset.classes)
    # the numeric code matrix the explainers use round-trips the table, missing values included
    back = dataset.from_codes(dataset.to_codes(dataset.features))
    for info in dataset.schema:
        before, after = dataset.features[info.name], back[info.name]
        assert (before.isna().to_numpy() == after.isna().to_numpy()).all()
        if info.kind == "numeric":
            np.testing.assert_array_equal(before.to_numpy(), after.to_numpy())
        else:
            assert list(before.astype(object)) == list(after.astype(object))
