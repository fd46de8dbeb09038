"""Trust signals and fairness (explainers/trust/), the Responsible AI page and ``audit`` on the CLI."""

from __future__ import annotations

import json
import re
import tomllib
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from explainers import (
    Counterfactual,
    CounterfactualResult,
    CounterfactualSearch,
    DatasetSpec,
    InputError,
    Workspace,
    prepare_dataset,
    shap_values,
    train_default_model,
    trust,
)
from explainers.cli import main
from explainers.i18n import catalogue
from explainers.models import TabularModel

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = str(REPO_ROOT / "app.py")
PAGE = "pages/responsible_ai.py"
LOCALES = REPO_ROOT / "explainers" / "locales"




# --------------------------------------------------------------------------------------------
# Synthetic data


def _people(seed: int = 0, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x0": rng.normal(size=n),
        "x1": rng.normal(size=n),
        "x2": rng.normal(size=n),
        "group": rng.choice(["a", "b"], size=n),
    })


@pytest.fixture(scope="module")
def biased(cache_dir) -> TabularModel:
    """The label depends on ``group`` (a: favoured) and the model sees ``group``."""
    frame = _people()
    noise = np.random.default_rng(1).normal(scale=0.3, size=len(frame))
    frame["y"] = np.where(frame["x0"] + 1.5 * (frame["group"] == "a") - 0.75 + noise > 0, "pos", "neg")
    spec = DatasetSpec(name="biased", target="y", task="classification", positive_class="pos", sensitive=("group",))
    return train_default_model(prepare_dataset(frame, spec))


@pytest.fixture(scope="module")
def blind() -> pd.DataFrame:
    frame = _people(n=6000)  # 1,200 test rows: sampling noise in a selection-rate gap is about 0.03
    noise = np.random.default_rng(2).normal(scale=0.3, size=len(frame))
    frame["y"] = np.where(frame["x0"] + 0.5 * frame["x1"] + noise > 0, "pos", "neg")
    return frame


@pytest.fixture(scope="module")
def unbiased(cache_dir, blind) -> TabularModel:
    """The label does not depend on ``group`` and the model never sees it (the spec drops it)."""
    spec = DatasetSpec(name="unbiased", target="y", task="classification", positive_class="pos", drop=("group",))
    return train_default_model(prepare_dataset(blind, spec))


@pytest.fixture(scope="module")
def linear(cache_dir) -> Workspace:
    """y = 3 x0 + 2 x1 + x2 + small noise > 0; x3, x4 are noise."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({f"x{i}": rng.normal(size=2000) for i in range(5)})
    frame["y"] = np.where(3 * frame["x0"] + 2 * frame["x1"] + frame["x2"] + 0.3 * rng.logistic(size=2000) > 0,
                          "pos", "neg")
    dataset = prepare_dataset(frame, DatasetSpec(name="linear", target="y", task="classification",
                                                 positive_class="pos"))
    return Workspace(dataset, train_default_model(dataset))


@pytest.fixture(scope="module")
def noise(cache_dir) -> Workspace:
    """Labels are coin flips: the model learns noise, so LIME's weights are noise too."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({f"x{i}": rng.normal(size=500) for i in range(5)})
    frame["y"] = rng.choice(["pos", "neg"], size=500)
    dataset = prepare_dataset(frame, DatasetSpec(name="noise", target="y", task="classification",
                                                 positive_class="pos"))
    return Workspace(dataset, train_default_model(dataset))


# --------------------------------------------------------------------------------------------
# Fairness and the flip test


