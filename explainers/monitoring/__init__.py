"""Monitoring: has the data, the model's behaviour or its reasons drifted since the reference?

A reference (by default the training rows of the fixed-seed 80/20 split) is compared with one or more current
tables (an upload, a file, a batch results folder): per-feature drift statistics, the model's predictions,
its attributions and, with a target, its performance; alerts in plain words; a timeline over periods; the
transparency report's section; and ``python -m explainers monitor``.

Pure Python, no streamlit.
"""

from .alerts import Alert
from .drift import PSI_FLOOR, Bins, FeatureDrift, holm, psi
from .inputs import MonitoredTable, align, read_batch, read_bytes, read_path, reference_table
from .monitor import MonitoringResult, Reference, monitor, monitor_all, prepare_reference
from .section import Section, report_section
from .simulate import simulate, simulate_periods
from .thresholds import SEVERITIES, Thresholds, thresholds_for
from .timeline import Timeline, timeline

__all__ = [
    "PSI_FLOOR",
    "SEVERITIES",
    "Alert",
    "Bins",
    "FeatureDrift",
    "MonitoredTable",
    "MonitoringResult",
    "Reference",
    "Section",
    "Thresholds",
    "Timeline",
    "align",
    "holm",
    "monitor",
    "monitor_all",
    "prepare_reference",
    "psi",
    "read_batch",
    "read_bytes",
    "read_path",
    "reference_table",
    "report_section",
    "simulate",
    "simulate_periods",
    "thresholds_for",
    "timeline",
]
