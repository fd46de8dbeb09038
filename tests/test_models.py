"""Loading user models: XGBoost JSON, scikit-learn via skops, and refusing pickles."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import xgboost as xgb
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explainers import (
    InputError,
    Workspace,
    frame_of,
    load_model,
    shap_values,
    train_default_model,
)
from explainers.models import TabularModel


def _sklearn_frame(dataset):
    """The features as the adapter hands them to scikit-learn: categories as object strings."""
    frame = dataset.features.copy()
    for name in dataset.categorical:
        frame[name] = frame[name].astype(object)
    return frame


def hmda_pipeline_model(
    dataset, directory: Path, classifier=None, trusted: tuple[str, ...] = ()
) -> TabularModel:
    """A one-hot + classifier Pipeline on hmda (no missing categories), saved with skops, loaded."""
    pipeline = Pipeline(
        [
            (
                "encode",
                ColumnTransformer(
                    [("onehot", OneHotEncoder(handle_unknown="ignore"), dataset.categorical)],
                    remainder="passthrough",
                ),
            ),
            ("classify", LogisticRegression(max_iter=2000) if classifier is None else classifier),
        ]
    )
    pipeline.fit(_sklearn_frame(dataset), dataset.target)
    path = directory / "pipeline.skops"
    sio.dump(pipeline, path)
    return load_model(path, dataset, trusted=trusted)


# skops does not trust the Tree type that every scikit-learn tree ensemble holds
TREE = "sklearn.tree._tree.Tree"


class CustomScaler(StandardScaler):
    """A type skops does not trust by default."""


# --------------------------------------------------------------------------------------------
# 2. SHAP in original columns for a one-hot scikit-learn pipeline


@pytest.mark.parametrize(
    "classifier",
    [
        LogisticRegression(max_iter=2000),
        GradientBoostingClassifier(n_estimators=30, max_depth=2, random_state=0),
    ],
    ids=["logistic", "gbm"],
)
def test_skops_pipeline_shap_in_original_columns(tmp_path, hmda, classifier):
    dataset = hmda.dataset
    assert not dataset.features[dataset.categorical].isna().any().any()
    model = hmda_pipeline_model(dataset, tmp_path, classifier, trusted=(TREE,))
    assert model.kind == "sklearn"
    assert model.classes == ("no", "yes")
    rows = dataset.features.iloc[[0, 7, 11]]
    background = dataset.features.iloc[:40]

    result = shap_values(model, rows, background=background, seed=0)
    assert result.method == "permutation"
    assert result.space == "probability"
    assert result.class_name == "no"  # the spec's positive class
    assert list(result.values.columns) == dataset.feature_names  # no one-hot names
    probability = model.predict_proba(rows)[:, model.classes.index("no")]
    total = result.base_value + result.values.to_numpy().sum(axis=1)
    np.testing.assert_allclose(total, probability, rtol=0, atol=1e-6)
    np.testing.assert_allclose(result.output, probability, rtol=0, atol=1e-6)
    # the base value is the mean prediction over the background rows
    expected_base = model.predict_proba(background)[:, 0].mean()
    assert result.base_value == pytest.approx(expected_base, abs=1e-9)

    other = shap_values(model, rows, class_name="yes", background=background, seed=0)
    np.testing.assert_allclose(other.output, model.predict_proba(rows)[:, 1], atol=1e-6)
    np.testing.assert_allclose(other.values.to_numpy(), -result.values.to_numpy(), atol=1e-9)


def test_permutation_shap_same_seed_same_values(tmp_path, hmda):
    model = hmda_pipeline_model(hmda.dataset, tmp_path)
    rows = hmda.dataset.features.iloc[:2]
    background = hmda.dataset.features.iloc[:30]
    a = shap_values(model, rows, background=background, seed=4)
    b = shap_values(model, rows, background=background, seed=4)
    pd.testing.assert_frame_equal(a.values, b.values)


def test_skops_tree_ensemble_loads_without_extra_trust(tmp_path, hmda):
    classifier = GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0)
    model = hmda_pipeline_model(hmda.dataset, tmp_path, classifier)
    assert model.kind == "sklearn"


def test_skops_pipeline_predictions_match_the_estimator(tmp_path, hmda):
    dataset = hmda.dataset
    model = hmda_pipeline_model(dataset, tmp_path)
    rows = dataset.features.iloc[:50]
    expected = model.estimator.predict_proba(_sklearn_frame(dataset).iloc[:50])
    np.testing.assert_allclose(model.predict_proba(rows), expected, atol=1e-12)
    assert list(model.predict(rows)) == list(model.estimator.predict(_sklearn_frame(dataset).iloc[:50]))
    with pytest.raises(InputError, match="XGBoost"):
        model.predict_margin(rows)


def test_skops_pipeline_lime_and_counterfactuals(tmp_path, hmda):
    dataset = hmda.dataset
    model = hmda_pipeline_model(dataset, tmp_path)
    workspace = Workspace(dataset, model)
    explanation = workspace.lime.explain(dataset.row(0), seed=0, num_samples=1000)
    assert set(explanation.weights) == set(dataset.feature_names)
    result = workspace.counterfactuals.generate(dataset.row(0), total=3, seed=0)
    assert result.valid >= 1
    for cf in result.counterfactuals:
        assert model.predict(frame_of(cf.row, dataset))[0] == result.desired
        assert not set(cf.changes) & set(dataset.spec.immutable)


# --------------------------------------------------------------------------------------------
# 7. Loading models


def _credit_classifier(features, target, **params) -> xgb.XGBClassifier:
    model = xgb.XGBClassifier(
        enable_categorical=True, n_estimators=25, max_depth=3, tree_method="hist",
        random_state=0, n_jobs=2, **params,
    )
    model.fit(features, target)
    return model


def test_xgboost_json_loads_and_predicts_like_the_original(tmp_path, credit):
    dataset = credit.dataset
    original = _credit_classifier(dataset.features, dataset.target_codes())
    path = tmp_path / "model.json"
    original.save_model(path)
    model = load_model(path, dataset)
    assert model.kind == "xgboost"
    assert model.classes == ("bad", "good")
    assert model.source == "model.json"
    assert len(model.model_hash) == 64
    np.testing.assert_allclose(
        model.predict_proba(dataset.features), original.predict_proba(dataset.features), atol=1e-6
    )
    labels = np.asarray(dataset.classes, dtype=object)[original.predict(dataset.features)]
    assert (model.predict(dataset.features) == labels).all()
    # and its SHAP is exact too
    rows = dataset.features.iloc[:10]
    result = shap_values(model, rows)
    np.testing.assert_allclose(result.output, model.predict_margin(rows), atol=1e-4)


def test_xgboost_ubj_loads(tmp_path, hmda):
    dataset = hmda.dataset
    original = _credit_classifier(dataset.features, dataset.target_codes())
    path = tmp_path / "model.ubj"
    original.save_model(path)
    model = load_model(path, dataset)
    np.testing.assert_allclose(
        model.predict_proba(dataset.features)[:, 1],
        original.predict_proba(dataset.features)[:, 1],
        atol=1e-6,
    )


def test_booster_with_other_features_lists_the_missing_columns(tmp_path, credit):
    dataset = credit.dataset
    features = dataset.features.assign(Bonus=np.arange(len(dataset.features), dtype=float))
    features = features.rename(columns={"Price": "ItemPrice"})
    original = _credit_classifier(features, dataset.target_codes())
    path = tmp_path / "other.json"
    original.save_model(path)
    with pytest.raises(InputError) as exc:
        load_model(path, dataset)
    message = str(exc.value)
    assert "\n" not in message
    assert "missing from the table: ItemPrice, Bonus" in message
    assert "not used by the model: Price" in message


def test_booster_with_columns_in_another_order(tmp_path, credit):
    dataset = credit.dataset
    reordered = dataset.features[list(reversed(dataset.feature_names))]
    original = _credit_classifier(reordered, dataset.target_codes())
    path = tmp_path / "reordered.json"
    original.save_model(path)
    with pytest.raises(InputError, match="another order"):
        load_model(path, dataset)


def test_regressor_for_a_classification_target(tmp_path, credit):
    dataset = credit.dataset
    regressor = xgb.XGBRegressor(enable_categorical=True, n_estimators=5, tree_method="hist")
    regressor.fit(dataset.features, dataset.target_codes())
    path = tmp_path / "regressor.json"
    regressor.save_model(path)
    with pytest.raises(InputError, match="regressor"):
        load_model(path, dataset)


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],
        lambda raw: b"",
        lambda raw: b'{"learner": 1}',
        lambda raw: raw.replace(b'"learner"', b'"lerner"'),
    ],
    ids=["truncated", "empty", "wrong-shape", "renamed-key"],
)
def test_corrupt_xgboost_json_is_an_input_error(tmp_path, credit, damage):
    dataset = credit.dataset
    good = tmp_path / "good.json"
    _credit_classifier(dataset.features, dataset.target_codes()).save_model(good)
    bad = tmp_path / "bad.json"
    bad.write_bytes(damage(good.read_bytes()))
    with pytest.raises(InputError) as exc:
        load_model(bad, dataset)
    assert type(exc.value) is InputError
    assert "bad.json" in str(exc.value) and "\n" not in str(exc.value)


def test_corrupt_skops_is_an_input_error(tmp_path, hmda):
    model = hmda_pipeline_model(hmda.dataset, tmp_path)
    assert model.kind == "sklearn"
    bad = tmp_path / "bad.skops"
    bad.write_bytes((tmp_path / "pipeline.skops").read_bytes()[:300])
    with pytest.raises(InputError, match="not a readable skops file"):
        load_model(bad, hmda.dataset)


class _Marker:
    """Unpickling this creates a file: proof that a pickle was executed."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".joblib"])
