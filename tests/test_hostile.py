"""Hostile input: no uploaded file or typed expression may run code, crash the server or leak another's data.

Every payload is built here at run time (no binary blob is committed): skops files that carry functions or
objects with side-effecting clean-up, deeply nested and oversized model files, absurd XGBoost parameters,
formula and markup text in column names and values, hostile ``--where`` filters (and generated ones). Each
must be refused with one line (engine: InputError; command line: exit 2 and ``error:``), with no marker file
written and no folder touched.
"""

from __future__ import annotations

import functools
import gc
import io
import json
import os
import re
import struct
import subprocess
import sys
import time
import tomllib
import zipfile
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
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from explainers import DatasetSpec, InputError, Workspace, prepare_dataset, train_default_model
from explainers.batch import BatchFolderError, list_results, open_results
from explainers.cli import main
from explainers.documents import safe_csv
from explainers.expressions import FilterError, parse_filter, select_rows
from explainers.global_views import partial_dependence
from explainers.model_check import ModelLimits, check_model_bytes, json_depth, ubj_decode
from explainers.models import check_model_against_data, load_model
from explainers.workspace import build_workspace

REPO = Path(__file__).resolve().parent.parent


def one_line(message: str) -> str:
    assert message and "\n" not in message and "\r" not in message, message
    return message


def cli_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: "), err
    return one_line(err)


# --------------------------------------------------------------------------------------------
# A small table and models trained on it


def table(n: int = 80, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "income": rng.normal(50, 10, n).round(1),
        "age": rng.integers(18, 70, n).astype(float),
        "home": rng.choice(["rent", "own", "other"], n),
    })
    frame["y"] = np.where(frame["income"] + 5 * (frame["home"] == "own") + rng.normal(0, 4, n) > 52, "yes", "no")
    return frame


@pytest.fixture(scope="module")
def small(cache_dir):
    frame = table()
    dataset = prepare_dataset(frame, DatasetSpec(name="small", target="y", task="classification",
                                                 positive_class="yes"))
    return dataset


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile-data") / "small.csv"
    table().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def xgb_json(small) -> bytes:
    """A real XGBoost model of the small table, as JSON."""
    model = xgb.XGBClassifier(n_estimators=5, max_depth=3, enable_categorical=True, tree_method="hist")
    model.fit(small.features, small.target_codes())
    return bytes(model.get_booster().save_raw("json"))


def numeric_frame(dataset) -> pd.DataFrame:
    return dataset.features[dataset.numeric]


def skops_bytes(estimator) -> bytes:
    return sio.dumps(estimator)


# --------------------------------------------------------------------------------------------
# 1. skops files: functions, callables, objects with side effects


def _fitted(step, dataset):
    pipeline = Pipeline([("step", step), ("classify", LogisticRegression(max_iter=500))])
    pipeline.fit(numeric_frame(dataset), dataset.target)
    return pipeline


def _writer_pipeline(dataset, writer: str, marker: Path):
    """A fitted pipeline whose FunctionTransformer calls numpy.<writer>(marker, X) on every prediction."""
    pipeline = _fitted(FunctionTransformer(), dataset)
    pipeline.named_steps["step"].func = functools.partial(getattr(np, writer), str(marker))
    return pipeline


@pytest.mark.parametrize("writer", ["save", "savetxt"])
def test_skops_pipeline_with_a_numpy_function_never_runs_it(tmp_path, small, writer):
    # FunctionTransformer(func=partial(numpy.save, marker)): loading it the old way (every sklearn/numpy/scipy
    # type trusted) and predicting writes the marker. The dashboard refuses it before building anything.
    control = tmp_path / "control"
    data = skops_bytes(_writer_pipeline(small, writer, control))
    old_way = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    with pytest.raises(Exception):  # noqa: B017 - the writer returns None; the marker is written first
        old_way.predict_proba(numeric_frame(small).iloc[:3].to_numpy())
    assert list(tmp_path.glob("control*")), "the payload should write its marker when trusted"

    marker = tmp_path / "marker"
    data = skops_bytes(_writer_pipeline(small, writer, marker))
    with pytest.raises(InputError) as exc:
        check_model_against_data(data, small, name="model.skops")
    message = one_line(str(exc.value))
    assert "model.skops" in message and "not loaded" in message
    assert not list(tmp_path.glob("marker*"))


