"""A run: check the options and the inputs, start or join a Dask cluster, plan or resume, explain every partition,
then the counterfactual stage; the manifest records each step."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..attributions import shap_values
from ..errors import InputError
from ..i18n import translator
from ..models import ModelInfo, describe_model
from ..spec import DatasetSpec
from .inputs import Source, describe_files, hash_files, input_files
from .manifest import check_existing, columns_of, now, partition_entry, piece_of, save_manifest, versions
from .names import COUNTERFACTUAL_NAME, FORMAT, MIN_PARTITION_ROWS, TEMP_NAME, counterfactual_name
from .options import BatchOptions, BatchSummary
from .plan import (
    build_context,
    check_model_path,
    empty_outputs,
    plan_partitions,
    resolve_columns,
    resolve_kept,
    resolve_spec,
)
from .tasks import count_piece, counterfactual_piece, explain_piece, result_frame, select


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _cluster(options: BatchOptions, log, tr) -> Iterator[tuple[object, int]]:
    """A Dask client: to the scheduler given, or to a local cluster of one single-threaded process per core."""
    from distributed import Client, LocalCluster

    if options.scheduler:
        if options.workers:
            log(tr("batch.workers_ignored"))
        try:
            client = Client(options.scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            raise InputError(key="errors.batch.scheduler", address=options.scheduler, reason=reason) from None
        try:
            client.wait_for_workers(1, timeout=60)
            workers = len(client.nthreads())
            log(tr("batch.cluster_remote", address=options.scheduler, workers=workers))
            yield client, workers
        finally:
            client.close()
        return
    workers = options.workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        log(tr("batch.cluster_local", workers=workers))
        yield client, workers
    finally:
        client.close()
        cluster.close()


def _check_options(options: BatchOptions) -> None:
    if options.partition_rows < MIN_PARTITION_ROWS:
        raise InputError(key="errors.batch.partition_rows", limit=MIN_PARTITION_ROWS)
    if options.workers is not None and options.workers < 1:
        raise InputError(key="errors.batch.workers")
    if options.counterfactuals and not options.where:
        raise InputError(key="errors.batch.counterfactuals_need_where")
    if options.where and not options.counterfactuals:
        raise InputError(key="errors.batch.where_needs_counterfactuals")
    if not 0 <= options.counterfactuals <= 20:
        raise InputError(key="errors.batch.counterfactual_count")
    if options.max_counterfactual_rows < 1:
        raise InputError(key="errors.batch.max_counterfactual_rows")
    if options.device not in ("auto", "cpu", "cuda"):
        raise InputError(key="errors.batch.device")


@dataclass
class RunInputs:
    """What a run reads, found and checked before any cluster starts."""

    files: list[Path]
    fmt: str
    model_path: Path
    spec: DatasetSpec | None
    source: Source
    info: ModelInfo
    features: list[str]
    target: str | None
    kept: list[str]  # --keep columns
    data_hash: str
    model_hash: str
    settings: dict
    out: Path
    manifest: dict | None  # an earlier run of the same command into ``out``


@dataclass
class Progress:
    """What the explaining stage did."""

    done: list[int]  # partitions finished by an earlier run
    computed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    stopped: bool = False
    seconds: float = 0.0


def check_inputs(options: BatchOptions) -> RunInputs:
    """The options, the input files, the model, the spec and the columns checked; the ``--where`` filter's names
    and syntax; the files hashed; the output folder new, empty or an earlier run's (its stale temporary files
    removed)."""
    _check_options(options)
    files, fmt = input_files(options.data)
    model_path = check_model_path(options.model)
    spec, spec_hash = resolve_spec(options, files)
    source = describe_files(files, fmt)
    info = describe_model(model_path)
    if options.device == "cuda" and info.kind != "xgboost":
        raise InputError(key="errors.batch.gpu_xgboost_only", kind=info.kind)
    features, target = resolve_columns(options, spec, info, source)
    kept = resolve_kept(options, source, features, target)
    if options.where:
        # names and syntax, before any work
        select(empty_outputs(info, features, target, list(source.columns)), options.where)
    data_hash = hash_files(files)
    model_hash = hash_files([model_path])
    settings = {"target": target, "spec_sha256": spec_hash, "partition_rows": int(options.partition_rows),
                "format": fmt, "files": [p.name for p in files],
                "file_bytes": [os.path.getsize(p) for p in files],
                **({"keep": kept} if kept else {})}  # only when given, so earlier runs' folders still resume
    out = Path(options.out).expanduser()
    inside = [p.name for p in files if out.resolve() in p.resolve().parents]
    if inside:
        raise InputError(key="errors.batch.out_inside_input", out=out, name=inside[0])
    manifest = check_existing(out, data_hash, model_hash, settings)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.iterdir():
        if TEMP_NAME.match(stale.name):
            stale.unlink(missing_ok=True)
    return RunInputs(files, fmt, model_path, spec, source, info, features, target, kept, data_hash, model_hash,
                     settings, out, manifest)


def _plan_or_resume(client, options: BatchOptions, run: RunInputs, log, tr) -> tuple[list[dict], dict, list[str], dict]:
    """A new run's partitions, schema and manifest (a first pass over the data when needed), or an earlier
    run's, read back from its manifest."""
    if run.manifest is not None:
        pieces = [piece_of(entry, run.files) for entry in run.manifest["partitions"]]
        return pieces, run.manifest["schema"], list(run.manifest.get("notices", [])), run.manifest
    notices: list[str] = []
    pieces, schema_doc = plan_partitions(client, options, run.info, run.source, run.features, run.target, run.spec,
                                         notices, log, tr)
    manifest = {
        "format": FORMAT,
        "created": now(),
        "status": "running",
        "data": {"sha256": run.data_hash, "format": run.fmt, "input": options.data,
                 "files": [{"name": p.name, "path": str(p.resolve()), "bytes": os.path.getsize(p)}
                           for p in run.files]},
        "model": {"sha256": run.model_hash, "path": str(run.model_path.resolve()), "objective": run.info.objective,
                  "kind": run.info.kind},
        "settings": run.settings,
        "seed": options.seed,
        "rows": int(sum(p["rows"] for p in pieces)),
        "schema": schema_doc,
        "partitions": [partition_entry(p, run.source) for p in pieces],
        "notices": notices,
    }
    return pieces, schema_doc, notices, manifest


