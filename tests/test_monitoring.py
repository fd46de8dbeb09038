"""Monitoring (issue 16): drift statistics, alerts, attribution and performance drift, timeline, report section,
the ``monitor`` command and the Monitoring page."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from explainers import DatasetSpec, InputError, prepare_dataset, train_default_model, train_test_indices
from explainers.cli import main
from explainers.i18n import translator
from explainers.metrics import evaluate
from explainers.monitoring import (
    PSI_FLOOR,
    MonitoredTable,
    Thresholds,
    align,
    holm,
    monitor,
    monitor_all,
    prepare_reference,
    psi,
    reference_table,
    thresholds_for,
)
from explainers.monitoring.alerts import assess_features
from explainers.monitoring.drift import Bins, data_drift, feature_drift, numeric_bins, numeric_counts, reference_bins
from explainers.monitoring.model_drift import metrics, weighted_metrics
from explainers.monitoring.section import report_section
from explainers.monitoring.simulate import recipe, simulate, simulate_periods
from explainers.monitoring.timeline import timeline
from explainers.spec import spec_from_mapping

ALERTING = ("moderate", "major")


def raw_rows(dataset, positions) -> pd.DataFrame:
    """Rows of a dataset as a file would hold them: categories as text, the target included."""
    frame = dataset.features.iloc[positions].reset_index(drop=True).copy()
    for name in dataset.categorical:
        frame[name] = frame[name].astype("object").where(frame[name].notna(), None)
    frame[dataset.spec.target] = dataset.target.iloc[positions].to_numpy()
    return frame


@pytest.fixture(scope="module")
def reference(credit):
    return prepare_reference(credit.dataset, credit.model)


# ---------------------------------------------------------------------------------------------------------
# Statistics


def test_psi_equals_a_hand_computation_on_a_small_numeric_table():
    values = np.arange(1.0, 11.0)
    bins = numeric_bins(values)
    assert bins.edges == pytest.approx([1.9, 2.8, 3.7, 4.6, 5.5, 6.4, 7.3, 8.2, 9.1])  # deciles: one value per bin
    current = np.array([1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10], dtype=float)
    total, terms = psi(numeric_counts(bins, values), numeric_counts(bins, current))
    by_hand = 2 * (2 / 12 - 0.1) * math.log((2 / 12) / 0.1) + 8 * (1 / 12 - 0.1) * math.log((1 / 12) / 0.1)
    assert total == pytest.approx(by_hand, abs=1e-12)
    assert terms[-1] == 0.0  # the missing bin: empty on both sides
    # An empty bin counts as PSI_FLOOR: value 9 absent, value 1 twice.
    current = np.array([1, 1, 2, 3, 4, 5, 6, 7, 8, 10], dtype=float)
    total, _ = psi(numeric_counts(bins, values), numeric_counts(bins, current))
    by_hand = (0.2 - 0.1) * math.log(0.2 / 0.1) + (PSI_FLOOR - 0.1) * math.log(PSI_FLOOR / 0.1)
    assert total == pytest.approx(by_hand, abs=1e-12)


def test_psi_of_categories_counts_new_levels_and_missing_as_bins():
    def table(levels: dict[str, int], rows: int) -> MonitoredTable:
        return MonitoredTable("t", pd.DataFrame(index=range(rows)), {"c": pd.Series(levels, dtype="int64")},
                              total_rows=rows)

    bins = Bins("categorical", categories=("a", "b", "c"))
    drift = feature_drift("c", bins, table({"a": 50, "b": 30, "c": 20}, 100),
                          table({"a": 40, "b": 30, "c": 20, "zzz": 5}, 100))  # and 5 missing
    by_hand = ((0.4 - 0.5) * math.log(0.4 / 0.5) + (0.05 - PSI_FLOOR) * math.log(0.05 / PSI_FLOOR)
               + (0.05 - PSI_FLOOR) * math.log(0.05 / PSI_FLOOR))
    assert drift.psi == pytest.approx(by_hand, abs=1e-12)
    assert drift.new_levels == {"zzz": 5}
    assert drift.missing_current == pytest.approx(0.05) and drift.missing_reference == 0.0


def test_holm_adjusts_as_defined():
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    adjusted = holm([0.2, float("nan"), 0.01])
    assert adjusted[0] == pytest.approx(0.2) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.02)


def test_an_unchanged_table_gives_psi_zero_and_no_alert(credit, reference):
    dataset = credit.dataset
    train, _ = train_test_indices(dataset)
    result = monitor(reference, align(raw_rows(dataset, train), dataset, "same"))
    assert all(d.psi == 0.0 for d in result.features)
    assert all(d.severity == "none" for d in result.features)
    assert result.alerts == []
    assert result.performance is not None and not result.performance.dropped
    # The same table as its own reference: the model's side does not move either.
    same = reference_table(dataset)
    itself = monitor(prepare_reference(dataset, credit.model, table=same), same)
    assert itself.prediction.psi == 0.0 and itself.alerts == []
    assert np.abs(itself.attributions.table["change"].to_numpy()).max() == 0.0


def synthetic(seed: int, rows: int, drift: bool = False) -> pd.DataFrame:
    """Three features that drift when asked (a location shift, a new category, a jump in missing values) and four
    that never do (normal, whole numbers with ties, skewed, a category with missing values)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "shifted": rng.normal(50, 10, rows) + (10 if drift else 0),
        "new_level": rng.choice(["a", "b", "c"], rows, p=[0.5, 0.3, 0.2]).astype(object),
        "blanked": rng.gamma(2.0, 3.0, rows),
        "steady": rng.normal(0, 1, rows),
        "counts": rng.poisson(3, rows).astype(float),
        "skewed": rng.lognormal(0, 1, rows),
        "group": rng.choice(["x", "y", "z", "w"], rows, p=[0.4, 0.3, 0.2, 0.1]).astype(object),
        "y": rng.choice(["yes", "no"], rows),
    })
    frame.loc[rng.random(rows) < (0.25 if drift else 0.03), "blanked"] = np.nan
    frame.loc[rng.random(rows) < 0.02, "group"] = None
    if drift:
        frame.loc[rng.random(rows) < 0.10, "new_level"] = "d"
    return frame


