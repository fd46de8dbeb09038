"""Several models per dataset (issue 18, items 2-5): the baseline, the comparison, the error tree and cohorts, the
model in the shared view and the URL, the Compare and "Where it errs" pages, and the compare and errors commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from explainers import load_builtin, shap_values, train_default_model
from explainers.baseline import train_baseline_model
from explainers.comparison import compare, compare_row, disagreement_count, row_sentence
from explainers.error_analysis import cohort_metrics, error_heatmap, error_tree
from explainers.errors import InputError
from explainers.expressions import select_rows
from explainers.i18n import catalogue
from explainers.metrics import evaluate
from explainers.models import train_test_indices
from explainers.trust import shap_check
from explainers.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def credit():
    dataset = load_builtin("credit")
    return dataset, train_default_model(dataset), train_baseline_model(dataset)


@pytest.fixture(scope="module")
def loans():
    dataset = load_builtin("loans")
    return dataset, train_default_model(dataset), train_baseline_model(dataset)


# --------------------------------------------------------------------------------------------------------------
# The baseline


def test_baseline_is_a_fitted_pipeline_with_sensible_accuracy(credit):
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    dataset, _, baseline = credit
    assert isinstance(baseline.estimator, Pipeline)
    check_is_fitted(baseline.estimator)
    assert type(baseline.estimator.named_steps["linear"]).__name__ == "LogisticRegression"
    train, test = train_test_indices(dataset)
    assert baseline.details["train_rows"] == len(train)  # the default model's split
    evaluation = evaluate(baseline)
    majority = max(np.mean(evaluation.y_true == c) for c in dataset.classes)
    assert evaluation.metrics["accuracy"] > majority + 0.04  # better than always saying the common outcome
    assert evaluation.metrics["ROC AUC"] > 0.75
    # Its probabilities are the pipeline's own, in the dataset's class order.
    rows = dataset.features.iloc[test[:20]]
    frame = rows.copy()
    for name in dataset.categorical:
        frame[name] = frame[name].astype("object").where(frame[name].notna(), np.nan)
    np.testing.assert_allclose(baseline.predict_proba(rows), baseline.estimator.predict_proba(frame))
    assert train_baseline_model(dataset).model_hash == baseline.model_hash  # seeded: the same model again


def test_baseline_regression_and_exact_linear_shap(credit, loans):
    for dataset, _, baseline in (credit, loans):
        rows = dataset.features.iloc[:40]
        shap = shap_values(baseline, rows)
        assert shap.method == "linear"
        margin = baseline.predict_margin(rows)
        if baseline.is_classifier and baseline.positive_index == 0:
            margin = -margin
        np.testing.assert_allclose(shap.base_value + shap.values.sum(axis=1).to_numpy(), margin, atol=1e-9)
        assert shap_check(baseline, dataset.row(5)).passed
    assert type(loans[2].estimator.named_steps["linear"]).__name__ == "LinearRegression"
    assert evaluate(loans[2]).metrics["R²"] > 0.2


# --------------------------------------------------------------------------------------------------------------
# The comparison


def test_disagreement_count_equals_a_count_by_hand(credit):
    dataset, default, baseline = credit
    result = compare({"default": default, "baseline": baseline}, resamples=50)
    _, test = train_test_indices(dataset)
    frame = dataset.features.iloc[test]
    by_hand = [int(p) for p, a, b in zip(test, default.predict(frame), baseline.predict(frame), strict=True)
               if a != b]
    assert len(by_hand) > 10
    assert [int(p) for p in result.disagree] == by_hand
    assert disagreement_count([default.predict(frame), baseline.predict(frame)]) == len(by_hand)
    assert result.disagreement_rate == pytest.approx(len(by_hand) / len(test))
    # The point values are the Overview's.
    for name, model in (("default", default), ("baseline", baseline)):
        for metric, value in evaluate(model).metrics.items():
            assert result.metrics.loc[(name, metric), "value"] == pytest.approx(value)


def test_regression_disagreement_uses_the_tolerance(loans):
    dataset, default, baseline = loans
    result = compare({"default": default, "baseline": baseline}, resamples=30, tolerance=2.0, importance_rows=100)
    _, test = train_test_indices(dataset)
    frame = dataset.features.iloc[test]
    gap = np.abs(default.predict_value(frame) - baseline.predict_value(frame))
    assert list(result.disagree) == list(test[gap > 2.0])


def test_bootstrap_intervals_contain_the_value_and_are_seeded(credit):
    _, default, baseline = credit
    models = {"default": default, "baseline": baseline}
    first = compare(models, resamples=60, seed=0, importance_rows=100)
    again = compare(models, resamples=60, seed=0, importance_rows=100)
    other = compare(models, resamples=60, seed=1, importance_rows=100)
    table = first.metrics
    assert ((table["low"] <= table["value"]) & (table["value"] <= table["high"])).all()
    assert (table["high"] > table["low"]).all()
    assert table[["low", "high"]].equals(again.metrics[["low", "high"]])
    assert not table[["low", "high"]].equals(other.metrics[["low", "high"]])


def test_importance_ranks_and_rank_changes(credit):
    _, default, baseline = credit
    result = compare({"default": default, "baseline": baseline}, resamples=30, importance_rows=200)
    ranks = result.ranks()
    for name in ("default", "baseline"):
        assert sorted(ranks[name]) == list(range(1, len(ranks) + 1))
        shares = result.importance[f"share:{name}"]
        assert shares.sum() == pytest.approx(1.0)
        assert list(shares.sort_values(ascending=False).index) == list(ranks[name].sort_values().index)
    assert (result.rank_changes() == (ranks["default"] - ranks["baseline"]).abs()).all()


def test_two_models_of_other_tables_or_one_model_are_refused(credit, loans):
    with pytest.raises(InputError) as one:
        compare({"default": credit[1]})
    assert one.value.key == "errors.compare.two_models"
    with pytest.raises(InputError) as other:
        compare({"credit": credit[1], "loans": loans[1]})
    assert other.value.key == "errors.compare.other_data"


def test_one_row_through_each_model_and_its_sentence(credit):
    dataset, default, baseline = credit
    workspaces = {"default": Workspace(dataset, default), "baseline": Workspace(dataset, baseline)}
    views = compare_row(workspaces, 3)
    for view in views:
        model = workspaces[view.name].model
        assert view.prediction["label"] == model.predict(dataset.row(3))[0]
        assert view.best is not None  # both find a counterfactual for this row
        assert model.predict(dataset.coerce(pd.DataFrame([view.best.row])))[0] != view.prediction["label"]
    sentence = row_sentence(views, {"default": "the champion", "baseline": "the challenger"}, {}, {}, "en")
    assert sentence.startswith("the champion would give ") and "; the challenger needs " in sentence
    portuguese = row_sentence(views, {"default": "o campeão", "baseline": "o desafiante"}, {}, {}, "pt-BR")
    assert "o campeão daria " in portuguese and "o desafiante precisa de " in portuguese


# --------------------------------------------------------------------------------------------------------------
# Error analysis


def test_error_tree_leaf_rates_equal_a_direct_count(credit):
    dataset, default, _ = credit
    tree = error_tree(default, max_depth=3)
    _, test = train_test_indices(dataset)
    frame = dataset.features.iloc[test]
    actual = dataset.target.to_numpy(dtype=object)[test]
    wrong = default.predict(frame) != actual
    assert list(tree.rows) == list(test) and tree.total_errors == int(wrong.sum())
    leaves = tree.leaves
    assert 2 <= len(leaves) <= 8 and sum(leaf.rows for leaf in leaves) == len(test)
    for leaf in leaves:
        members = select_rows(frame, leaf.expression())  # the leaf's rule, as a cohort's filter
        assert (members == (tree.leaf_of_row == leaf.node)).all()
        assert leaf.rows == int(members.sum()) and leaf.errors == int(wrong[members].sum())
        assert leaf.error_rate == pytest.approx(wrong[members].mean())
    assert sum(tree.share_of_errors(leaf) for leaf in leaves) == pytest.approx(1.0)
    rates = [leaf.error_rate for leaf in leaves]
    assert rates == sorted(rates, reverse=True)
    assert rates[0] > tree.error_rate > rates[-1]  # the tree found where errors concentrate
    with pytest.raises(InputError):
        error_tree(default, max_depth=0)


def test_regression_errors_are_the_largest_fifth(loans):
    _, default, _ = loans
    tree = error_tree(default, max_depth=2)
    assert tree.threshold is not None
    assert tree.error_rate == pytest.approx(0.2, abs=0.01)


def test_cohort_metrics_with_intervals(credit):
    dataset, default, _ = credit
    tree = error_tree(default, max_depth=2)
    worst = tree.leaves[0]
    result = cohort_metrics(default, {"all": "", "worst leaf": worst.expression(), "owners": "Home == 'owner'"},
                            resamples=50)
    table = result.table
    for metric, value in evaluate(default).metrics.items():
        assert table.loc["all", metric] == pytest.approx(value)
        assert table.loc["all", f"{metric}:low"] <= value <= table.loc["all", f"{metric}:high"]
    assert table.loc["worst leaf", "rows"] == worst.rows
    assert table.loc["worst leaf", "error_rate"] == pytest.approx(worst.error_rate)
    _, test = train_test_indices(dataset)
    assert table.loc["owners", "rows"] == int((dataset.features["Home"].iloc[test] == "owner").sum())


def test_error_heatmap_counts_every_test_row(credit):
    dataset, default, _ = credit
    heat = error_heatmap(default, "Seniority", "Home")
    assert int(heat.rows.to_numpy().sum()) == len(train_test_indices(dataset)[1])
    overall = (heat.rate.fillna(0) * heat.rows).to_numpy().sum() / heat.rows.to_numpy().sum()
    assert overall == pytest.approx(error_tree(default, max_depth=1).error_rate)


# --------------------------------------------------------------------------------------------------------------
# The command line


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explainers", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)


def test_compare_command_json(credit, tmp_path):
    dataset, default, baseline = credit
    out = tmp_path / "comparison.json"
    done = run_cli("compare", "--data", "credit", "--model", "default", "--model", "baseline", "--resamples", "40",
                   "--rows", "5", "--out", str(out))
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["models"] == ["default", "baseline"]
    engine = compare({"default": default, "baseline": baseline}, resamples=40)
    assert result["disagreement"]["rows"] == len(engine.disagree)
    assert result["disagreement"]["positions"] == [int(p) for p in engine.disagree]
    assert len(result["disagreeing_rows"]) == 5
    assert result["metrics"]["baseline"]["accuracy"]["value"] == pytest.approx(evaluate(baseline).metrics["accuracy"])
    ranks = {f: v["default"]["rank"] for f, v in result["importance"].items()}
    assert sorted(ranks.values()) == list(range(1, len(dataset.feature_names) + 1))
    assert result["model_sha256"]["baseline"] == baseline.model_hash


def test_errors_command_json_and_text(credit):
    _, default, _ = credit
    done = run_cli("errors", "--data", "credit", "--max-depth", "2", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    tree = error_tree(default, max_depth=2)
    assert [(leaf["node"], leaf["errors"]) for leaf in result["leaves"]] == [(n.node, n.errors) for n in tree.leaves]
    text = run_cli("errors", "--data", "credit", "--max-depth", "2", "--lang", "pt-BR")
    assert text.returncode == 0 and "Árvore de erros (profundidade 2)" in text.stdout
    bad = run_cli("compare", "--data", "credit", "--model", "default")
    assert bad.returncode == 2 and bad.stderr.startswith("error: comparing needs two models")


# --------------------------------------------------------------------------------------------------------------
# The pages (AppTest)


def open_app(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def switch(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, (page, [e.value for e in at.exception])
    assert not at.error, (page, [e.value for e in at.error])
    return at


def score_shown(at: AppTest) -> float:
    text = next(m.value for m in at.metric if m.label == "Score")
    return float(text.rstrip("%")) / 100


def test_model_choice_follows_pages_and_the_url(credit):
    dataset, default, baseline = credit
    at = open_app(dataset="credit", row="3")
    assert at.selectbox(key="sidebar_model").value == "default"
    switch(at, "pages/local_explanation.py")
    assert score_shown(at) == pytest.approx(default.score(dataset.row(3))[0], abs=6e-4)
    at.selectbox(key="sidebar_model").set_value("baseline").run()
    assert at.query_params["model"] == ["baseline"] or at.query_params["model"] == "baseline"
    assert score_shown(at) == pytest.approx(baseline.score(dataset.row(3))[0], abs=6e-4)
    for page in ("pages/overview.py", "pages/what_if.py", "pages/errors.py", "pages/local_explanation.py"):
        switch(at, page)
        assert at.session_state["view"]["model"] == "baseline"
        assert at.selectbox(key="sidebar_model").value == "baseline"
    assert score_shown(at) == pytest.approx(baseline.score(dataset.row(3))[0], abs=6e-4)
    # A deep link names the model; an unknown one falls back to the dataset's own with a notice.
    linked = open_app(dataset="credit", row="3", model="baseline")
    assert linked.session_state["view"]["model"] == "baseline"
    unknown = open_app(dataset="credit", model="upload:deadbeef")
    assert unknown.session_state["view"]["model"] == "default"
    assert any("upload:deadbeef" in w.value for w in unknown.warning)


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_compare_page_in_each_language(credit, lang):
    _, default, baseline = credit
    t = catalogue(lang)
    at = open_app(dataset="credit", row="3", lang=lang)
    switch(at, "pages/compare.py")
    assert at.title[0].value == t["compare.title"]
    assert t["compare.metrics"] in [s.value for s in at.subheader]  # the page opens on the metrics
    at.button_group(key="compare_section").set_value("row").run()
    marker = " would give " if lang == "en" else " daria "
    assert any(marker in m.value for m in at.markdown), [m.value for m in at.markdown]
    at.button_group(key="compare_section").set_value("disagree").run()
    assert t["compare.disagree"] in [s.value for s in at.subheader]
    engine = compare({"credit": default, "credit@baseline": baseline}, resamples=200)
    rate = next(m.value for m in at.metric if m.label == t["compare.disagree_rate"])
    expected = f"{engine.disagreement_rate * 100:.1f}%"
    assert rate.replace(",", ".").replace("\xa0", "") == expected
    # Opening a disagreeing row in Local explanation makes it the view's row.
    first = int(engine.disagree[0])
    at.selectbox(key="compare_open_row").set_value(first)
    at.button(key="compare_open_local").click().run()
    assert at.session_state["view"]["row"] == first


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_errors_page_in_each_language(credit, lang):
    _, default, _ = credit
    t = catalogue(lang)
    at = open_app(dataset="credit", row="0", lang=lang)
    switch(at, "pages/errors.py")
    assert at.title[0].value == t["erroranalysis.title"]
    tree = error_tree(default, max_depth=3)
    errors = next(m.value for m in at.metric if m.label == t["erroranalysis.errors"])
    assert errors.replace(",", "").replace(".", "") == str(tree.total_errors)
    leaves = at.table[0].value
    assert list(leaves[t["erroranalysis.errors"]]) == [leaf.errors for leaf in tree.leaves]
    # A leaf opened as a cohort gets its rows and error rate in the cohort table.
    at.button(key="errors_leaf_cohort").click().run()
    cohorts = next(d.value for d in at.dataframe if t["erroranalysis.cohort"] in d.value.columns)
    assert len(cohorts) == 2
    assert int(cohorts[t["erroranalysis.rows"]].iloc[1]) == tree.leaves[0].rows


@pytest.mark.parametrize("dataset", ["hmda", "loans", "breast_cancer"])
def test_new_pages_on_the_other_datasets(dataset):
    at = open_app(dataset=dataset, row="1", model="baseline")
    switch(at, "pages/compare.py")
    metrics = next(d.value for d in at.dataframe if d.value.index.name == "Model")
    assert len(metrics) == 2
    switch(at, "pages/errors.py")
    assert at.session_state["view"]["model"] == "baseline"
    tree = error_tree(train_baseline_model(load_builtin(dataset)), max_depth=3)
    assert list(at.table[0].value["Errors"]) == [leaf.errors for leaf in tree.leaves]
