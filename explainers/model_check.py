"""Model files are read first in a short-lived child process, under limits, before the engine loads them.

An uploaded (or given) model file is untrusted input that native libraries parse: a deeply nested JSON can
make libxgboost overflow its stack, absurd sizes (``num_class`` 1e8, ``num_feature`` 2e9) ask for gigabytes,
and a skops file names the Python types it builds. So the server never parses a model file first. The parent
(:func:`check_model_bytes`) starts this module as a script in a child process and hands it the bytes on
standard input; the child limits itself (address space, CPU time, file size, no core dump) before it reads a
byte, then

- XGBoost ``.json``: measures the bracket depth in pure Python (no recursive parser), then reads it with
  ``json`` and checks the structure: sizes, ``num_class``, ``num_feature``, tree count, node count, depth,
  every child index, split feature and category list; ``.ubj`` is decoded the same way by an iterative reader;
  then libxgboost itself parses the bytes (loaded with ``ctypes``, without importing the xgboost package, so
  the child starts fast) and predicts a few rows;
- skops ``.skops``: checks the zip (entries, sizes), the depth of ``schema.json`` and every type and loader
  it names against :func:`allowed_skops_types` (scikit-learn estimators, transformers and pipelines, XGBoost's
  scikit-learn wrappers, and the plain data they hold; no functions, no methods, no other callables), so that
  ``skops.io.get_untrusted_types`` has nothing left once the list is applied; then loads it with exactly those
  types trusted, checks every decision tree, histogram-boosting predictor, KD/ball tree and SVM it holds, and
  predicts a few rows.

The child answers with one line of JSON (the facts, or one line saying why the file was refused) and leaves
with ``os._exit``, so no finaliser of anything it loaded ever runs. A crash (segfault), a memory or CPU bomb or
a timeout kills only the child; the parent turns that into one line too. The parent loads only files that
passed, from the same bytes it checked (no file is read twice).

Run as a script (``python -S -P explainers/model_check.py``, the parent's ``sys.path`` in ``PYTHONPATH``), it
imports nothing from this project and skips ``site`` (whose .pth files can cost 50 ms at every start); the
parent passes the limits and what the data expects in the first line of standard input.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import struct
import sys
import threading
import time
from dataclasses import asdict, dataclass

# The child imports only what it needs (it starts for every model file): hashlib, subprocess, tempfile,
# zipfile and pathlib are imported where they are used.

try:  # imported as explainers.model_check (the parent)
    from .errors import InputError
    from .messages import Message
except ImportError:  # run as a script (the child): no package, and no need for it
    InputError = ValueError  # type: ignore[misc,assignment]

MB = 1024 * 1024
XGBOOST_FORMATS = ("json", "ubj")
SKOPS_FORMATS = ("skops",)
HEADER_BYTES = 4 * MB  # the first line of standard input: limits, what the data expects, a few sample rows
OUTPUT_BYTES = 256 * 1024  # the child's answer (one JSON line) is never longer
_CACHE_SIZE = 32
_OBJECTIVES = ("reg:", "binary:", "multi:", "count:", "survival:", "rank:")


# --------------------------------------------------------------------------------------------
# Limits (the parent builds them; the child gets them as JSON)


@dataclass(frozen=True)
class ModelLimits:
    """How big a model may be and what its reader may use. Environment: ``XAI_MAX_MB`` (file size),
    ``XAI_MAX_COLUMNS`` (features), ``XAI_MAX_LEVELS`` (classes), ``XAI_MODEL_MEMORY_MB`` (the checking
    process's address space, default 3072) and ``XAI_MODEL_SECONDS`` (its CPU time, default 60)."""

    max_bytes: int = 200 * MB
    max_features: int = 500
    max_classes: int = 1000
    max_trees: int = 20_000
    max_nodes_per_tree: int = 1_000_000
    max_total_nodes: int = 20_000_000
    max_depth: int = 128
    max_json_depth: int = 32  # an XGBoost model nests about 8 levels deep
    max_schema_depth: int = 400  # a skops schema nests about 6 levels per pipeline step
    max_category: int = 1 << 16  # largest category code a split may name
    max_zip_entries: int = 100_000
    memory_mb: int = 3072
    cpu_seconds: int = 60

    @classmethod
    def from_env(cls, environ=None) -> ModelLimits:
        from .upload import Limits
        from .util import positive_int_setting

        environ = os.environ if environ is None else environ
        table = Limits.from_env(environ)
        values = {"max_bytes": table.max_bytes, "max_features": table.max_columns,
                  "max_classes": max(table.max_levels, 2)}
        for field_name, variable in (("memory_mb", "XAI_MODEL_MEMORY_MB"), ("cpu_seconds", "XAI_MODEL_SECONDS")):
            number = positive_int_setting(environ, variable)
            if number is not None:
                values[field_name] = number
        return cls(**values)


class Refused(Exception):
    """Raised in the child: the file breaks a rule; the message says which."""


class Mismatch(Refused):
    """Raised in the child: a sound model that does not fit the table (the message, the model's and the table's
    feature counts, which the parent words in the reader's language)."""


# --------------------------------------------------------------------------------------------
# Pure-Python readers (no recursion, bounded)

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST = re.compile(rb"\[\]|\{\}")


def json_depth(data: bytes, limit: int) -> int | None:
    """How deeply the JSON text ``data`` nests arrays and objects, without parsing it: strings are cut out,
    every other byte but brackets is dropped, and innermost pairs are removed once per level. None when it
    nests deeper than ``limit``; -1 when its brackets do not pair up (not JSON). Linear time per level, at
    most ``limit`` levels; no recursion."""
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    depth = 0
    while brackets:
        if depth >= limit:
            return None
        shorter = _INNERMOST.sub(b"", brackets)
        if len(shorter) == len(brackets):
            return -1
        brackets = shorter
        depth += 1
    return depth


_UBJ_NUMBERS = {"i": ">b", "U": ">B", "I": ">h", "l": ">i", "L": ">q", "d": ">f", "D": ">d"}


class _Frame:
    __slots__ = ("container", "is_object", "key", "remaining", "type")

    def __init__(self, container, is_object: bool, remaining: int | None, kind: str | None):
        self.container = container
        self.is_object = is_object
        self.remaining = remaining
        self.type = kind
        self.key: str | None = None


def ubj_decode(data: bytes, max_depth: int):
    """Universal Binary JSON (as XGBoost writes it) to Python objects, iteratively: every length is checked
    against the bytes left before anything is allocated, and nesting deeper than ``max_depth`` is refused."""
    size = len(data)
    position = 0

    def take(count: int) -> bytes:
        nonlocal position
        if count < 0 or position + count > size:
            raise Refused("truncated")
        chunk = data[position:position + count]
        position += count
        return chunk

    def marker() -> str:
        return take(1).decode("latin-1")

    def number(kind: str):
        code = _UBJ_NUMBERS.get(kind)
        if code is None:
            raise Refused(f"bad number marker {kind!r}")
        return struct.unpack(code, take(struct.calcsize(code)))[0]

    def length() -> int:
        value = number(marker())
        if not isinstance(value, int) or value < 0 or value > size:
            raise Refused("bad length")
        return value

    def text() -> str:
        try:
            return take(length()).decode("utf-8")
        except UnicodeDecodeError:
            raise Refused("bad text") from None

    def scalar(kind: str):
        if kind in _UBJ_NUMBERS:
            return number(kind)
        if kind in ("S", "H"):
            return text()
        if kind == "C":
            return take(1).decode("latin-1")
        if kind == "T":
            return True
        if kind == "F":
            return False
        if kind == "Z":
            return None
        raise Refused(f"bad marker {kind!r}")

    stack: list[_Frame] = []
    root = None
    done = False

    def attach(value) -> None:
        nonlocal root, done
        if not stack:
            root, done = value, True
            return
        frame = stack[-1]
        if frame.is_object:
            frame.container[frame.key] = value
            frame.key = None
        else:
            frame.container.append(value)
        if frame.remaining is not None:
            frame.remaining -= 1

    while not done:
        if stack:
            frame = stack[-1]
            if frame.remaining == 0:
                stack.pop()
                attach(frame.container)
                continue
            if frame.remaining is None:
                if position >= size:
                    raise Refused("truncated")
                end = data[position:position + 1]
                while end == b"N":  # no-op
                    position += 1
                    end = data[position:position + 1]
                if end == (b"}" if frame.is_object else b"]"):
                    position += 1
                    stack.pop()
                    attach(frame.container)
                    continue
            if frame.is_object and frame.key is None:
                frame.key = text()
            kind = frame.type or marker()
        else:
            kind = marker()
            while kind == "N":
                kind = marker()
        if kind in ("[", "{"):
            if len(stack) >= max_depth:
                raise Refused("too deep")
            item_type, count = None, None
            if data[position:position + 1] == b"$":
                position += 1
                item_type = marker()
                if data[position:position + 1] != b"#":
                    raise Refused("typed container without a count")
            if data[position:position + 1] == b"#":
                position += 1
                count = length()
            if kind == "[" and item_type in _UBJ_NUMBERS and count is not None:
                code = _UBJ_NUMBERS[item_type]
                width = struct.calcsize(code)
                attach(list(struct.unpack(f">{count}{code[1]}", take(width * count))))
                continue
            if item_type in ("T", "F", "Z", "N", "[", "{"):
                raise Refused("unsupported typed container")
            if count is not None and count > size - position:
                raise Refused("bad length")
            stack.append(_Frame({} if kind == "{" else [], kind == "{", count, item_type))
            continue
        attach(scalar(kind))
    if position != size:
        raise Refused("trailing bytes")
    return root


# --------------------------------------------------------------------------------------------
# XGBoost: structure


def _int(value, what: str, low: int, high: int) -> int:
    """A whole number stored as a number or as text (XGBoost writes parameters as strings), in [low, high]."""
    if isinstance(value, bool):
        raise Refused(f"{what} is not a whole number")
    if isinstance(value, str):
        if len(value) > 24:
            raise Refused(f"{what} is not a whole number")
        try:
            value = int(value.strip())
        except ValueError:
            try:
                as_float = float(value)
            except ValueError:
                raise Refused(f"{what} is not a whole number") from None
            if not as_float.is_integer():
                raise Refused(f"{what} is not a whole number") from None
            value = int(as_float)
    if isinstance(value, float):
        if not value.is_integer():
            raise Refused(f"{what} is not a whole number")
        value = int(value)
    if not isinstance(value, int):
        raise Refused(f"{what} is not a whole number")
    if value < low or value > high:
        raise Refused(f"{what} is {value:,}, outside {low:,}..{high:,}")
    return value


def _dict(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise Refused(f"{what} is missing or not an object")
    return value


def _list(value, what: str, length: int | None = None) -> list:
    if not isinstance(value, list):
        raise Refused(f"{what} is missing or not a list")
    if length is not None and len(value) != length:
        raise Refused(f"{what} has {len(value):,} entries, not {length:,}")
    return value


def _ints(values: list, what: str, low: int, high: int) -> None:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value < low or value > high:
            raise Refused(f"{what} holds {value!r}, outside {low:,}..{high:,}")


def check_tree(tree: dict, index: int, num_feature: int, limits: dict) -> tuple[int, int]:
    """One XGBoost tree: every array as long as the node count, every child index inside the tree and
    reached once (no cycle, no shared node), split features below ``num_feature``, categories in range.
    Returns (nodes, depth)."""
    what = f"tree {index}"
    tree = _dict(tree, what)
    param = _dict(tree.get("tree_param"), f"{what} tree_param")
    nodes = _int(param.get("num_nodes"), f"{what} num_nodes", 1, limits["max_nodes_per_tree"])
    _int(param.get("num_feature", num_feature), f"{what} num_feature", 0, num_feature)
    leaf_size = _int(param.get("size_leaf_vector", 1), f"{what} size_leaf_vector", 0, 1)
    del leaf_size
    left = _list(tree.get("left_children"), f"{what} left_children", nodes)
    right = _list(tree.get("right_children"), f"{what} right_children", nodes)
    split = _list(tree.get("split_indices"), f"{what} split_indices", nodes)
    for name in ("parents", "split_conditions", "default_left", "base_weights", "loss_changes", "sum_hessian"):
        if name in tree:
            _list(tree[name], f"{what} {name}", nodes)
    split_type = tree.get("split_type")
    if split_type is not None:
        _list(split_type, f"{what} split_type", nodes)
        _ints(split_type, f"{what} split_type", 0, 1)
    _ints(left, f"{what} left_children", -1, nodes - 1)
    _ints(right, f"{what} right_children", -1, nodes - 1)
    _ints(split, f"{what} split_indices", 0, max(num_feature - 1, 0))
    depth_of = [-1] * nodes
    depth_of[0] = 0
    stack = [0]
    deepest = 0
    reached = 1
    while stack:
        node = stack.pop()
        a, b = left[node], right[node]
        if a == -1 and b == -1:
            continue
        if a == -1 or b == -1 or a == node or b == node:
            raise Refused(f"{what} node {node} has one child or points at itself")
        if split[node] >= num_feature:
            raise Refused(f"{what} node {node} splits on feature {split[node]} of {num_feature}")
        for child in (a, b):
            if depth_of[child] != -1 or child == 0:
                raise Refused(f"{what} reaches node {child} twice (a cycle or a shared node)")
            depth_of[child] = depth_of[node] + 1
            if depth_of[child] > limits["max_depth"]:
                raise Refused(f"{what} is deeper than {limits['max_depth']} levels")
            deepest = max(deepest, depth_of[child])
            reached += 1
            stack.append(child)
    deleted = _int(param.get("num_deleted", 0), f"{what} num_deleted", 0, nodes)
    if reached + deleted < nodes:
        raise Refused(f"{what} has {nodes - reached:,} nodes that no path reaches")
    cat_nodes = tree.get("categories_nodes") or []
    if cat_nodes:
        categories = _list(tree.get("categories"), f"{what} categories")
        segments = _list(tree.get("categories_segments"), f"{what} categories_segments", len(cat_nodes))
        sizes = _list(tree.get("categories_sizes"), f"{what} categories_sizes", len(cat_nodes))
        _ints(cat_nodes, f"{what} categories_nodes", 0, nodes - 1)
        _ints(segments, f"{what} categories_segments", 0, len(categories))
        _ints(sizes, f"{what} categories_sizes", 0, len(categories))
        _ints(categories, f"{what} categories", 0, limits["max_category"])
        for start, count in zip(segments, sizes, strict=True):
            if start + count > len(categories):
                raise Refused(f"{what} has a category list past its end")
    return nodes, deepest


def check_xgboost_document(doc, limits: dict, expected: dict | None) -> dict:
    """The structure of an XGBoost model (its JSON, or its UBJSON decoded): the facts, or Refused."""
    doc = _dict(doc, "the model")
    learner = _dict(doc.get("learner"), "learner")
    param = _dict(learner.get("learner_model_param"), "learner_model_param")
    num_feature = _int(param.get("num_feature"), "num_feature", 1, limits["max_features"])
    num_class = _int(param.get("num_class", 0), "num_class", 0, limits["max_classes"])
    if num_class == 1:
        num_class = 0
    num_target = _int(param.get("num_target", 1), "num_target", 0, 1)
    del num_target
    base = param.get("base_score", "")
    if not isinstance(base, str | int | float) or len(str(base)) > 64 * max(num_class, 1) + 64:
        raise Refused("base_score is malformed")
    names = learner.get("feature_names") or []
    types = learner.get("feature_types") or []
    if names:
        _list(names, "feature_names", num_feature)
        if not all(isinstance(n, str) and len(n) <= 1000 for n in names):
            raise Refused("feature_names holds something that is not a short text")
    if types:
        _list(types, "feature_types", num_feature)
        if not all(isinstance(t, str) and len(t) <= 16 for t in types):
            raise Refused("feature_types is malformed")
    objective = _dict(learner.get("objective"), "objective").get("name")
    if not isinstance(objective, str) or not objective.startswith(_OBJECTIVES) or len(objective) > 64:
        raise Refused(f"objective {str(objective)[:40]!r} is not one XGBoost trains")
    if objective.startswith("multi:") and num_class < 2:
        raise Refused("a multi-class objective needs num_class of at least 2")
    wanted = (expected or {}).get("features")
    if wanted is not None and not names and num_feature != wanted:
        # (a model with feature names is compared name by name by the engine, which lists the differences)
        raise Mismatch(f"the model expects {num_feature:,} features but the table has {wanted:,}; "
                       "give the table the model was trained on.", num_feature, wanted)
    booster = _dict(learner.get("gradient_booster"), "gradient_booster")
    kind = booster.get("name")
    groups = max(num_class, 1)
    facts = {"num_feature": num_feature, "num_class": num_class, "objective": objective, "booster": kind,
             "trees": 0, "nodes": 0, "depth": 0}
    if kind == "gblinear":
        model = _dict(booster.get("model"), "gblinear model")
        _list(model.get("weights"), "gblinear weights", (num_feature + 1) * groups)
        return facts
    if kind == "dart":
        booster = _dict(booster.get("gbtree"), "dart gbtree")
        kind = "gbtree"
    if kind != "gbtree":
        raise Refused(f"gradient booster {str(kind)[:20]!r} is not gbtree, dart or gblinear")
    model = _dict(booster.get("model"), "gbtree model")
    model_param = _dict(model.get("gbtree_model_param"), "gbtree_model_param")
    count = _int(model_param.get("num_trees"), "num_trees", 0, limits["max_trees"])
    _int(model_param.get("num_parallel_tree", 1), "num_parallel_tree", 1, limits["max_trees"] or 1)
    trees = _list(model.get("trees"), "trees", count)
    info = _list(model.get("tree_info"), "tree_info", count)
    _ints(info, "tree_info", 0, groups - 1)
    indptr = model.get("iteration_indptr")
    if indptr is not None:
        indptr = _list(indptr, "iteration_indptr")
        if len(indptr) > count + 1 or (indptr and (indptr[0] != 0 or indptr[-1] != count)):
            raise Refused("iteration_indptr does not match the trees")
        _ints(indptr, "iteration_indptr", 0, count)
        if any(b < a for a, b in itertools.pairwise(indptr)):
            raise Refused("iteration_indptr goes backwards")
    cats = model.get("cats")
    if isinstance(cats, dict) and cats.get("feature_segments"):
        segments = _list(cats["feature_segments"], "cats feature_segments", num_feature + 1)
        _ints(segments, "cats feature_segments", 0, limits["max_category"] * num_feature)
        if any(b < a for a, b in itertools.pairwise(segments)) or segments[0] != 0:
            raise Refused("cats feature_segments go backwards")
        ordered = _list(cats.get("sorted_idx"), "cats sorted_idx", segments[-1])
        _ints(ordered, "cats sorted_idx", 0, max(segments[-1] - 1, 0))
    total = 0
    for index, tree in enumerate(trees):
        nodes, depth = check_tree(tree, index, num_feature, limits)
        total += nodes
        if total > limits["max_total_nodes"]:
            raise Refused(f"the trees hold more than {limits['max_total_nodes']:,} nodes")
        facts["depth"] = max(facts["depth"], depth)
    facts["trees"], facts["nodes"] = count, total
    return facts


# --------------------------------------------------------------------------------------------
# XGBoost: libxgboost through ctypes (importing the xgboost package takes seconds; loading its library does not)


def _libxgboost():
    import ctypes
    import importlib.util

    spec = importlib.util.find_spec("xgboost")
    folders = list(spec.submodule_search_locations or []) if spec else []
    names = {"linux": "libxgboost.so", "darwin": "libxgboost.dylib", "win32": "xgboost.dll"}
    name = names.get(sys.platform, "libxgboost.so")
    candidates = [os.path.join(f, "lib", name) for f in folders] + [os.path.join(sys.prefix, "lib", name)]
    for candidate in candidates:
        if os.path.isfile(candidate):
            lib = ctypes.cdll.LoadLibrary(candidate)
            break
    else:  # an unusual installation: let the package find its library (slower)
        import xgboost.core

        lib = xgboost.core._LIB
    lib.XGBGetLastError.restype = ctypes.c_char_p
    return lib


def _xgboost_error(lib) -> str:
    text = (lib.XGBGetLastError() or b"").decode("utf-8", "replace").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    line = lines[0] if lines else "unknown error"
    line = re.sub(r"^\[[^\]]*\]\s*", "", line)
    line = re.sub(r"\S*/\S+:\d+:\s*", "", line)  # the C++ source path and line
    return line[:160]


def native_xgboost(data: bytes, sample: list[list[float]] | None) -> dict:
    """Parse ``data`` with libxgboost and predict the sample rows; the facts XGBoost reports."""
    import ctypes

    lib = _libxgboost()
    handle = ctypes.c_void_p()
    if lib.XGBoosterCreate(None, ctypes.c_uint64(0), ctypes.byref(handle)) != 0:
        raise Refused("XGBoost could not start (" + _xgboost_error(lib) + ")")
    buffer = ctypes.create_string_buffer(data, len(data))
    if lib.XGBoosterLoadModelFromBuffer(handle, buffer, ctypes.c_uint64(len(data))) != 0:
        raise Refused("is not a readable XGBoost model (" + _xgboost_error(lib) + ")")
    features = ctypes.c_uint64()
    rounds = ctypes.c_int()
    length = ctypes.c_uint64()
    text = ctypes.c_char_p()
    if (lib.XGBoosterGetNumFeature(handle, ctypes.byref(features)) != 0
            or lib.XGBoosterBoostedRounds(handle, ctypes.byref(rounds)) != 0
            or lib.XGBoosterSaveJsonConfig(handle, ctypes.byref(length), ctypes.byref(text)) != 0):
        raise Refused("is not a usable XGBoost model (" + _xgboost_error(lib) + ")")
    config = json.loads(ctypes.string_at(text, length.value).decode("utf-8"))
    facts = {"native_features": int(features.value), "rounds": int(rounds.value),
             "native_objective": config["learner"]["objective"]["name"]}
    if sample:
        width = int(features.value)
        nan = float("nan")
        rows = [[nan if v is None else float(v) for v in row][:width] + [nan] * max(0, width - len(row))
                for row in sample if isinstance(row, list)]
        rows = rows or [[nan] * width]
        values = (ctypes.c_double * (len(rows) * width))(*[v for row in rows for v in row])
        interface = json.dumps({"data": [ctypes.addressof(values), True], "shape": [len(rows), width],
                                "strides": None, "typestr": "<f8", "version": 3})
        options = json.dumps({"type": 1, "training": False, "iteration_begin": 0, "iteration_end": 0,
                              "missing": float("nan"), "strict_shape": False, "cache_id": 0})
        shape = ctypes.POINTER(ctypes.c_uint64)()
        dims = ctypes.c_uint64()
        out = ctypes.POINTER(ctypes.c_float)()
        status = lib.XGBoosterPredictFromDense(handle, interface.encode(), options.encode(), None,
                                               ctypes.byref(shape), ctypes.byref(dims), ctypes.byref(out))
        facts["predicted"] = status == 0  # an error is not a crash; the engine reports errors itself
    return facts


def check_xgboost(data: bytes, fmt: str, header: dict) -> dict:
    limits = header["limits"]
    if fmt == "json":
        if not data.lstrip()[:1] == b"{":
            raise Refused("is not an XGBoost JSON model (it does not start with '{')")
        depth = json_depth(data, limits["max_json_depth"])
        if depth is None:
            raise Refused(f"nests deeper than {limits['max_json_depth']} levels")
        if depth < 0:
            raise Refused("is not valid JSON (corrupt or truncated?)")
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise Refused("is not valid JSON (corrupt or truncated?)") from None
    else:
        try:
            doc = ubj_decode(data, limits["max_json_depth"])
        except Refused as exc:
            reason = str(exc)
            if reason == "too deep":
                raise Refused(f"nests deeper than {limits['max_json_depth']} levels") from None
            raise Refused(f"is not a readable UBJSON model ({reason})") from None
    try:
        facts = check_xgboost_document(doc, limits, header.get("expected"))
    except Mismatch:
        raise
    except Refused as exc:
        raise Refused(f"is not a valid XGBoost model ({exc})") from None
    del doc
    native = native_xgboost(data, header.get("sample"))
    if native["native_features"] != facts["num_feature"]:
        raise Refused("its feature count disagrees with itself")
    return {**facts, **native, "kind": "xgboost"}


# --------------------------------------------------------------------------------------------
# skops: the allow-list


# Public scikit-learn names: each is imported and its defining module recorded, so private module moves
# between scikit-learn versions do not matter.
SKLEARN_ESTIMATORS = {
    "sklearn.linear_model": (
        "LogisticRegression", "LogisticRegressionCV", "LinearRegression", "Ridge", "RidgeCV", "RidgeClassifier",
        "RidgeClassifierCV", "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV", "SGDClassifier", "SGDRegressor",
        "Perceptron", "PassiveAggressiveClassifier", "PassiveAggressiveRegressor", "HuberRegressor",
        "BayesianRidge", "ARDRegression", "PoissonRegressor", "GammaRegressor", "TweedieRegressor",
        "QuantileRegressor", "Lars", "LassoLars",
    ),
    "sklearn.tree": ("DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor"),
    "sklearn.ensemble": (
        "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
        "GradientBoostingClassifier", "GradientBoostingRegressor", "HistGradientBoostingClassifier",
        "HistGradientBoostingRegressor", "AdaBoostClassifier", "AdaBoostRegressor", "BaggingClassifier",
        "BaggingRegressor", "VotingClassifier", "VotingRegressor",
    ),
    "sklearn.svm": ("SVC", "SVR", "NuSVC", "NuSVR", "LinearSVC", "LinearSVR"),
    "sklearn.neighbors": ("KNeighborsClassifier", "KNeighborsRegressor", "KDTree", "BallTree"),
    "sklearn.naive_bayes": ("GaussianNB", "MultinomialNB", "BernoulliNB", "ComplementNB", "CategoricalNB"),
    "sklearn.dummy": ("DummyClassifier", "DummyRegressor"),
    "sklearn.preprocessing": (
        "StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "Normalizer", "QuantileTransformer",
        "PowerTransformer", "OneHotEncoder", "OrdinalEncoder", "TargetEncoder", "KBinsDiscretizer",
        "PolynomialFeatures", "SplineTransformer", "Binarizer", "LabelEncoder", "LabelBinarizer",
        "FunctionTransformer",  # only with func and inverse_func None: ColumnTransformer's "passthrough"
    ),
    "sklearn.impute": ("SimpleImputer", "KNNImputer", "MissingIndicator"),
    "sklearn.compose": ("ColumnTransformer", "make_column_selector"),
    "sklearn.pipeline": ("Pipeline", "FeatureUnion"),
    "sklearn.utils": ("Bunch",),
}
# What those estimators hold inside (the fitted state), by full name.
SKLEARN_INTERNALS = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    *(f"sklearn._loss.loss.{name}" for name in (
        "HalfSquaredError", "AbsoluteError", "PinballLoss", "HuberLoss", "HalfPoissonLoss", "HalfGammaLoss",
        "HalfTweedieLoss", "HalfTweedieLossIdentity", "HalfBinomialLoss", "HalfMultinomialLoss", "ExponentialLoss")),
    *(f"sklearn._loss._loss.Cy{name}" for name in (
        "HalfSquaredError", "AbsoluteError", "PinballLoss", "HuberLoss", "HalfPoissonLoss", "HalfGammaLoss",
        "HalfTweedieLoss", "HalfTweedieLossIdentity", "HalfBinomialLoss", "HalfMultinomialLoss", "ExponentialLoss")),
    *(f"sklearn._loss.link.{name}" for name in (
        "IdentityLink", "LogLink", "LogitLink", "HalfLogitLink", "MultinomialLogit", "Interval")),
    *(f"sklearn.metrics._dist_metrics.{name}{bits}" for name in (
        "EuclideanDistance", "SEuclideanDistance", "ManhattanDistance", "ChebyshevDistance", "MinkowskiDistance")
      for bits in ("64", "32")),
)
XGBOOST_WRAPPERS = ("XGBClassifier", "XGBRegressor", "XGBRFClassifier", "XGBRFRegressor")
# The plain data estimators hold.
DATA_TYPES = (
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset", "builtins.str",
    "builtins.int", "builtins.float", "builtins.bool", "builtins.complex", "builtins.NoneType", "builtins.slice",
    "builtins.bytes", "builtins.bytearray", "builtins.object",
    "numpy.ndarray", "numpy.dtype", "numpy.random.mtrand.RandomState", "numpy.random._generator.Generator",
    *(f"numpy.{name}" for name in (
        "float16", "float32", "float64", "longdouble", "int8", "int16", "int32", "int64", "uint8", "uint16",
        "uint32", "uint64", "bool", "bool_", "str_", "bytes_", "object_", "complex64", "complex128", "intp")),
    *(f"scipy.sparse._{kind}.{kind}_{form}" for kind in ("csr", "csc", "coo") for form in ("matrix", "array")),
)
# skops loaders that only rebuild data or allow-listed objects. Not here, so refused: FunctionNode,
# MethodNode, PartialNode, OperatorFuncNode, ReduceNode of other types, DefaultDictNode (its factory is a
# callable), and anything newer. RandomGeneratorNode calls a numpy.random class named by a string in its
# state: allowed only when that name is one of numpy's bit generators and its seed pool is small.
ALLOWED_LOADERS = frozenset({
    "ObjectNode", "DictNode", "ListNode", "TupleNode", "SetNode", "JsonNode", "NdArrayNode", "DTypeNode",
    "SliceNode", "TypeNode", "TreeNode", "LossNode", "RandomStateNode", "RandomGeneratorNode", "BytesNode",
    "BytearrayNode", "SparseMatrixNode",
})
BIT_GENERATORS = frozenset({"PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"})


def allowed_skops_types(extra: tuple[str, ...] = ()) -> frozenset[str]:
    """Every type name a skops model file may contain (imports scikit-learn; XGBoost's wrappers when installed)."""
    import importlib

    names = set(SKLEARN_INTERNALS) | set(DATA_TYPES) | set(extra)
    for module_name, classes in SKLEARN_ESTIMATORS.items():
        module = importlib.import_module(module_name)
        for class_name in classes:
            cls = getattr(module, class_name, None)
            if isinstance(cls, type):
                names.add(f"{cls.__module__}.{cls.__qualname__}")
    if importlib.util.find_spec("xgboost") is not None:
        names |= {f"xgboost.sklearn.{name}" for name in XGBOOST_WRAPPERS} | {"xgboost.core.Booster"}
    return frozenset(names)


def skops_schema_types(schema) -> tuple[set[str], set[str], list[str]]:
    """(types, loaders, problems) named anywhere in a skops schema, walked without recursion."""
    types: set[str] = set()
    loaders: set[str] = set()
    problems: list[str] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if "__loader__" in node or "__class__" in node or "__module__" in node:
            module, cls, loader = node.get("__module__"), node.get("__class__"), node.get("__loader__")
            if not all(isinstance(v, str) and len(v) < 300 for v in (module, cls)):
                problems.append("a node without a proper type name")
            else:
                types.add(f"{module}.{cls}")
            if loader is not None:
                loaders.add(str(loader)[:100])
            if cls == "FunctionTransformer" and str(module).startswith("sklearn."):
                attrs = (node.get("content") or {}).get("content") if isinstance(node.get("content"), dict) else None
                for key in ("func", "inverse_func"):
                    value = attrs.get(key) if isinstance(attrs, dict) else None
                    if value is not None and not (isinstance(value, dict) and value.get("content") == "null"
                                                  and value.get("__loader__") == "JsonNode"):
                        problems.append(f"a FunctionTransformer with a {key} (functions are never loaded)")
            if loader == "RandomGeneratorNode":
                problem = _generator_problem(node)
                if problem:
                    problems.append(problem)
            reduce = node.get("__reduce__")
            if reduce is not None:
                stack.append(reduce)
        stack.extend(v for v in node.values() if isinstance(v, dict | list))
    return types, loaders, problems


def _generator_problem(node: dict) -> str | None:
    """Why a numpy Generator node is refused (its bit generator is not numpy's, or its seed pool is huge)."""
    try:
        content = node["content"]
        name = json.loads(content["bit_generator"]["content"]["bit_generator"]["content"])
        pool = content["seed_seq"]["content"].get("pool_size")
        pool = json.loads(pool["content"]) if isinstance(pool, dict) else 4
    except (KeyError, TypeError, ValueError, AttributeError):
        return "a random generator whose state cannot be read"
    if name not in BIT_GENERATORS:
        return f"a random generator built by numpy.random.{str(name)[:40]}, which is not a bit generator"
    if not isinstance(pool, int) or isinstance(pool, bool) or not 1 <= pool <= 1024:
        return "a random generator with an unusual seed pool"
    return None


# --------------------------------------------------------------------------------------------
# skops: after loading, the fitted state that compiled code indexes without bounds checks


def _check_sklearn_tree(tree, where: str, n_features: int | None, limits: dict) -> tuple[int, int]:
    import numpy as np

    count = int(tree.node_count)
    if count < 1 or count > limits["max_nodes_per_tree"]:
        raise Refused(f"{where} has {count:,} nodes")
    left = np.asarray(tree.children_left)
    right = np.asarray(tree.children_right)
    feature = np.asarray(tree.feature)
    if len(left) != count or len(right) != count or len(feature) != count:
        raise Refused(f"{where} has arrays of the wrong length")
    leaf = left == -1
    if not np.array_equal(leaf, right == -1):
        raise Refused(f"{where} has a node with one child")
    index = np.arange(count)
    inner = ~leaf
    # scikit-learn numbers children after their parent: a child index above the parent's, inside the tree,
    # rules out cycles and reads past the end.
    if ((left[inner] <= index[inner]) | (left[inner] >= count) | (right[inner] <= index[inner])
            | (right[inner] >= count)).any():
        raise Refused(f"{where} has a child index outside the tree")
    width = int(tree.n_features)
    if n_features is not None and width != n_features:
        raise Refused(f"{where} expects {width} features, its estimator {n_features}")
    if ((feature[inner] < 0) | (feature[inner] >= width)).any():
        raise Refused(f"{where} splits on a feature that does not exist")
    value = np.asarray(tree.value)
    if value.shape[0] != count:
        raise Refused(f"{where} has {value.shape[0]} values for {count} nodes")
    depth = np.zeros(count, dtype=np.int64)
    parents = index[inner]
    for _ in range(limits["max_depth"] + 1):
        new = depth.copy()
        new[left[parents]] = depth[parents] + 1
        new[right[parents]] = depth[parents] + 1
        if np.array_equal(new, depth):
            break
        depth = new
    else:
        raise Refused(f"{where} is deeper than {limits['max_depth']} levels")
    return count, int(depth.max())


def _check_hgb_predictor(predictor, where: str, n_features: int | None, limits: dict) -> tuple[int, int]:
    import numpy as np

    nodes = predictor.nodes
    count = len(nodes)
    if count < 1 or count > limits["max_nodes_per_tree"]:
        raise Refused(f"{where} has {count:,} nodes")
    leaf = nodes["is_leaf"].astype(bool)
    inner = np.flatnonzero(~leaf)
    for side in ("left", "right"):
        child = nodes[side][inner].astype(np.int64)
        if ((child <= inner) | (child >= count)).any():
            raise Refused(f"{where} has a child index outside the tree")
    feature = nodes["feature_idx"][inner].astype(np.int64)
    if n_features is not None and ((feature < 0) | (feature >= n_features)).any():
        raise Refused(f"{where} splits on a feature that does not exist")
    categorical = inner[nodes["is_categorical"][inner].astype(bool)]
    if len(categorical):
        bitsets = np.asarray(predictor.raw_left_cat_bitsets)
        if ((nodes["bitset_idx"][categorical] < 0) | (nodes["bitset_idx"][categorical] >= len(bitsets))).any():
            raise Refused(f"{where} points past its category bitsets")
    depth = int(nodes["depth"].max()) if count else 0
    if depth > limits["max_depth"]:
        raise Refused(f"{where} is deeper than {limits['max_depth']} levels")
    return count, depth


def _check_binary_tree(tree, where: str) -> None:
    import numpy as np

    data, order, node_data, bounds = tree.get_arrays()
    rows = len(data)
    order = np.asarray(order)
    if len(order) != rows or (len(order) and (order.min() < 0 or order.max() >= rows)):
        raise Refused(f"{where} indexes rows it does not have")
    starts, ends = node_data["idx_start"], node_data["idx_end"]
    if len(node_data) and ((starts < 0) | (ends > rows) | (starts > ends)).any():
        raise Refused(f"{where} has node ranges outside its rows")
    if np.asarray(bounds).shape[1:2] != (len(node_data),):
        raise Refused(f"{where} has bounds for another number of nodes")


def _check_svm(model, where: str) -> None:
    import numpy as np

    support = getattr(model, "support_vectors_", None)
    if support is None or not hasattr(model, "_n_support"):
        return
    counts = np.asarray(model._n_support)
    dual = np.asarray(model._dual_coef_ if hasattr(model, "_dual_coef_") else model.dual_coef_)
    if (counts < 0).any() or counts.sum() != len(support) or dual.shape[-1] != len(support):
        raise Refused(f"{where} has support-vector counts that do not match its vectors")
    classes = len(counts) if len(counts) > 1 else 2
    if len(np.atleast_1d(model._intercept_)) not in (1, classes * (classes - 1) // 2):
        raise Refused(f"{where} has the wrong number of intercepts")


def check_sklearn_object(estimator, limits: dict) -> dict:
    """Walk the loaded estimator (estimators inside pipelines and ensembles too) and check the arrays that
    compiled code trusts; count trees, nodes and depth."""
    import numpy as np

    facts = {"trees": 0, "nodes": 0, "depth": 0}
    seen: set[int] = set()
    stack = [(estimator, type(estimator).__name__, None)]
    while stack:
        obj, where, width = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        name = type(obj).__name__
        module = type(obj).__module__
        if isinstance(obj, dict):
            stack.extend((v, where, width) for v in obj.values())
            continue
        if isinstance(obj, list | tuple | set | frozenset):
            stack.extend((v, where, width) for v in obj)
            continue
        if isinstance(obj, np.ndarray):
            if obj.dtype == object:
                stack.extend((v, where, width) for v in obj.ravel())
            continue
        if module == "sklearn.tree._tree" and name == "Tree":
            nodes, depth = _check_sklearn_tree(obj, where, width, limits)
        elif name == "TreePredictor":
            nodes, depth = _check_hgb_predictor(obj, where, width, limits)
        elif name in ("KDTree", "BallTree"):
            _check_binary_tree(obj, where)
            continue
        elif module.startswith("xgboost") and name == "Booster":
            raw = bytes(obj.save_raw("json"))
            if (json_depth(raw, limits["max_json_depth"]) or -1) < 0:
                raise Refused(f"{where}'s XGBoost booster nests too deeply")
            inner = check_xgboost_document(json.loads(raw), limits, None)
            facts["trees"] += inner["trees"]
            facts["nodes"] += inner["nodes"]
            facts["depth"] = max(facts["depth"], inner["depth"])
            continue
        else:
            if module.startswith("sklearn.svm"):
                _check_svm(obj, where)
            state = getattr(obj, "__dict__", None)
            if isinstance(state, dict):
                own = state.get("n_features_in_")
                own = int(own) if isinstance(own, int | np.integer) else None
                stack.extend((v, f"{where}.{k}" if len(where) < 120 else where, own) for k, v in state.items())
            continue
        facts["trees"] += 1
        facts["nodes"] += nodes
        facts["depth"] = max(facts["depth"], depth)
        if facts["trees"] > limits["max_trees"]:
            raise Refused(f"holds more than {limits['max_trees']:,} trees")
        if facts["nodes"] > limits["max_total_nodes"]:
            raise Refused(f"its trees hold more than {limits['max_total_nodes']:,} nodes")
    return facts


def check_skops(data: bytes, header: dict) -> dict:
    import zipfile

    limits = header["limits"]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise Refused("is not a readable skops file (corrupt or truncated?)") from None
    if len(entries) > limits["max_zip_entries"]:
        raise Refused(f"holds {len(entries):,} files, more than {limits['max_zip_entries']:,}")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > 5 * limits["max_bytes"]:
        raise Refused(f"unpacks to more than {5 * limits['max_bytes'] // MB:,} MB")
    names = {entry.filename: entry for entry in entries}
    if "schema.json" not in names:
        raise Refused("is not a readable skops file (no schema.json)")
    try:
        schema_bytes = archive.read("schema.json")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        raise Refused("is not a readable skops file (corrupt or truncated?)") from None
    depth = json_depth(schema_bytes, limits["max_schema_depth"])
    if depth is None:
        raise Refused(f"has a schema nested deeper than {limits['max_schema_depth']} levels")
    if depth < 0:
        raise Refused("is not a readable skops file (its schema is not valid JSON)")
    try:
        schema = json.loads(schema_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refused("is not a readable skops file (its schema is not valid JSON)") from None
    types, loaders, problems = skops_schema_types(schema)
    if problems:
        raise Refused("contains " + problems[0])
    odd_loaders = sorted(loaders - ALLOWED_LOADERS)
    if odd_loaders:
        raise Refused("contains " + ", ".join(odd_loaders[:3]) + " entries (functions, methods or other callables), "
                      "which are never loaded")
    allowed = allowed_skops_types(tuple(header.get("trusted") or ()))
    refused = sorted(types - allowed)
    import skops.io as sio

    try:
        untrusted = set(sio.get_untrusted_types(data=data))
    except Exception as exc:
        raise Refused(f"is not a readable skops file ({type(exc).__name__})") from None
    refused = sorted(set(refused) | (untrusted - allowed))
    if refused:
        shown = ", ".join(refused[:5]) + (f" and {len(refused) - 5} more" if len(refused) > 5 else "")
        raise Refused(f"contains types that are not trusted (not on the allow-list): {shown}")
    try:
        estimator = sio.loads(data, trusted=sorted(types | untrusted))
    except Refused:
        raise
    except Exception as exc:
        raise Refused(f"is not a readable skops file ({type(exc).__name__})") from None
    facts = check_sklearn_object(estimator, limits)
    facts["types"] = sorted(types | untrusted)
    names_in = getattr(estimator, "feature_names_in_", None)
    facts.update({
        "kind": "sklearn",
        "type": type(estimator).__name__,
        "n_features": int(getattr(estimator, "n_features_in_", -1) or -1),
        "feature_names": [str(n)[:1000] for n in names_in][: limits["max_features"] + 1] if names_in is not None
        else None,
        "classes": [str(c)[:200] for c in getattr(estimator, "classes_", [])][: limits["max_classes"] + 1],
        "predict_proba": hasattr(estimator, "predict_proba"),
        "predict": hasattr(estimator, "predict"),
    })
    if facts["n_features"] > limits["max_features"]:
        raise Refused(f"expects {facts['n_features']:,} features, more than {limits['max_features']:,}")
    sample = header.get("frame")
    if sample and facts["predict"]:
        facts["predicted"] = _try_predict(estimator, sample)
    return facts


def _try_predict(estimator, sample: dict) -> bool:
    """Predict the sample rows: an error is fine (the engine reports it later), a crash kills only this child."""
    import pandas as pd

    try:
        frame = pd.DataFrame(sample["rows"], columns=sample["columns"])
        for name in sample.get("categorical", []):
            frame[name] = frame[name].astype(object)
        for name in sample.get("numeric", []):
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
        method = estimator.predict_proba if hasattr(estimator, "predict_proba") else estimator.predict
        method(frame)
        return True
    except Exception:
        return False


# --------------------------------------------------------------------------------------------
# LightGBM (text, or the JSON of dump_model()), CatBoost (.cbm) and ONNX

LIGHTGBM_FORMATS = ("lightgbm", "lightgbm-json")
CATBOOST_FORMATS = ("cbm",)
ONNX_FORMATS = ("onnx",)
_MISSING_TYPES = {"None": 0, "Zero": 1, "NaN": 2}
ONNX_DOMAINS = ("", "ai.onnx", "ai.onnx.ml")  # the standard operators; custom ones run code this check cannot see


def lightgbm_header(text: str) -> dict[str, str]:
    """The ``key=value`` lines before the first tree of a LightGBM text model."""
    header = {}
    for line in itertools.islice(text.split("\n", 200_000), 200_000):
        if line.startswith("Tree="):
            break
        key, sep, value = line.partition("=")
        if sep:
            header[key.strip()] = value.strip()
    return header


def _lightgbm_number(value, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Refused(f"has a non-numeric {what}")
    return repr(float(value)) if isinstance(value, float) else str(value)


def _lightgbm_tree_text(index: int, tree: dict, limits: dict) -> str:
    """One tree of a ``dump_model()`` JSON as LightGBM's text format (walked with a stack, not recursion)."""
    tree = _dict(tree, "a tree")
    root = _dict(tree.get("tree_structure"), "a tree structure")
    leaves_total = _int(tree.get("num_leaves"), "num_leaves", 1, limits["max_nodes_per_tree"])
    shrinkage = _lightgbm_number(tree.get("shrinkage", 1), "shrinkage")
    if "leaf_value" in root and "split_index" not in root:
        value = _lightgbm_number(root["leaf_value"], "leaf value")
        return f"Tree={index}\nnum_leaves=1\nnum_cat=0\nsplit_feature=\nsplit_gain=\nthreshold=\ndecision_type=\n" \
               f"left_child=\nright_child=\nleaf_value={value}\nleaf_weight=\nleaf_count=\ninternal_value=\n" \
               f"internal_weight=\ninternal_count=\nis_linear=0\nshrinkage={shrinkage}\n\n\n"
    splits = leaves_total - 1
    internal = {key: [None] * splits for key in ("split_feature", "split_gain", "threshold", "decision_type",
                                                 "left_child", "right_child", "internal_value", "internal_weight",
                                                 "internal_count")}
    leaf = {key: [None] * leaves_total for key in ("leaf_value", "leaf_weight", "leaf_count")}
    categories: list[tuple[int, list[int]]] = []
    stack = [root]
    while stack:
        node = _dict(stack.pop(), "a node")
        if "split_index" not in node:
            continue
        i = _int(node["split_index"], "split_index", 0, splits - 1)
        if internal["split_feature"][i] is not None:
            raise Refused("has a tree whose nodes repeat")
        internal["split_feature"][i] = str(_int(node.get("split_feature"), "split_feature", 0,
                                                limits["max_features"]))
        for key in ("split_gain", "internal_value", "internal_weight", "internal_count"):
            internal[key][i] = _lightgbm_number(node.get(key, 0), key)
        missing = _MISSING_TYPES.get(str(node.get("missing_type", "None")), 0)
        decision = (missing << 2) | (2 if node.get("default_left") else 0)
        if node.get("decision_type") == "==":
            decision |= 1
            values = [_int(v, "category", 0, limits["max_category"])
                      for v in str(node.get("threshold", "")).split("||") if v != ""]
            internal["threshold"][i] = str(len(categories))
            categories.append((i, values))
        else:
            internal["threshold"][i] = _lightgbm_number(node.get("threshold"), "threshold")
        internal["decision_type"][i] = str(decision)
        for side in ("left_child", "right_child"):
            child = _dict(node.get(side), "a child")
            if "split_index" in child:
                internal[side][i] = str(_int(child["split_index"], "split_index", 0, splits - 1))
                stack.append(child)
            else:
                j = _int(child.get("leaf_index"), "leaf_index", 0, leaves_total - 1)
                internal[side][i] = str(-j - 1)
                for key in ("leaf_value", "leaf_weight", "leaf_count"):
                    leaf[key][j] = _lightgbm_number(child.get(key, 0), key)
    if any(v is None for values in (*internal.values(), *leaf.values()) for v in values):
        raise Refused("has a tree with missing nodes")
    lines = [f"Tree={index}", f"num_leaves={leaves_total}", f"num_cat={len(categories)}"]
    lines += [f"{key}={' '.join(internal[key])}" for key in ("split_feature", "split_gain", "threshold",
                                                              "decision_type", "left_child", "right_child")]
    lines += [f"{key}={' '.join(leaf[key])}" for key in ("leaf_value", "leaf_weight", "leaf_count")]
    lines += [f"{key}={' '.join(internal[key])}" for key in ("internal_value", "internal_weight", "internal_count")]
    if categories:
        boundaries, words = [0], []
        for _, values in categories:
            bits = [0] * (max(values, default=0) // 32 + 1)
            for value in values:
                bits[value // 32] |= 1 << (value % 32)
            words += bits
            boundaries.append(len(words))
        lines += [f"cat_boundaries={' '.join(map(str, boundaries))}", f"cat_threshold={' '.join(map(str, words))}"]
    lines += ["is_linear=0", f"shrinkage={shrinkage}"]
    return "\n".join(lines) + "\n\n\n"


def lightgbm_text_from_json(doc, limits: dict | None = None) -> str:
    """LightGBM's text model from the JSON of ``booster.dump_model()`` (LightGBM reads only its text format);
    every number is copied exactly, so the model predicts exactly as the one that was dumped."""
    limits = limits or asdict(ModelLimits())
    doc = _dict(doc, "the model")
    if doc.get("name") != "tree":
        raise Refused("is not a LightGBM model dump (no \"name\": \"tree\")")
    names = _list(doc.get("feature_names"), "feature_names")
    if not names or len(names) > limits["max_features"]:
        raise Refused(f"names {len(names):,} features (at most {limits['max_features']:,})")
    if any(not isinstance(n, str) or not n or any(c.isspace() for c in n) for n in names):
        raise Refused("has a feature name that is empty or contains spaces")
    infos_doc = doc.get("feature_infos") or {}
    infos = []
    for name in names:
        info = infos_doc.get(name) if isinstance(infos_doc, dict) else None
        if not isinstance(info, dict):
            infos.append("none")
        elif info.get("values"):
            infos.append(":".join(str(_int(v, "category", -1, limits["max_category"])) for v in info["values"]))
        else:
            infos.append(f"[{_lightgbm_number(info.get('min_value', 0), 'minimum')}:"
                         f"{_lightgbm_number(info.get('max_value', 0), 'maximum')}]")
    trees = _list(doc.get("tree_info"), "tree_info")
    if len(trees) > limits["max_trees"]:
        raise Refused(f"has {len(trees):,} trees, more than {limits['max_trees']:,}")
    num_class = _int(doc.get("num_class", 1), "num_class", 1, limits["max_classes"])
    per_iteration = _int(doc.get("num_tree_per_iteration", 1), "num_tree_per_iteration", 1, limits["max_classes"])
    objective = str(doc.get("objective", "")).replace("\n", " ")[:200]
    head = ["tree", f"version={str(doc.get('version', 'v4'))[:8]}", f"num_class={num_class}",
            f"num_tree_per_iteration={per_iteration}", f"label_index={_int(doc.get('label_index', 0), 'label', 0, 0)}",
            f"max_feature_idx={len(names) - 1}", f"objective={objective}"]
    if doc.get("average_output"):
        head.append("average_output")
    head += [f"feature_names={' '.join(names)}", f"feature_infos={' '.join(infos)}", "", ""]
    body = [_lightgbm_tree_text(i, tree, limits) for i, tree in enumerate(trees)]
    categorical = [str(j) for j, info in enumerate(infos) if info != "none" and not info.startswith("[")]
    tail = ["end of trees", "", "parameters:", f"[objective: {objective.split(' ')[0]}]",
            f"[categorical_feature: {','.join(categorical)}]", "end of parameters", ""]
    if doc.get("pandas_categorical") is not None:
        tail += ["pandas_categorical:" + json.dumps(doc["pandas_categorical"]), ""]
    return "\n".join(head) + "".join(body) + "\n".join(tail) + "\n"


def check_lightgbm_text(text: str, limits: dict) -> dict:
    """Sizes of a LightGBM text model, checked before LightGBM reads it: classes, features, trees, leaves, and
    that every declared tree size points at that tree (LightGBM cuts the text by them)."""
    if not text.startswith("tree\n"):
        raise Refused("is not a LightGBM text model (it does not start with 'tree')")
    header = lightgbm_header(text)
    for key in ("num_class", "num_tree_per_iteration", "max_feature_idx", "feature_names"):
        if key not in header:
            raise Refused(f"is not a LightGBM text model (no {key})")
    classes = _int(_to_int(header["num_class"]), "num_class", 1, limits["max_classes"])
    _int(_to_int(header["num_tree_per_iteration"]), "num_tree_per_iteration", 1, limits["max_classes"])
    features = _int(_to_int(header["max_feature_idx"]), "max_feature_idx", 0, limits["max_features"] - 1) + 1
    names = header["feature_names"].split(" ")
    infos = header.get("feature_infos", "").split(" ")
    if len(names) != features or len(infos) != features:
        raise Refused("names another number of features than max_feature_idx declares")
    starts = [m.start() for m in re.finditer(r"(?m)^Tree=", text)]
    if len(starts) > limits["max_trees"]:
        raise Refused(f"has {len(starts):,} trees, more than {limits['max_trees']:,}")
    total = 0
    for match in re.finditer(r"(?m)^(num_leaves|num_cat)=(.*)$", text):
        number = _int(_to_int(match.group(2)), match.group(1), 0, limits["max_nodes_per_tree"])
        total += number if match.group(1) == "num_leaves" else 0
    if total > limits["max_total_nodes"]:
        raise Refused(f"has {total:,} leaves, more than {limits['max_total_nodes']:,}")
    if "tree_sizes" in header:
        sizes = [_to_int(s) for s in header["tree_sizes"].split(" ") if s]
        if len(sizes) != len(starts):
            raise Refused("declares tree sizes for another number of trees")
        position = starts[0] if starts else 0
        for i, size in enumerate(sizes):
            _int(size, "a tree size", 1, len(text))
            if not text.startswith(f"Tree={i}\n", position):
                raise Refused("declares tree sizes that do not match its trees")
            position += size
        if position > len(text):
            raise Refused("declares tree sizes beyond its end")
    categorical = [j for j, info in enumerate(infos) if info != "none" and not info.startswith("[")]
    return {"kind": "lightgbm", "objective": header.get("objective", "").split(" ")[0][:60], "num_class": classes,
            "n_features": features, "feature_names": [n[:1000] for n in names], "categorical": categorical,
            "trees": len(starts)}


def _to_int(text: str):
    try:
        return int(text)
    except ValueError:
        raise Refused(f"has a size that is not a whole number ({text[:20]!r})") from None


def _sample_frame(sample: dict | None):
    import pandas as pd

    if not sample:
        return None
    frame = pd.DataFrame(sample["rows"], columns=sample["columns"])
    for name in sample.get("categorical", []):
        frame[name] = frame[name].astype("category")
    for name in sample.get("numeric", []):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


def check_lightgbm(data: bytes, fmt: str, header: dict) -> dict:
    limits = header["limits"]
    if fmt == "lightgbm-json":
        depth = json_depth(data, limits["max_depth"] + 16)
        if depth is None:
            raise Refused(f"nests deeper than {limits['max_depth'] + 16} levels")
        if depth < 0:
            raise Refused("is not valid JSON")
        try:
            text = lightgbm_text_from_json(json.loads(data.decode("utf-8")), limits)
        except (UnicodeDecodeError, ValueError):
            raise Refused("is not valid JSON") from None
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused("is not a LightGBM text model (not UTF-8 text)") from None
    facts = check_lightgbm_text(text, limits)
    import lightgbm as lgb

    try:
        booster = lgb.Booster(model_str=text)
    except Exception as exc:
        raise Refused(f"is not a readable LightGBM model ({str(exc).splitlines()[0][:120] if str(exc) else ''})") \
            from None
    frame = _sample_frame(header.get("frame"))
    facts["predicted"] = False
    if frame is not None and list(frame.columns) == facts["feature_names"]:
        try:
            booster.predict(frame, num_threads=1)
            facts["predicted"] = True
        except Exception:
            pass
    return facts


def check_catboost(data: bytes, header: dict) -> dict:
    limits = header["limits"]
    if len(data) < 8 or data[:4] != b"CBM1":
        raise Refused("is not a CatBoost model (no CBM1 signature)")
    declared = struct.unpack("<I", data[4:8])[0]
    if declared > len(data) - 8:
        raise Refused(f"declares {declared:,} bytes of model but holds {len(data) - 8:,}")
    from catboost import CatBoost

    model = CatBoost()
    try:
        model.load_model(blob=data)
    except Exception as exc:
        raise Refused(f"is not a readable CatBoost model ({type(exc).__name__})") from None
    names = [str(n)[:1000] for n in (model.feature_names_ or [])]
    if len(names) > limits["max_features"]:
        raise Refused(f"expects {len(names):,} features, more than {limits['max_features']:,}")
    if model.tree_count_ > limits["max_trees"]:
        raise Refused(f"has {model.tree_count_:,} trees, more than {limits['max_trees']:,}")
    facts = {"kind": "catboost", "n_features": len(names), "feature_names": names, "trees": int(model.tree_count_),
             "categorical": [int(i) for i in model.get_cat_feature_indices()], "predicted": False}
    frame = _sample_frame(header.get("frame"))
    if frame is not None and list(frame.columns) == names:
        try:
            from catboost import Pool

            for position in facts["categorical"]:
                name = names[position]
                frame[name] = frame[name].astype("object").where(frame[name].notna(), "nan").astype(str)
            model.predict(Pool(frame, cat_features=facts["categorical"] or None), thread_count=1)
            facts["predicted"] = True
        except Exception:
            pass
    return facts


def check_onnx(data: bytes, header: dict) -> dict:
    """An ONNX model: standard operators only (no custom domains, no local functions), no tensor stored outside
    the file (an external-data path would make the runtime read a file on this server), bounded graph and tree
    sizes; then onnxruntime builds a session and runs the sample rows."""
    limits = header["limits"]
    import onnx

    try:
        model = onnx.load_model_from_string(data)
    except Exception:
        raise Refused("is not a readable ONNX model (corrupt or truncated?)") from None
    if not model.graph.node:
        raise Refused("is not a readable ONNX model (its graph is empty)")
    if model.functions:
        raise Refused("defines its own functions, which are never run")
    odd = sorted({o.domain for o in model.opset_import if o.domain not in ONNX_DOMAINS})
    if odd:
        raise Refused(f"uses operators outside the standard ones ({', '.join(odd[:3])})")
    graphs, nodes, tree_nodes = [model.graph], 0, 0
    classes: list = []
    classifier = False
    while graphs:
        graph = graphs.pop()
        for tensor in itertools.chain(graph.initializer, graph.sparse_initializer):
            tensor = getattr(tensor, "values", tensor)
            if tensor.data_location == onnx.TensorProto.EXTERNAL or tensor.external_data:
                raise Refused("keeps tensors in other files (external data), which are never read")
        for node in graph.node:
            nodes += 1
            if node.domain not in ONNX_DOMAINS:
                raise Refused(f"uses an operator outside the standard ones ({node.domain[:40]})")
            if node.op_type.endswith("Classifier") or node.op_type == "ZipMap":
                classifier = True
            for attribute in node.attribute:
                if attribute.name.startswith("nodes_") or attribute.name.startswith("leaf_"):
                    tree_nodes = max(tree_nodes, len(attribute.ints) + len(attribute.floats))
                if attribute.name in ("classlabels_strings", "classlabels_int64s") and not classes:
                    values = attribute.strings or attribute.ints
                    classes = [v.decode("utf-8", "replace") if isinstance(v, bytes) else int(v) for v in values]
                held = [attribute.t, *attribute.tensors, attribute.sparse_tensor.values,
                        *(sparse.values for sparse in attribute.sparse_tensors)]
                if any(t.data_location == onnx.TensorProto.EXTERNAL or t.external_data for t in held):
                    raise Refused("keeps tensors in other files (external data), which are never read")
                graphs.extend([attribute.g] if attribute.HasField("g") else [])
                graphs.extend(attribute.graphs)
        if nodes > limits["max_total_nodes"]:
            raise Refused(f"has more than {limits['max_total_nodes']:,} operators")
    if tree_nodes > limits["max_total_nodes"]:
        raise Refused(f"has {tree_nodes:,} tree nodes, more than {limits['max_total_nodes']:,}")
    if len(classes) > limits["max_classes"]:
        raise Refused(f"predicts {len(classes):,} classes, more than {limits['max_classes']:,}")
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 4
    try:
        session = ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise Refused(f"is not a model onnxruntime can run ({type(exc).__name__})") from None
    inputs = [{"name": i.name[:200], "type": i.type, "shape": [d if isinstance(d, int) else None for d in i.shape]}
              for i in session.get_inputs()]
    if len(inputs) > limits["max_features"]:
        raise Refused(f"has {len(inputs):,} inputs, more than {limits['max_features']:,}")
    facts = {"kind": "onnx", "inputs": inputs, "classifier": classifier, "classes": classes,
             "producer": model.producer_name[:60], "operators": nodes, "predicted": False}
    facts["predicted"] = _try_onnx(session, inputs, header)
    return facts


def _try_onnx(session, inputs: list[dict], header: dict) -> bool:
    """Run the sample rows: an error is fine (the engine reports it later), a crash kills only this child."""
    import numpy as np

    types = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64}
    try:
        frame = header.get("frame") or {}
        columns = frame.get("columns") or []
        if len(inputs) == 1 and inputs[0]["name"] not in columns and header.get("sample"):
            matrix = np.array(header["sample"], dtype="float64")
            feeds = {inputs[0]["name"]: matrix.astype(types.get(inputs[0]["type"], np.float32))}
        else:
            rows = frame.get("rows") or []
            feeds = {}
            for spec in inputs:
                j = columns.index(spec["name"])
                values = [row[j] for row in rows]
                if spec["type"] == "tensor(string)":
                    array = np.array(["" if v is None else str(v) for v in values], dtype=object)
                else:
                    array = np.array([np.nan if v is None or isinstance(v, str) else v for v in values],
                                     dtype="float64")
                    array = np.nan_to_num(array).astype(types.get(spec["type"], np.float32)) \
                        if spec["type"] == "tensor(int64)" else array.astype(types.get(spec["type"], np.float32))
                feeds[spec["name"]] = array.reshape(-1, 1) if len(spec["shape"]) == 2 else array
        session.run(None, feeds)
        return True
    except Exception:
        return False


# --------------------------------------------------------------------------------------------
# The child


def _limit_self(header_limits: dict) -> None:
    import resource

    memory = int(header_limits["memory_mb"]) * MB
    cpu = int(header_limits["cpu_seconds"])
    for limit, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CPU, cpu), (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_FSIZE, OUTPUT_BYTES)):
        try:
            _, hard = resource.getrlimit(limit)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(limit, (value, value if limit != resource.RLIMIT_CPU else value + 5))
        except (ValueError, OSError):
            pass


def child_main() -> int:
    """Read the header line and the model bytes from standard input; write one JSON line; exit."""
    stdin = sys.stdin.buffer
    line = stdin.readline(HEADER_BYTES)
    try:
        header = json.loads(line)
        limits = header["limits"]
    except (ValueError, KeyError, TypeError):
        os.write(1, b'{"ok": false, "reason": "could not be checked (no valid request)"}\n')
        os._exit(0)
    _limit_self(limits)
    data = stdin.read(int(limits["max_bytes"]) + 1)
    fmt = header.get("format")
    try:
        if len(data) > limits["max_bytes"]:
            raise Refused(f"is over {limits['max_bytes'] // MB:,} MB (XAI_MAX_MB)")
        if fmt in XGBOOST_FORMATS:
            facts = check_xgboost(data, fmt, header)
        elif fmt in SKOPS_FORMATS:
            facts = check_skops(data, header)
        elif fmt in LIGHTGBM_FORMATS:
            facts = check_lightgbm(data, fmt, header)
        elif fmt in CATBOOST_FORMATS:
            facts = check_catboost(data, header)
        elif fmt in ONNX_FORMATS:
            facts = check_onnx(data, header)
        else:
            raise Refused(f"has an unknown format {str(fmt)[:10]!r}")
        answer = {"ok": True, "facts": facts}
    except Mismatch as exc:
        answer = {"ok": False, "mismatch": str(exc.args[0]), "counts": [int(n) for n in exc.args[1:3]]}
    except Refused as exc:
        answer = {"ok": False, "reason": str(exc)}
    except MemoryError:
        answer = {"ok": False, "code": "memory"}
    except RecursionError:
        answer = {"ok": False, "reason": "nests too deeply"}
    except Exception as exc:  # a file this checker cannot judge is not loaded either
        answer = {"ok": False, "reason": f"could not be checked ({type(exc).__name__})"}
    out = (json.dumps(answer, default=str)[: OUTPUT_BYTES - 2] + "\n").encode("utf-8", "replace")
    os.write(1, out)
    os._exit(0)  # no finaliser of anything loaded here ever runs


# --------------------------------------------------------------------------------------------
# The parent


_SCRIPT = os.path.realpath(__file__)
_CACHE: dict[str, dict] = {}  # insertion order: the oldest first
_CACHE_LOCK = threading.Lock()


def _child_environment() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "VIRTUAL_ENV", "LD_LIBRARY_PATH", "CONDA_PREFIX")
    env = {k: v for k, v in os.environ.items() if k in keep}
    # The child runs with -S (no site module: .pth files can take 50 ms to run) and this process's sys.path.
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
    env.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "MALLOC_ARENA_MAX": "2", "PYTHONDONTWRITEBYTECODE": "1", "OMP_WAIT_POLICY": "PASSIVE",
                "CUDA_VISIBLE_DEVICES": "", "PYTHONHASHSEED": "0"})
    return env