def test_drifted_features_alert_and_the_others_do_not_over_40_seeds():
    spec = DatasetSpec(name="synthetic", target="y", task="classification", positive_class="yes")
    thresholds = Thresholds()
    drifted, steady = ("shifted", "new_level", "blanked"), ("steady", "counts", "skewed", "group")
    missed, false_alarms, minor = 0, 0, 0
    for seed in range(40):
        dataset = prepare_dataset(synthetic(seed, 1000), spec)
        ref = reference_table(dataset)
        current = align(synthetic(10_000 + seed, 500, drift=True), dataset)
        found, alerts = assess_features(data_drift(ref, current, reference_bins(ref, dataset)), thresholds)
        severity = {d.feature: d.severity for d in found}
        missed += any(severity[f] not in ALERTING for f in drifted)
        false_alarms += any(severity[f] in ALERTING for f in steady)
        minor += any(severity[f] != "none" for f in steady)
        kinds = {(a.subject, a.kind) for a in alerts}
        assert {("shifted", "shift"), ("new_level", "new_levels"), ("blanked", "missing")} <= kinds, seed
    assert missed == 0
    assert false_alarms / 40 < 0.05
    assert minor / 40 < 0.10  # Holm keeps the family-wise error at most alpha (0.05) in expectation


def test_attribution_drift_appears_when_a_feature_is_permuted(cache_dir):
    """x2 is x1 plus a little noise and the outcome follows x1 - x2: shuffling x2 keeps its distribution (no data
    drift) but breaks its tie to x1, and the model's reasons change."""
    rng = np.random.default_rng(0)
    rows = 3000
    x1 = rng.normal(size=rows)
    frame = pd.DataFrame({"x1": x1, "x2": x1 + rng.normal(scale=0.3, size=rows), "x3": rng.normal(size=rows),
                          "x4": rng.normal(size=rows)})
    frame["y"] = np.where(frame["x1"] - frame["x2"] + 0.3 * frame["x3"] > 0, "pos", "neg")
    dataset = prepare_dataset(frame, DatasetSpec(name="pairs", target="y", task="classification",
                                                 positive_class="pos"))
    model = train_default_model(dataset)
    thresholds = Thresholds(top_k=1)
    ref = prepare_reference(dataset, model, thresholds)
    _, test = train_test_indices(dataset)
    held_out = frame.iloc[test].reset_index(drop=True)
    calm = monitor(ref, align(held_out, dataset, "held-out"))
    assert not [a for a in calm.alerts if a.kind == "attribution"]
    shuffled = held_out.copy()
    shuffled["x2"] = np.random.default_rng(1).permutation(shuffled["x2"].to_numpy())
    result = monitor(ref, align(shuffled, dataset, "shuffled"))
    assert result.feature("x2").severity not in ALERTING  # the data alone shows nothing
    table = result.attributions.table
    assert table.loc["x2", "low"] > 0 and table.loc["x1", "low"] > 0  # mean |SHAP| rose beyond its interval
    assert ("x1", "attribution") in {(a.subject, a.kind) for a in result.alerts}


