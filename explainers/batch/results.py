"""Reading results (the dashboard's Batch results page): DuckDB over the Parquet files, never loaded whole; only
folders under ``XAI_BATCH_ROOT`` (default ``results/``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..attributions import ShapValues
from ..errors import InputError
from ..global_views import GlobalShap
from ..util import sample_positions
from .names import BASE_COLUMN, BATCH_ROOT_VARIABLE, FORMAT, KEY, MANIFEST, SHAP_PREFIX


class BatchFolderError(InputError):
    """A results folder that cannot be opened; ``code`` says why (for translated messages)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def results_root() -> Path:
    """The folder the dashboard may read batch results from: ``XAI_BATCH_ROOT``, else ``results/`` in the
    working directory."""
    configured = os.environ.get(BATCH_ROOT_VARIABLE, "").strip()
    return Path(configured).expanduser() if configured else Path.cwd() / "results"


def list_results(root: str | Path | None = None, depth: int = 3) -> list[str]:
    """The results folders under ``root`` (default :func:`results_root`): paths relative to it, with ``/``,
    of every folder up to ``depth`` levels down that holds a ``manifest.json``. Links that lead outside the
    root are not followed; a missing root gives an empty list."""
    base = Path(root if root is not None else results_root())
    try:
        resolved = base.resolve(strict=True)
    except (OSError, RuntimeError):
        return []
    found: list[str] = []
    stack: list[tuple[Path, int]] = [(resolved, 0)]
    while stack and len(found) < 1000:
        folder, level = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            try:
                if not entry.is_dir() or entry.name.startswith("."):
                    continue
                real = Path(entry.path).resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if real != resolved and resolved not in real.parents:
                continue
            if (real / MANIFEST).is_file():
                found.append(Path(entry.path).relative_to(resolved).as_posix())
            if level + 1 < depth:
                stack.append((Path(entry.path), level + 1))
    return sorted(found)


