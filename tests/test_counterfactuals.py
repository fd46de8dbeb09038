"""Counterfactuals: every one returned really flips the prediction and keeps the constraints."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from explainers import InputError, frame_of
from explainers.counterfactuals import METHODS
from explainers.util import plain

# every search but kdtree (which only offers real rows) must find something for these rows
SEARCHES = [m for m in METHODS if m != "kdtree"]


def _same(a, b) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    if isinstance(a, int | float | np.number) and isinstance(b, int | float | np.number):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return str(a) == str(b)


def check_counterfactuals(workspace, position, result, vary=None, ranges=None):
    """Re-predict and re-check every counterfactual of ``result`` independently of the engine."""
    dataset, model = workspace.dataset, workspace.model
    original = dataset.row(position).iloc[0]
    vary = set(dataset.feature_names) - set(dataset.spec.immutable) if vary is None else set(vary)
    ranges = ranges or {}
    assert result.valid == len(result.counterfactuals)
    assert result.proposed == result.valid + sum(result.rejected.values())
    seen = set()
    for cf in result.counterfactuals:
        assert list(cf.row) == dataset.feature_names
        row = frame_of(cf.row, dataset)
        # it really flips
        if model.is_classifier:
            assert model.predict(row)[0] == result.desired
            assert cf.prediction["label"] == result.desired
            probabilities = model.predict_proba(row)[0]
            assert cf.prediction["probabilities"] == pytest.approx(
                dict(zip(model.classes, probabilities, strict=True)), abs=1e-9
            )
        else:
            low, high = result.desired
            value = float(model.predict_value(row)[0])
            assert low <= value <= high
            assert cf.prediction["value"] == pytest.approx(value, abs=1e-9)
        # `changes` lists exactly the columns that differ, with the right values
        differ = {n for n in dataset.feature_names if not _same(original[n], cf.row[n])}
        assert differ, "a counterfactual must change something"
        assert set(cf.changes) == differ
        for name, change in cf.changes.items():
            assert _same(change["from"], plain(original[name]))
            assert _same(change["to"], cf.row[name])
        # immutable features and features outside features_to_vary are unchanged
        assert not differ & set(dataset.spec.immutable)
        assert differ <= vary
        # changed values stay inside the permitted range (or the observed range / categories)
        for name in differ:
            info = dataset.info[name]
            value = cf.row[name]
            if name in ranges:
                if info.kind == "numeric":
                    assert ranges[name][0] <= value <= ranges[name][1], (name, value)
                else:
                    assert str(value) in ranges[name]
            elif info.kind == "numeric" and value is not None:
                assert info.minimum - 1e-9 <= value <= info.maximum + 1e-9
            elif info.kind == "categorical" and value is not None:
                assert value in info.categories
        assert cf.distance > 0
        key = tuple(sorted((k, str(v["to"])) for k, v in cf.changes.items()))
        assert key not in seen, "duplicates are dropped"
        seen.add(key)
    # sorted: fewest changes first, then nearest
    order = [(len(cf.changes), cf.distance) for cf in result.counterfactuals]
    assert order == sorted(order)


# --------------------------------------------------------------------------------------------
# 4. Each method, on real data


@pytest.mark.parametrize("method", SEARCHES)
@pytest.mark.parametrize("position", [0, 3, 143, 157])  # 143 and 157 have a missing Income
def test_credit_counterfactuals_flip(credit, method, position):
    row = credit.dataset.row(position)
    predicted = credit.model.predict(row)[0]
    result = credit.counterfactuals.generate(row, total=4, method=method, seed=0)
    assert result.method == method
    assert result.desired == ("bad" if predicted == "good" else "good")
    assert result.valid >= 1, result.message
    assert result.message is None
    check_counterfactuals(credit, position, result)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("position", [0, 5, 20])
def test_hmda_counterfactuals_flip(hmda, method, position):
    row = hmda.dataset.row(position)
    result = hmda.counterfactuals.generate(row, total=3, method=method, seed=0)
    if method != "kdtree":
        assert result.valid >= 1, result.message
    check_counterfactuals(hmda, position, result)
    if result.valid == 0:
        assert result.message


def test_hmda_kdtree_finds_counterfactuals(hmda):
    result = hmda.counterfactuals.generate(hmda.dataset.row(5), total=3, method="kdtree", seed=0)
    assert result.valid >= 1, result.message
    check_counterfactuals(hmda, 5, result)


def test_kdtree_without_result_says_so(credit):
    result = credit.counterfactuals.generate(credit.dataset.row(143), method="kdtree", seed=0)
    assert result.counterfactuals == ()
    assert result.valid == 0
    assert isinstance(result.message, str) and result.message
    assert "\n" not in result.message and "Traceback" not in result.message
    assert result.message.endswith(".")
    assert result.to_dict()["counterfactuals"] == []


def test_kdtree_without_result_is_a_plain_sentence(credit):
    result = credit.counterfactuals.generate(credit.dataset.row(143), method="kdtree", seed=0)
    assert result.valid == 0
    assert not re.search(r"[A-Z][a-z]+(Exception|Error)\b", result.message)
    assert all(count > 0 for count in result.rejected.values())


@pytest.mark.skipif("sparse" not in METHODS, reason="no sparse search in this engine")
@pytest.mark.parametrize("position", [0, 8, 239])
def test_sparse_proposals_all_pass_the_recheck(credit, position):
    """The sparse search checks its own proposals with the model, so none fails to flip."""
    result = credit.counterfactuals.generate(credit.dataset.row(position), method="sparse", seed=0)
    assert result.valid >= 1
    assert result.rejected.get("not_flipped", 0) == 0
    check_counterfactuals(credit, position, result)


@pytest.mark.skipif("sparse" not in METHODS, reason="no sparse search in this engine")
@pytest.mark.parametrize("position", [29, 911])  # Job is missing in these credit rows
def test_sparse_proposals_that_fill_a_missing_category_pass_the_recheck(credit, position):
    assert pd.isna(credit.dataset.features.at[position, "Job"])
    result = credit.counterfactuals.generate(credit.dataset.row(position), method="sparse", seed=0)
    check_counterfactuals(credit, position, result)
    assert result.rejected.get("not_flipped", 0) == 0


def test_permitted_range_and_features_to_vary(credit):
    vary = ["Amount", "Income", "Expenses", "Seniority", "Job"]
    ranges = {"Amount": [500, 1500], "Job": ["fixed", "freelance"]}
    for position in (0, 3, 7):
        result = credit.counterfactuals.generate(
            credit.dataset.row(position), total=4, method="random", seed=1,
            features_to_vary=vary, permitted_range=ranges,
        )
        check_counterfactuals(credit, position, result, vary=vary, ranges=ranges)
        for cf in result.counterfactuals:
            if "Amount" in cf.changes:
                assert 500 <= cf.row["Amount"] <= 1500
    # at least one query finds something inside these ranges
    found = credit.counterfactuals.generate(
        credit.dataset.row(0), total=4, method="genetic", seed=0,
        features_to_vary=vary, permitted_range=ranges,
    )
    assert found.valid >= 1, found.message
    check_counterfactuals(credit, 0, found, vary=vary, ranges=ranges)


@pytest.mark.parametrize("method", SEARCHES)
def test_loans_counterfactuals_reach_the_desired_range(loans, method):
    dataset, model = loans.dataset, loans.model
    for position in (0, 1):
        row = dataset.row(position)
        value = float(model.predict_value(row)[0])
        desired = [value - 4.0, value - 1.0]
        ranges = {"loan_amount": [1000, 40000]}
        result = loans.counterfactuals.generate(
            row, total=3, method=method, desired_range=desired, permitted_range=ranges, seed=0
        )
        assert result.desired == desired
        check_counterfactuals(loans, position, result, ranges=ranges)
        if position == 0:
            assert result.valid >= 1, result.message


def test_loans_default_desired_range_is_half_a_deviation_lower(loans):
    row = loans.dataset.row(0)
    value = float(loans.model.predict_value(row)[0])
    target = loans.dataset.target
    desired = loans.counterfactuals.default_desired(row)
    assert desired == pytest.approx([target.min(), value - 0.5 * target.std()])


def test_multiclass_default_desired_class(iris):
    search = iris.counterfactuals
    setosa = iris.dataset.row(0)
    assert iris.model.predict(setosa)[0] == "setosa"
    assert search.default_desired(setosa) == "virginica"  # the last class stands for positive
    virginica = iris.dataset.row(149)
    assert iris.model.predict(virginica)[0] == "virginica"
    assert search.default_desired(virginica) == "versicolor"  # the runner-up
    result = search.generate(virginica, total=2, seed=0)
    check_counterfactuals(iris, 149, result)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"total": 0},
        {"total": 21},
        {"method": "annealing"},
        {"desired_class": "excellent"},
        {"features_to_vary": ["Nope"]},
        {"features_to_vary": []},
        {"permitted_range": {"Nope": [0, 1]}},
        {"permitted_range": {"Amount": [10, 1]}},
        {"permitted_range": {"Amount": [1]}},
        {"permitted_range": {"Home": ["castle"]}},
    ],
)
def test_generate_rejects_bad_queries(credit, kwargs):
    with pytest.raises(InputError) as exc:
        credit.counterfactuals.generate(credit.dataset.row(0), **kwargs)
    assert "\n" not in str(exc.value)


def test_generate_takes_one_row(credit):
    with pytest.raises(InputError, match="one row"):
        credit.counterfactuals.generate(credit.dataset.features.iloc[:2])


# --------------------------------------------------------------------------------------------
# recheck() on hand-made proposals


def _flip_amounts(credit, base: pd.DataFrame, desired: str) -> list[float]:
    grid = np.arange(100.0, 5001.0, 25.0)
    rows = pd.concat([base] * len(grid), ignore_index=True)
    rows["Amount"] = grid
    labels = credit.model.predict(rows)
    return [float(a) for a, label in zip(grid, labels, strict=True) if label == desired]


def test_recheck_counts_each_failure(credit):
    dataset, model, search = credit.dataset, credit.model, credit.counterfactuals
    original = dataset.row(0).reset_index(drop=True)
    assert model.predict(original)[0] == "good"
    desired = "bad"
    low, high = 500.0, 3000.0
    flips = _flip_amounts(credit, original, desired)
    inside = [a for a in flips if low <= a <= high]
    outside = [a for a in flips if a > high]
    assert inside and outside, "row 0 of credit flips to bad when Amount rises"

    valid = original.assign(Amount=inside[0])
    out_of_range = original.assign(Amount=outside[0])
    not_flipped = original.assign(Price=float(original.at[0, "Price"]) + 1.0)
    assert model.predict(not_flipped)[0] == "good"
    immutable = None
    for age in (31.0, 29.0, 35.0, 25.0):
        candidate = valid.assign(Age=age)
        if model.predict(candidate)[0] == desired:
            immutable = candidate
            break
    assert immutable is not None, "no Age change keeps the flip; pick another row"
    duplicate = valid.copy()
    proposed = pd.concat([not_flipped, immutable, out_of_range, valid, duplicate], ignore_index=True)

    vary = [n for n in dataset.feature_names if n not in dataset.spec.immutable]
    kept, rejected = search.recheck(original, proposed, vary, {"Amount": [low, high]}, desired)
    assert rejected == {
        "not_flipped": 1, "fixed_feature_changed": 1, "out_of_range": 1, "duplicate": 1,
    }
    assert len(kept) == 1
    (cf,) = kept
    assert cf.changes == {"Amount": {"from": 800, "to": plain(inside[0])}}
    assert cf.row["Amount"] == plain(inside[0])
    assert cf.prediction["label"] == desired
    assert cf.distance == pytest.approx(abs(inside[0] - 800) / search.scale["Amount"], abs=1e-6)


def test_recheck_rejects_values_outside_the_observed_range(credit):
    dataset, search = credit.dataset, credit.counterfactuals
    original = dataset.row(0).reset_index(drop=True)
    maximum = dataset.info["Amount"].maximum
    proposed = original.assign(Amount=maximum * 10)
    if credit.model.predict(proposed)[0] != "bad":
        pytest.skip("the model does not flip row 0 with a huge amount")
    vary = [n for n in dataset.feature_names if n not in dataset.spec.immutable]
    kept, rejected = search.recheck(original, proposed, vary, {}, "bad")
    assert kept == [] and rejected == {"out_of_range": 1}


def test_recheck_keeps_missing_values_that_dice_left_alone(credit):
    """DiCE sees imputed values; an untouched imputed value must not count as a change."""
    dataset, search = credit.dataset, credit.counterfactuals
    position = 157
    original = dataset.row(position).reset_index(drop=True)
    assert pd.isna(original.at[0, "Income"])
    assert credit.model.predict(original)[0] == "good"
    dice_view = search._dice_frame(dataset.imputed(original))
    assert dice_view.at[0, "Income"] == dataset.info["Income"].fill_value
    flips = _flip_amounts(credit, original, "bad")
    assert flips, "a larger Amount flips row 157 to bad"
    proposed = dice_view.assign(Amount=int(flips[0]))
    vary = [n for n in dataset.feature_names if n not in dataset.spec.immutable]
    kept, rejected = search.recheck(original, proposed, vary, {}, "bad")
    assert rejected == {}
    assert kept[0].changes == {"Amount": {"from": 1200, "to": int(flips[0])}}
    assert kept[0].row["Income"] is None


# --------------------------------------------------------------------------------------------
# 5. Reproducibility


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_counterfactuals(hmda, method):
    search = hmda.counterfactuals
    row = hmda.dataset.row(5)
    first = search.generate(row, total=3, method=method, seed=11).to_dict()
    search.generate(hmda.dataset.row(9), total=3, method=method, seed=2)
    search.generate(hmda.dataset.row(30), total=2, method="random", seed=5)
    again = search.generate(row, total=3, method=method, seed=11).to_dict()
    assert again == first
