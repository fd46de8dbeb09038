"""Benchmark: our engine beside the stock way of doing the same thing, on the same seeded rows.

    python3 -m bench.run [--quick] [--out bench/results.json]

Writes ``results.json`` and ``results.md`` (the Markdown table, also printed). See ``bench/README.md``.

Each heavy step runs in its own subprocess (``python3 -m bench.run --worker NAME``) so that its peak
RSS (``ru_maxrss``) is its own; a worker prints one line ``BENCH_RESULT {json}`` on standard output.
Only the standard library is imported at module level, so the orchestrating process stays light.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from explainers.cli.screenshots import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"  # ignored by git: the model cache of the benchmark lives here
CACHE_DIR = OUT_DIR / "cache"
RESULT_PREFIX = "BENCH_RESULT "
SEED = 0
ROW_POOL = 50  # the seeded rows: np.random.default_rng(0).choice(n, 50, replace=False); --quick takes the first ones
DATASET = "credit"
PAGES = [
    "pages/overview.py",
    "pages/global_explanations.py",
    "pages/local_explanation.py",
    "pages/what_if.py",
    "pages/counterfactuals.py",
]
# "Fully drawn": an h1 is visible, no status widget ("Running…"), at least one metric, and the script is not running.
# An exception box on the page ends the wait early ("exception").
DRAWN_JS = """() => {
    if (document.querySelector('[data-testid="stException"]')) return 'exception';
    const h = document.querySelector('h1');
    if (!h) return false;
    const box = h.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || getComputedStyle(h).visibility === 'hidden') return false;
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    if (!document.querySelector('[data-testid="stMetric"]')) return false;
    const root = document.querySelector('[data-testid="stApp"]');
    const state = root && root.getAttribute('data-test-script-state');
    return (state === null || state === 'notRunning') ? 'drawn' : false;
}"""
# The first page's charts: Streamlit loads its Vega bundle only when the first chart arrives, so they appear after
# the rest of the page.
CHARTS_JS = """() => {
    const charts = document.querySelectorAll('[data-testid="stVegaLiteChart"]');
    return charts.length > 0 && Array.from(charts).every(c => c.querySelector('svg.marks g.role-mark'));
}"""
STOCK_TIMEOUT_S = 60.0  # the stock TreeExplainer on every global row runs only if it should finish within this

FULL = {
    "mode": "full",
    "rows": 50,  # SHAP, LIME, our counterfactuals, our whole local explanation
    "genetic_rows": 20,  # stock DiCE genetic (step 3): about 1-2 s a row, so not all 50
    "stock_explain_rows": 10,  # stock composition SHAP + LIME + DiCE genetic (step 4)
    "warm_starts": 5,  # the median; the first start in a fresh browser is often slower
    "untrained_start": True,
    "switch_rounds": 4,
    "edits": 10,
    "global_rows": 30_000,
    "global_train": True,
    "open_rows": 1_000_000,
    "train_credit": True,
}
QUICK = {
    "mode": "quick",
    "rows": 8,
    "genetic_rows": 2,
    "stock_explain_rows": 2,
    "warm_starts": 1,
    "untrained_start": False,
    "switch_rounds": 1,
    "edits": 3,
    "global_rows": 2_000,
    "global_train": False,
    "open_rows": None,  # the large-table step is skipped
    "train_credit": False,
}
VERSIONED = ("shap", "lime", "dice-ml", "xgboost", "pandas", "numpy", "scikit-learn", "streamlit", "playwright",
             "pyarrow")


# ----------------------------------------------------------------------------------------------------------------
# Small helpers (standard library only)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is in KB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolation percentile (numpy's default), without numpy."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stats_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": _round(percentile(ms, 50)), "p95_ms": _round(percentile(ms, 95)), "n": len(ms)}


def _round(value, digits: int = 3):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def ratio(stock: float | None, ours: float | None) -> float | None:
    if stock is None or ours is None or ours <= 0:
        return None
    return round(stock / ours, 2)


def emit(result: dict) -> None:
    print(RESULT_PREFIX + json.dumps(result, default=_json_default), flush=True)


def _json_default(value):
    try:
        import numpy as np

        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:
        pass
    return str(value)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "ram_gb": ram_gb,
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def versions() -> dict:
    from explainers import package_versions

    return package_versions(VERSIONED)


def git_commit() -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def gpu_name() -> tuple[str | None, str]:
    """The first GPU that nvidia-smi lists, or None and why not."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None, "nvidia-smi not found"
    try:
        done = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"nvidia-smi failed: {error}"
    if done.returncode != 0 or not done.stdout.strip():
        return None, f"nvidia-smi exited with {done.returncode}"
    return done.stdout.strip().splitlines()[0], ""


# ----------------------------------------------------------------------------------------------------------------
# Shared by workers: a seeded synthetic table in the credit schema


def synthetic_credit(rows: int, seed: int = SEED):
    """``rows`` credit rows drawn with replacement, numeric features times (1 + N(0, 0.02)); whole-number columns
    stay whole, missing values stay missing, the target and categories are copied as they are."""
    import numpy as np
    import pandas as pd

    from explainers.data import DATASETS_DIR, builtin_spec

    spec = builtin_spec(DATASET)
    raw = pd.read_csv(DATASETS_DIR / str(spec.source))
    raw = raw.drop(columns=[c for c in spec.drop if c in raw.columns])
    rng = np.random.default_rng(seed)
    frame = raw.iloc[rng.integers(0, len(raw), size=rows)].reset_index(drop=True)
    for name in frame.columns:
        if name == spec.target or not pd.api.types.is_numeric_dtype(frame[name]):
            continue
        values = frame[name].to_numpy(dtype="float64")
        known = raw[name].dropna()
        noisy = values * (1.0 + rng.normal(0.0, 0.02, size=rows))
        if len(known) and (known == known.round()).all():
            noisy = np.round(noisy)
        frame[name] = noisy
    return frame


# ----------------------------------------------------------------------------------------------------------------
# Worker: local explanations on the credit data (steps 1-4)