def test_skops_function_transformer_with_a_trusted_ufunc_is_refused(small):
    # numpy.log1p is a ufunc skops trusts by default; no function is ever loaded here, trusted or not.
    data = skops_bytes(_fitted(FunctionTransformer(func=np.log1p), small))
    assert sio.get_untrusted_types(data=data) == []
    with pytest.raises(InputError, match="FunctionTransformer with a func"):
        check_model_against_data(data, small, name="log.skops")


def test_skops_object_whose_clean_up_deletes_a_folder_is_refused(tmp_path, small):
    from numpy.lib._datasource import DataSource

    def payload(folder: Path) -> bytes:
        source = DataSource(str(folder))
        source._istmpdest = True  # its __del__ now deletes ``folder``
        model = LogisticRegression(max_iter=500).fit(numeric_frame(small), small.target)
        model.cache_ = source
        try:
            return skops_bytes(model)
        finally:
            source._istmpdest = False  # this process's copy deletes nothing

    decoy = tmp_path / "decoy"
    decoy.mkdir()
    data = payload(decoy)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))  # the old way: every numpy type trusted
    del loaded
    gc.collect()
    assert not decoy.exists(), "the payload should delete its folder when trusted"

    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    with pytest.raises(InputError) as exc:
        check_model_against_data(payload(victim), small, name="cleanup.skops")
    assert "DataSource" in one_line(str(exc.value))
    gc.collect()
    assert (victim / "keep.txt").read_text() == "precious"