def _describe_model(ctx, reference, options: BatchOptions, manifest: dict) -> None:
    """What the manifest says about the model and its SHAP values; a ``--where`` filter that cannot be evaluated on
    the model's outputs fails here, before any work."""
    model = ctx.model
    base = shap_values(model, model.dataset.features.iloc[:1]) if len(reference) else None
    method = base.method if base is not None else SHAP_METHODS.get(model.kind, "permutation")
    manifest.update({
        "seed": options.seed,
        "versions": versions(),
        "columns": columns_of(ctx.arrow_schema),
        "shap": {"space": base.space if base is not None else shap_space(model.is_classifier, method),
                 "class": model.classes[model.positive_index] if model.is_classifier else None,
                 "method": method, "source": SHAP_SOURCES[model.kind if method == "tree" else method],
                 "base_value": float(base.base_value) if base is not None else None},
        "task": model.task,
        "classes": list(model.classes),
    })
    if options.where:
        sample_frame, _ = result_frame(ctx, model, reference, 0, with_shap=False)
        select(sample_frame, options.where)  # a bad expression fails here, before any work
    model.details.pop("batch_booster", None)
    model.details.pop("gpu_booster", None)


# How each kind of model is explained in a batch (what ``explainers.shap_values`` does for it), for the manifest.
SHAP_METHODS = {"xgboost": "tree", "lightgbm": "tree", "catboost": "tree"}
SHAP_SOURCES = {
    "xgboost": "XGBoost pred_contribs (exact TreeSHAP), original columns",
    "lightgbm": "LightGBM pred_contrib (exact TreeSHAP), original columns",
    "catboost": "CatBoost ShapValues (exact TreeSHAP), original columns",
    "permutation": "shap's permutation explainer (background rows drawn from the reference sample, seed 0), "
                   "original columns",
    "linear": "exact SHAP of a linear model, in closed form, original columns",
}


def shap_space(classifier: bool, method: str) -> str:
    """Tree SHAP explains a classifier's log-odds; the permutation explainer its probability; a regressor's value."""
    if not classifier:
        return "raw"
    return "log-odds" if method == "tree" else "probability"


def _record_failure(future, exc: Exception, entries: list[dict], progress: Progress) -> tuple[int, str]:
    index = int(str(future.key).split("-")[1])
    reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    entries[index].update(status="failed", error=f"{type(exc).__name__}: {reason}")
    progress.failed.append(index)
    progress.errors.append(exc)
    return index, reason