def worker_local(cfg: dict) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    started = time.perf_counter()
    import dice_ml
    import numpy as np
    import pandas as pd
    import shap
    import xgboost as xgb
    from lime.lime_tabular import LimeTabularExplainer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from explainers import LimeSetup, Workspace, load_builtin, shap_values, top_features, train_default_model

    out: dict = {"import_s": _round(time.perf_counter() - started)}

    t = time.perf_counter()
    ds = load_builtin(DATASET)
    out["load_dataset_s"] = _round(time.perf_counter() - t)
    t = time.perf_counter()
    model = train_default_model(ds)  # from the benchmark's model cache when warm
    out["model_ready_s"] = _round(time.perf_counter() - t)
    if cfg["train_credit"]:
        t = time.perf_counter()
        train_default_model(ds, use_cache=False)
        out["train_credit_s"] = _round(time.perf_counter() - t)
        # The same training on one thread: on a busy 2-core machine OpenMP's spinning threads make nthread=2 slow.
        from explainers.models import DEFAULT_PARAMS, train_test_indices

        params = {**DEFAULT_PARAMS, "objective": "binary:logistic", "seed": SEED, "nthread": 1}
        rounds = params.pop("n_estimators")
        train, _ = train_test_indices(ds, SEED)
        matrix = xgb.DMatrix(ds.features.iloc[train], label=ds.target_codes()[train], enable_categorical=True)
        t = time.perf_counter()
        xgb.train(params, matrix, num_boost_round=rounds)
        out["train_credit_1thread_s"] = _round(time.perf_counter() - t)
    ws = Workspace(ds, model, seed=SEED)
    pool = np.random.default_rng(SEED).choice(len(ds.features), size=ROW_POOL, replace=False)
    rows = [int(i) for i in pool[: cfg["rows"]]]
    warm_row = 0  # every path runs once on row 0 before the timed rows
    out["rows"] = rows
    names, cats, numeric = ds.feature_names, ds.categorical, ds.numeric

    # --- the stock side, as a notebook user writes it, on the same trees ---------------------------------------
    t = time.perf_counter()
    clf = xgb.XGBClassifier(enable_categorical=True)
    clf.load_model(bytearray(model.estimator.save_raw(raw_format="ubj")))
    out["stock_model_load_s"] = _round(time.perf_counter() - t)
    X = ds.coerce(ds.features)  # pandas category dtype, as XGBoost's enable_categorical wants
    t = time.perf_counter()
    tree_explainer = shap.TreeExplainer(clf)
    out["stock_shap_build_s"] = _round(time.perf_counter() - t)

    cat_dtypes = {c: X[c].dtype for c in cats}
    filled = X.copy()  # LIME's statistics and DiCE need complete rows: median / mode, as in a notebook
    for c in names:
        filled[c] = filled[c].fillna(filled[c].mode().iloc[0] if c in cats else filled[c].median())
    codes = filled.copy()
    for c in cats:
        codes[c] = filled[c].cat.codes.astype("float64")
    training = codes.to_numpy(dtype="float64")
    cat_index = [names.index(c) for c in cats]

    def lime_predict(matrix):
        frame = pd.DataFrame(matrix, columns=names)
        for c in cats:
            frame[c] = pd.Categorical.from_codes(np.rint(frame[c].to_numpy()).astype(int), dtype=cat_dtypes[c])
        return clf.predict_proba(frame)

    def build_stock_lime():
        return LimeTabularExplainer(
            training,
            feature_names=names,
            categorical_features=cat_index,
            categorical_names={j: list(cat_dtypes[names[j]].categories) for j in cat_index},
            class_names=[str(c) for c in model.classes],
            random_state=SEED,
        )

    lime_label = model.positive_index
    lime_kwargs = {} if lime_label == 1 else {"labels": (lime_label,)}  # LIME's default explains label 1

    integral = [c for c in numeric if bool((filled[c] == filled[c].round()).all())]
    dice_df = pd.DataFrame({
        c: filled[c].astype(object) if c in cats
        else filled[c].round().astype("int64") if c in integral else filled[c]
        for c in names
    })
    model_types = {**cat_dtypes, **{c: "float64" for c in numeric}}
    to_model = FunctionTransformer(lambda f: f[names].astype(model_types)).fit(dice_df)
    pipeline = make_pipeline(to_model, clf)

    # --- step 1: SHAP --------------------------------------------------------------------------------------------
    def ours_shap(i):
        return shap_values(model, ds.row(i))

    def stock_shap(i):
        return tree_explainer.shap_values(X.iloc[[i]])

    ours_shap(warm_row)
    stock_shap(warm_row)
    tree_explainer(X.iloc[[warm_row]])
    timing: dict[str, list[float]] = {k: [] for k in (
        "shap", "stock_shap", "stock_shap_call", "lime", "stock_lime", "sparse", "random", "stock_genetic",
        "explain", "stock_explain")}
    max_diff = base_diff = 0.0
    for i in rows:
        t = time.perf_counter()
        ours = ours_shap(i)
        timing["shap"].append(time.perf_counter() - t)
        t = time.perf_counter()
        stock = stock_shap(i)
        timing["stock_shap"].append(time.perf_counter() - t)
        t = time.perf_counter()
        tree_explainer(X.iloc[[i]])
        timing["stock_shap_call"].append(time.perf_counter() - t)
        max_diff = max(max_diff, float(np.abs(ours.values.to_numpy() - np.asarray(stock).reshape(1, -1)).max()))
        base_diff = max(base_diff, abs(ours.base_value - float(np.ravel(tree_explainer.expected_value)[0])))
    out["shap_max_abs_diff"] = max_diff
    out["shap_base_value_diff"] = base_diff
    log(f"local: SHAP done ({time.perf_counter() - started:.0f} s)")

    # --- step 2: LIME --------------------------------------------------------------------------------------------
    LimeSetup(model, seed=SEED)  # warm-up build (imports)
    builds = []
    for _ in range(3):
        t = time.perf_counter()
        LimeSetup(model, seed=SEED)
        builds.append(time.perf_counter() - t)
    out["lime_setup_build_s"] = _round(percentile(builds, 50), 4)
    build_stock_lime()
    builds = []
    for _ in range(3):
        t = time.perf_counter()
        lime_stock = build_stock_lime()
        builds.append(time.perf_counter() - t)
    out["stock_lime_build_s"] = _round(percentile(builds, 50), 4)

    def stock_lime(i):
        return lime_stock.explain_instance(training[i], lime_predict, **lime_kwargs)

    ws.lime.explain(ds.row(warm_row), seed=SEED)
    stock_lime(warm_row)
    overlaps, same_top1 = [], []
    for i in rows:
        t = time.perf_counter()
        ours = ws.lime.explain(ds.row(i), seed=SEED)
        timing["lime"].append(time.perf_counter() - t)
        t = time.perf_counter()
        stock = stock_lime(i)
        timing["stock_lime"].append(time.perf_counter() - t)
        ours_top = top_features(ours.weights, 3)
        stock_top = [names[j] for j, _ in sorted(stock.as_map()[lime_label], key=lambda jw: -abs(jw[1]))[:3]]
        overlaps.append(len(set(ours_top) & set(stock_top)) / 3)
        same_top1.append(ours_top[0] == stock_top[0])
    out["lime_top3_overlap"] = _round(sum(overlaps) / len(overlaps))
    out["lime_same_top1_share"] = _round(sum(same_top1) / len(same_top1))
    log(f"local: LIME done ({time.perf_counter() - started:.0f} s)")

    # --- step 3: counterfactuals ---------------------------------------------------------------------------------
    t = time.perf_counter()
    search = ws.counterfactuals
    out["counterfactual_search_build_s"] = _round(time.perf_counter() - t, 4)
    t = time.perf_counter()
    search.generate(ds.row(warm_row), total=4, method="sparse", seed=SEED)
    out["sparse_first_call_s"] = _round(time.perf_counter() - t)  # builds the donor pool
    t = time.perf_counter()
    search.generate(ds.row(warm_row), total=4, method="random", seed=SEED)
    out["random_first_call_s"] = _round(time.perf_counter() - t)  # builds DiCE's Data, Model and explainer

    t = time.perf_counter()
    dice_data = dice_ml.Data(dataframe=dice_df.assign(**{ds.spec.target: ds.target_codes()}),
                             continuous_features=numeric, outcome_name=ds.spec.target)
    dice_model = dice_ml.Model(model=pipeline, backend="sklearn")
    dice_genetic = dice_ml.Dice(dice_data, dice_model, method="genetic")
    out["stock_dice_build_s"] = _round(time.perf_counter() - t)

    def stock_genetic(i):
        np.random.seed(SEED)  # DiCE's genetic search draws from the global generators
        random.seed(SEED)
        found = dice_genetic.generate_counterfactuals(dice_df.iloc[[i]], total_CFs=4, desired_class="opposite")
        return found.cf_examples_list[0].final_cfs_df

    def same(a, b) -> bool:
        if pd.isna(a) and pd.isna(b):
            return True
        if pd.isna(a) or pd.isna(b):
            return False
        if isinstance(a, int | float | np.number) and isinstance(b, int | float | np.number):
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
        return str(a) == str(b)

    immutable = set(ds.spec.immutable)

    def quality(original, found, desired) -> dict:
        """Validity, changed features, distance to the row and among the set, for one row's counterfactuals."""
        if found is None or len(found) == 0:
            return {"returned": 0, "valid": 0, "changed": [], "distance": [], "diversity": None, "immutable": 0}
        found = ds.coerce(found[names].reset_index(drop=True))
        predicted = model.predict(found)
        changed, distance, touched = [], [], 0
        for k in range(len(found)):
            diff = [c for c in names if not same(original[c].iat[0], found[c].iat[k])]
            changed.append(len(diff))
            touched += bool(immutable & set(diff))
            distance.append(search.distance(original, found.iloc[[k]]))
        pairs = [search.distance(found.iloc[[a]], found.iloc[[b]])
                 for a in range(len(found)) for b in range(a + 1, len(found))]
        return {"returned": len(found), "valid": int((predicted == desired).sum()), "changed": changed,
                "distance": distance, "diversity": sum(pairs) / len(pairs) if pairs else None,
                "immutable": touched}

    def ours_cf(i, method):
        result = search.generate(ds.row(i), total=4, method=method, seed=SEED)
        rows_found = pd.DataFrame([c.row for c in result.counterfactuals], columns=names)
        return result, rows_found

    stock_genetic(warm_row)
    qualities: dict[str, list[dict]] = {"sparse": [], "random": [], "stock_genetic": []}
    for index, i in enumerate(rows):
        original = ds.row(i)
        for method in ("sparse", "random"):
            t = time.perf_counter()
            result, found = ours_cf(i, method)
            timing[method].append(time.perf_counter() - t)
            qualities[method].append(quality(original, found, result.desired))
        if index < cfg["genetic_rows"]:
            query = ds.coerce(dice_df.iloc[[i]])  # what DiCE saw: the row with blanks filled
            t = time.perf_counter()
            try:
                found = stock_genetic(i)
            except Exception:  # DiCE raises when it finds nothing: count it as none returned
                found = None
            timing["stock_genetic"].append(time.perf_counter() - t)
            predicted = model.predict(query)[0]
            desired = next(c for c in model.classes if c != predicted)
            qualities["stock_genetic"].append(quality(query, found, desired))
    out["counterfactual_quality"] = {k: summarize_quality(v) for k, v in qualities.items()}
    log(f"local: counterfactuals done ({time.perf_counter() - started:.0f} s)")

    # --- step 4: the whole local explanation ---------------------------------------------------------------------
    def stock_explain(i):
        return stock_shap(i), stock_lime(i), stock_genetic(i)

    for index, i in enumerate(rows):
        t = time.perf_counter()
        ws.explain(i)
        timing["explain"].append(time.perf_counter() - t)
        if index < cfg["stock_explain_rows"]:
            t = time.perf_counter()
            stock_explain(i)
            timing["stock_explain"].append(time.perf_counter() - t)
    log(f"local: whole explanation done ({time.perf_counter() - started:.0f} s)")

    out["samples_ms"] = {k: [round(s * 1000, 3) for s in v] for k, v in timing.items()}
    out["peak_rss_mb"] = peak_rss_mb()
    out["worker_s"] = _round(time.perf_counter() - started)
    return out