def _rewrite_schema(data: bytes, edit) -> bytes:
    """The same skops zip with schema.json changed by ``edit`` (a function of the parsed schema)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "schema.json":
                schema = json.loads(content)
                edit(schema)
                content = json.dumps(schema).encode()
            target.writestr(entry.filename, content)
    return out.getvalue()


@pytest.mark.parametrize("module, name", [("subprocess", "Popen"), ("builtins", "eval"), ("os", "system"),
                                          ("numpy.testing._private.utils", "runstring")])
def test_skops_schema_naming_other_callables_is_refused(tmp_path, small, module, name):
    data = skops_bytes(LogisticRegression(max_iter=500).fit(numeric_frame(small), small.target))

    def edit(schema):
        schema["__module__"], schema["__class__"] = module, name

    with pytest.raises(InputError) as exc:
        check_model_against_data(_rewrite_schema(data, edit), small, name="edited.skops")
    assert f"{module}.{name}" in one_line(str(exc.value))


def test_skops_function_and_method_loaders_are_refused(small):
    data = skops_bytes(LogisticRegression(max_iter=500).fit(numeric_frame(small), small.target))

    def edit(schema):
        schema["content"]["content"]["solver"] = {"__class__": "system", "__module__": "os",
                                                  "__loader__": "FunctionNode",
                                                  "content": {"module_path": "os", "function": "system"}}

    with pytest.raises(InputError, match="FunctionNode"):
        check_model_against_data(_rewrite_schema(data, edit), small, name="function.skops")


def test_skops_tree_with_an_index_past_its_nodes_is_refused(small):
    # scikit-learn walks a tree's child indices without bounds checks: a crafted one reads past the array.
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(numeric_frame(small), small.target)
    state = tree.tree_.__getstate__()
    nodes = state["nodes"].copy()
    nodes["left_child"][0] = 10_000_000
    state["nodes"] = nodes
    tree.tree_.__setstate__(state)
    with pytest.raises(InputError, match="child index outside the tree"):
        check_model_against_data(skops_bytes(tree), small, name="tree.skops")


def _generator_names(schema, name: str | None = None) -> list[dict]:
    """The bit-generator name nodes of every numpy Generator in a skops schema (set to ``name`` if given)."""
    found, stack = [], [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("__loader__") == "RandomGeneratorNode":
                found.append(node["content"]["bit_generator"]["content"]["bit_generator"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    if name is not None:
        for entry in found:
            entry["content"] = json.dumps(name)
    return found


def test_skops_random_generator_must_be_a_numpy_bit_generator():
    from sklearn.ensemble import HistGradientBoostingClassifier

    numeric = prepare_dataset(table().drop(columns="home"), DatasetSpec(name="numeric", target="y",
                                                                       task="classification"))
    model = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(numeric.features, numeric.target)
    data = skops_bytes(model)
    assert _generator_names(json.loads(zipfile.ZipFile(io.BytesIO(data)).read("schema.json")))
    assert check_model_against_data(data, numeric, name="hgb.skops").kind == "sklearn"  # a real one loads
    for name in ("set_bit_generator", "seed"):
        edited = _rewrite_schema(data, lambda schema, name=name: _generator_names(schema, name))
        with pytest.raises(InputError, match="not a bit generator"):
            check_model_against_data(edited, numeric, name="generator.skops")


def test_a_legitimate_skops_pipeline_still_loads(small):
    pipeline = Pipeline([
        ("prepare", ColumnTransformer([("scale", StandardScaler(), ["income", "age"])], remainder="drop")),
        ("classify", DecisionTreeClassifier(max_depth=4, random_state=0)),
    ]).fit(small.features, small.target)
    model = check_model_against_data(skops_bytes(pipeline), small, name="ok.skops")
    assert model.kind == "sklearn" and model.classes == ("no", "yes")


# --------------------------------------------------------------------------------------------
# 2. XGBoost files: nesting, sizes, absurd parameters; a native crash stays in the child


def deeply_nested(levels: int = 75_000) -> bytes:
    return b'{"learner":' + b"[" * levels + b"]" * levels + b"}"  # about 150 KB


def test_json_depth_is_measured_without_recursion():
    assert json_depth(b'{"a": [1, {"b": "[[[["}], "c": "\\"]"}', 10) == 3
    assert json_depth(deeply_nested(), 32) is None
    assert json_depth(b'{"a": [}', 10) == -1


def test_nested_json_upload_is_refused_and_the_server_lives(small):
    began = time.monotonic()
    with pytest.raises(InputError) as exc:
        check_model_against_data(deeply_nested(), small, name="model.json")
    assert "nests deeper than" in one_line(str(exc.value))
    assert time.monotonic() - began < 30


def ubj(value) -> bytes:
    """Universal Binary JSON (the subset XGBoost reads), for payloads."""
    if isinstance(value, dict):
        parts = [b"{"]
        for key, item in value.items():
            raw = key.encode()
            parts += [b"L", struct.pack(">q", len(raw)), raw, ubj(item)]
        return b"".join([*parts, b"}"])
    if isinstance(value, list):
        return b"[" + b"".join(ubj(v) for v in value) + b"]"
    if isinstance(value, bool):
        return b"T" if value else b"F"
    if value is None:
        return b"Z"
    if isinstance(value, int):
        return b"L" + struct.pack(">q", value)
    if isinstance(value, float):
        return b"D" + struct.pack(">d", value)
    raw = value.encode()
    return b"SL" + struct.pack(">q", len(raw)) + raw


def test_ubj_reader_is_iterative_and_bounded(xgb_json):
    doc = json.loads(xgb_json)
    assert ubj_decode(ubj(doc), 32) == doc
    assert ubj_decode(bytes(xgb.Booster(model_file=bytearray(xgb_json)).save_raw("ubj")), 32)["learner"]
    with pytest.raises(Exception, match="too deep"):
        ubj_decode(b"[" * 100_000 + b"]" * 100_000, 32)
    with pytest.raises(Exception, match=r"bad length|truncated"):
        ubj_decode(b"[$d#L" + struct.pack(">q", 10**15), 32)  # a count far past the bytes: nothing allocated


def test_a_segfault_in_libxgboost_kills_only_the_checking_process(xgb_json, small):
    # With the depth check switched off, libxgboost parses a 100,000-deep UBJSON value and overflows its stack.
    doc = json.loads(xgb_json)
    doc["learner"]["attributes"] = {"x": "PLACEHOLDER"}
    payload = ubj(doc).replace(ubj("PLACEHOLDER"), b"[" * 100_000 + b"]" * 100_000)
    direct = subprocess.run([sys.executable, "-c", "import sys, xgboost; xgboost.Booster(model_file=bytearray("
                             "sys.stdin.buffer.read()))"], input=payload, capture_output=True, timeout=120)
    assert direct.returncode < 0, "the payload should crash libxgboost when read directly"
    relaxed = ModelLimits(max_json_depth=10**6)
    with pytest.raises(InputError) as exc:
        check_model_bytes(payload, "deep.ubj", "ubj", {"features": len(small.feature_names)}, relaxed)
    assert "crashed its reader" in one_line(str(exc.value))
    assert os.getpid()  # still here


def _edited(xgb_json: bytes, edit) -> bytes:
    doc = json.loads(xgb_json)
    edit(doc)
    return json.dumps(doc).encode()


def _set(path: tuple, value):
    def edit(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


TREE_0 = ("learner", "gradient_booster", "model", "trees", 0)
ABSURD = {
    "num_class 1e8": (_set(("learner", "learner_model_param", "num_class"), "100000000"), "num_class"),
    "num_feature 2e9": (_set(("learner", "learner_model_param", "num_feature"), "2000000000"), "num_feature"),
    "num_trees 1e9": (_set(("learner", "gradient_booster", "model", "gbtree_model_param", "num_trees"),
                           "1000000000"), "num_trees"),
    "child past the end": (lambda d: d["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"]
                           .__setitem__(0, 10**6), "left_children"),
    "cycle": (lambda d: d["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"]
              .__setitem__(1, 0), "twice"),
    "split feature 9999": (lambda d: d["learner"]["gradient_booster"]["model"]["trees"][0]["split_indices"]
                           .__setitem__(0, 9999), "split_indices"),
    "nodes 1e9": (_set((*TREE_0, "tree_param", "num_nodes"), "1000000000"), "num_nodes"),
    "tree_info past the classes": (lambda d: d["learner"]["gradient_booster"]["model"]["tree_info"]
                                   .__setitem__(0, 7), "tree_info"),
    "objective": (_set(("learner", "objective", "name"), "exec:os.system"), "objective"),
}


@pytest.mark.parametrize("case", list(ABSURD), ids=list(ABSURD))
def test_absurd_xgboost_parameters_are_refused_fast(xgb_json, small, case):
    edit, word = ABSURD[case]
    began = time.monotonic()
    with pytest.raises(InputError) as exc:
        check_model_against_data(_edited(xgb_json, edit), small, name="m.json")
    message = one_line(str(exc.value))
    assert word in message and "m.json" in message
    assert time.monotonic() - began < 20  # the unchecked load took 67-111 s and 5 GB for num_class 1e8


def test_model_over_the_size_limit_is_refused_before_reading(monkeypatch, small, tmp_path, xgb_json):
    monkeypatch.setenv("XAI_MAX_MB", "1")
    big = xgb_json[:-1] + b', "padding": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    with pytest.raises(InputError, match="over the limit"):
        check_model_against_data(big, small, name="big.json")
    path = tmp_path / "big.json"
    path.write_bytes(big)
    with pytest.raises(InputError, match="over the limit"):
        load_model(path, small)


def test_cli_refuses_the_nested_json_with_exit_2(tmp_path, csv_file, capsys):
    model = tmp_path / "model.json"
    model.write_bytes(deeply_nested())
    code = main(["explain", "--data", str(csv_file), "--target", "y", "--model", str(model), "--counterfactuals", "0"])
    assert code == 2 and "nests deeper than" in cli_error(capsys)


def test_cli_process_exits_2_not_139(tmp_path, csv_file):
    model = tmp_path / "model.json"
    model.write_bytes(deeply_nested())
    done = subprocess.run([sys.executable, "-m", "explainers", "explain", "--data", str(csv_file), "--target", "y",
                           "--model", str(model), "--counterfactuals", "0"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1


def test_batch_refuses_the_nested_json(tmp_path, csv_file, capsys):
    model = tmp_path / "model.json"
    model.write_bytes(deeply_nested())
    code = main(["batch", "--data", str(csv_file), "--model", str(model), "--out", str(tmp_path / "out")])
    assert code == 2 and "nests deeper than" in cli_error(capsys)
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------
# 3. --where and the filter language


HOSTILE_FILTERS = [
    "@pd.io.common.os.system('touch {marker}')",
    "score.to_csv('{marker}')",
    "__import__('os').system('touch {marker}')",
    "income.__class__.__mro__[-1].__subclasses__()",
    "open('{marker}', 'w')",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "(lambda: open('{marker}', 'w'))()",
    "income if open('{marker}', 'w') else age",
    "income @ age",
    "income < 5; import os",
    "`income` < 1 or `x`.to_csv('{marker}')",
    "home in income.to_csv('{marker}')",
    "income < {{'a': open('{marker}', 'w')}}",
    "f'{{open(\"{marker}\", \"w\")}}' == home",
    "(" * 500 + "income" + ")" * 500,
    "not " * 2000 + "income",
    "income < " + "1" * 5000,
]


@pytest.mark.parametrize("template", HOSTILE_FILTERS, ids=range(len(HOSTILE_FILTERS)))
def test_hostile_filters_are_refused_and_run_nothing(tmp_path, small, template):
    marker = tmp_path / "marker"
    text = template.format(marker=marker)
    frame = small.features.assign(score=0.5)
    with pytest.raises(InputError) as exc:
        select_rows(frame, text)
    assert isinstance(exc.value, FilterError)
    one_line(str(exc.value))
    assert not marker.exists()


def test_batch_where_is_never_evaluated_as_code(tmp_path, small, xgb_json, capsys):
    data = tmp_path / "data.parquet"
    frame = table()
    frame.to_parquet(data)
    model = tmp_path / "model.json"
    model.write_bytes(xgb_json)
    marker = tmp_path / "marker"
    for where in (f"@pd.io.common.os.system('touch {marker}')", f"score.to_csv('{marker}')"):
        code = main(["batch", "--data", str(data), "--model", str(model), "--target", "y", "--out",
                     str(tmp_path / "out"), "--counterfactuals", "1", "--where", where])
        assert code == 2 and "--where" in cli_error(capsys)
    assert not marker.exists() and not (tmp_path / "out").exists()


FRAME = pd.DataFrame({
    "a": [0.5, -1.0, np.nan, 3.25, 2.0, -0.5, 10.0, np.nan],
    "b": [1, 2, 3, 4, 5, 6, 7, 8],
    "c": ["x", "y", None, "z", "x", "y w", "", "x"],
    "d d": [1.0, np.nan, 0.0, -2.0, 5.5, 1.0, 2.0, 3.0],
    "flag": [True, False, True, True, False, False, True, False],
})
NUMERIC = {"a": "a", "b": "b", "d d": "`d d`"}


@st.composite
def comparisons(draw):
    """(text, reference mask) for one comparison, the reference computed with pandas' own methods."""
    kind = draw(st.sampled_from(["number", "text", "in", "flag", "none"]))
    if kind == "number":
        column = draw(st.sampled_from(list(NUMERIC)))
        value = draw(st.one_of(st.integers(-5, 12), st.floats(-5, 12, allow_nan=False).map(lambda v: round(v, 2))))
        op, method = draw(st.sampled_from([("==", "eq"), ("!=", "ne"), ("<", "lt"), ("<=", "le"), (">", "gt"),
                                           (">=", "ge")]))
        mask = getattr(FRAME[column], method)(value)
        if draw(st.booleans()):
            reverse = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            return f"{value!r} {reverse} {NUMERIC[column]}", mask
        return f"{NUMERIC[column]} {op} {value!r}", mask
    if kind == "text":
        value = draw(st.sampled_from(["x", "y", "z", "y w", "", "q"]))
        op, method = draw(st.sampled_from([("==", "eq"), ("!=", "ne")]))
        return f"c {op} {value!r}", getattr(FRAME["c"], method)(value)
    if kind == "in":
        values = draw(st.lists(st.sampled_from(["x", "y", "z", "q"]), min_size=1, max_size=3))
        negate = draw(st.booleans())
        mask = FRAME["c"].isin(values)
        return f"c {'not in' if negate else 'in'} {values!r}", ~mask if negate else mask
    if kind == "flag":
        return "flag", FRAME["flag"]
    column = draw(st.sampled_from(["a", "c"]))
    equal = draw(st.booleans())
    mask = FRAME[column].isna()
    return f"{column} {'==' if equal else '!='} None", mask if equal else ~mask