def _record_result(result: dict, entries: list[dict], options: BatchOptions) -> dict:
    entry = entries[result["index"]]
    entry.update(status="complete", seconds=round(result["seconds"], 3), device=result["device"],
                 bytes=result["bytes"], finished=now())
    entry.pop("error", None)
    if result["unseen"]:
        entry["unseen_categories"] = result["unseen"]
    if result["selected"] is not None:
        entry["selected"] = {"where": options.where, "rows": result["selected"]}
    return entry


def _explain_partitions(client, shared, options: BatchOptions, manifest: dict, pieces: list[dict], out: Path,
                        workers: int, log, tr) -> Progress:
    """Explain the partitions an earlier run did not finish, one task each; the manifest is saved after each."""
    from distributed import as_completed

    entries = manifest["partitions"]
    progress = Progress(done=[e["index"] for e in entries if e["status"] == "complete" and (out / e["file"]).exists()
                              and (out / e["file"]).stat().st_size == e.get("bytes")])
    todo = [p for p in pieces if p["index"] not in set(progress.done)]
    if progress.done:
        log(tr("batch.resume", done=len(progress.done), partitions=len(pieces), out=str(out)))
    if todo:
        log(tr("batch.start", rows=tr.number(sum(p["rows"] for p in todo), 0), partitions=len(todo),
               workers=workers))
    started = time.perf_counter()
    futures = [client.submit(explain_piece, shared, piece, str(out), pure=False,
                             key=f"explain-{piece['index']:05d}-{uuid.uuid4().hex[:8]}") for piece in todo]
    finished = len(progress.done)
    for future in as_completed(futures):
        try:
            result = future.result()
        except Exception as exc:
            index, reason = _record_failure(future, exc, entries, progress)
            save_manifest(out, manifest)
            log(tr("batch.failed", index=index, reason=reason))
            continue
        entry = _record_result(result, entries, options)
        progress.computed.append(result["index"])
        finished += 1
        save_manifest(out, manifest)
        first, last = entry["rows"][0], entry["rows"][1] - 1
        log(tr("batch.progress", done=finished, total=len(pieces), index=result["index"],
               first=tr.number(first, 0), last=tr.number(last, 0), seconds=tr.number(result["seconds"], 1),
               rate=tr.number(result["rows"] / max(result["seconds"], 1e-9), 0), device=result["device"]))
        if options.stop_after is not None and len(progress.computed) >= options.stop_after:
            for other in futures:
                other.cancel()
            progress.stopped = True
            break
    progress.seconds = time.perf_counter() - started
    return progress


def _unseen_notices(entries: list[dict], notices: list[str], log, tr) -> None:
    """One notice per column whose values the model never saw (counted over every partition)."""
    unseen: dict[str, int] = {}
    for e in entries:
        for name, count in e.get("unseen_categories", {}).items():
            unseen[name] = unseen.get(name, 0) + count
    for name, count in unseen.items():
        line = tr("batch.unseen", column=name, count=tr.number(count, 0))
        if line not in notices:
            notices.append(line)
            log(line)


def batch_explain(options: BatchOptions) -> BatchSummary:
    """Explain every row of the input; see the package's docstring. Raises InputError on bad input."""
    began = time.perf_counter()
    tr = translator(options.lang)
    log = options.log or _stderr
    run = check_inputs(options)
    out = run.out
    cluster_started = time.perf_counter()
    with _cluster(options, log, tr) as (client, workers):
        cluster_seconds = time.perf_counter() - cluster_started
        pieces, schema_doc, notices, manifest = _plan_or_resume(client, options, run, log, tr)
        ctx, reference = build_context(options, run.spec, run.info, run.source, pieces, schema_doc, run.features,
                                       run.target, run.data_hash, run.model_path, run.kept)
        _describe_model(ctx, reference, options, manifest)
        save_manifest(out, manifest)
        shared = client.scatter(ctx, broadcast=True, hash=False)
        progress = _explain_partitions(client, shared, options, manifest, pieces, out, workers, log, tr)
        entries = manifest["partitions"]
        complete = all(e["status"] == "complete" for e in entries)
        _unseen_notices(entries, notices, log, tr)
        devices = sorted({e.get("device") for e in entries if e.get("device")})
        manifest["device"] = "+".join(devices) if devices else None
        cf_rows = cf_found = 0
        if complete and options.counterfactuals:
            cf_rows, cf_found = _counterfactual_stage(client, shared, options, manifest, pieces, out, notices,
                                                      log, tr)
        manifest["notices"] = notices
        manifest["status"] = "complete" if complete else ("stopped" if progress.stopped else "incomplete")
        save_manifest(out, manifest)
    if progress.errors and not complete:
        first_error = progress.errors[0]
        if isinstance(first_error, InputError):
            raise InputError(key="errors.batch.failed", count=len(progress.failed), error=first_error)
        raise first_error
    summary = BatchSummary(
        out=out, rows=int(manifest["rows"]), partitions=len(pieces), computed=sorted(progress.computed),
        skipped=sorted(progress.done), failed=sorted(progress.failed), complete=complete, workers=workers,
        device=manifest.get("device") or "", seconds=time.perf_counter() - began, compute_seconds=progress.seconds,
        cluster_seconds=cluster_seconds, counterfactual_rows=cf_rows, counterfactuals=cf_found, notices=notices,
        partition_rows={p["index"]: p["rows"] for p in pieces},
    )
    if complete:
        log(tr("batch.finished", rows=tr.number(summary.rows, 0), seconds=tr.number(summary.seconds, 1),
               rate=tr.number(summary.rows_per_second, 0), out=str(out)))
    elif progress.stopped:
        log(tr("batch.stopped", done=len(progress.done) + len(progress.computed), partitions=len(pieces)))
    return summary