def summarize_quality(per_row: list[dict]) -> dict:
    returned = sum(q["returned"] for q in per_row)
    changed = [c for q in per_row for c in q["changed"]]
    distance = [d for q in per_row for d in q["distance"]]
    diversity = [q["diversity"] for q in per_row if q["diversity"] is not None]
    return {
        "rows": len(per_row),
        "returned_per_row": _round(returned / len(per_row)) if per_row else None,
        "rows_with_none": sum(q["returned"] == 0 for q in per_row),
        "validity": _round(sum(q["valid"] for q in per_row) / returned) if returned else None,
        "sparsity": _round(sum(changed) / len(changed)) if changed else None,
        "proximity": _round(sum(distance) / len(distance)) if distance else None,
        "diversity": _round(sum(diversity) / len(diversity)) if diversity else None,
        "immutable_changed_share": _round(sum(q["immutable"] for q in per_row) / returned) if returned else None,
    }


# ----------------------------------------------------------------------------------------------------------------
# Worker: page switches and what-if edits through streamlit.testing (step 6)


def worker_apptest(cfg: dict) -> dict:
    import logging

    import numpy as np
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    original_init = PagesManager.__init__

    def init(self, *args, **kwargs):  # as tests/test_pages.py: the pages/ folder is not a legacy multipage folder
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    out: dict = {"errors": []}

    def check(what: str, at) -> None:
        if at.exception:
            out["errors"].append(f"{what}: " + "; ".join(str(e.value)[:300] for e in at.exception))

    started = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["dataset"] = DATASET
    at.query_params["row"] = "0"
    at.run()
    out["first_run_s"] = _round(time.perf_counter() - started)
    check("first run", at)
    import re

    listed = re.findall(r'st\.Page\(\s*"([^"]+)"', (ROOT / "app.py").read_text())
    core = [p for p in PAGES if p in listed] or PAGES  # the five pages of the brief, for comparable switches
    out["app_pages"], out["switch_pages"] = listed, core
    warm = {}
    for page in listed or PAGES:  # warm-up: each page once (fills st.cache_data)
        t = time.perf_counter()
        at.switch_page(page).run()
        warm[page] = _round((time.perf_counter() - t) * 1000)
        check(page, at)
    out["first_visit_ms"] = warm
    switches: list[float] = []
    by_page: dict[str, list[float]] = {p: [] for p in core}
    for _ in range(cfg["switch_rounds"]):
        for page in core:
            t = time.perf_counter()
            at.switch_page(page).run()
            elapsed = time.perf_counter() - t
            switches.append(elapsed)
            by_page[page].append(elapsed)
            check(page, at)
    out["page_switch"] = stats_ms(switches)
    out["page_switch_by_page_p50_ms"] = {p: stats_ms(v)["p50_ms"] for p, v in by_page.items()}

    at.switch_page("pages/what_if.py").run()
    edits: list[float] = []
    try:
        widget_key = "whatif_input_Income"
        rng = np.random.default_rng(SEED)
        values = [float(v) for v in rng.integers(40, 400, size=cfg["edits"] + 1)]
        at.number_input(key=widget_key).set_value(values[0] + 0.5).run()  # warm-up edit
        for value in values[1:]:
            t = time.perf_counter()
            at.number_input(key=widget_key).set_value(value).run()
            edits.append(time.perf_counter() - t)
            check("what-if edit", at)
    except (KeyError, ValueError) as error:
        out["errors"].append(f"what-if edit: {type(error).__name__}: {error}")
    out["whatif_edit"] = stats_ms(edits)
    out["peak_rss_mb"] = peak_rss_mb()
    out["worker_s"] = _round(time.perf_counter() - started)
    return out