@st.composite
def conditions(draw, depth: int = 3):
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(comparisons())
    shape = draw(st.sampled_from(["and", "or", "not"]))
    left_text, left = draw(conditions(depth - 1))
    if shape == "not":
        return f"not ({left_text})", ~left
    right_text, right = draw(conditions(depth - 1))
    mask = (left & right) if shape == "and" else (left | right)
    return f"({left_text}) {shape} ({right_text})", mask


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions())
def test_generated_filters_give_the_pandas_mask(case):
    text, expected = case
    got = select_rows(FRAME, text)
    assert got.dtype == bool and len(got) == len(FRAME)
    assert got.tolist() == expected.fillna(False).astype(bool).tolist(), text


TOKENS = ["a", "b", "c", "`d d`", "flag", "score", "1", "-2.5", "'x'", "None", "True", "(", ")", "[", "]", ",",
          "==", "!=", "<", ">=", "in", "not", "and", "or", "+", "*", "@", ".", "to_csv", "__class__", "lambda",
          ":", "if", "else", "for", "import", "os", "'", '"', "`", "{", "}", "=", ";", "\\", "\n", "~", "&", "|",
          "__import__('os').system('touch /nonexistent/x')"]


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(TOKENS), max_size=14).map(" ".join), st.text(max_size=80)))
def test_random_text_is_a_mask_or_one_input_error(text):
    try:
        mask = parse_filter(text).mask(FRAME)
    except InputError as exc:
        assert isinstance(exc, FilterError)
        one_line(str(exc))
    else:
        assert mask.dtype == bool and len(mask) == len(FRAME)