def _counterfactual_stage(client, shared, options, manifest, pieces, out: Path, notices, log, tr) -> tuple[int, int]:
    """Counterfactuals for the rows ``--where`` picks, at most ``--max-counterfactual-rows`` (first by row key)."""
    from distributed import as_completed

    settings = {"k": options.counterfactuals, "where": options.where, "max_rows": options.max_counterfactual_rows,
                "seed": options.seed, "method": "sparse"}
    stage = manifest.get("counterfactuals")
    if not stage or stage.get("settings") != settings:
        for old in out.iterdir():
            if COUNTERFACTUAL_NAME.match(old.name):
                old.unlink()
        stage = {"settings": settings, "partitions": []}
        manifest["counterfactuals"] = stage
    entries = manifest["partitions"]
    stale = [p for p in pieces if (entries[p["index"]].get("selected") or {}).get("where") != options.where]
    if stale:
        for result in client.gather([client.submit(count_piece, shared, p, str(out), pure=False) for p in stale]):
            entries[result["index"]]["selected"] = {"where": options.where, "rows": result["selected"]}
    selected = sum(e["selected"]["rows"] for e in entries)
    remaining = options.max_counterfactual_rows
    quotas = {}
    for entry in entries:
        quota = min(entry["selected"]["rows"], remaining)
        remaining -= quota
        if quota:
            quotas[entry["index"]] = quota
    stage.update(selected=selected, explained=sum(quotas.values()))
    if selected > options.max_counterfactual_rows:
        line = tr("batch.cf_capped", selected=tr.number(selected, 0),
                  limit=tr.number(options.max_counterfactual_rows, 0))
        stage["notice"] = line
        if line not in notices:
            notices.append(line)
        log(line)
    known = {e["index"]: e for e in stage["partitions"]}
    stage["partitions"] = [known.get(i) or {"index": i, "file": counterfactual_name(i), "rows": q, "status": "pending"}
                           for i, q in quotas.items()]
    todo = [e for e in stage["partitions"]
            if not (e["status"] == "complete" and (out / e["file"]).exists())]
    save_manifest(out, manifest)
    log(tr("batch.cf_start", rows=tr.number(sum(e["rows"] for e in todo), 0), k=options.counterfactuals))
    futures = [client.submit(counterfactual_piece, shared, pieces[e["index"]], e["rows"], str(out), pure=False)
               for e in todo]
    by_index = {e["index"]: e for e in stage["partitions"]}
    finished = len(stage["partitions"]) - len(todo)
    for future in as_completed(futures):
        result = future.result()
        entry = by_index[result["index"]]
        entry.update(status="complete", found=result["found"], without=result["without"],
                     seconds=round(result["seconds"], 3), bytes=result["bytes"])
        finished += 1
        save_manifest(out, manifest)
        log(tr("batch.cf_progress", done=finished, total=len(stage["partitions"]), index=result["index"],
               rows=tr.number(result["rows"], 0), found=tr.number(result["found"], 0),
               seconds=tr.number(result["seconds"], 1)))
    rows = sum(e["rows"] for e in stage["partitions"])
    found = sum(e.get("found", 0) for e in stage["partitions"])
    return rows, found
