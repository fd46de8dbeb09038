"""The manifest of a results folder (``manifest.json``): hashes, versions, settings, the schema and each
partition's status, written atomically after every change so that a run can resume where it stopped."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ..errors import InputError
from ..util import PACKAGES, package_versions, write_atomically
from .inputs import Source
from .names import BASE_COLUMN, FORMAT, KEY, MANIFEST, SHAP_PREFIX, TEMP_NAME, part_name


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    """The engine's package versions, and those a batch run adds (Dask, pyarrow, DuckDB)."""
    return package_versions((*PACKAGES, "dask", "distributed", "pyarrow", "duckdb"))


def save_manifest(folder: Path, manifest: dict) -> None:
    """Write ``manifest.json`` atomically (temporary file, then rename)."""
    manifest["updated"] = now()
    write_atomically(folder / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8"))


def _load_manifest(folder: Path) -> dict | None:
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(key="errors.batch.unreadable_manifest", path=path) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(key="errors.batch.not_manifest", path=path)
    return manifest


def check_existing(out: Path, data_hash: str, model_hash: str, settings: dict) -> dict | None:
    """The manifest of an earlier run of the same command into ``out``; refuses anything else there."""
    if out.exists() and not out.is_dir():
        raise InputError(key="errors.batch.out_is_file", out=out)
    manifest = _load_manifest(out) if out.is_dir() else None
    if manifest is None:
        if out.is_dir() and any(not TEMP_NAME.match(p.name) for p in out.iterdir()):
            raise InputError(key="errors.batch.out_not_empty", out=out)
        return None
    if manifest["data"]["sha256"] != data_hash or manifest["model"]["sha256"] != model_hash:
        which = "data" if manifest["data"]["sha256"] != data_hash else "model"
        raise InputError(key="errors.batch.other_input", out=out, which=which, sha=manifest[which]['sha256'][:12])
    differ = [k for k, v in settings.items() if manifest.get("settings", {}).get(k) != v]
    if differ:
        name = differ[0]
        raise InputError(key="errors.batch.other_settings", out=out, name=name,
                         before=repr(manifest['settings'].get(name)), now=repr(settings[name]))
    return manifest


def partition_entry(piece: dict, source: Source) -> dict:
    entry = {"index": piece["index"], "file": part_name(piece["index"]),
             "rows": [piece["offset"], piece["offset"] + piece["rows"]],
             "source": {"file": Path(source.paths[piece["file"]]).name}, "status": "pending"}
    if "start" in piece:
        entry["source"]["rows"] = [piece["start"], piece["stop"]]
    else:
        entry["source"]["bytes"] = [piece["byte_start"], piece["byte_stop"]]
    return entry


def piece_of(entry: dict, files: list[Path]) -> dict:
    """A partition entry of the manifest back into what a worker reads."""
    source = entry["source"]
    names = [p.name for p in files]
    piece = {"index": entry["index"], "file": names.index(source["file"]) if source["file"] in names else 0,
             "offset": entry["rows"][0], "rows": entry["rows"][1] - entry["rows"][0]}
    if "rows" in source:
        piece["start"], piece["stop"] = source["rows"]
    else:
        piece["byte_start"], piece["byte_stop"] = source["bytes"]
    return piece


def columns_of(schema) -> list[dict]:
    roles = {KEY: "key", "prediction": "prediction", "score": "score", BASE_COLUMN: "shap_base"}
    out = []
    for f in schema:
        role = roles.get(f.name) or ("shap" if f.name.startswith(SHAP_PREFIX) else None)
        out.append({"name": f.name, "type": str(f.type), "role": role or "input"})
    return out
