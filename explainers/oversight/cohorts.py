"""Named cohorts of a table, kept in the oversight database.

A cohort is a name and a row filter (the language of :mod:`explainers.expressions`) that belongs to a table's
content (its SHA-256), so that every model of that table, every session and a restarted server see the same
cohorts. Each save and delete commits with its audit entry (``cohort.saved``, ``cohort.deleted``). A deleted
cohort is kept, marked with who deleted it and when, and frees its name: the record of what a cohort meant
never disappears, while the list shows live cohorts only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..data import Dataset
from ..errors import InputError
from ..expressions import parse_filter
from . import audit
from .audit import Actor
from .schema import COHORT_NAME, cohorts
from .store import Store

SOURCES = ("filter", "leaf")  # typed on the page, or an error tree's leaf opened as a cohort
MAX_NAME = COHORT_NAME
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Cohort:
    id: int
    created_at: str
    actor: str
    actor_verified: bool
    dataset: str
    data_sha256: str
    name: str
    expression: str
    source: str
    model_sha256: str | None
    deleted_at: str | None = None
    deleted_by: str | None = None

    @property
    def live(self) -> bool:
        return self.deleted_at is None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def cohort_name(name: object) -> str:
    """The name as stored (blanks folded); InputError when blank, too long or not plain text."""
    folded = " ".join(str(name or "").split())
    if not folded:
        raise InputError(key="errors.cohorts.no_name")
    if len(folded) > MAX_NAME or _CONTROL.search(folded):
        raise InputError(key="errors.cohorts.bad_name", limit=MAX_NAME)
    return folded


def check_filter(dataset: Dataset, expression: object, name: str = "") -> str:
    """The filter as stored, after it parsed and picked rows of ``dataset``'s columns; InputError otherwise."""
    text = str(expression or "").strip()
    if not text:
        raise InputError(key="errors.cohorts.no_filter", name=name)
    try:
        parse_filter(text).mask(dataset.features)  # names unknown columns or compares unlike kinds: refused now
    except InputError as exc:
        reason = getattr(exc, "detail", None) or str(exc)
        raise InputError(key="errors.cohorts.bad_filter", name=name, reason=reason) from None
    return text


def _cohort(row) -> Cohort:
    return Cohort(id=int(row.id), created_at=row.created_at, actor=row.actor, actor_verified=bool(row.actor_verified),
                  dataset=row.dataset, data_sha256=row.data_sha256, name=row.name, expression=row.expression,
                  source=row.source, model_sha256=row.model_sha256, deleted_at=row.deleted_at,
                  deleted_by=row.deleted_by)


def _live(data_sha256: str, name: str):
    return select(cohorts).where(cohorts.c.data_sha256 == data_sha256, cohorts.c.name == name,
                                 cohorts.c.deleted_at.is_(None))


def save_cohort(store: Store, dataset: Dataset, name: str, expression: str, actor: Actor, *,
                dataset_name: str | None = None, source: str = "filter", model_sha256: str | None = None) -> Cohort:
    """Save a named cohort of ``dataset``'s content and append ``cohort.saved``; InputError for a blank or long
    name, a filter that does not parse or names other columns, or a name a live cohort of this table has."""
    name = cohort_name(name)
    expression = check_filter(dataset, expression, name)
    if source not in SOURCES:
        raise InputError(key="errors.cohorts.unknown_source", source=repr(source), choices=", ".join(SOURCES))
    if not isinstance(actor, Actor):
        raise InputError(key="errors.oversight.bad_actor")
    shown_name = str(dataset_name or dataset.spec.name)
    values = {"created_at": audit.now(), "actor": actor.name, "actor_verified": actor.verified,
              "dataset": shown_name, "data_sha256": dataset.data_hash, "name": name, "expression": expression,
              "source": source, "model_sha256": model_sha256}
    try:
        with store.writing() as conn:
            if conn.execute(_live(dataset.data_hash, name)).first() is not None:
                raise InputError(key="errors.cohorts.exists", name=name)
            cohort_id = conn.execute(insert(cohorts).values(**values).returning(cohorts.c.id)).scalar_one()
            audit.append(store, "cohort.saved", f"cohort:{cohort_id}", actor, data_sha256=dataset.data_hash,
                         model_sha256=model_sha256, conn=conn,
                         details={"dataset": shown_name, "name": name, "expression": expression, "source": source})
    except IntegrityError:  # the unique index: another writer saved the name first (the lock makes this rare)
        raise InputError(key="errors.cohorts.exists", name=name) from None
    return Cohort(id=int(cohort_id), **values)


def list_cohorts(store: Store, data_sha256: str, *, include_deleted: bool = False) -> list[Cohort]:
    """The cohorts of a table's content, oldest first (live ones only unless ``include_deleted``)."""
    query = select(cohorts).where(cohorts.c.data_sha256 == data_sha256)
    if not include_deleted:
        query = query.where(cohorts.c.deleted_at.is_(None))
    with store.reading() as conn:
        return [_cohort(row) for row in conn.execute(query.order_by(cohorts.c.id))]


def delete_cohort(store: Store, data_sha256: str, name: str, actor: Actor) -> Cohort:
    """Mark the live cohort ``name`` of a table's content deleted and append ``cohort.deleted``; returns it as it
    was. InputError when the table has no such live cohort."""
    name = cohort_name(name)
    if not isinstance(actor, Actor):
        raise InputError(key="errors.oversight.bad_actor")
    with store.writing() as conn:
        row = conn.execute(_live(data_sha256, name)).first()
        if row is None:
            raise InputError(key="errors.cohorts.not_found", name=name)
        found = _cohort(row)
        conn.execute(update(cohorts).where(cohorts.c.id == found.id).values(
            deleted_at=audit.now(), deleted_by=actor.name, deleted_by_verified=actor.verified))
        audit.append(store, "cohort.deleted", f"cohort:{found.id}", actor, data_sha256=data_sha256,
                     model_sha256=found.model_sha256, conn=conn,
                     details={"dataset": found.dataset, "name": found.name, "expression": found.expression})
    return found


__all__ = ["MAX_NAME", "SOURCES", "Cohort", "check_filter", "cohort_name", "delete_cohort", "list_cohorts",
           "save_cohort"]