def _signal_reason(code: int, limits: ModelLimits) -> str:
    import signal

    number = -code
    if number in (signal.SIGXCPU, signal.SIGKILL):
        return f"took more than {limits.cpu_seconds} s of CPU to read (XAI_MODEL_SECONDS)"
    if number == signal.SIGXFSZ:
        return "made its reader write too much"
    names = {signal.SIGSEGV: "a segmentation fault", signal.SIGABRT: "an abort", signal.SIGBUS: "a bus error",
             signal.SIGFPE: "an arithmetic fault", signal.SIGILL: "an illegal instruction"}
    return f"crashed its reader ({names.get(number, f'signal {number}')}), so it is corrupt or hostile"


def check_model_bytes(
    data: bytes,
    name: str,
    fmt: str,
    expected: dict | None = None,
    limits: ModelLimits | None = None,
    trusted: tuple[str, ...] = (),
    sample: dict | None = None,
) -> dict:
    """Check a model file's bytes in a child process; the facts it found, or InputError with one line.

    ``fmt``: ``json``, ``ubj`` or ``skops``. ``expected``: what the table needs (``features``: how many;
    ``names``: their names). ``sample``: a few rows to predict (``rows`` of codes for XGBoost; ``frame`` for
    scikit-learn: ``columns``, ``rows``, ``categorical``, ``numeric``). The same bytes and settings are
    checked once per process (a small cache keyed by their SHA-256).
    """
    limits = limits or ModelLimits.from_env()
    shown = os.path.basename(str(name or "model").replace("\\", "/"))[:100] or "model"
    header = {"name": shown, "format": fmt, "limits": asdict(limits), "expected": expected or {},
              "trusted": list(trusted)}
    if fmt in (*XGBOOST_FORMATS, *ONNX_FORMATS) and sample and sample.get("rows"):
        header["sample"] = sample["rows"]
    if fmt in (*SKOPS_FORMATS, *LIGHTGBM_FORMATS, *CATBOOST_FORMATS, *ONNX_FORMATS) and sample and sample.get("frame"):
        header["frame"] = sample["frame"]
    line = json.dumps(header, default=str, allow_nan=True).encode("utf-8")
    if len(line) >= HEADER_BYTES:
        header.pop("sample", None)
        header.pop("frame", None)
        line = json.dumps(header, default=str).encode("utf-8")
    import hashlib

    key = hashlib.sha256(line + b"\n" + hashlib.sha256(data).digest()).hexdigest()
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE[key] = _CACHE.pop(key)
            return dict(_CACHE[key])
    if len(data) > limits.max_bytes:
        raise InputError(key="errors.models.check_too_big", name=shown, limit=limits.max_bytes // MB)
    answer = _run_child(line, data, limits)
    if answer.get("ok") and isinstance(answer.get("facts"), dict):
        facts = answer["facts"]
        with _CACHE_LOCK:
            _CACHE[key] = dict(facts)
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
        return facts
    if answer.get("mismatch"):
        expected, found = [*(answer.get("counts") or []), 0, 0][:2]  # the parent words it, in any language
        raise InputError(key="errors.models.feature_count", expected=int(expected), found=int(found))
    advice = ADVICE.get(fmt, ADVICE["json"])
    code = answer.get("code")
    if code == "memory":  # the parent's own findings read in the reader's language; the child's are English
        reason = Message("errors.models.check_memory", limit=limits.memory_mb)
    elif code == "timeout":
        reason = Message("errors.models.check_timeout", seconds=round(float(answer["seconds"])))
    elif code == "signal":
        reason = " ".join(_signal_reason(answer["signal"], limits).split())[:400]
    else:
        reason = " ".join(str(answer.get("reason") or "could not be checked (its reader stopped without an answer)")
                          .split())[:400]
    raise InputError(key="errors.models.check_failed", name=shown, reason=reason, advice=advice)


ADVICE = {
    "json": "Save it again with XGBoost's model.save_model('model.json').",
    "ubj": "Save it again with XGBoost's model.save_model('model.ubj').",
    "skops": "Save the model with standard scikit-learn types only: skops.io.dump(model, 'model.skops').",
    "lightgbm": "Save it again with LightGBM's booster.save_model('model.txt').",
    "lightgbm-json": "Save it again with LightGBM's booster.save_model('model.txt').",
    "cbm": "Save it again with CatBoost's model.save_model('model.cbm').",
    "onnx": "Export it again with standard operators only (skl2onnx or onnxmltools), weights inside the file.",
}


def _run_child(line: bytes, data: bytes, limits: ModelLimits) -> dict:
    import subprocess
    import tempfile

    wall = max(10.0, limits.cpu_seconds * 2.0)
    with tempfile.TemporaryDirectory(prefix="xai-model-check-") as folder, \
            tempfile.TemporaryFile(dir=folder) as out, tempfile.TemporaryFile(dir=folder) as err:
        began = time.monotonic()
        try:
            process = subprocess.Popen(
                [sys.executable, "-S", "-P", _SCRIPT], stdin=subprocess.PIPE, stdout=out, stderr=err,
                cwd=folder, env=_child_environment(), start_new_session=True, close_fds=True,
            )
        except OSError as exc:
            return {"ok": False, "reason": f"could not be checked ({exc.strerror or type(exc).__name__})"}
        try:
            process.communicate(line + b"\n" + data, timeout=wall)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return {"ok": False, "code": "timeout", "seconds": time.monotonic() - began}
        except BrokenPipeError:
            process.wait()
        if process.returncode < 0:
            return {"ok": False, "code": "signal", "signal": process.returncode}
        out.seek(0)
        text = out.read(OUTPUT_BYTES).decode("utf-8", "replace").strip().splitlines()
        try:
            answer = json.loads(text[-1]) if text else {}
        except ValueError:
            answer = {}
        if not isinstance(answer, dict) or "ok" not in answer:
            err.seek(0)
            tail = err.read(OUTPUT_BYTES).decode("utf-8", "replace")
            if "MemoryError" in tail or "bad_alloc" in tail or "Cannot allocate" in tail:
                return {"ok": False, "code": "memory"}
            return {"ok": False, "reason": "could not be checked (its reader stopped without an answer)"}
        return answer


if __name__ == "__main__":
    child_main()
