"""Planning a run on the client: what the model file says (:class:`~explainers.models.ModelInfo`: features, which
are categorical, task, classes, stored categories; any kind of model file the engine loads), the spec, the
columns, the partitions and the typed schema (a first pass over the data on the workers when needed), and the
context the workers get: the model bound to a small typed sample of rows."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..data import Dataset, FeatureInfo, feature_schema
from ..errors import InputError
from ..models import MODEL_KINDS, MODEL_SUFFIXES, ModelInfo, input_columns, load_model
from ..privacy import detect_pii, kind_from_name, privacy_key
from ..spec import DatasetSpec, load_spec
from .inputs import Source, column_types, csv_pieces, parquet_pieces, reference_rows, scan_piece
from .names import BASE_COLUMN, KEY, OUTPUT_COLUMNS, SHAP_PREFIX
from .options import BatchOptions
from .tasks import Context, arrow_schema, predict, target_column


def check_model_path(model: str) -> Path:
    """The model file: it exists, and its suffix is one of the kinds the engine loads without pickle."""
    path = Path(model).expanduser()
    if not path.exists():
        raise InputError(key="errors.models.missing", path=model)
    if path.suffix.lower() not in MODEL_SUFFIXES:
        kinds = ", ".join(f"{kind} {'/'.join(suffixes)}" for kind, suffixes in MODEL_KINDS.items())
        raise InputError(key="errors.batch.unsupported_model", name=path.name, kinds=kinds)
    return path


def resolve_spec(options: BatchOptions, files: list[Path]):
    """The spec (given, or ``<stem>.toml`` beside a single data file) and the SHA-256 of its file."""
    if options.spec:
        path = Path(options.spec).expanduser()
        if not path.exists():
            raise InputError(key="errors.spec.missing", path=options.spec)
        spec = load_spec(path)
        if options.target is not None and options.target != spec.target:
            raise InputError(key="errors.spec.target_differs", target=spec.target, asked=options.target)
        return spec, hashlib.sha256(path.read_bytes()).hexdigest()
    beside = files[0].with_suffix(".toml") if len(files) == 1 else None
    if beside is not None and beside.exists():
        spec = load_spec(beside)
        if options.target is None or options.target == spec.target:
            return spec, hashlib.sha256(beside.read_bytes()).hexdigest()
    return None, None


def task_of(info: ModelInfo) -> str:
    return info.task


def resolve_columns(options, spec, info: ModelInfo, source: Source) -> tuple[list[str], str | None]:
    """The feature columns (the model's, in its order: for inputs one-hot encoded from a column, that column) and
    the target column (or None)."""
    columns = list(source.columns)
    target = options.target or (spec.target if spec is not None else None)
    if target is not None and target not in columns:
        if options.target is not None:
            raise InputError(key="errors.batch.no_target", target=target, columns=", ".join(columns[:20]))
        target = None  # the spec's target is optional in a batch: the rows are explained all the same
    if info.features is not None:
        features, _, missing = input_columns(list(info.features), columns)
        if missing:
            raise InputError(key="errors.batch.missing_features", columns=", ".join(missing[:10]))
    else:
        dropped = set(spec.drop) if spec is not None else set()
        features = [c for c in columns if c != target and c not in dropped and c != KEY]
        if len(features) != info.num_features:
            raise InputError(key="errors.batch.feature_count", expected=info.num_features, found=len(features))
    if target in features:
        raise InputError(key="errors.batch.target_is_feature", target=target)
    clashes = [c for c in [*features, target] if c is not None and (c in (KEY, BASE_COLUMN, *OUTPUT_COLUMNS)
                                                                    or c.startswith(SHAP_PREFIX))]
    if clashes:
        raise InputError(key="errors.batch.clash", column=clashes[0], key_column=KEY, prefix=SHAP_PREFIX)
    return list(features), target



def resolve_kept(options, source: Source, features: list[str], target: str | None) -> list[str]:
    """The ``--keep`` columns: in the data, not a feature or the target, no clash with an output column."""
    kept = list(dict.fromkeys(options.keep))
    for name in kept:
        if name not in source.columns:
            raise InputError(key="errors.batch_keep.missing", column=name,
                             columns=", ".join(list(source.columns)[:20]))
        if name in features or name == target:
            raise InputError(key="errors.batch_keep.feature", column=name)
        if name in (KEY, BASE_COLUMN, *OUTPUT_COLUMNS) or name.startswith(SHAP_PREFIX):
            raise InputError(key="errors.batch_keep.clash", column=name, key_column=KEY, prefix=SHAP_PREFIX)
    return kept


def _classes(info: ModelInfo, spec, labels: list[str] | None, notices: list[str]) -> tuple[str, ...]:
    if task_of(info) == "regression":
        return ()
    count = info.num_class
    if labels:
        return tuple(labels)
    known = sorted(spec.class_labels) if spec is not None else []
    if len(known) == count:
        return tuple(known)
    notices.append(f"No target column: the {count} classes are named by the model's indices 0 to {count - 1}.")
    return tuple(str(i) for i in range(count))



def build_context(options, spec, info, source, pieces, schema_doc, features, target, data_hash, model_path,
                  kept=()):
    """The typed schema Dataset (a small sample of rows), the loaded model, and what the workers need."""
    task = task_of(info)
    columns = [*features, target] if target else list(features)
    raw = reference_rows(source, pieces, columns, options.seed)
    infos = []
    for item in schema_doc["features"]:
        if item["kind"] == "categorical":
            infos.append(FeatureInfo(item["name"], "categorical", categories=tuple(item["categories"])))
        else:
            infos.append(FeatureInfo(item["name"], "numeric"))
    if spec is None:
        stem = Path(source.paths[0]).stem
        spec = DatasetSpec(name=stem, target=target or "__target__", task=task)
    elif target is None:
        spec = replace(spec, target="__target__")
    classes = tuple(schema_doc["classes"])
    draft = Dataset(spec=spec, features=pd.DataFrame(), target=pd.Series(dtype=object), schema=tuple(infos),
                    classes=classes)
    typed = draft.coerce(raw)
    stats = {f.name: f for f in feature_schema(typed)}
    schema = tuple(
        FeatureInfo(f.name, f.kind, categories=f.categories, minimum=stats[f.name].minimum,
                    maximum=stats[f.name].maximum, integer=stats[f.name].integer,
                    fill_value=stats[f.name].fill_value if f.kind == "numeric" or f.categories else "")
        for f in infos
    )
    if target:
        labels = target_column(raw[target], task == "classification")
    else:
        labels = pd.Series([None] * len(raw), dtype=object)
    dataset = Dataset(spec=spec, features=typed, target=labels.rename(spec.target), schema=schema, classes=classes,
                      data_hash=data_hash, extra={"batch": True})
    model = load_model(model_path, dataset)
    if target is None or labels.isna().any():
        # Rows without a target (none given, or blank): what the counterfactual search uses in their place is
        # the model's own prediction.
        predicted, _ = predict(model, typed)
        filled = labels.where(labels.notna(), pd.Series(predicted, index=labels.index))
        dataset = replace(dataset, target=filled.rename(spec.target))
        model.dataset = dataset
    # Copies made on this machine (many threads, or the GPU's); workers make their own.
    model.details.pop("batch_booster", None)
    model.details.pop("gpu_booster", None)
    personal = kept_personal(source, pieces, kept, spec, options.seed)
    kept_types = {name: pa_string() if name in personal else kind for name, kind in column_types(source, kept).items()}
    ctx = Context(model=model, source=source, target=target, where=options.where,
                   counterfactuals=options.counterfactuals, seed=options.seed, device=options.device,
                   arrow_schema=arrow_schema(dataset, target, model.is_classifier, kept_types),
                   keep=tuple(kept), personal=personal, privacy_key=privacy_key() if personal else b"")
    return ctx, raw



def plan_partitions(client, options, info, source, features, target, spec, notices, log, tr) -> tuple[list[dict], dict]:
    """Partitions (row ranges) and the typed schema; a first pass over the data on the workers when needed."""
    classifier = task_of(info) == "classification"
    if source.fmt == "parquet":
        pieces = parquet_pieces(source, options.partition_rows)
    else:
        pieces = csv_pieces(source, options.partition_rows)
    declared = declared_kinds(info, features, list(source.columns))
    categorical = [name for name in features if declared[name] == "categorical"]
    need_values = [c for c in categorical if c not in info.categories]
    labels = [target] if classifier and target else []
    values: dict[str, set[str]] = {c: set() for c in [*labels, *need_values]}
    if source.fmt == "csv" or values:
        log(tr("batch.scan", partitions=len(pieces)))
        futures = [client.submit(scan_piece, source, piece, labels, need_values, pure=False) for piece in pieces]
        for result in client.gather(futures):
            pieces[result["index"]]["rows"] = result["rows"]
            for name, found in result["values"].items():
                values[name].update(found)
        if source.fmt == "csv":
            pieces = [p for p in pieces if p["rows"] > 0]
            offset = 0
            for index, piece in enumerate(pieces):
                piece["index"], piece["offset"] = index, offset
                offset += piece["rows"]
    if not pieces or sum(p["rows"] for p in pieces) == 0:
        raise InputError(key="errors.batch.no_rows")
    undeclared = [name for name in features if declared[name] is None]
    if undeclared:  # the model does not say: typed from the reference sample, as an uploaded table is
        sample = reference_rows(source, pieces, undeclared, options.seed)
        inferred = [name for name in undeclared if column_kind(sample[name]) == "categorical"]
        if inferred:
            log(tr("batch.scan", partitions=len(pieces)))
            futures = [client.submit(scan_piece, source, piece, [], inferred, pure=False) for piece in pieces]
            for name in inferred:
                values[name] = set()
            for result in client.gather(futures):
                for name, found in result["values"].items():
                    values[name].update(found)
            categorical = [name for name in features if name in categorical or name in inferred]
            need_values = [*need_values, *inferred]
    class_labels = sorted(values[target]) if labels else None
    if labels and not class_labels:
        class_labels = None
    classes = _classes(info, spec, class_labels, notices)
    expected = info.num_class if classifier else 0
    if classifier and len(classes) != expected:
        raise InputError(key="errors.batch.class_count", expected=expected, target=target, found=len(classes),
                         classes=', '.join(classes[:10]))
    positive = spec.positive_class if spec is not None else None
    if positive is not None and classifier and positive not in classes:
        raise InputError(key="errors.data.unknown_positive", positive=positive, target=target,
                         classes=', '.join(classes))
    schema = {
        "features": [
            {"name": name, "kind": "categorical" if name in categorical else "numeric",
             **({"categories": info.categories.get(name) or sorted(values.get(name, ()))} if name in categorical
                else {})}
            for name in features
        ],
        "categories_from": "model" if not need_values else ("data" if len(need_values) == len(categorical)
                                                              else "model and data"),
        **({"kinds_from_data": undeclared} if undeclared else {}),
        "target": target,
        "task": task_of(info),
        "classes": list(classes),
        "positive_class": positive,
    }
    return pieces, schema


def declared_kinds(info: ModelInfo, features: list[str], columns: list[str]) -> dict[str, str | None]:
    """Each feature column's kind as the model declares it (``categorical``, ``numeric``), None where it does not
    say: by position for a model without input names, else by name; a column the model takes one-hot encoded is
    categorical."""
    if info.features is None:
        kinds = [*info.kinds, *[None] * len(features)]
        return dict(zip(features, kinds, strict=False))
    _, encoded, _ = input_columns(list(info.features), columns)
    by_name = dict(zip(info.features, [*info.kinds, *[None] * len(info.features)], strict=False))
    return {name: "categorical" if name in encoded else by_name.get(name) for name in features}


def column_kind(column: pd.Series) -> str:
    """A column's kind from its values, as an uploaded table's is typed: numbers (or text that is all numbers, or
    nothing at all) are numeric; anything else is categorical."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return "numeric"
    present = column.dropna()
    if present.empty:
        return "numeric"
    numbers = pd.to_numeric(present.astype("object").astype(str).str.strip(), errors="coerce")
    return "numeric" if bool(numbers.notna().all()) else "categorical"


def empty_outputs(info: ModelInfo, features: list[str], target: str | None, data_columns: list[str]
                  ) -> pd.DataFrame:
    """No rows, but the columns (and kinds) that ``--where`` sees (a column of undeclared kind as numbers)."""
    classifier = task_of(info) == "classification"
    kinds = declared_kinds(info, features, data_columns)
    columns = {KEY: pd.Series(dtype="int64")}
    columns |= {f: pd.Series(dtype=object if kinds.get(f) == "categorical" else "float64") for f in features}
    if target:
        columns[target] = pd.Series(dtype=object if classifier else "float64")
    columns["prediction"] = pd.Series(dtype=object if classifier else "float64")
    columns["score"] = pd.Series(dtype="float64")
    return pd.DataFrame(columns)


def pa_string():
    import pyarrow as pa

    return pa.string()


def kept_personal(source: Source, pieces: list[dict], kept: list[str], spec: DatasetSpec | None, seed: int) -> dict:
    """The ``--keep`` columns that hold personal data (the spec's pii list, their names, or their values on the
    reference sample) and their kinds: the output holds them masked, as every other output does."""
    if not kept:
        return {}
    found = {f.column: f.kind for f in detect_pii(reference_rows(source, pieces, list(kept), seed))}
    for name in kept:
        named = kind_from_name(name)
        if name not in found and (named is not None or (spec is not None and name in (spec.pii or ()))):
            found[name] = named[0] if named else "other"
    return {name: found[name] for name in kept if name in found}
