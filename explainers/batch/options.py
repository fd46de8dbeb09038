"""What ``python -m explainers batch`` takes, and what a run did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .names import DEFAULT_MAX_COUNTERFACTUAL_ROWS, DEFAULT_PARTITION_ROWS, MANIFEST


@dataclass
class BatchOptions:
    """What ``python -m explainers batch`` takes (see :mod:`explainers.cli.batch` for the meaning of each)."""

    data: str
    model: str
    out: str
    target: str | None = None
    spec: str | None = None
    scheduler: str | None = None
    workers: int | None = None
    partition_rows: int = DEFAULT_PARTITION_ROWS
    counterfactuals: int = 0
    where: str | None = None
    max_counterfactual_rows: int = DEFAULT_MAX_COUNTERFACTUAL_ROWS
    seed: int = 0
    lang: str = "en"
    device: str = "auto"
    keep: tuple[str, ...] = ()  # input columns copied to the output unchanged (identifiers, periods)
    stop_after: int | None = None  # stop once this many partitions finished (tests: a simulated interruption)
    log: Callable[[str], None] | None = None  # progress lines; default: standard error


@dataclass
class BatchSummary:
    """What a run did; :meth:`to_dict` is what the command prints on standard output."""

    out: Path
    rows: int
    partitions: int
    computed: list[int]
    skipped: list[int]
    failed: list[int]
    complete: bool
    workers: int
    device: str
    seconds: float
    compute_seconds: float
    cluster_seconds: float
    counterfactual_rows: int = 0
    counterfactuals: int = 0
    notices: list[str] = field(default_factory=list)
    partition_rows: dict[int, int] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        """Rows computed in this run per second of the compute phase (cluster start and planning excluded)."""
        rows = sum(self.partition_rows.get(i, 0) for i in self.computed)
        return rows / self.compute_seconds if self.compute_seconds > 0 else 0.0

    def to_dict(self) -> dict:
        return {
            "out": str(self.out),
            "manifest": str(self.out / MANIFEST),
            "complete": self.complete,
            "rows": self.rows,
            "partitions": self.partitions,
            "computed": len(self.computed),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
            "workers": self.workers,
            "device": self.device,
            "seconds": round(self.seconds, 3),
            "compute_seconds": round(self.compute_seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
            "counterfactual_rows": self.counterfactual_rows,
            "counterfactuals": self.counterfactuals,
            "notices": self.notices,
        }