# ---------------------------------------------------------------------------------------------------------
# Performance, texts, thresholds, timeline, report section


def test_reference_performance_is_the_overviews_and_bootstrap_metrics_are_the_same_functions(credit, reference):
    overview = evaluate(credit.model).metrics
    assert reference.held_out.point.keys() == overview.keys()
    for name, value in overview.items():
        assert reference.held_out.point[name] == pytest.approx(value, abs=1e-12)
    held = reference.held_out
    codes = np.array([credit.model.classes.index(v) for v in held.y])
    rng = np.random.default_rng(3)
    counts = rng.multinomial(len(codes), np.full(len(codes), 1 / len(codes)), size=3)
    counts[2, np.flatnonzero(codes == 0)] = 0  # a resample without one class: no AUC, as metrics() gives none
    fast = weighted_metrics(credit.model, codes, held.output, counts)
    for b in range(3):
        rows = np.repeat(np.arange(len(codes)), counts[b])
        slow = metrics(credit.model, held.y[rows], held.output[rows])
        for name, value in fast.items():
            assert value[b] == pytest.approx(slow.get(name, float("nan")), abs=1e-12, nan_ok=True), (b, name)


def test_a_simulated_shift_alerts_in_plain_words_in_both_languages(credit, reference):
    plan = recipe(reference)
    assert plan.shifted == "Income"  # the numeric feature the model relies on most
    result = monitor(reference, align(simulate(reference), credit.dataset, "shifted"))
    kinds = {(a.subject, a.kind): a for a in result.alerts}
    assert kinds[(plan.shifted, "shift")].severity == "major"
    assert kinds[(plan.new_level, "new_levels")].severity in ALERTING
    assert kinds[(plan.missing, "missing")].severity in ALERTING
    assert result.major
    spec = credit.dataset.spec
    for lang in ("en", "pt-BR"):
        tr = translator(lang)
        labels = spec.short_labels(credit.dataset.feature_names, lang)
        text = kinds[(plan.shifted, "shift")].text(tr, spec, labels)
        assert labels[plan.shifted] in text and "{" not in text
        assert ("top tenth" in text) if lang == "en" else ("décimo superior" in text)
        assert all(a.text(tr, spec, labels) for a in result.alerts)
    quiet = monitor(reference, align(simulate(reference, strength=0.0), credit.dataset, "calm"))
    assert not [a for a in quiet.alerts if a.severity in ALERTING]


def test_thresholds_come_from_the_specs_monitoring_table():
    raw = {"target": "y", "monitoring": {"psi_major": 0.3, "top_k": 3}}
    thresholds = thresholds_for(spec_from_mapping(raw, "t"))
    assert (thresholds.psi_major, thresholds.top_k, thresholds.psi_moderate) == (0.3, 3, 0.10)
    assert thresholds_for(spec_from_mapping(raw, "t"), {"alpha": "0.01"}).alpha == 0.01
    with pytest.raises(InputError, match="unknown setting"):
        thresholds_for(spec_from_mapping({"target": "y", "monitoring": {"psi_big": 1}}, "t"))
    with pytest.raises(InputError, match="psi_moderate"):
        Thresholds(psi_moderate=0.5, psi_major=0.2)
    with pytest.raises(InputError, match="whole number"):
        Thresholds().updated({"top_k": 2.5})


