"""Batch explanations on Dask: prediction and exact TreeSHAP for every row of a table too big for memory.

``python -m explainers batch --data 'in/*.parquet' --model model.json --out results/``

The input (CSV or Parquet: a file, a folder or a glob) is cut into partitions of row ranges that are
read lazily on the Dask workers (``pyarrow``), so a worker holds one partition at a time, never the
table. Each partition runs the engine's own code: :meth:`Dataset.coerce` to the model's typed schema,
:func:`explainers.shap_values` (XGBoost ``pred_contribs``, original columns) and the model adapter's
prediction, so a batch row equals the single-row result. Output: ``DIR/part-00000.parquet`` ... with
``__row__`` (global row position), the features, the target when given, ``prediction``, ``score``,
``shap__<feature>`` and ``shap__base``, plus ``DIR/manifest.json`` (hashes, versions, partitions and
their status). Each partition is written under a temporary name and renamed; the manifest is updated
after each one, so running the same command again only computes what is missing.

:func:`open_results` reads a results folder for the dashboard with DuckDB, without loading it whole.
The parts: :mod:`.inputs` (files, hashes, partitions, reading), :mod:`.plan` (booster, spec, columns, schema, the
workers' context), :mod:`.tasks` (what a worker runs), :mod:`.manifest`, :mod:`.run` (:func:`batch_explain`) and
:mod:`.results` (reading a folder back). The command is :mod:`explainers.cli.batch`.

Nothing here imports streamlit; Dask, pyarrow, XGBoost and DuckDB are imported when first needed.
"""

from .inputs import hash_files, input_files
from .manifest import save_manifest
from .names import (
    BASE_COLUMN,
    BATCH_ROOT_VARIABLE,
    DEFAULT_MAX_COUNTERFACTUAL_ROWS,
    DEFAULT_PARTITION_ROWS,
    FORMAT,
    KEY,
    MANIFEST,
    OUTPUT_COLUMNS,
    SHAP_PREFIX,
    counterfactual_name,
    part_name,
)
from .options import BatchOptions, BatchSummary
from .results import BatchFolderError, BatchResults, list_results, open_results, results_root
from .run import batch_explain

__all__ = [
    "BASE_COLUMN",
    "BATCH_ROOT_VARIABLE",
    "DEFAULT_MAX_COUNTERFACTUAL_ROWS",
    "DEFAULT_PARTITION_ROWS",
    "FORMAT",
    "KEY",
    "MANIFEST",
    "OUTPUT_COLUMNS",
    "SHAP_PREFIX",
    "BatchFolderError",
    "BatchOptions",
    "BatchResults",
    "BatchSummary",
    "batch_explain",
    "counterfactual_name",
    "hash_files",
    "input_files",
    "list_results",
    "open_results",
    "part_name",
    "results_root",
    "save_manifest",
]