def test_pickle_is_refused_and_never_executed(tmp_path, credit, suffix):
    marker = tmp_path / "executed"
    path = tmp_path / f"model{suffix}"
    path.write_bytes(pickle.dumps(_Marker(marker)))
    with pytest.raises(InputError) as exc:
        load_model(path, credit.dataset)
    assert "pickle" in str(exc.value)
    assert "\n" not in str(exc.value)
    assert not marker.exists()


def test_skops_with_untrusted_type_is_refused(tmp_path, hmda):
    dataset = hmda.dataset
    pipeline = Pipeline([("scale", CustomScaler()), ("classify", LogisticRegression())])
    pipeline.fit(dataset.features[dataset.numeric], dataset.target)
    path = tmp_path / "custom.skops"
    sio.dump(pipeline, path)
    with pytest.raises(InputError) as exc:
        load_model(path, dataset)
    message = str(exc.value)
    assert "not trusted" in message and "CustomScaler" in message
    assert "\n" not in message


def test_skops_with_other_features_is_refused(tmp_path, credit):
    pipeline = LogisticRegression(max_iter=500)
    numeric = credit.dataset.numeric
    frame = credit.dataset.features[numeric].fillna(0)
    pipeline.fit(frame, credit.dataset.target)
    path = tmp_path / "lr.skops"
    sio.dump(pipeline, path)
    with pytest.raises(InputError, match="features do not match"):
        load_model(path, credit.dataset)