def open_results(folder: str | Path, root: str | Path | None = None) -> BatchResults:
    """Open a results folder written by the batch command (it must hold ``manifest.json``).

    ``root``: when given (or set in ``XAI_BATCH_ROOT``), ``folder`` is a path relative to it (an absolute path
    must lie inside it); ``..``, and links that lead outside it, are refused. A folder that is missing and one
    that is not allowed get the same error (code ``not_found``), which names only ``folder`` as given.
    """
    text = str(folder).strip()
    root = root if root is not None else (os.environ.get(BATCH_ROOT_VARIABLE) or None)
    unavailable = BatchFolderError("not_found", f"{text} is not a batch results folder here; choose one from the list.")
    if not text or "\x00" in text:
        raise unavailable
    if root:
        if ".." in Path(text).parts or ".." in text.replace("\\", "/").split("/"):
            raise unavailable
        try:
            base = Path(root).expanduser().resolve(strict=True)
            path = (base / text).resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            raise unavailable from None
        if path != base and base not in path.parents:
            raise unavailable
    else:
        path = Path(text).expanduser()
    if not path.is_dir():
        raise unavailable
    if not (path / MANIFEST).is_file():
        if root:
            raise unavailable
        raise BatchFolderError("no_manifest", f"{text} holds no {MANIFEST}; give the --out folder of a batch run.")
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BatchFolderError("bad_manifest", f"the {MANIFEST} of {text} cannot be read.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "schema" not in manifest:
        raise BatchFolderError("bad_manifest", f"the {MANIFEST} of {text} is not a batch manifest.")
    return BatchResults(path, manifest)


@dataclass(frozen=True, eq=False)
class BatchResults:
    """A results folder: its manifest, and queries over its finished partitions."""

    folder: Path
    manifest: dict

    @property
    def features(self) -> list[str]:
        return [f["name"] for f in self.manifest["schema"]["features"]]

    @property
    def kept(self) -> list[str]:
        """Input columns the run copied to the output unchanged (``batch --keep``)."""
        return list(self.manifest.get("settings", {}).get("keep", []))

    @property
    def categories(self) -> dict[str, list[str]]:
        return {f["name"]: f["categories"] for f in self.manifest["schema"]["features"] if f["kind"] == "categorical"}

    @property
    def complete_partitions(self) -> list[dict]:
        return [e for e in self.manifest["partitions"]
                if e.get("status") == "complete" and (self.folder / e["file"]).is_file()]

    @property
    def files(self) -> list[str]:
        return [str(self.folder / e["file"]) for e in self.complete_partitions]

    @property
    def rows(self) -> int:
        """Rows in finished partitions."""
        return sum(e["rows"][1] - e["rows"][0] for e in self.complete_partitions)

    @property
    def total_rows(self) -> int:
        return int(self.manifest["rows"])

    @property
    def is_classifier(self) -> bool:
        return self.manifest.get("task") == "classification"

    @property
    def stamp(self) -> dict:
        """What a reader needs to reproduce the numbers."""
        m = self.manifest
        return {"data_sha256": m["data"]["sha256"], "model_sha256": m["model"]["sha256"], "rows": m["rows"],
                "created": m.get("created"), "seed": m.get("seed"), "device": m.get("device"),
                "versions": m.get("versions", {})}

    def _connect(self):
        import duckdb

        return duckdb.connect()

    def importance(self) -> pd.Series:
        """Mean |SHAP| of each feature over every finished row, largest first (one DuckDB scan)."""
        if not self.files:
            return pd.Series(dtype="float64")
        select = ", ".join(f"avg(abs({_quote(SHAP_PREFIX + f)}))" for f in self.features)
        with self._connect() as con:
            row = con.execute(f"SELECT {select} FROM read_parquet(?)", [self.files]).fetchall()[0]
        return pd.Series([float(v) for v in row], index=self.features, dtype="float64").sort_values(ascending=False)

    def summary(self) -> dict:
        """Row count, mean score and the count of each predicted label (classifiers) over finished rows."""
        if not self.files:
            return {"rows": 0, "mean_score": None, "labels": {}}
        with self._connect() as con:
            rows, mean = con.execute("SELECT count(*), avg(score) FROM read_parquet(?)", [self.files]).fetchall()[0]
            labels = {}
            if self.is_classifier:
                labels = dict(con.execute("SELECT prediction, count(*) FROM read_parquet(?) GROUP BY prediction "
                                          "ORDER BY prediction", [self.files]).fetchall())
        return {"rows": int(rows), "mean_score": float(mean) if mean is not None else None, "labels": labels}

    def sample(self, n: int = 2000, seed: int | None = None) -> pd.DataFrame:
        """A seeded uniform sample of ``n`` finished rows (row keys drawn with NumPy, rows fetched by DuckDB)."""
        seed = int(self.manifest.get("seed", 0)) if seed is None else seed
        ranges = [e["rows"] for e in self.complete_partitions]
        total = sum(stop - start for start, stop in ranges)
        if total == 0:
            return pd.DataFrame(columns=[KEY, *self.features])
        positions = sample_positions(total, n, seed)
        starts = np.cumsum([0] + [stop - start for start, stop in ranges])
        which = np.searchsorted(starts, positions, side="right") - 1
        keys = np.array([ranges[w][0] for w in which], dtype="int64") + positions - starts[which]
        return self._rows_with_keys(keys)

    def periods(self, column: str) -> pd.Series:
        """Finished rows per value of a kept column (e.g. a month), in the values' order; missing values are not
        a period."""
        if column not in self.kept:
            raise InputError(key="errors.batch_keep.not_kept", column=column,
                             kept=", ".join(self.kept) or "-")
        if not self.files:
            return pd.Series(dtype="int64")
        with self._connect() as con:
            counts = con.execute(f"SELECT {_quote(column)} AS period, count(*) AS n FROM read_parquet(?) "
                                 f"WHERE {_quote(column)} IS NOT NULL GROUP BY 1 ORDER BY 1", [self.files]).df()
        return pd.Series(counts["n"].to_numpy(dtype="int64"), index=pd.Index(counts["period"], name=column))

    def period_sample(self, column: str, value, n: int = 2000, seed: int | None = None) -> pd.DataFrame:
        """A seeded uniform sample of ``n`` finished rows whose kept ``column`` equals ``value`` (all of them
        when there are fewer); memory bounded by the period's row keys and the sample."""
        seed = int(self.manifest.get("seed", 0)) if seed is None else seed
        with self._connect() as con:
            keys = con.execute(f"SELECT {_quote(KEY)} FROM read_parquet(?) WHERE {_quote(column)} = ? "
                               f"ORDER BY {_quote(KEY)}", [self.files, value]).fetchnumpy()[KEY]
        keys = np.asarray(keys, dtype="int64")
        if len(keys) > n:
            keys = keys[sample_positions(len(keys), n, seed)]
        return self._rows_with_keys(keys)

    def _rows_with_keys(self, keys: np.ndarray) -> pd.DataFrame:
        """The finished rows with these ``__row__`` keys, in key order (fetched by DuckDB)."""
        with self._connect() as con:
            con.register("wanted", pd.DataFrame({KEY: keys}))
            frame = con.execute(f"SELECT * FROM read_parquet(?) WHERE {_quote(KEY)} IN (SELECT {_quote(KEY)} "
                                f"FROM wanted) ORDER BY {_quote(KEY)}", [self.files]).df()
        return self._typed(frame)

    def row(self, key: int) -> pd.DataFrame:
        """The stored row with ``__row__ == key`` (an empty frame when no finished partition holds it)."""
        entry = next((e for e in self.complete_partitions if e["rows"][0] <= int(key) < e["rows"][1]), None)
        if entry is None:
            return pd.DataFrame(columns=[KEY, *self.features])
        with self._connect() as con:
            frame = con.execute(f"SELECT * FROM read_parquet(?) WHERE {_quote(KEY)} = ?",
                                [str(self.folder / entry["file"]), int(key)]).df()
        return self._typed(frame)

    def counterfactuals(self, key: int) -> pd.DataFrame:
        """Counterfactuals stored for row ``key`` (rank, changes as a dict, new prediction and score)."""
        stage = self.manifest.get("counterfactuals") or {}
        entry = next((e for e in stage.get("partitions", []) if e.get("status") == "complete"
                      and self.manifest["partitions"][e["index"]]["rows"][0] <= int(key)
                      < self.manifest["partitions"][e["index"]]["rows"][1]), None)
        if entry is None or not (self.folder / entry["file"]).is_file():
            return pd.DataFrame(columns=[KEY, "rank", "changes", "prediction", "score", "distance"])
        with self._connect() as con:
            frame = con.execute(f"SELECT * FROM read_parquet(?) WHERE {_quote(KEY)} = ? ORDER BY rank",
                                [str(self.folder / entry["file"]), int(key)]).df()
        frame["changes"] = [json.loads(text) for text in frame["changes"]]
        return frame

    def _typed(self, frame: pd.DataFrame) -> pd.DataFrame:
        for name, categories in self.categories.items():
            if name in frame:
                frame[name] = pd.Categorical(frame[name].astype("object"), categories=categories)
        return frame.reset_index(drop=True)

    def feature_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The feature columns of stored rows (categories as pandas categoricals), indexed by row key."""
        return frame.set_index(KEY)[self.features]

    def shap(self, frame: pd.DataFrame):
        """A :class:`~explainers.attributions.ShapValues` of stored rows, from their stored values."""
        values = frame[[SHAP_PREFIX + f for f in self.features]].to_numpy(dtype="float64")
        base = frame[BASE_COLUMN].to_numpy(dtype="float64")
        shap = self.manifest.get("shap", {})
        return ShapValues(
            values=pd.DataFrame(values, columns=self.features, index=frame[KEY].to_numpy()),
            base_value=float(base[0]) if len(base) else float(shap.get("base_value") or 0.0),
            output=base + values.sum(axis=1),
            space=shap.get("space", "raw"),
            class_name=shap.get("class"),
            method=shap.get("method", "tree"),
        )

    def global_shap(self, frame: pd.DataFrame):
        """A :class:`~explainers.global_views.GlobalShap` of sampled rows, for the beeswarm and dependence charts."""
        return GlobalShap(self.shap(frame), frame[KEY].to_numpy(), self.rows)