# ----------------------------------------------------------------------------------------------------------------
# Worker: global SHAP on a large seeded table (steps 7 and 10)


def worker_global(cfg: dict) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    started = time.perf_counter()
    import numpy as np
    import shap
    import xgboost as xgb

    from explainers import prepare_dataset, shap_values, train_default_model
    from explainers.data import builtin_spec
    from explainers.models import GPU_SHAP_ROWS

    rows = int(cfg["global_rows"])
    out: dict = {"rows": rows, "import_s": _round(time.perf_counter() - started)}
    t = time.perf_counter()
    frame = synthetic_credit(rows, SEED)
    out["generate_s"] = _round(time.perf_counter() - t)
    t = time.perf_counter()
    ds = prepare_dataset(frame, builtin_spec(DATASET))
    out["prepare_s"] = _round(time.perf_counter() - t)
    if cfg["global_train"]:
        t = time.perf_counter()
        model = train_default_model(ds, use_cache=False)
        out["train_s"] = _round(time.perf_counter() - t)
    else:  # --quick: the credit model (from the benchmark's cache) explains the synthetic rows of the same schema
        from explainers import load_builtin

        credit = load_builtin(DATASET)
        model = train_default_model(credit)
        out["train_s"] = None
        out["model"] = "the credit model (not trained on these rows)"
    out["peak_rss_mb_after_train"] = peak_rss_mb()

    shap_values(model, ds.features.iloc[:100])  # warm-up
    os.environ["XAI_DEVICE"] = "cpu"  # the CPU figure; the GPU one (engine default on a GPU machine) is below
    t = time.perf_counter()
    ours = shap_values(model, ds.features)
    del os.environ["XAI_DEVICE"]
    out["ours_s"] = _round(time.perf_counter() - t)
    out["ours_threads"] = 1 if rows < 20_000 else os.cpu_count()  # TabularModel.booster_for: one thread below 20k
    out["peak_rss_mb_after_ours"] = peak_rss_mb()

    clf = xgb.XGBClassifier(enable_categorical=True)
    clf.load_model(bytearray(model.estimator.save_raw(raw_format="ubj")))
    explainer = shap.TreeExplainer(clf)
    X = model.dataset.coerce(ds.features)
    explainer.shap_values(X.iloc[:100])  # warm-up
    probe = min(rows, 5000)
    t = time.perf_counter()
    stock = explainer.shap_values(X.iloc[:probe])
    probe_s = time.perf_counter() - t
    out["stock_probe_rows"], out["stock_probe_s"] = probe, _round(probe_s)
    estimate = probe_s * rows / probe
    if rows > probe and estimate <= STOCK_TIMEOUT_S:
        t = time.perf_counter()
        stock = explainer.shap_values(X)
        out["stock_s"], out["stock_extrapolated"] = _round(time.perf_counter() - t), False
    else:
        out["stock_s"], out["stock_extrapolated"] = _round(estimate), rows > probe
    out["max_abs_diff"] = float(np.abs(ours.values.to_numpy()[: len(stock)] - np.asarray(stock)).max())
    out["peak_rss_mb"] = peak_rss_mb()

    name, why = gpu_name()
    if name is None:
        out["gpu"], out["gpu_reason"] = None, why
    elif model.shap_booster_for(len(ds.features)) is model.booster_for(len(ds.features)):
        out["gpu"], out["gpu_reason"] = None, f"{name}: XGBoost could not compute SHAP on it (CPU-only build?)"
    else:
        # The engine's own path: shap_values puts tables of GPU_SHAP_ROWS rows or more on the GPU.
        shap_values(model, ds.features.iloc[:GPU_SHAP_ROWS])  # warm-up (CUDA context, copy of the trees)
        t = time.perf_counter()
        on_gpu = shap_values(model, ds.features)
        seconds = time.perf_counter() - t
        out["gpu"] = {"device": name, "global_shap_s": _round(seconds),
                      "speedup_vs_cpu": _round(out["ours_s"] / seconds),
                      "max_abs_diff_vs_cpu": float(np.abs(on_gpu.values.to_numpy() - ours.values.to_numpy()).max())}
    out["worker_s"] = _round(time.perf_counter() - started)
    return out


# ----------------------------------------------------------------------------------------------------------------
# Workers: write a large Parquet table; open it as the app would (step 8)


def worker_table(cfg: dict) -> dict:
    started = time.perf_counter()
    frame = synthetic_credit(int(cfg["rows"]), SEED)
    generated = time.perf_counter() - started
    t = time.perf_counter()
    frame.to_parquet(cfg["path"], index=False)
    return {"rows": len(frame), "generate_s": _round(generated), "write_s": _round(time.perf_counter() - t),
            "parquet_mb": _round(Path(cfg["path"]).stat().st_size / 1e6, 1)}