def test_flip_test_and_gaps_find_a_model_that_uses_the_sensitive_feature(biased):
    flips = trust.flip_test(biased, "group")
    assert flips.used_by_model
    assert flips.rows_tested == 2000 and flips.variants == 2000  # one other value per row
    assert flips.changed > 0.3 * flips.variants
    assert flips.mean_abs_change > 0.2
    # every listed flip is real: re-predicting the altered row gives another class
    dataset = biased.dataset
    for line in flips.flips.head(20).itertuples():
        row = dataset.row(int(line.row)).copy()
        assert row["group"].iat[0] == line.original != line.new
        before = biased.predict(row)[0]
        row["group"] = pd.Categorical([line.new], categories=dataset.info["group"].categories)
        assert biased.predict(row)[0] != before
        assert float(biased.score(row)[0]) == pytest.approx(line.score_after, abs=1e-6)
    # a → b takes favourable outcomes away, b → a gives them
    by_value = flips.by_value.set_index("new")
    assert by_value.loc["a", "mean_change"] > 0.2 > -0.2 > by_value.loc["b", "mean_change"]

    fairness = trust.group_fairness(biased, "group")
    assert fairness.gaps["demographic_parity_difference"] > 0.4
    assert fairness.gaps["demographic_parity_ratio"] < 0.5
    assert fairness.metrics.lowest_group == "b"
    assert int(fairness.groups["count"].sum()) == fairness.rows == 600
    summary = trust.fairness_summary(fairness)
    assert "b" in summary and "four-fifths" in summary


def test_no_flips_and_small_gaps_when_the_model_ignores_the_feature(unbiased, blind):
    assert "group" not in unbiased.dataset.feature_names
    flips = trust.flip_test(unbiased, "group", values=blind["group"])
    assert not flips.used_by_model
    assert flips.changed == 0 and flips.flips.empty and flips.mean_abs_change == 0.0
    fairness = trust.group_fairness(unbiased, "group", values=blind["group"])
    assert set(fairness.groups.index) == {"a", "b"}
    assert fairness.rows == 1200
    assert fairness.gaps["demographic_parity_difference"] < 0.1
    assert fairness.gaps["demographic_parity_ratio"] > 0.8
    assert fairness.gaps["equalized_odds_difference"] < 0.1
    assert "four-fifths" not in trust.fairness_summary(fairness)


def test_a_seen_but_irrelevant_feature_rarely_flips(blind, cache_dir, biased):
    spec = DatasetSpec(name="seen-irrelevant", target="y", task="classification", positive_class="pos")
    model = train_default_model(prepare_dataset(blind.iloc[:3000], spec))
    flips = trust.flip_test(model, "group")
    assert flips.used_by_model
    assert flips.share < 0.05
    assert flips.share < trust.flip_test(biased, "group").share / 5