def test_missing_and_unsupported_model_files(tmp_path, credit):
    with pytest.raises(InputError, match="does not exist"):
        load_model(tmp_path / "nope.json", credit.dataset)
    path = tmp_path / "model.h5"
    path.write_bytes(b"x")
    with pytest.raises(InputError, match="unsupported model file"):
        load_model(path, credit.dataset)


def test_default_model_is_cached_outside_the_repo(cache_dir, credit):
    files = list((cache_dir / "models").glob("*.ubj"))
    assert files, "the default model should be cached under XAI_CACHE_DIR"
    again = train_default_model(credit.dataset)
    assert again.model_hash == credit.model.model_hash
    fresh = train_default_model(credit.dataset, use_cache=False)
    assert fresh.model_hash == credit.model.model_hash
    np.testing.assert_array_equal(
        fresh.predict_proba(credit.dataset.features.iloc[:50]),
        credit.model.predict_proba(credit.dataset.features.iloc[:50]),
    )


def test_cached_default_model_is_read_from_its_file_on_first_use(cache_dir, credit):
    from explainers.models import SavedBooster

    again = train_default_model(credit.dataset)
    assert isinstance(again._estimator, SavedBooster)
    assert again.details["trees"] == credit.model.details["trees"]
    assert again.details["train_rows"] == credit.model.details["train_rows"]
    rows = credit.dataset.features.iloc[:40]
    np.testing.assert_array_equal(again.predict_proba(rows), credit.model.predict_proba(rows))
    assert isinstance(again.estimator, xgb.Booster)
    assert bytes(again.estimator.save_raw(raw_format="ubj")) == bytes(credit.model.estimator.save_raw(raw_format="ubj"))