def test_filter_language_details():
    assert select_rows(FRAME, "0 < a < 3").tolist() == [True, False, False, False, True, False, False, False]
    assert select_rows(FRAME, "-a > 0").tolist() == (-FRAME["a"] > 0).tolist()
    assert select_rows(FRAME, "`d d` >= 1 and not flag").tolist() == ((FRAME["d d"] >= 1) & ~FRAME["flag"]).tolist()
    assert select_rows(FRAME, "c in ['x', None]").tolist() == (FRAME["c"].isin(["x"]) | FRAME["c"].isna()).tolist()
    with pytest.raises(InputError, match="unknown column 'nope'"):
        select_rows(FRAME, "nope > 1")
    with pytest.raises(InputError, match="could not be evaluated"):
        select_rows(FRAME, "a < 'x'")


# --------------------------------------------------------------------------------------------
# 4. Reports and downloads escape what came from the data


MARKUP = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
LINK = "[click](javascript:alert(3))"
FORMULAS = ["=1+2", "@SUM(1)", "+1+1", "-2+3", "\r=1+2", "\n=1", " =1+2", "\t=1", "  @cmd"]


@pytest.fixture(scope="module")
def hostile_report(cache_dir):
    from explainers.report import UseCase, build_report

    rng = np.random.default_rng(1)
    n = 80
    frame = pd.DataFrame({
        "=cmd|' /C calc'!A0": rng.normal(size=n).round(2),  # a formula as a column name
        "**bold** `code` _x_ a|b": rng.normal(size=n).round(2),
        "kind": rng.choice([IMG, LINK, "=HYPERLINK(\"http://evil.example\")", "www.evil.example"], n),
    })
    frame["label"] = np.where(frame.iloc[:, 0] > 0, MARKUP, "javascript:alert(4)")
    spec = DatasetSpec(name="hostile", target="label", task="classification", positive_class=MARKUP,
                       title={"en": f"Title {MARKUP} {LINK}"}, description={"en": f"# Not a heading {IMG} https://evil.example"})
    dataset = prepare_dataset(frame, spec)
    workspace = Workspace(dataset, train_default_model(dataset, use_cache=False))
    use_case = UseCase(name=f"# Heading {MARKUP}", purpose=LINK, intended_users=IMG,
                       decisions="<a href='javascript:alert(5)'>x</a>", limitations="```\n</script>\n```")
    return build_report(workspace, [0, 1], use_case, lang="en")