def worker_open(cfg: dict) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    started = time.perf_counter()
    from explainers import prepare_dataset, read_table, train_default_model
    from explainers.data import builtin_spec
    from explainers.global_views import global_shap
    from explainers.metrics import evaluate

    out: dict = {"import_s": _round(time.perf_counter() - started), "steps": {}}
    state: dict = {}

    def step(name, action):
        t = time.perf_counter()
        state[name] = action()
        out["steps"][name] = {"s": _round(time.perf_counter() - t), "peak_rss_mb": peak_rss_mb()}

    step("read_parquet", lambda: read_table(cfg["path"]))
    step("prepare_dataset", lambda: prepare_dataset(state["read_parquet"], builtin_spec(DATASET)))
    out["rows"] = len(state.pop("read_parquet"))
    out["rows_kept"] = len(state["prepare_dataset"].features)  # prepare_dataset may keep a seeded sample
    out["notices"] = list(state["prepare_dataset"].notices)
    step("train_default_model", lambda: train_default_model(state["prepare_dataset"]))
    step("evaluate", lambda: evaluate(state["train_default_model"]))
    step("global_shap", lambda: global_shap(state["train_default_model"]))
    step("importance", lambda: state["global_shap"].importance)
    model = state["train_default_model"]
    out["model_source"], out["model_details"] = model.source, dict(model.details)
    out["global_rows"] = len(state["global_shap"].rows)
    out["total_s"] = _round(sum(s["s"] for s in out["steps"].values()))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


WORKERS = {"local": worker_local, "apptest": worker_apptest, "global": worker_global, "table": worker_table,
           "open": worker_open}


def run_worker(name: str, cfg: dict, env: dict, timeout: float) -> dict:
    """Run one worker in a fresh interpreter; return its result, or {"error": ...}."""
    command = [sys.executable, "-m", "bench.run", "--worker", name, "--config", json.dumps(cfg)]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired as error:
        tail = (error.stderr or b"")[-2000:]
        tail = tail.decode(errors="replace") if isinstance(tail, bytes) else tail
        return {"error": f"timed out after {timeout:.0f} s", "stderr_tail": tail}
    for line in done.stderr.splitlines():
        if line.startswith("[bench]"):
            print(line, file=sys.stderr, flush=True)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX):])
            result["wall_s"] = _round(time.perf_counter() - started)
            return result
    return {"error": f"worker {name} exited with {done.returncode} and no result",
            "stderr_tail": done.stderr[-3000:]}


