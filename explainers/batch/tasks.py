"""What the Dask workers run: each task reads one partition, explains it with the engine's own code
(:meth:`Dataset.coerce`, :func:`explainers.shap_values`, the model adapter's prediction; any kind of model: the
XGBoost booster directly, the others through :class:`~explainers.models.TabularModel`) and writes its Parquet
file under a temporary name, renamed when whole."""

from __future__ import annotations

import json
import os
import threading
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..attributions import shap_values
from ..counterfactuals import CounterfactualSearch
from ..errors import InputError
from ..expressions import FilterError, parse_filter
from ..models import usable_device
from ..privacy.mask import mask_series
from ..util import replacing
from .inputs import Source
from .names import BASE_COLUMN, KEY, OUTPUT_COLUMNS, ROW_GROUP_ROWS, SHAP_PREFIX, counterfactual_name, part_name

_DEVICE_LOCK = threading.Lock()


@dataclass(eq=False)
class Context:
    """Shipped once to every worker (``client.scatter(..., broadcast=True)``); state is set up lazily there."""

    model: object  # TabularModel
    source: Source
    target: str | None
    where: str | None
    counterfactuals: int
    seed: int
    device: str
    arrow_schema: object
    keep: tuple[str, ...] = ()  # input columns copied to the output unchanged
    personal: dict = field(default_factory=dict)  # kept columns that hold personal data → kind: written masked
    privacy_key: bytes = b""  # the deployment's masking key (in memory only, never written)
    state: dict = field(default_factory=dict)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "state": {}}

    @property
    def read_columns(self) -> list[str]:
        features = self.model.dataset.feature_names
        return [*features, *([self.target] if self.target else []), *self.keep]


def _worker_model(ctx: Context):
    """The model, set up once per worker process: one XGBoost thread per task, on the GPU when there is one; other
    kinds on the CPU, one thread each (every core already runs a worker)."""
    with _DEVICE_LOCK:
        if "device" not in ctx.state and ctx.model.kind != "xgboost":
            runner = ctx.model.estimator
            if hasattr(runner, "threads"):  # LightGBM and CatBoost would otherwise use every core for large calls
                runner.threads = 1
            ctx.state["device"] = "cpu"
        if "device" not in ctx.state:
            model = ctx.model
            booster = model.estimator
            sample = model.dataset.features.iloc[:2]
            device = usable_device(booster, sample, ctx.device)
            params = {"nthread": 1}
            if device == "cuda":
                params["device"] = "cuda"
            booster.set_param(params)
            model.details["batch_booster"] = booster  # the same booster for any number of rows
            ctx.state["device"] = device
    return ctx.model, ctx.state["device"]


def arrow_schema(dataset, target: str | None, classifier: bool, kept: dict | None = None):
    """The output's columns: the row key, kept input columns (``kept``: name → Arrow type), the features, the
    target, prediction, score, SHAP values and their base value."""
    import pyarrow as pa

    fields = [pa.field(KEY, pa.int64())]
    fields += [pa.field(name, kind) for name, kind in (kept or {}).items()]
    for info in dataset.schema:
        fields.append(pa.field(info.name, pa.string() if info.kind == "categorical" else pa.float64()))
    if target:
        fields.append(pa.field(target, pa.string() if classifier else pa.float64()))
    fields.append(pa.field("prediction", pa.string() if classifier else pa.float64()))
    fields.append(pa.field("score", pa.float64()))
    fields += [pa.field(SHAP_PREFIX + name, pa.float64()) for name in dataset.feature_names]
    fields.append(pa.field(BASE_COLUMN, pa.float64()))
    return pa.schema(fields)


def _text(column: pd.Series) -> pd.Series:
    """Category values as Python strings, missing as None (how they are written to Parquet)."""
    return column.astype("object").where(column.notna(), None)


def target_column(raw: pd.Series, classifier: bool) -> pd.Series:
    if classifier:
        values = raw.astype("object")
        return values.map(str).where(values.notna(), None)
    return pd.to_numeric(raw, errors="coerce").astype("float64")