RAW_MARKUP = re.compile(r"<script>alert|<img src=x|<a href='javascript|(?<!\\)\]\(javascript:|onerror=alert\(2\)>",
                        re.IGNORECASE)


def test_markdown_report_escapes_data(hostile_report):
    markdown = hostile_report.to_markdown()
    outside_code = re.sub(r"(`{3,})\n.*?\n\1", "", markdown, flags=re.S)
    assert not RAW_MARKUP.search(outside_code), RAW_MARKUP.search(outside_code)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    assert "\\[click\\](javascript:alert(3))" in markdown
    assert "https://evil.example" not in outside_code and "www.evil.example" not in outside_code
    assert "\n# Heading" not in markdown  # a cell never starts a heading
    assert "\n\\# Not a heading" in markdown and "\n# Not a heading" not in markdown  # nor does a paragraph
    for line in outside_code.splitlines():
        assert not line.startswith(("<script", "<img", "<a href")), line


def test_html_report_escapes_data(hostile_report):
    page = hostile_report.to_html()
    body = re.sub(r'<script id="plotlyjs">.*?</script>', "", page, flags=re.S)
    assert "<script>alert(1)</script>" not in body and "<img src=x onerror" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<a href='javascript" not in body and '<a href="javascript' not in body
    # chart data sits in <script> blocks: a value can never close one
    for block in re.findall(r"<script[^>]*>(.*?)</script>", body, flags=re.S):
        assert "<script>alert" not in block and "</script" not in block