def test_fairness_metrics_equal_fairlearn_and_hand_computed_values():
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
    )

    y_true = np.array(["yes", "yes", "no", "no", "yes", "no", "yes", "no", "yes", "yes"])
    y_pred = np.array(["yes", "no", "no", "yes", "yes", "yes", "yes", "yes", "no", "yes"])
    groups = np.array(["a"] * 5 + ["b"] * 5)
    result = trust.fairness_metrics(y_true, y_pred, groups, favourable="yes")
    table = result.groups
    # by hand: a predicts yes 3 of 5; hits 2 of its 3 yes; 1 of 2 no called yes; 2 of 3 yes-calls right
    assert table.loc["a"].to_dict() == pytest.approx(
        {"count": 5, "selection_rate": 0.6, "true_positive_rate": 2 / 3, "false_positive_rate": 0.5,
         "precision": 2 / 3})
    assert table.loc["b"].to_dict() == pytest.approx(
        {"count": 5, "selection_rate": 0.8, "true_positive_rate": 2 / 3, "false_positive_rate": 1.0,
         "precision": 0.5})
    assert result.gaps["demographic_parity_difference"] == pytest.approx(0.2)
    assert result.gaps["demographic_parity_ratio"] == pytest.approx(0.75)
    assert result.gaps["equalized_odds_difference"] == pytest.approx(0.5)
    truth, predicted = (y_true == "yes").astype(int), (y_pred == "yes").astype(int)
    assert result.gaps["demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(truth, predicted, sensitive_features=groups))
    assert result.gaps["demographic_parity_ratio"] == pytest.approx(
        demographic_parity_ratio(truth, predicted, sensitive_features=groups))
    assert result.gaps["equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(truth, predicted, sensitive_features=groups))
    assert result.lowest_group == "a" and result.highest_group == "b"

    regression = trust.fairness_metrics([1.0, 2.0, 3.0, 4.0], [1.5, 2.0, 5.0, 4.0], ["u", "u", "v", "v"],
                                        task="regression")
    assert regression.groups.loc["u", "mean_prediction"] == pytest.approx(1.75)
    assert regression.groups.loc["v", "mean_prediction"] == pytest.approx(4.5)
    assert regression.groups.loc["u", "mean_absolute_error"] == pytest.approx(0.25)
    assert regression.groups.loc["v", "mean_absolute_error"] == pytest.approx(1.0)
    assert regression.gaps["mean_prediction_difference"] == pytest.approx(2.75)
    assert regression.gaps["mean_absolute_error_difference"] == pytest.approx(0.75)
    with pytest.raises(InputError):
        trust.fairness_metrics([1, 0], [1], ["a", "b"])


def test_numeric_sensitive_feature_is_binned_with_readable_labels(credit):
    fairness = trust.group_fairness(credit.model, "Age")
    labels = list(fairness.groups.index)
    assert len(labels) == 4 and all(re.fullmatch(r"\d+–\d+", label) for label in labels)
    assert labels[0].startswith(str(int(credit.dataset.features["Age"].min())))
    assert labels[-1].endswith(str(int(credit.dataset.features["Age"].max())))
    assert int(fairness.groups["count"].sum()) == fairness.rows
    three = trust.group_fairness(credit.model, "Age", bins=3)
    assert len(three.groups) == 3
    edges = trust.group_fairness(credit.model, "Age", edges=[30, 50])
    assert list(edges.groups.index) == ["≤ 30", "31–50", "≥ 51"]
    assert trust.make_bins(pd.Series([0.5, 1.25, 2.0, 3.5]), bins=2).labels == ("0.5–1.62", "1.62–3.5")
    for bad in ({"bins": 1}, {"bins": 50}, {"edges": [50, 30]}, {"edges": [30]}):
        with pytest.raises(InputError):
            trust.group_fairness(credit.model, "Age", **bad)
    with pytest.raises(InputError, match="unknown sensitive feature"):
        trust.group_fairness(credit.model, "Nope")
    # numeric flip test: each row moves to the medians of the other bins
    flips = trust.flip_test(credit.model, "Age", max_rows=300)
    assert flips.variants == 300 * 3
    assert len(flips.by_value) == 4


# --------------------------------------------------------------------------------------------
# SHAP-LIME agreement and LIME stability


def test_agreement_on_a_hand_checked_example():
    shap = {"a": 3.0, "b": -2.0, "c": 1.0, "d": 0.5, "e": 0.1}
    lime = {"a": 0.2, "b": -0.3, "c": 0.0, "d": 0.25, "e": 0.01}
    result = trust.agreement(shap, lime)
    assert result.shap_top == ("a", "b", "c")
    assert result.lime_top == ("b", "d", "a")
    assert result.overlap == pytest.approx(2 / 3)
    # ranks: SHAP (5, 1, 4, 3, 2), LIME (4, 1, 2, 5, 3); sum d² = 10; rho = 1 - 6 * 10 / (5 * 24)
    assert result.rho == pytest.approx(0.5)
    assert result.sign_agreement == pytest.approx(2 / 3)  # c: + against 0
    assert result.top_sign_agrees
    assert result.verdict == "partly"  # overlap high enough, rho below 0.6

    same = trust.agreement(shap, {k: v / 10 for k, v in shap.items()})
    assert (same.overlap, same.rho, same.sign_agreement, same.verdict) == (1.0, pytest.approx(1.0), 1.0, "agree")
    flipped = trust.agreement(shap, {"a": -0.3, "b": 0.2, "c": 0.1, "d": 0.0, "e": 0.0})
    assert flipped.overlap == 1.0 and not flipped.top_sign_agrees and flipped.verdict != "agree"
    apart = trust.agreement(shap, {"a": 0.0, "b": 0.0, "c": 0.1, "d": 0.3, "e": 0.2})
    assert apart.overlap == pytest.approx(1 / 3) and apart.verdict == "disagree"
    assert trust.agreement(shap, lime, k=1).shap_top == ("a",)
    assert trust.agreement(shap, lime, k=10).k == 5
    assert trust.verdict_of(2 / 3, 0.6, True) == "agree"
    assert trust.verdict_of(1.0, 0.19, True) == "disagree"
    assert trust.verdict_of(1.0, float("nan"), True) == "disagree"
    with pytest.raises(InputError):
        trust.agreement(shap, {"a": 1.0})
    with pytest.raises(InputError):
        trust.agreement(shap, lime, k=0)


def test_agreement_is_high_on_a_linear_problem(linear):
    sample = trust.agreement_over_sample(linear.model, linear.lime, rows=30, seed=0)
    assert len(sample.rows) == 30 and len(set(sample.rows)) == 30
    assert sample.counts["agree"] >= 0.7 * 30
    assert sample.counts["disagree"] <= 3
    assert sample.median_rho >= 0.7
    assert sample.mean_overlap >= 0.8
    # the sample's first row equals the per-row computation
    row = sample.rows[0]
    frame = linear.dataset.row(row)
    linear.lime.explain(linear.dataset.row(1), seed=5)  # whatever ran before does not matter
    single = trust.agreement(shap_values(linear.model, frame).row(0),
                             trust.seeded_lime(linear.lime, frame, 0, trust.SAMPLE_LIME_SAMPLES).weights)
    assert single == sample.results[0]
    assert sample.table()["verdict"].tolist() == [r.verdict for r in sample.results]


def test_stability_from_hand_made_weights():
    runs = [
        {"a": 1.0, "b": 0.5, "c": 0.2, "d": 0.0},
        {"a": 1.2, "b": 0.4, "c": 0.1, "d": 0.3},
        {"a": 0.8, "b": 0.6, "c": 0.3, "d": 0.0},
    ]
    result = trust.stability_from_weights(runs, seeds=(0, 1, 2), k=2)
    assert result.top_sets == (("a", "b"), ("a", "b"), ("a", "b"))
    assert not result.unstable and result.score == 1.0
    assert result.mean["a"] == pytest.approx(1.0)
    assert result.std["a"] == pytest.approx(0.2)  # sample standard deviation of 1.0, 1.2, 0.8
    moved = trust.stability_from_weights(runs, k=3)
    # top-3 sets {a,b,c}, {a,b,d}, {a,b,c}: Jaccard 2/4, 1, 2/4 → mean 2/3
    assert moved.score == pytest.approx(2 / 3)
    assert moved.top_set_changes and not moved.top_feature_changes and moved.unstable
    assert moved.top_counts == {"a": 3, "b": 3, "c": 2, "d": 1}
    with pytest.raises(InputError):
        trust.stability_from_weights(runs[:1])


def test_lime_stability_flags_a_noisy_row_and_passes_a_clear_one(linear, noise):
    noisy = trust.lime_stability(noise.lime, noise.dataset.row(0), seeds=5, num_samples=50)
    assert noisy.unstable
    assert noisy.score < 0.8
    assert len(noisy.top_sets) == 5 and noisy.seeds == (0, 1, 2, 3, 4)
    clear = trust.lime_stability(linear.lime, linear.dataset.row(0), seeds=5)
    assert not clear.unstable and clear.score == 1.0
    assert clear.table()["feature"].iloc[0] == clear.top_sets[0][0]
    assert max(clear.std.values()) < max(noisy.std.values())
    with pytest.raises(InputError):
        trust.lime_stability(linear.lime, linear.dataset.row(0), seeds=1)


# --------------------------------------------------------------------------------------------
# SHAP check


def test_shap_check_passes_for_xgboost_and_catches_a_wrong_base_value(credit):
    frame = credit.dataset.row(7)
    check = trust.shap_check(credit.model, frame)
    assert check.passed and check.space == "log-odds"
    assert check.model_output == pytest.approx(float(credit.model.predict_margin(frame)[0]))
    assert check.gap < 1e-4
    shap = shap_values(credit.model, frame)
    wrong = trust.shap_check(credit.model, frame, type(shap)(shap.values, shap.base_value + 0.01, shap.output,
                                                             shap.space, shap.class_name, shap.method))
    assert not wrong.passed and wrong.gap == pytest.approx(0.01, abs=1e-5)


def test_shap_check_for_scikit_learn_models_asks_the_model_for_the_explained_output(linear):
    """Permutation SHAP explains P(positive class) or the value: the check compares with exactly that.
    (The SHAP values are built by hand here: shap's permutation explainer takes seconds to warm up.)"""
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from explainers import ShapValues

    dataset = linear.dataset
    row = dataset.row(3)
    estimator = LogisticRegression().fit(dataset.features, dataset.target)
    model = TabularModel(estimator, "sklearn", dataset, tuple(str(c) for c in estimator.classes_), "sk", "test")
    probability = float(model.predict_proba(row)[0, model.positive_index])
    base = float(model.score(dataset.features).mean())
    share = np.array([0.5, 0.3, 0.2, 0.0, 0.0])

    def explained(total: float, space: str, class_name: str | None) -> ShapValues:
        values = pd.DataFrame([share * total], columns=dataset.feature_names, index=row.index)
        return ShapValues(values, base, np.array([base + total]), space, class_name, "permutation")

    good = trust.shap_check(model, row, explained(probability - base, "probability", "pos"))
    assert good.passed and good.model_output == pytest.approx(probability) and good.gap < 1e-12
    off = trust.shap_check(model, row, explained(probability - base + 0.001, "probability", "pos"))
    assert not off.passed and off.gap == pytest.approx(0.001)
    other_class = trust.shap_check(model, row, explained(probability - base, "probability", "neg"))
    assert other_class.model_output == pytest.approx(1 - probability)

    numbers = dataset.features.assign(y=dataset.features["x0"] * 2.0)
    regression_data = prepare_dataset(numbers, DatasetSpec(name="lin-reg", target="y", task="regression"))
    regressor = LinearRegression().fit(regression_data.features, regression_data.target)
    regression = TabularModel(regressor, "sklearn", regression_data, (), "sk-reg", "test")
    value = float(regression.predict_value(regression_data.row(3))[0])
    base = float(regression.predict_value(regression_data.features).mean())
    check = trust.shap_check(regression, regression_data.row(3), explained(value - base, "raw", None))
    assert check.passed and check.model_output == pytest.approx(value)


# --------------------------------------------------------------------------------------------
# Counterfactual quality


@pytest.fixture(scope="module")
def tiny(cache_dir) -> CounterfactualSearch:
    """x in 1..4 → neg, x in 7..9 → pos; colour is noise."""
    xs = [1, 2, 3, 4, 7, 8, 9] * 6
    colours = (["red", "green", "blue"] * 14)[: len(xs)]
    frame = pd.DataFrame({"x": xs, "colour": colours, "y": ["pos" if x > 5 else "neg" for x in xs]})
    dataset = prepare_dataset(frame, DatasetSpec(name="tiny", target="y", task="classification",
                                                 positive_class="pos"))
    return CounterfactualSearch(train_default_model(dataset))


def _cf(row: dict) -> Counterfactual:
    return Counterfactual(row=row, changes={}, prediction={}, distance=0.0)


def test_counterfactual_quality_on_a_hand_made_case(tiny):
    dataset = tiny.dataset
    original = pd.DataFrame({"x": [2.0], "colour": ["red"]})
    rows = [{"x": 8, "colour": "red"}, {"x": 9, "colour": "blue"}, {"x": 12, "colour": "red"},
            {"x": 3, "colour": "green"}, {"x": 8, "colour": "purple"}]
    result = CounterfactualResult("hand", "pos", tuple(_cf(r) for r in rows), proposed=len(rows))
    quality = trust.counterfactual_quality(tiny, original, result)

    xs = dataset.features["x"].to_numpy()
    mad = float(np.median(np.abs(xs - np.median(xs))))
    assert tiny.scale["x"] == pytest.approx(mad)
    items = quality.items
    assert [i.valid for i in items[:4]] == [True, True, True, False]
    assert [i.sparsity for i in items] == [1, 2, 1, 2, 2]
    assert items[0].proximity == pytest.approx(6 / mad)
    assert items[1].proximity == pytest.approx(7 / mad + 1)
    assert [i.in_range for i in items] == [True, True, False, True, False]
    assert items[2].out_of_range == ("x",) and items[4].out_of_range == ("colour",)
    # plausibility: brute force over the real rows whose actual outcome is "pos"
    real = dataset.features.assign(y=dataset.target.to_numpy())
    positives = real[real["y"] == "pos"]
    for item, row in zip(items[:4], rows[:4], strict=True):
        distances = [abs(row["x"] - r.x) / mad + (row["colour"] != r.colour) for r in positives.itertuples()]
        assert item.plausibility == pytest.approx(min(distances))
        assert real.loc[item.nearest_row, "y"] == "pos"
        assert abs(row["x"] - real.loc[item.nearest_row, "x"]) / mad + (
            row["colour"] != real.loc[item.nearest_row, "colour"]) == pytest.approx(min(distances))
    assert items[0].plausibility == 0.0  # x=8, red is a real favourable row
    pairs = [abs(a["x"] - b["x"]) / mad + (a["colour"] != b["colour"]) for a, b in combinations(rows, 2)]
    assert quality.diversity == pytest.approx(np.mean(pairs))
    summary = quality.summary()
    assert summary["count"] == 5 and summary["in_range"] == pytest.approx(3 / 5)
    assert summary["sparsity"] == pytest.approx(8 / 5)
    empty = trust.counterfactual_quality(tiny, original, CounterfactualResult("hand", "pos", (), 0))
    assert empty.items == () and np.isnan(empty.diversity)


def test_counterfactual_quality_of_a_real_search(credit):
    frame = credit.dataset.row(2)
    found = credit.counterfactuals.generate(frame, total=4, seed=0)
    quality = trust.counterfactual_quality(credit.counterfactuals, frame, found)
    assert len(quality.items) == found.valid >= 1
    assert quality.validity == 1.0  # the search re-checks every one
    for item, counterfactual in zip(quality.items, found.counterfactuals, strict=True):
        assert item.sparsity == len(counterfactual.changes)
        assert item.proximity == pytest.approx(counterfactual.distance)
        assert item.in_range and item.plausibility >= 0


# --------------------------------------------------------------------------------------------
# Command line


def test_cli_audit_prints_group_metrics_as_json(capsys, hmda):
    code = main(["audit", "--data", "hmda", "--sensitive", "afam,single", "--sample", "300", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    assert set(result["sensitive"]) == {"afam", "single"}
    afam = result["sensitive"]["afam"]
    expected = trust.group_fairness(hmda.model, "afam")
    shown = {g["group"]: g["selection_rate"] for g in afam["groups"]}
    assert shown == pytest.approx(expected.groups["selection_rate"].to_dict())
    assert afam["gaps"]["demographic_parity_difference"] == pytest.approx(
        expected.gaps["demographic_parity_difference"])
    assert afam["flip_test"]["rows_tested"] == 300
    assert afam["flip_test"]["changed"] == trust.flip_test(hmda.model, "afam", max_rows=300).changed
    assert afam["summary"].startswith("In afam")


def test_cli_audit_text_in_portuguese(capsys):
    code = main(["audit", "--data", "credit", "--sensitive", "Age", "--bins", "3", "--sample", "200",
                 "--lang", "pt-BR", "--format", "text"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Variável sensível: Age" in out and "taxa de seleção" in out and "Teste de troca" in out


def test_cli_audit_rejects_an_unknown_sensitive_column(capsys):
    code = main(["audit", "--data", "credit", "--sensitive", "Age,Planet", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "Planet" in lines[0]


def test_explain_json_contains_checks(capsys):
    code = main(["explain", "--data", "credit", "--row", "5", "--counterfactuals", "2", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    checks = result["checks"]
    assert set(checks) == {"shap_check", "agreement", "lime_stability", "counterfactual_quality"}
    assert checks["shap_check"]["passed"] is True
    assert checks["agreement"]["verdict"] in trust.VERDICTS
    assert checks["lime_stability"]["seeds"] == [0, 1, 2]
    quality = checks["counterfactual_quality"]
    assert quality["summary"]["validity"] == 1.0
    assert len(quality["counterfactuals"]) == quality["summary"]["count"]
    expected = trust.agreement(result["shap"]["values"], result["lime"]["weights"])
    assert checks["agreement"] == json.loads(json.dumps(expected.to_dict()))
    assert checks["lime_stability"]["top_sets"][0] == list(expected.lime_top)


# --------------------------------------------------------------------------------------------
# Messages


def test_both_languages_have_the_same_trust_messages_and_every_used_key_exists():
    english = tomllib.loads((LOCALES / "en.toml").read_text(encoding="utf-8"))["trust"]
    portuguese = tomllib.loads((LOCALES / "pt-BR.toml").read_text(encoding="utf-8"))["trust"]
    assert set(english) == set(portuguese)
    for key in english:
        assert sorted(re.findall(r"{(\w+)}", english[key])) == sorted(re.findall(r"{(\w+)}", portuguese[key])), key
    used = set()
    sources = (REPO_ROOT / PAGE, *sorted((REPO_ROOT / "explainers" / "trust").glob("*.py")),
               REPO_ROOT / "explainers" / "cli" / "audit.py")
    for path in sources:
        used |= {k for k in re.findall(r"\"trust\.(\w+)\"", path.read_text(encoding="utf-8")) if not k.endswith("_")}
    # keys built from names: trust.verdict_<verdict>, trust.col_<metric>, trust.gap_<gap>
    used |= {f"verdict_{v}" for v in trust.VERDICTS}
    used |= {f"col_{c}" for c in ("row", "verdict", "overlap", "rho", "sign_agreement", "shap_top", "lime_top")}
    used |= {f"col_{c}" for c in ("count", "selection_rate", "true_positive_rate", "false_positive_rate", "precision",
                                  "mean_prediction", "mean_absolute_error")}
    used |= {f"gap_{g}" for g in ("demographic_parity_difference", "demographic_parity_ratio",
                                  "equalized_odds_difference", "equalized_odds_ratio", "mean_prediction_difference",
                                  "mean_prediction_ratio", "mean_absolute_error_difference")}
    assert len(used) > 50 and used <= set(english), sorted(used - set(english))


# --------------------------------------------------------------------------------------------
# The page


def open_page(dataset: str, row: int = 0) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["dataset"] = dataset
    at.query_params["row"] = str(row)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _table(at: AppTest, column: str) -> pd.DataFrame:
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with column {column!r}")


@pytest.mark.parametrize("name", ["credit", "hmda"])
def test_page_renders_and_its_selection_rates_equal_the_engines(name, workspace_for):
    ws = workspace_for(name)
    at = open_page(name, row=3)
    assert at.title[0].value == "Responsible AI"
    assert at.button_group(key="rai_section").value == "row"  # the page opens on this row's checks
    check = trust.shap_check(ws.model, ws.dataset.row(3))
    assert [m.value for m in at.metric if m.label == "SHAP adds up"] == ["Yes" if check.passed else "No"]
    assert all(caption.value for caption in at.caption)
    at.button_group(key="rai_section").set_value("groups").run()
    assert not at.exception, [e.value for e in at.exception]
    feature = ws.dataset.spec.sensitive[0]
    assert at.selectbox(key="rai_feature").value == feature
    shown = _table(at, "selection rate")
    expected = trust.group_fairness(ws.model, feature).groups["selection_rate"]
    assert list(shown.index) == list(expected.index)
    np.testing.assert_allclose(shown["selection rate"].to_numpy(dtype=float), expected.to_numpy(), atol=1e-4)
    flips = trust.flip_test(ws.model, feature)
    assert [m.value for m in at.metric if m.label == "Changed outcomes"] == [f"{flips.changed:,} / {flips.variants:,}"]
    assert all(caption.value for caption in at.caption)
    if name == "hmda":
        at.selectbox(key="rai_feature").set_value("single").run()
        assert not at.exception
        shown = _table(at, "selection rate")
        expected = trust.group_fairness(ws.model, "single").groups["selection_rate"]
        np.testing.assert_allclose(shown["selection rate"].to_numpy(dtype=float), expected.to_numpy(), atol=1e-4)
    else:
        at.slider(key="rai_bins").set_value(3).run()
        assert not at.exception
        assert len(_table(at, "selection rate")) == 3


def test_portuguese_tables_write_numbers_the_portuguese_way(workspace_for):
    """The tables beside the charts follow the session's number format, as the charts do: 0,532, not 0.532."""
    ws = workspace_for("credit")
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["dataset"], at.query_params["lang"] = "credit", "pt-BR"
    at.run()
    at.switch_page(PAGE).run()
    at.button_group(key="rai_section").set_value("groups").run()
    assert not at.exception, [e.value for e in at.exception]
    feature = ws.dataset.spec.sensitive[0]
    expected = trust.group_fairness(ws.model, feature).groups["selection_rate"]
    column = catalogue("pt-BR")["trust.col_selection_rate"]
    shown = next(frame.value for frame in at.dataframe if column in frame.value.columns)[column]
    assert list(shown) == [f"{v:.4f}".replace(".", ",") if v == v else "—" for v in expected]