def test_timeline_and_report_section(credit, reference):
    tables = [align(frame, credit.dataset, f"2025-0{i + 1}") for i, frame in enumerate(simulate_periods(reference, 3))]
    results = monitor_all(reference, tables)
    line = timeline(results)
    shifted = recipe(reference).shifted
    assert list(line.psi.index) == ["2025-01", "2025-02", "2025-03"]
    assert line.psi[shifted].is_monotonic_increasing and line.psi[shifted].iloc[-1] >= 0.25
    assert line.attributions.shape == (3, 5)
    assert json.dumps(line.to_dict())
    for lang in ("en", "pt-BR"):
        tr = translator(lang)
        section = report_section(results[-1], tr, credit.dataset.spec)
        assert section.heading == tr("monitoring.section_heading")
        kinds = [b[0] for b in section.blocks]
        assert kinds.count("table") == 3  # features, attributions, performance
        text = section.to_markdown()
        assert "PSI" in text and tr("monitoring.severity_major") in text


# ---------------------------------------------------------------------------------------------------------
# Command line and batch folders


def test_cli_exits_3_on_a_major_alert_0_without_and_2_on_bad_input(credit, reference, tmp_path, capsys):
    shifted = tmp_path / "shifted.csv"
    simulate(reference).to_csv(shifted, index=False)
    _, test = train_test_indices(credit.dataset)
    calm = tmp_path / "calm.parquet"
    raw_rows(credit.dataset, test).drop(columns=["Status"]).to_parquet(calm)
    assert main(["monitor", "--data", "credit", "--current", str(shifted), "--format", "json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["exit_status"] == 3 and out["results"][0]["severity"] == "major"
    assert out["results"][0]["performance"] is not None
    assert main(["monitor", "--data", "credit", "--current", str(calm), "--lang", "pt-BR"]) == 0
    text = capsys.readouterr().out
    assert "calm.parquet" in text and "Sem mudança" in text
    assert main(["monitor", "--data", "credit", "--current", str(calm), "--current", str(shifted),
                 "--format", "json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["timeline"]["periods"] == ["calm.parquet", "shifted.csv"]
    for argv in (["--current", str(tmp_path / "nope.csv")], ["--current", str(calm), "--threshold", "psi_major"]):
        assert main(["monitor", "--data", "credit", *argv]) == 2
        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert len(err) == 1 and err[0].startswith("error: ")
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"Income": [1, 2]}).to_csv(bad, index=False)
    assert main(["monitor", "--data", "credit", "--current", str(bad)]) == 2
    assert "lacks feature columns" in capsys.readouterr().err


@pytest.mark.slow
def test_a_batch_folder_is_monitored_with_its_stored_scores_and_shap(credit, tmp_path, monkeypatch):
    from explainers import load_model

    monkeypatch.delenv("XAI_BATCH_ROOT", raising=False)
    model_path = tmp_path / "model.json"
    credit.model.estimator.save_model(model_path)
    model = load_model(model_path, credit.dataset)
    _, test = train_test_indices(credit.dataset)
    frame = raw_rows(credit.dataset, test)
    frame.to_parquet(tmp_path / "current.parquet")
    assert main(["batch", "--data", str(tmp_path / "current.parquet"), "--model", str(model_path), "--out",
                 str(tmp_path / "out"), "--target", "Status", "--workers", "1"]) == 0
    ref = prepare_reference(credit.dataset, model)
    from explainers.monitoring import read_batch

    stored = read_batch(tmp_path / "out", credit.dataset, model)
    assert stored.shap is not None and stored.score is not None
    from_batch = monitor(ref, stored)
    from_file = monitor(ref, align(frame, credit.dataset, "current"))
    assert [d.psi for d in from_batch.features] == pytest.approx([d.psi for d in from_file.features], abs=1e-12)
    assert from_batch.prediction.current_mean == pytest.approx(from_file.prediction.current_mean, abs=1e-9)
    assert from_batch.attributions.table["current"].to_numpy() == pytest.approx(
        from_file.attributions.table["current"].to_numpy(), abs=1e-6)


# ---------------------------------------------------------------------------------------------------------
# The page


def open_monitoring(lang: str = "en") -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=300)
    at.query_params.update({"dataset": "credit", "row": "0", "lang": lang})
    at.run()
    at.switch_page("pages/monitoring.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "This page failed" in e.value]
    return at


def test_the_page_works_without_an_upload_and_draws_a_timeline(navigation_mode):
    at = open_monitoring()
    tr = translator("en")
    assert tr("monitoring.alerts") in [h.value for h in at.subheader]
    assert any("top tenth" in e.value for e in at.error)  # the simulated shift's major alert, in words
    # One part of the page at a time (the buttons above it); each part has its heading, and a table beside
    # every chart.
    picker = at.button_group(key="monitoring_section")
    assert picker.value == "data"
    for section, heading in (("data", "data_heading"), ("feature", "feature_heading"),
                             ("prediction", "predictions_heading"), ("attribution", "attributions_heading"),
                             ("performance", "performance_heading")):
        at.button_group(key="monitoring_section").set_value(section).run()
        assert not at.exception, [e.value for e in at.exception]
        assert tr(f"monitoring.{heading}") in [h.value for h in at.subheader]
        assert len(at.dataframe) >= 1
    at.button_group(key="monitoring_section").set_value("data").run()
    at.toggle(key="monitoring_timeline").set_value(True).run()
    assert not at.exception
    assert tr("sections.monitoring_timeline") in at.button_group(key="monitoring_section").options
    at.button_group(key="monitoring_section").set_value("timeline").run()
    assert tr("monitoring.timeline_heading") in [h.value for h in at.subheader]
    at.radio(key="monitoring_source").set_value("upload").run()
    assert tr("monitoring.upload_prompt") in [i.value for i in at.info]
    portuguese = open_monitoring("pt-BR")
    assert translator("pt-BR")("monitoring.title") in [t.value for t in portuguese.title]


def test_the_report_gains_a_monitoring_section_with_the_alerts(credit, reference):
    """``build_report(..., monitoring=...)``: the section lists the major alert in every format, escaped."""
    from explainers.report import build_report, default_use_case

    plan = recipe(reference)
    result = monitor(reference, align(simulate(reference), credit.dataset, "shifted <b>"))
    report = build_report(credit, [3], default_use_case(credit.dataset.spec, "en"), monitoring=result)
    assert "monitoring" in [anchor for anchor, _ in report.sections]
    markdown = report.to_bytes("markdown").decode()
    section = markdown[markdown.index("## Monitoring"):]
    assert "**Major**" in section and f"{plan.shifted} has shifted" in section  # the report names columns
    assert "<b>" not in markdown and "shifted &lt;b&gt;" in markdown
    assert "Monitoring" in report.to_bytes("html").decode()
    assert report.to_bytes("pdf").startswith(b"%PDF")


# ---------------------------------------------------------------------------------------------------------
# Batch outputs joined back (--keep), one folder grouped by period (--by), tables too large to load whole


@pytest.mark.slow
def test_batch_keeps_columns_and_one_folder_groups_into_a_timeline(credit, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("XAI_BATCH_ROOT", raising=False)
    model_path = tmp_path / "model.json"
    credit.model.estimator.save_model(model_path)
    _, test = train_test_indices(credit.dataset)
    months = []
    for i, month in enumerate(("2026-01", "2026-02", "2026-03")):
        frame = raw_rows(credit.dataset, test)
        if month == "2026-03":  # the last month's applicants earn more: Income drifts, nothing else does
            frame["Income"] = frame["Income"] + float(credit.dataset.features["Income"].std())
        frame.insert(0, "application_id", np.arange(len(frame), dtype="int64") + 10_000 * (i + 1))
        frame["month"] = month
        months.append(frame)
    table = pd.concat(months, ignore_index=True)
    table.to_parquet(tmp_path / "current.parquet", row_group_size=300)
    out = tmp_path / "out"
    assert main(["batch", "--data", str(tmp_path / "current.parquet"), "--model", str(model_path), "--out", str(out),
                 "--target", "Status", "--workers", "1", "--keep", "application_id,month"]) == 0
    capsys.readouterr()
    from explainers.batch import KEY, open_results

    results = open_results(out)
    stored = pd.concat([pd.read_parquet(p) for p in results.files], ignore_index=True).sort_values(KEY)
    assert stored["application_id"].dtype == "int64"  # unchanged: the input's own type and values
    assert stored["application_id"].tolist() == table["application_id"].tolist()
    assert stored["month"].tolist() == table["month"].tolist()
    assert results.kept == ["application_id", "month"]
    assert results.periods("month").to_dict() == {"2026-01": len(test), "2026-02": len(test), "2026-03": len(test)}

    assert main(["monitor", "--data", "credit", "--current", str(out), "--by", "month", "--format", "json"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["timeline"]["periods"] == ["2026-01", "2026-02", "2026-03"]
    by_period = {r["name"]: {f["feature"]: f for f in r["features"]} for r in report["results"]}
    march = by_period["2026-03"]
    assert march["Income"]["alert"] in ALERTING
    assert all(f["alert"] not in ALERTING for name, f in march.items() if name != "Income")
    for month in ("2026-01", "2026-02"):  # the reference's own test rows: nothing drifts
        assert all(f["alert"] not in ALERTING for f in by_period[month].values())
    # A period equals monitoring that month's rows from a file.
    ref = prepare_reference(credit.dataset, credit.model)
    from_file = monitor(ref, align(months[2], credit.dataset, "2026-03"))
    assert march["Income"]["psi"] == pytest.approx(
        next(d.psi for d in from_file.features if d.feature == "Income"), abs=1e-9)

    # The page splits the same folder by month: three periods, the last one with Income's alert.
    monkeypatch.setenv("XAI_BATCH_ROOT", str(tmp_path))
    at = open_monitoring()
    at.radio(key="monitoring_source").set_value("batch").run()
    at.selectbox(key="monitoring_batch_folder").set_value("out").run()
    at.selectbox(key="monitoring_batch_by").set_value("month").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="monitoring_period").options == ["2026-01", "2026-02", "2026-03"]
    assert at.selectbox(key="monitoring_period").value == "2026-03"
    monkeypatch.delenv("XAI_BATCH_ROOT")

    assert main(["monitor", "--data", "credit", "--current", str(out), "--by", "Income"]) == 2
    assert "--keep Income" in capsys.readouterr().err
    assert main(["batch", "--data", str(tmp_path / "current.parquet"), "--model", str(model_path), "--out",
                 str(tmp_path / "out2"), "--keep", "client", "--lang", "pt-BR"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "não está nos dados" in err[0]


def test_large_parquet_files_are_sampled_by_position_without_loading_them_whole(credit, tmp_path):
    from explainers.monitoring.inputs import read_parquet_files, read_path
    from explainers.util import sample_positions

    frames = [raw_rows(credit.dataset, np.arange(start, start + 400)) for start in (0, 400, 800)]
    for i, frame in enumerate(frames):
        frame["unused_text"] = "x" * 50  # a column the reference does not need is never read
        frame.to_parquet(tmp_path / f"part-{i}.parquet", row_group_size=64)
    paths = sorted(tmp_path.glob("part-*.parquet"))
    sampled = read_parquet_files(paths, credit.dataset, "parts", rows=500, seed=4)
    whole = pd.concat(frames, ignore_index=True)
    expected = align(whole.iloc[sample_positions(len(whole), 500, 4)].reset_index(drop=True), credit.dataset, "parts")
    pd.testing.assert_frame_equal(sampled.features, expected.features)
    assert sampled.rows == 500 and sampled.total_rows == 1200
    assert sampled.notices == ("sampled:500:1200",)
    # A glob and a folder of Parquet files are one table; under the sample size every row is read.
    glob = read_path(str(tmp_path / "part-*.parquet"), credit.dataset)
    folder = read_path(tmp_path, credit.dataset)
    full = align(whole, credit.dataset, "parts")
    pd.testing.assert_frame_equal(glob.features, full.features)
    pd.testing.assert_frame_equal(folder.features, full.features)
    with pytest.raises(InputError, match="no file matches"):
        read_path(str(tmp_path / "nothing-*.parquet"), credit.dataset)