def test_pdf_report_makes_no_link_from_data(hostile_report):
    pdf = hostile_report.to_pdf()
    assert pdf.startswith(b"%PDF")
    assert not re.search(rb"/URI\s*\(\s*javascript", pdf, re.IGNORECASE) and b"/JavaScript" not in pdf
    assert b"/URI" not in pdf  # no link annotation at all


@pytest.mark.parametrize("payload", FORMULAS)
def test_csv_download_escapes_formulas_in_names_and_cells(payload):
    frame = pd.DataFrame({payload: [payload, "plain", None], "number": [-1.5, 2.0, 3.0]}, index=[payload, "b", "c"])
    out = pd.read_csv(io.BytesIO(safe_csv(frame, index=True)), keep_default_na=False, index_col=0)
    assert out.columns[0] == "'" + payload
    assert out.iloc[0, 0] == "'" + payload and out.iloc[1, 0] == "plain"
    assert out.index[0] == "'" + payload
    assert out["number"].tolist() == [-1.5, 2.0, 3.0]


def test_page_tables_escape_formulas_too():
    from pages.tables import escaped

    frame = pd.DataFrame({"=x": [*FORMULAS, "-", "-0.5", "ok"]})
    shown = escaped(frame)
    assert list(shown.columns) == ["'=x"]
    assert shown["'=x"].tolist() == [*["'" + f for f in FORMULAS], "-", "-0.5", "ok"]


def test_streamlit_config_turns_off_table_export_and_error_details():
    import streamlit.config as config

    settings_file = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())["client"]
    assert settings_file["disableDataExport"] is True
    assert settings_file["showErrorDetails"] == "none"
    options = config._config_options_template
    assert "client.disableDataExport" in options and "client.showErrorDetails" in options


# --------------------------------------------------------------------------------------------
# 5. Batch results: only folders under the results root, one message for missing and not allowed


def _results(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"format": "explainers-batch/1", "schema": {"features": []},
                                                      "partitions": []}))


def test_batch_results_only_from_the_root(tmp_path):
    root = tmp_path / "results"
    _results(root / "run-1")
    _results(root / "team" / "run-2")
    (root / "empty").mkdir()
    secret = tmp_path / "secret"
    _results(secret)
    (root / "link").symlink_to(secret, target_is_directory=True)
    assert list_results(root) == ["run-1", "team/run-2"]
    assert open_results("team/run-2", root).folder == (root / "team" / "run-2").resolve()
    messages = set()
    for name in ("../secret", str(secret), "link", "nope", "empty", "run-1/../../secret", "/etc", "", "run-1\x00"):
        with pytest.raises(BatchFolderError) as exc:
            open_results(name, root)
        assert exc.value.code == "not_found"
        message = str(exc.value).replace(name, "NAME", 1) if name else "NAME" + str(exc.value)
        messages.add(message)
        assert str(tmp_path) not in message
    assert len(messages) == 1  # missing and not allowed read the same


