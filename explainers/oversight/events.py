"""One-call audit entries for what the rest of the product produces or changes: a notice or a report written,
an upload, a model change. The dashboard and the command line call these right after the event."""

from __future__ import annotations

from collections.abc import Iterable

from ..workspace import Workspace
from . import audit
from .audit import Actor, Entry
from .notice import DecisionNotice, audit_details
from .store import Store


def record_notice(store: Store, notice: DecisionNotice, fmt: str, actor: Actor) -> Entry:
    """``notice.produced`` for a notice written in ``fmt``."""
    return audit.append(store, "notice.produced", f"notice:{notice.dataset}:row:{notice.row}", actor,
                        data_sha256=notice.data_sha256, model_sha256=notice.model_sha256,
                        details=audit_details(notice, fmt))


def record_report(store: Store, workspace: Workspace, rows: Iterable[int], fmt: str, lang: str, actor: Actor,
                  dataset: str | None = None) -> Entry:
    """``report.produced`` for a transparency report about ``rows``."""
    name = dataset or workspace.dataset.spec.name
    rows = [int(r) for r in rows]
    return audit.append(store, "report.produced", f"report:{name}", actor,
                        data_sha256=workspace.dataset.data_hash, model_sha256=workspace.model.model_hash,
                        details={"dataset": name, "rows": rows, "format": fmt, "lang": lang})


def record_upload(store: Store, workspace: Workspace, actor: Actor, *, model_changed: bool = False,
                  dataset: str | None = None, source: str | None = None) -> Entry:
    """``data.uploaded`` (a new table and its model) or ``model.changed`` (a new model for the same data)."""
    name = dataset or workspace.dataset.spec.name
    action = "model.changed" if model_changed else "data.uploaded"
    return audit.append(store, action, f"dataset:{name}", actor, data_sha256=workspace.dataset.data_hash,
                        model_sha256=workspace.model.model_hash,
                        details={"dataset": name, "rows": len(workspace.dataset.features),
                                 "model": workspace.model.source, "source": source})


def record_command_report(workspace: Workspace, rows: Iterable[int], fmt: str, lang: str,
                          db: str | None = None) -> Entry:
    """``report.produced`` from ``python -m explainers report``: the database of ``db`` or ``XAI_DB_URL``, the
    operating-system user as the (unverified) actor. One call after the report is written."""
    import getpass

    from .store import Store, open_store

    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    store = Store(db) if db else open_store()
    return record_report(store, workspace, rows, fmt, lang, Actor(name, verified=False))


def record_unmask(store: Store, workspace: Workspace, reason: str, actor: Actor, dataset: str | None = None) -> Entry:
    """``data.unmasked``: someone asked to see a dataset's personal data unmasked for their session, and why."""
    name = dataset or workspace.dataset.spec.name
    return audit.append(store, "data.unmasked", f"dataset:{name}", actor, data_sha256=workspace.dataset.data_hash,
                        model_sha256=workspace.model.model_hash,
                        details={"dataset": name, "columns": list(workspace.dataset.personal.columns),
                                 "reason": str(reason)[:1000]})
