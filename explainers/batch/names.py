"""What a results folder holds and how its files are named: the manifest, the partitions, the columns."""

from __future__ import annotations

import re

FORMAT = "explainers-batch/1"
MANIFEST = "manifest.json"
KEY = "__row__"
SHAP_PREFIX = "shap__"
BASE_COLUMN = "shap__base"
OUTPUT_COLUMNS = ("prediction", "score")
DEFAULT_PARTITION_ROWS = 100_000
MIN_PARTITION_ROWS = 100
DEFAULT_MAX_COUNTERFACTUAL_ROWS = 10_000
REFERENCE_ROWS = 20_000  # rows read on the client: typed-schema statistics and the counterfactual donor pool
REFERENCE_PIECES = 20
PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
HASH_CHUNK = 8 * 2**20
READ_BATCH = 65_536
ROW_GROUP_ROWS = 65_536
BATCH_ROOT_VARIABLE = "XAI_BATCH_ROOT"
PART_NAME = re.compile(r"^part-\d{5}\.parquet$")
COUNTERFACTUAL_NAME = re.compile(r"^counterfactuals-\d{5}\.parquet$")
TEMP_NAME = re.compile(r"^\.(part|counterfactuals)-\d{5}\.parquet\..*\.tmp$")


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def counterfactual_name(index: int) -> str:
    return f"counterfactuals-{index:05d}.parquet"