def test_batch_results_root_defaults_to_results_in_the_working_directory(tmp_path, monkeypatch):
    from explainers.batch import results_root

    monkeypatch.delenv("XAI_BATCH_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert results_root() == tmp_path / "results"
    assert list_results() == []
    monkeypatch.setenv("XAI_BATCH_ROOT", str(tmp_path / "elsewhere"))
    assert results_root() == tmp_path / "elsewhere"


# --------------------------------------------------------------------------------------------
# 6. Small and odd tables


@pytest.mark.parametrize("rows", [1, 4, 5, 9])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_too_small_tables_get_one_line_with_the_minimum(rows, task):
    frame = table(max(rows, 2)).iloc[:rows].reset_index(drop=True)
    if task == "regression":
        frame["y"] = np.arange(rows, dtype=float)
    elif frame["y"].nunique() < 2 and rows > 1:
        frame.loc[0, "y"] = "yes" if frame.loc[1, "y"] == "no" else "no"
    with pytest.raises(InputError) as exc:
        build_workspace(frame, "y", task=task)
    message = one_line(str(exc.value))
    assert "at least 10" in message or "at least two" in message


def test_prediction_curve_over_a_categorical_feature(small):
    from explainers.charts import partial_dependence_figure

    model = train_default_model(small, use_cache=False)
    row = small.features.iloc[[0]]
    curve = partial_dependence(model, "home", row)
    assert curve.categorical and curve.grid == list(small.info["home"].categories)
    assert curve.ice.shape == (1, len(curve.grid))
    spec = partial_dependence_figure(curve, "home", "P(yes)", current=str(row["home"].iloc[0]), threshold=0.5,
                                     probability=True)
    average = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line" and "data" in layer)
    x = average["encoding"]["x"]
    # A categorical axis in the grid's order, one point per category.
    assert x["type"] in ("nominal", "ordinal") and x["sort"] == [str(g) for g in curve.grid]
    assert [point["x"] for point in average["data"]["values"]] == [str(g) for g in curve.grid]


# --------------------------------------------------------------------------------------------
# 7. Through the page: the nested model upload is one error line, and the app keeps running


def test_data_source_page_refuses_the_nested_model_and_keeps_running():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/data_source.py").run()
    assert not at.exception, [e.value for e in at.exception]
    before = dict(at.session_state["view"])
    at.file_uploader(key="data_table").set_value(("mine.csv", table().to_csv(index=False).encode(), "text/csv")).run()
    at.radio(key="data_model_source").set_value("upload").run()
    at.file_uploader(key="data_model").set_value(("model.json", deeply_nested(), "application/json")).run()
    at.button(key="data_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value for e in at.error]
    assert len(shown) == 1 and "nests deeper than" in one_line(shown[0])
    assert at.session_state["view"]["dataset"] == before["dataset"]


def test_model_check_samples_rows_with_missing_values(tmp_path):
    frame = table()
    frame.loc[::7, "income"] = np.nan
    frame.loc[::5, "home"] = None
    dataset = prepare_dataset(frame, DatasetSpec(name="gaps", target="y", task="classification"))
    model = xgb.XGBClassifier(n_estimators=5, enable_categorical=True, tree_method="hist")
    model.fit(dataset.features, dataset.target_codes())
    path = tmp_path / "gaps.json"
    model.save_model(path)
    assert load_model(path, dataset).kind == "xgboost"


def test_what_if_curve_over_a_categorical_feature_draws():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.query_params["dataset"] = "credit"
    at.run()
    at.switch_page("pages/what_if.py").run()
    at.button_group(key="whatif_section").set_value("curve").run()
    at.selectbox(key="whatif_curve_feature").set_value("Home").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