def predict(model, typed: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Label (or value) and score of each row, as ``model.predict`` and ``model.score`` give them."""
    if model.is_classifier:
        probabilities = model.predict_proba(typed)
        labels = np.asarray(model.classes, dtype=object)[probabilities.argmax(axis=1)]
        return labels, probabilities[:, model.positive_index]
    values = model.predict_value(typed)
    return values, values


def result_frame(ctx: Context, model, raw: pd.DataFrame, offset: int, with_shap: bool = True):
    """The output rows of one partition, and how many category values each column lost as unseen."""
    dataset = model.dataset
    typed = dataset.coerce(raw)
    unseen = {}
    for name in dataset.categorical:
        lost = int((raw[name].notna() & typed[name].isna()).sum())
        if lost:
            unseen[name] = lost
    for name in dataset.numeric:
        if np.isinf(typed[name].to_numpy()).any():
            raise InputError(key="errors.batch.infinite", column=name, first=offset, last=offset + len(raw) - 1)
    prediction, score = predict(model, typed)
    out: dict[str, object] = {KEY: np.arange(offset, offset + len(raw), dtype="int64")}
    for name in ctx.keep:
        kind = ctx.personal.get(name)
        out[name] = raw[name].to_numpy() if kind is None else mask_series(raw[name], kind, ctx.privacy_key).to_numpy()
    for info in dataset.schema:
        column = typed[info.name]
        out[info.name] = _text(column).to_numpy() if info.kind == "categorical" else column.to_numpy()
    if ctx.target:
        out[ctx.target] = target_column(raw[ctx.target], model.is_classifier).to_numpy()
    out["prediction"] = prediction
    out["score"] = np.asarray(score, dtype="float64")
    if with_shap:
        shap = batch_shap(model, typed)
        for name in dataset.feature_names:
            out[SHAP_PREFIX + name] = shap.values[name].to_numpy(dtype="float64")
        out[BASE_COLUMN] = np.full(len(raw), shap.base_value, dtype="float64")
    return pd.DataFrame(out), unseen


def batch_shap(model, typed: pd.DataFrame):
    """SHAP of a partition's rows: exact TreeSHAP in one call; other models row by row, as the single-row engine
    calls it, since shap draws its permutations once per call and a row's values would otherwise depend on the
    rows explained with it."""
    if model.native_shap or len(typed) <= 1:
        return shap_values(model, typed)
    parts = [shap_values(model, typed.iloc[[i]]) for i in range(len(typed))]
    return replace(parts[0], values=pd.concat([p.values for p in parts]),
                   output=np.concatenate([np.atleast_1d(p.output) for p in parts]))


def select(frame: pd.DataFrame, where: str) -> np.ndarray:
    """The rows that a ``--where`` filter picks (as a boolean array). The filter is parsed by
    :mod:`explainers.expressions` (columns, literals, comparisons, in, and/or/not), never run as code."""
    try:
        return parse_filter(where).mask(frame)
    except FilterError as exc:
        raise InputError(key="errors.batch.bad_where", where=where, detail=exc.detail) from None


def _write_parquet(table, folder: Path, name: str) -> int:
    """Write under a temporary name, then rename: a file with the final name is always whole."""
    import pyarrow.parquet as pq

    with replacing(folder / name) as temporary:
        pq.write_table(table, temporary, row_group_size=ROW_GROUP_ROWS)
    return (folder / name).stat().st_size


def explain_piece(ctx: Context, piece: dict, out: str) -> dict:
    """Worker task: read one partition, explain it, write ``part-NNNNN.parquet``."""
    import pyarrow as pa

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, device = _worker_model(ctx)
        raw = ctx.source.read(piece, ctx.read_columns)
        if len(raw) != piece["rows"]:
            raise InputError(key="errors.batch.data_changed", index=piece['index'], found=len(raw),
                             expected=piece['rows'])
        frame, unseen = result_frame(ctx, model, raw, piece["offset"])
        selected = int(select(frame, ctx.where).sum()) if ctx.where else None
        table = pa.Table.from_pandas(frame, schema=ctx.arrow_schema, preserve_index=False)
        size = _write_parquet(table, Path(out), part_name(piece["index"]))
    return {"index": piece["index"], "rows": len(frame), "seconds": time.perf_counter() - started,
            "device": device, "bytes": size, "selected": selected, "unseen": unseen, "pid": os.getpid()}


def count_piece(ctx: Context, piece: dict, out: str) -> dict:
    """Worker task: how many rows of a finished partition the ``--where`` expression picks."""
    frame = _read_outputs(ctx, Path(out) / part_name(piece["index"]))
    return {"index": piece["index"], "selected": int(select(frame, ctx.where).sum())}


def _read_outputs(ctx: Context, path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    columns = [KEY, *ctx.model.dataset.feature_names, *([ctx.target] if ctx.target else []), *OUTPUT_COLUMNS]
    return pq.read_table(path, columns=columns).to_pandas()


def _counterfactual_schema(classifier: bool):
    import pyarrow as pa

    return pa.schema([
        pa.field(KEY, pa.int64()), pa.field("rank", pa.int32()), pa.field("changes", pa.string()),
        pa.field("prediction", pa.string() if classifier else pa.float64()), pa.field("score", pa.float64()),
        pa.field("distance", pa.float64()),
    ])


def counterfactual_piece(ctx: Context, piece: dict, quota: int, out: str) -> dict:
    """Worker task: counterfactuals (sparse search) for the first ``quota`` selected rows of a partition."""
    import pyarrow as pa

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, _ = _worker_model(ctx)
        if "search" not in ctx.state:
            ctx.state["search"] = CounterfactualSearch(model)
        search = ctx.state["search"]
        frame = _read_outputs(ctx, Path(out) / part_name(piece["index"]))
        chosen = frame[select(frame, ctx.where)].head(quota)
        typed = model.dataset.coerce(chosen)
        positive = model.classes[model.positive_index] if model.is_classifier else None
        records, without = [], 0
        for i, key in enumerate(chosen[KEY].to_numpy()):
            result = search.generate(typed.iloc[[i]], total=ctx.counterfactuals, method="sparse", seed=ctx.seed)
            if not result.counterfactuals:
                without += 1
            for rank, found in enumerate(result.counterfactuals, start=1):
                predicted = found.prediction
                records.append({
                    KEY: int(key), "rank": rank,
                    "changes": json.dumps(found.changes, ensure_ascii=False),
                    "prediction": predicted["label"] if positive is not None else float(predicted["value"]),
                    "score": float(predicted["probabilities"][positive]) if positive is not None
                    else float(predicted["value"]),
                    "distance": float(found.distance),
                })
        schema = _counterfactual_schema(model.is_classifier)
        table = pa.Table.from_pylist(records, schema=schema)
        size = _write_parquet(table, Path(out), counterfactual_name(piece["index"]))
    return {"index": piece["index"], "rows": len(chosen), "found": len(records), "without": without,
            "seconds": time.perf_counter() - started, "bytes": size}