def test_a_tampered_cache_file_is_retrained_not_trusted(tmp_path, monkeypatch, credit):
    monkeypatch.setenv("XAI_CACHE_DIR", str(tmp_path))
    first = train_default_model(credit.dataset)
    [model_file] = (tmp_path / "models").glob("*.ubj")
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_file.write_bytes(bytes(data))
    again = train_default_model(credit.dataset)
    assert again.model_hash == first.model_hash  # retrained: the same trees as the first time
    assert model_file.read_bytes() == bytes(first.estimator.save_raw(raw_format="ubj"))
    (tmp_path / "models" / model_file.with_suffix(".json").name).write_text("not json", encoding="utf-8")
    assert train_default_model(credit.dataset).model_hash == first.model_hash


def test_saved_evaluation_equals_a_fresh_one(tmp_path, monkeypatch, credit, loans):
    from explainers.metrics import evaluate, saved_evaluation

    monkeypatch.setenv("XAI_CACHE_DIR", str(tmp_path))
    for ws in (credit, loans):
        model = train_default_model(ws.dataset)
        fresh = evaluate(model)
        first, second = saved_evaluation(model), saved_evaluation(train_default_model(ws.dataset))
        assert list((tmp_path / "evaluations").glob("*.json"))
        for saved in (first, second):
            assert saved.task == fresh.task and saved.labels == fresh.labels and saved.metrics == fresh.metrics
            for name in ("rows", "y_true", "score", "predicted"):
                np.testing.assert_array_equal(getattr(saved, name), getattr(fresh, name))
            assert saved.curves.keys() == fresh.curves.keys()
            for name, frame in fresh.curves.items():
                pd.testing.assert_frame_equal(saved.curves[name], frame)


def test_opening_a_cached_dataset_imports_neither_xgboost_nor_scikit_learn(cache_dir, credit):
    """The first page draws from the disk cache; XGBoost and scikit-learn (a second to import) load later."""
    import subprocess
    import sys

    from explainers.metrics import saved_evaluation

    saved_evaluation(train_default_model(credit.dataset))
    code = (
        "import sys\n"
        "from explainers import load_builtin, train_default_model\n"
        "from explainers.metrics import saved_evaluation, confusion_at\n"
        "import explainers.charts\n"
        "model = train_default_model(load_builtin('credit'))\n"
        "result = saved_evaluation(model)\n"
        "confusion_at(result, model.classes[model.positive_index])\n"
        "print(sorted(m for m in ('xgboost', 'sklearn', 'scipy', 'shap') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.parametrize("wanted", ["auto", "cuda", "cpu"])
def test_large_tables_use_the_gpu_only_when_one_computes(monkeypatch, loans, wanted):
    """On a machine without a GPU every setting falls back to the CPU with the same SHAP values; on a GPU
    machine ("auto"/"cuda") the values agree with the CPU's to float32 precision."""
    from explainers.models import GPU_SHAP_ROWS, usable_device

    model = train_default_model(loans.dataset)
    frame = loans.dataset.features.sample(n=GPU_SHAP_ROWS, replace=True, random_state=0)
    monkeypatch.setenv("XAI_DEVICE", "cpu")
    on_cpu = shap_values(model, frame)
    monkeypatch.setenv("XAI_DEVICE", wanted)
    device = usable_device(model.estimator, frame.iloc[:2], wanted)
    assert device in ("cpu", "cuda") and (wanted != "cpu" or device == "cpu")
    chosen = model.shap_booster_for(len(frame))
    assert (chosen is model.booster_for(len(frame))) == (device == "cpu")
    assert model.shap_booster_for(GPU_SHAP_ROWS - 1) is model.booster_for(GPU_SHAP_ROWS - 1)
    result = shap_values(model, frame)
    np.testing.assert_allclose(result.values.to_numpy(), on_cpu.values.to_numpy(), atol=0 if device == "cpu" else 1e-4)
    np.testing.assert_allclose(result.base_value + result.values.sum(axis=1), model.predict_margin(frame), atol=1e-4)