# ----------------------------------------------------------------------------------------------------------------
# Cold start of the real server, drawn in headless Chromium (step 5)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def cold_start(browser, cache_dir: Path) -> dict:
    """Popen ``streamlit run app.py`` → first page fully drawn in the browser; the server is stopped after."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "XAI_CACHE_DIR": str(cache_dir), "TQDM_DISABLE": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.headless", "true"]
    out: dict = {}
    with tempfile.TemporaryFile() as server_log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT)
        context = None
        try:
            deadline = time.monotonic() + 120
            while not _healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    server_log.seek(0)
                    out["error"] = "server did not answer its health check: " + server_log.read()[-1500:].decode(
                        errors="replace")
                    return out
                time.sleep(0.05)
            out["health_s"] = _round(time.perf_counter() - started)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            for attempt in (1, 2):
                try:
                    if attempt == 1:
                        page.goto(url + "/", timeout=60_000)
                    else:
                        page.reload(timeout=60_000)
                    state = page.wait_for_function(DRAWN_JS, timeout=60_000, polling=50).json_value()
                    elapsed = time.perf_counter() - started
                    out["attempts"] = attempt
                    if state == "drawn":
                        out["cold_start_s"] = _round(elapsed)
                        page.wait_for_function(CHARTS_JS, timeout=60_000, polling=50)
                        out["charts_drawn_s"] = _round(time.perf_counter() - started)
                    else:
                        out["error"] = "the first page shows an exception: " + page.inner_text(
                            '[data-testid="stException"]')[:800]
                    break
                except Exception as error:  # Playwright's TimeoutError: retried once, then reported
                    out[f"attempt_{attempt}_error"] = str(error).splitlines()[0][:300]
                    with contextlib.suppress(Exception):
                        out[f"attempt_{attempt}_page_text"] = page.inner_text("body")[:500]
            out["server_peak_rss_mb"] = _vm_hwm_mb(process.pid)
        finally:
            if context is not None:
                context.close()
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)
    return out


def measure_cold_starts(cfg: dict) -> dict:
    out: dict = {"warm_cache": [], "untrained": None}
    if not Path(CHROMIUM).exists():
        out["error"] = f"{CHROMIUM} not found"
        return out
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        out["error"] = "the playwright package is not installed"
        return out
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for _ in range(cfg["warm_starts"]):
                out["warm_cache"].append(cold_start(browser, CACHE_DIR))
            if cfg["untrained_start"]:
                with tempfile.TemporaryDirectory(prefix="xai-bench-cold-") as empty:
                    out["untrained"] = cold_start(browser, Path(empty))
        finally:
            browser.close()
    return out


# ----------------------------------------------------------------------------------------------------------------
# Assembling the results


def assemble(results: dict) -> dict:
    """The flat keys (results.json's headline numbers) from the workers' details."""
    flat: dict = {}
    ratios: dict = {}
    local = results["details"].get("local", {})
    samples = local.get("samples_ms", {})

    def p(key, q):
        return _round(percentile(samples.get(key, []), q))

    if samples:
        for ours_key, stock_key, name in (("shap", "stock_shap", "shap"), ("lime", "stock_lime", "lime"),
                                          ("sparse", "stock_genetic", "counterfactuals"),
                                          ("explain", "stock_explain", "local_explain")):
            flat[f"{name}_p50_ms"], flat[f"{name}_p95_ms"] = p(ours_key, 50), p(ours_key, 95)
            flat[f"stock_{name}_p50_ms"], flat[f"stock_{name}_p95_ms"] = p(stock_key, 50), p(stock_key, 95)
            stock_n = len(samples.get(stock_key, []))
            ours_same_rows = percentile(samples.get(ours_key, [])[:stock_n], 50)  # the same rows as the stock side
            ratios[name] = ratio(percentile(samples.get(stock_key, []), 50), ours_same_rows)
        flat["counterfactuals_random_p50_ms"], flat["counterfactuals_random_p95_ms"] = p("random", 50), p("random", 95)
        stock_n = len(samples.get("stock_genetic", []))
        ratios["counterfactuals_random"] = ratio(percentile(samples.get("stock_genetic", []), 50),
                                                 percentile(samples.get("random", [])[:stock_n], 50))
        flat["stock_shap_call_p50_ms"] = p("stock_shap_call", 50)
        flat["shap_max_abs_diff"] = local.get("shap_max_abs_diff")
        flat["lime_top3_overlap"] = local.get("lime_top3_overlap")
        for key in ("lime_setup_build_s", "stock_lime_build_s", "stock_dice_build_s", "train_credit_s"):
            flat[key] = local.get(key)
    cold = results["details"].get("cold_start", {})
    warm_runs = [r["cold_start_s"] for r in cold.get("warm_cache", []) if r.get("cold_start_s") is not None]
    flat["cold_start_s"] = _round(percentile(warm_runs, 50)) if warm_runs else None
    chart_runs = [r["charts_drawn_s"] for r in cold.get("warm_cache", []) if r.get("charts_drawn_s") is not None]
    flat["cold_start_charts_s"] = _round(percentile(chart_runs, 50)) if chart_runs else None
    untrained = cold.get("untrained") or {}
    flat["cold_start_untrained_s"] = untrained.get("cold_start_s")
    app = results["details"].get("apptest", {})
    flat["page_switch_ms"] = (app.get("page_switch") or {}).get("p50_ms")
    flat["whatif_edit_ms"] = (app.get("whatif_edit") or {}).get("p50_ms")
    glob = results["details"].get("global", {})
    if "rows" in glob:
        label = _size_label(glob["rows"])
        if glob.get("train_s") is not None:
            flat[f"train_{label}_s"] = glob.get("train_s")
        flat[f"global_shap_{label}_s"] = glob.get("ours_s")
        flat[f"stock_global_shap_{label}_s"] = glob.get("stock_s")
        ratios[f"global_shap_{label}"] = ratio(glob.get("stock_s"), glob.get("ours_s"))
    flat["gpu"] = glob.get("gpu")
    opened = results["details"].get("open", {})
    if "rows" in opened:
        label = _size_label(opened["rows"])
        flat[f"open_{label}_rows_s"] = opened.get("total_s")
        flat[f"peak_rss_mb_{label}_rows"] = opened.get("peak_rss_mb")
    flat["peak_rss_mb"] = {
        "local_explanations": local.get("peak_rss_mb"),
        "apptest": app.get("peak_rss_mb"),
        "global_shap": glob.get("peak_rss_mb"),
        "open_table": opened.get("peak_rss_mb"),
        "server_warm_cache": next((r.get("server_peak_rss_mb") for r in cold.get("warm_cache", [])), None),
        "server_untrained": untrained.get("server_peak_rss_mb"),
    }
    flat["ratios"] = ratios
    return flat


def _size_label(rows: int) -> str:
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}m"
    if rows >= 1000 and rows % 1000 == 0:
        return f"{rows // 1000}k"
    return str(rows)


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def markdown(results: dict) -> str:
    r = results
    d = r["details"]
    m = r["machine"]
    local = d.get("local", {})
    rows_n = len(local.get("rows", []))
    quality = local.get("counterfactual_quality", {})
    genetic_n = (quality.get("stock_genetic") or {}).get("rows", 0)
    explain_n = len(local.get("samples_ms", {}).get("stock_explain", []))
    ratios = r.get("ratios", {})
    lines = [
        f"# Benchmark results ({r['mode']})",
        "",
        f"- Date: {r['date']} · commit `{r['git_commit']}` · bench wall time {_fmt(r.get('bench_wall_s'))} s",
        f"- Machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {m['ram_gb']} GB RAM, "
        f"{m['platform']}; load average at start {m['load_average_at_start']}, at end {m.get('load_average_at_end')}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in r["versions"].items()),
        f"- Dataset: {DATASET}; rows `np.random.default_rng(0).choice(n, {ROW_POOL})`, first {rows_n} used; "
        "each path warmed up once on row 0; times are wall-clock (`time.perf_counter`).",
        "",
        "## Local explanations (ms per row; stock/ours = ratio of the p50s on the same rows)",
        "",
        "| what | ours p50 | ours p95 | stock p50 | stock p95 | stock/ours | quality |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    if local and "error" not in local:
        cq = quality

        def q_text(name):
            q = cq.get(name) or {}
            return (f"valid {_fmt(q.get('validity'), 2)}, {_fmt(q.get('returned_per_row'), 2)} returned/row, "
                    f"sparsity {_fmt(q.get('sparsity'), 2)}, proximity {_fmt(q.get('proximity'), 2)}, "
                    f"diversity {_fmt(q.get('diversity'), 2)}")

        lines += [
            f"| SHAP, one row (ours `shap_values` vs `TreeExplainer.shap_values`) | {_fmt(r.get('shap_p50_ms'))} | "
            f"{_fmt(r.get('shap_p95_ms'))} | {_fmt(r.get('stock_shap_p50_ms'))} | {_fmt(r.get('stock_shap_p95_ms'))} "
            f"| {_fmt(ratios.get('shap'), 2)} | max abs diff {r.get('shap_max_abs_diff'):.1e} (same trees); "
            f"`explainer(X)` p50 {_fmt(r.get('stock_shap_call_p50_ms'))} ms |",
            f"| LIME, one row, 5000 samples (ours `LimeSetup.explain` vs `explain_instance`) | "
            f"{_fmt(r.get('lime_p50_ms'))} | {_fmt(r.get('lime_p95_ms'))} | {_fmt(r.get('stock_lime_p50_ms'))} | "
            f"{_fmt(r.get('stock_lime_p95_ms'))} | {_fmt(ratios.get('lime'), 2)} | top-3 overlap "
            f"{_fmt(r.get('lime_top3_overlap'), 2)}, same top-1 {_fmt(local.get('lime_same_top1_share'), 2)} |",
            f"| 4 counterfactuals: ours sparse (default) vs stock DiCE genetic ({genetic_n} rows) | "
            f"{_fmt(r.get('counterfactuals_p50_ms'))} | {_fmt(r.get('counterfactuals_p95_ms'))} | "
            f"{_fmt(r.get('stock_counterfactuals_p50_ms'))} | {_fmt(r.get('stock_counterfactuals_p95_ms'))} | "
            f"{_fmt(ratios.get('counterfactuals'), 2)} | ours: {q_text('sparse')} |",
            f"| 4 counterfactuals: ours DiCE random (wrapper) vs stock DiCE genetic ({genetic_n} rows) | "
            f"{_fmt(r.get('counterfactuals_random_p50_ms'))} | {_fmt(r.get('counterfactuals_random_p95_ms'))} | "
            f"{_fmt(r.get('stock_counterfactuals_p50_ms'))} | {_fmt(r.get('stock_counterfactuals_p95_ms'))} | "
            f"{_fmt(ratios.get('counterfactuals_random'), 2)} | ours: {q_text('random')}; "
            f"stock: {q_text('stock_genetic')} |",
            f"| Whole local explanation: `Workspace.explain` vs SHAP + LIME + DiCE genetic ({explain_n} rows) | "
            f"{_fmt(r.get('local_explain_p50_ms'))} | {_fmt(r.get('local_explain_p95_ms'))} | "
            f"{_fmt(r.get('stock_local_explain_p50_ms'))} | {_fmt(r.get('stock_local_explain_p95_ms'))} | "
            f"{_fmt(ratios.get('local_explain'), 2)} | ours: SHAP + LIME + 4 sparse counterfactuals + prediction |",
            "",
            "### Counterfactual quality",
            "",
            "| method | rows | returned/row | rows with none | validity | sparsity (features changed) | "
            "proximity (MAD units) | diversity (pairwise) | immutable feature changed |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, title in (("sparse", "ours sparse"), ("random", "ours DiCE random (re-checked)"),
                            ("stock_genetic", "stock DiCE genetic, defaults")):
            q = cq.get(name) or {}
            lines.append(
                f"| {title} | {q.get('rows')} | {_fmt(q.get('returned_per_row'), 2)} | {q.get('rows_with_none')} | "
                f"{_fmt(q.get('validity'), 2)} | {_fmt(q.get('sparsity'), 2)} | {_fmt(q.get('proximity'), 2)} | "
                f"{_fmt(q.get('diversity'), 2)} | {_fmt(q.get('immutable_changed_share'), 2)} |")
        lines += [
            "",
            "### Built once per dataset (s)",
            "",
            "| ours | s | stock | s |",
            "|---|---:|---|---:|",
            f"| `LimeSetup` | {_fmt(local.get('lime_setup_build_s'), 3)} | `LimeTabularExplainer` | "
            f"{_fmt(local.get('stock_lime_build_s'), 3)} |",
            f"| first `generate(method='sparse')` (donor pool) | {_fmt(local.get('sparse_first_call_s'), 3)} | "
            f"`dice_ml.Data` + `Model` + `Dice(genetic)` | {_fmt(local.get('stock_dice_build_s'), 3)} |",
            f"| first `generate(method='random')` (DiCE structures) | {_fmt(local.get('random_first_call_s'), 3)} | "
            f"`shap.TreeExplainer(clf)` | {_fmt(local.get('stock_shap_build_s'), 3)} |",
            f"| `train_default_model` on credit (no cache) | {_fmt(local.get('train_credit_s'), 2)} | "
            f"`XGBClassifier.load_model` of the same trees | {_fmt(local.get('stock_model_load_s'), 3)} |",
            f"| the same training with `xgb.train(nthread=1)` | {_fmt(local.get('train_credit_1thread_s'), 2)} | | |",
        ]
    elif local:
        lines.append(f"| local explanations failed | | | | | | {local.get('error')} |")

    cold = d.get("cold_start", {})
    app = d.get("apptest", {})
    glob = d.get("global", {})
    opened = d.get("open", {})
    table = d.get("table", {})
    warm_runs = [x.get("cold_start_s") for x in cold.get("warm_cache", [])]
    lines += [
        "",
        "## The app",
        "",
        "| measure | value | how |",
        "|---|---:|---|",
        f"| `cold_start_s` | {_fmt(r.get('cold_start_s'), 2)} | Popen `streamlit run app.py` → first page drawn in "
        f"headless Chromium, model cache warm; median of {warm_runs} |",
        f"| `cold_start_charts_s` | {_fmt(r.get('cold_start_charts_s'), 2)} | the same start until the first page's "
        "charts are drawn too (Streamlit loads its Vega bundle when the first chart arrives); median of "
        f"{[x.get('charts_drawn_s') for x in cold.get('warm_cache', [])]} |",
        f"| `cold_start_untrained_s` | {_fmt(r.get('cold_start_untrained_s'), 2)} | the same with an empty "
        "`XAI_CACHE_DIR` (the server trains the credit model) |",
        f"| `page_switch_ms` (p50) | {_fmt(r.get('page_switch_ms'))} | AppTest `switch_page(p).run()` cycling "
        f"{len(app.get('switch_pages') or [])} pages, {(app.get('page_switch') or {}).get('n')} switches after a "
        "warm-up visit of every page; p95 "
        f"{_fmt((app.get('page_switch') or {}).get('p95_ms'))} ms; by page "
        + ", ".join(f"{Path(k).stem} {_fmt(v)}" for k, v in (app.get("page_switch_by_page_p50_ms") or {}).items())
        + " |",
        f"| `whatif_edit_ms` (p50) | {_fmt(r.get('whatif_edit_ms'))} | AppTest `number_input(Income).set_value(v)"
        f".run()`, {(app.get('whatif_edit') or {}).get('n')} edits; p95 "
        f"{_fmt((app.get('whatif_edit') or {}).get('p95_ms'))} ms (AppTest's own overhead included) |",
        f"| AppTest first run / first visits | {_fmt(app.get('first_run_s'), 2)} s | first visit per page (ms): "
        + ", ".join(f"{Path(k).stem} {_fmt(v)}" for k, v in (app.get("first_visit_ms") or {}).items()) + " |",
    ]
    for what, block in (("cold start", cold), ("AppTest", app)):
        if block.get("error") or block.get("errors"):
            lines.append(f"| {what} errors | | {block.get('error') or '; '.join(block.get('errors'))[:500]} |")
    for run in [*cold.get("warm_cache", []), cold.get("untrained") or {}]:
        problems = {k: v for k, v in run.items() if k.startswith("attempt_") or k == "error"}
        if problems:
            lines.append(f"| cold start problem | | {json.dumps(problems)[:500]} |")

    lines += ["", "## Scale", "", "| measure | value | how |", "|---|---:|---|"]
    if "rows" in glob:
        label = _size_label(glob["rows"])
        stock_how = (f"extrapolated from {glob.get('stock_probe_rows')} rows" if glob.get("stock_extrapolated")
                     else "measured on every row")
        lines += [
            f"| `train_{label}_s` | {_fmt(glob.get('train_s'), 2)} | "
            + (f"`train_default_model` on {glob['rows']:,} seeded rows (80% split), no cache |"
               if glob.get("train_s") is not None else "not trained (--quick): the credit model explains these rows |"),
            f"| `global_shap_{label}_s` | {_fmt(glob.get('ours_s'), 2)} | `shap_values(model, all rows)`, exact "
            f"TreeSHAP, {glob.get('ours_threads')} thread(s) |",
            f"| `stock_global_shap_{label}_s` | {_fmt(glob.get('stock_s'), 2)} | `TreeExplainer.shap_values(X)`, "
            f"{stock_how}; stock/ours {_fmt(ratios.get(f'global_shap_{label}'), 2)}; max abs diff "
            f"{glob.get('max_abs_diff', float('nan')):.1e} |",
            f"| GPU | {'n/a' if not glob.get('gpu') else _fmt(glob['gpu'].get('global_shap_s'), 3)} | "
            + (glob.get("gpu_reason") or "") + (f"{glob['gpu']}" if glob.get("gpu") else "") + " |",
        ]
    elif glob:
        lines.append(f"| global SHAP failed | | {glob.get('error')} {glob.get('stderr_tail', '')[-300:]} |")
    if "rows" in opened:
        label = _size_label(opened["rows"])
        lines += [
            f"| `open_{label}_rows_s` | {_fmt(opened.get('total_s'), 2)} | fresh process: read Parquet "
            f"({opened['rows']:,} rows) → `prepare_dataset` (keeps {opened.get('rows_kept', 0):,} rows) → "
            f"`train_default_model` (empty cache; {opened.get('model_source', '')}) → `evaluate` → "
            f"`global_shap` ({opened.get('global_rows')} "
            f"sampled rows) → importance; imports {_fmt(opened.get('import_s'), 2)} s not included; table written "
            f"beforehand in {_fmt(table.get('generate_s'), 2)} + {_fmt(table.get('write_s'), 2)} s, "
            f"{_fmt(table.get('parquet_mb'))} MB |",
            f"| `peak_rss_mb_{label}_rows` | {_fmt(opened.get('peak_rss_mb'))} | `ru_maxrss` of that process |",
        ]
        for name, step in opened.get("steps", {}).items():
            lines.append(f"| ↳ {name} | {_fmt(step['s'], 2)} s | peak RSS so far {_fmt(step['peak_rss_mb'])} MB |")
    elif opened:
        lines.append(f"| open table failed | | {opened.get('error')} {opened.get('stderr_tail', '')[-300:]} |")

    lines += ["", "## Peak memory (RSS, MB; each measured in its own process)", "", "| process | MB |", "|---|---:|"]
    for name, value in (r.get("peak_rss_mb") or {}).items():
        lines.append(f"| {name} | {_fmt(value)} |")
    lines += ["", "## Notes", ""] + [f"- {note}" for note in r.get("notes", [])]
    return "\n".join(lines) + "\n"


def notes(cfg: dict, results: dict) -> list[str]:
    local = results["details"].get("local", {})
    out = [
        "Stock SHAP: `xgboost.XGBClassifier(enable_categorical=True).load_model(...)` of our booster's bytes (the "
        "same trees, so the values must agree), `shap.TreeExplainer(clf)` built once; the row is "
        "`dataset.coerce(frame)` (pandas category dtype). shap handles categorical XGBoost through XGBoost's own "
        "`pred_contribs`, so no fallback was needed.",
        "Stock LIME: `LimeTabularExplainer(training, feature_names, categorical_features, categorical_names, "
        "class_names, random_state=0)` on every row (median/mode-filled, categories as codes), then "
        "`explain_instance(row, predict_fn)` with defaults (5000 samples, 10 features, label 1 = the positive "
        "class); predict_fn decodes the codes to a frame and calls `clf.predict_proba`.",
        "Stock counterfactuals: `dice_ml.Data(dataframe=filled rows, continuous_features=..., outcome_name=...)`, "
        "`dice_ml.Model(model=Pipeline(to category dtype, clf), backend='sklearn')`, "
        "`Dice(..., method='genetic').generate_counterfactuals(query, total_CFs=4, desired_class='opposite')` with "
        "defaults (so it may change immutable features, which ours never do), seeded with np.random.seed(0) and "
        "random.seed(0). Stock quality is measured against the filled query that DiCE saw.",
        f"Stock DiCE genetic is timed on the first {cfg['genetic_rows']} of the rows (step 3) and the stock whole "
        f"explanation on the first {cfg['stock_explain_rows']} (step 4), to keep the run within budget; each "
        "ratio compares with ours on those same rows.",
        "Quality: validity = share of returned counterfactuals that the model re-predicts as the desired class; "
        "sparsity = mean number of changed features; proximity = `CounterfactualSearch.distance` (MAD-scaled, 1 per "
        "category) to the row; diversity = mean pairwise `distance` within a row's set.",
        "Our DiCE wrapper patches `dice_ml.explainer_interfaces.explainer_base.tqdm` (no progress bars) the first "
        "time it runs; that patch is in force for the stock DiCE calls too (they run later in the same process).",
        "AppTest times include AppTest's own overhead (it runs the script in-process, without a browser); the cold "
        "start includes Python start-up, imports, the first script run and Chromium drawing the page; Chromium was "
        "launched before the timer started.",
        "The machine is shared (see load average): absolute numbers are noisy; ours and stock are interleaved row by "
        "row so both see the same load.",
    ]
    if local.get("train_credit_s") is None:
        out.append("--quick: the credit model comes from the benchmark's cache; its training time is not measured.")
    if cfg["mode"] == "quick":
        out.append(f"--quick: {cfg['rows']} rows, global SHAP on {cfg['global_rows']:,} rows, no large-table "
                   "(open) step, one warm-cache cold start and no untrained one.")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows and repetitions; 100k rows, not 1M")
    parser.add_argument("--out", default="bench/results.json", help="where to write the JSON (Markdown beside it)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        emit(WORKERS[args.worker](json.loads(args.config or "{}")))
        return 0

    cfg = dict(QUICK if args.quick else FULL)
    started = time.perf_counter()
    results: dict = {
        "mode": cfg["mode"],
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "machine": machine(),
        "versions": versions(),
        "config": cfg,
        "details": {},
    }
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "XAI_CACHE_DIR": str(CACHE_DIR), "TQDM_DISABLE": "1", "PYTHONPATH": str(ROOT)}
    details = results["details"]

    def timed(label: str, action):
        t = time.perf_counter()
        value = action()
        log(f"{label}: {time.perf_counter() - t:.1f} s" + (f" — ERROR {value['error']}" if "error" in value else ""))
        return value

    details["local"] = timed("local explanations", lambda: run_worker("local", cfg, env, 480))
    details["cold_start"] = timed("cold start", lambda: measure_cold_starts(cfg))
    details["apptest"] = timed("AppTest", lambda: run_worker("apptest", cfg, env, 300))
    details["global"] = timed("global SHAP", lambda: run_worker("global", cfg, env, 300))
    if cfg["open_rows"]:
        with tempfile.TemporaryDirectory(prefix="xai-bench-") as scratch:
            path = str(Path(scratch) / "credit_large.parquet")
            details["table"] = timed("write table", lambda: run_worker(
                "table", {"rows": cfg["open_rows"], "path": path}, env, 300))
            if "error" not in details["table"]:
                # an empty model cache, so that train_default_model really trains
                fresh = {**env, "XAI_CACHE_DIR": str(Path(scratch) / "cache")}
                details["open"] = timed("open table", lambda: run_worker("open", {"path": path}, fresh, 600))
    else:
        log("large table: skipped (--quick)")
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["bench_wall_s"] = _round(time.perf_counter() - started, 1)
    results.update(assemble(results))
    results["notes"] = notes(cfg, results)
    # headline keys first, details last
    ordered = {k: v for k, v in results.items() if k != "details"}
    ordered["details"] = details

    out_path = Path(args.out)
    if not out_path.is_absolute():
        out_path = Path.cwd() / out_path
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(ordered, indent=2, default=_json_default) + "\n")
    table = markdown(ordered)
    out_path.with_suffix(".md").write_text(table)
    print(table)
    log(f"wrote {out_path} and {out_path.with_suffix('.md')} in {results['bench_wall_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
