"""Human oversight: saved cases, reviews, decision notices and a tamper-evident audit trail in a database.

- :mod:`.store`: the database (``XAI_DB_URL``; default the SQLite file ``var/oversight.db``), Alembic
  migrations run on first use, and the write lock that serialises the audit chain;
- :mod:`.audit`: the hash-chained audit trail (append, verify, export);
- :mod:`.cases`: case snapshots, saving, listing, reviews and the review queue;
- :mod:`.cohorts`: named cohorts (row filters) of a table's content, saved, listed and deleted;
- :mod:`.notice`: decision notices (HTML, Markdown, PDF);
- :mod:`.events`: one-call audit entries for what the rest of the product produces or changes.

Their commands (``notice``, ``cases``, ``audit-log``) are in :mod:`explainers.cli`.

Pure Python, no user-interface code. Names are imported on first use, so that ``python -m explainers``
and the dashboard's first page do not load SQLAlchemy until something here is needed.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Store": "store", "open_store": "store", "default_url": "store", "DB_ENV": "store",
    "Actor": "audit", "Entry": "audit", "Verification": "audit", "append": "audit", "verify": "audit",
    "entries": "audit", "export_csv": "audit", "export_json": "audit", "ACTIONS": "audit",
    "Case": "cases", "CaseSummary": "cases", "Review": "cases", "snapshot": "cases", "save_case": "cases",
    "get_case": "cases", "list_cases": "cases", "review_queue": "cases", "record_review": "cases",
    "KINDS": "cases", "VERDICTS": "cases", "STATUSES": "cases",
    "DecisionNotice": "notice", "build_notice": "notice", "write_notice": "notice",
    "record_report": "events", "record_upload": "events", "record_notice": "events",
    "record_command_report": "events",
    "Cohort": "cohorts", "save_cohort": "cohorts", "list_cohorts": "cohorts", "delete_cohort": "cohorts",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
