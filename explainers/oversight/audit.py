"""The audit trail: an append-only hash chain of who did what, when, to which data and model.

Each entry holds its position ``seq`` (1, 2, 3, ...), the time (UTC), the actor and whether the login
verified them, the action, the object, the data and model SHA-256, details, and ``prev_hash``: the SHA-256
of the previous entry (64 zeros for the first). Its own ``hash`` is the SHA-256 of the canonical JSON of all
those fields (keys sorted, no spaces, UTF-8). Changing, removing or reordering a stored entry breaks the
chain at that entry, and :func:`verify` names it. The product only ever appends.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from ..errors import InputError
from .schema import audit_log
from .store import Store

GENESIS = "0" * 64
FIELDS = ("seq", "at", "actor", "verified", "action", "object", "data_sha256", "model_sha256", "details",
          "prev_hash")
ACTIONS = ("case.saved", "review.recorded", "notice.produced", "report.produced", "data.uploaded",
           "model.changed", "data.unmasked", "cohort.saved", "cohort.deleted")
MAX_NAME = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class _ActorFields(NamedTuple):
    name: str
    verified: bool


class Actor(_ActorFields):
    """Who did something: a name, and whether a login verified it (a typed name is unverified). Immutable; the name
    is checked and its blanks folded when it is made."""

    __slots__ = ()

    def __new__(cls, name: str, verified: bool = False) -> Actor:
        name = " ".join(str(name or "").split())
        if not name:
            raise InputError(key="errors.oversight.no_name")
        if len(name) > MAX_NAME or _CONTROL.search(name):
            raise InputError(key="errors.oversight.bad_name", limit=MAX_NAME)
        return super().__new__(cls, name, bool(verified))


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    actor: str
    verified: bool
    action: str
    object: str
    data_sha256: str | None
    model_sha256: str | None
    details: dict
    prev_hash: str
    hash: str

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in (*FIELDS, "hash")}


@dataclass(frozen=True)
class Verification:
    """The result of :func:`verify`: whether the chain holds, how many entries it read, and the first
    broken entry (its ``seq``) with the reason."""

    ok: bool
    entries: int
    first_broken: int | None = None
    reason: str | None = None
    head: str | None = None  # hash of the last entry: note it elsewhere to detect removal of the newest entries
    code: str | None = None  # missing | link | json | changed (the message catalogue's auditlog.reason_<code>)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "entries": self.entries, "first_broken": self.first_broken, "reason": self.reason,
                "code": self.code, "head": self.head}


def now() -> str:
    """The current UTC time as stored: ``2025-01-31T12:00:00.123456Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(value: Any) -> str:
    """JSON with sorted keys, no spaces, text as UTF-8 characters; NaN and infinities refused."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an entry's fields (``details`` as an object)."""
    body = {name: fields[name] for name in FIELDS}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _plain_details(details: Mapping[str, Any] | None) -> dict:
    try:
        return json.loads(canonical(dict(details or {})))
    except (TypeError, ValueError) as exc:
        raise InputError(key="errors.oversight.bad_details", reason=str(exc)) from None


def append(store: Store, action: str, object: str, actor: Actor, *, data_sha256: str | None = None,
           model_sha256: str | None = None, details: Mapping[str, Any] | None = None,
           conn: Connection | None = None) -> Entry:
    """Append one entry. With ``conn``, the caller is inside :meth:`Store.writing` (so that the entry and
    what it records commit together); without it, the entry is its own transaction."""
    if conn is None:
        with store.writing() as locked:
            return append(store, action, object, actor, data_sha256=data_sha256, model_sha256=model_sha256,
                          details=details, conn=locked)
    if action not in ACTIONS:
        raise InputError(key="errors.oversight.unknown_action", action=repr(action), choices=', '.join(ACTIONS))
    if not isinstance(actor, Actor):
        raise InputError(key="errors.oversight.bad_actor")
    last = conn.execute(select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).first()
    fields = {
        "seq": 1 if last is None else int(last.seq) + 1,
        "at": now(),
        "actor": actor.name,
        "verified": actor.verified,
        "action": action,
        "object": str(object)[:MAX_NAME],
        "data_sha256": data_sha256,
        "model_sha256": model_sha256,
        "details": _plain_details(details),
        "prev_hash": GENESIS if last is None else last.hash,
    }
    digest = entry_hash(fields)
    conn.execute(insert(audit_log).values(**{**fields, "details": canonical(fields["details"]), "hash": digest}))
    return Entry(**fields, hash=digest)


def _entry(row) -> Entry:
    return Entry(seq=int(row.seq), at=row.at, actor=row.actor, verified=bool(row.verified), action=row.action,
                 object=row.object, data_sha256=row.data_sha256, model_sha256=row.model_sha256,
                 details=json.loads(row.details), prev_hash=row.prev_hash, hash=row.hash)


def verify(store: Store, batch: int = 5000) -> Verification:
    """Read the whole chain in order and check every link; the first broken entry and why, if any."""
    columns = [audit_log.c[name] for name in (*FIELDS, "hash")]
    expected, previous, count = 1, GENESIS, 0
    sha256, text = hashlib.sha256, _text
    with store.reading() as conn:
        result = conn.execution_options(yield_per=batch).execute(select(*columns).order_by(audit_log.c.seq))
        for row in result:
            seq, at, actor, verified, action, obj, data, model, details, prev_hash, stored = row
            seq = int(seq)
            if seq != expected:
                return Verification(False, count, expected, f"entry {expected} is missing (the next one is {seq})",
                                    code="missing")
            if prev_hash != previous:
                return Verification(False, count, seq, "its link to the previous entry does not match", code="link")
            # Fast: the body written around the stored details, which append() stored as canonical JSON.
            body = (f'{{"action":{text(action)},"actor":{text(actor)},"at":{text(at)},"data_sha256":{text(data)},'
                    f'"details":{details},"model_sha256":{text(model)},"object":{text(obj)},'
                    f'"prev_hash":{text(prev_hash)},"seq":{seq},"verified":{"true" if verified else "false"}}}')
            if sha256(body.encode("utf-8")).hexdigest() != stored:
                try:  # exact: the details parsed and written canonically again
                    fields = dict(zip(FIELDS, row[:len(FIELDS)], strict=True))
                    fields.update(seq=seq, verified=bool(verified), details=json.loads(details))
                    digest = entry_hash(fields)
                except (TypeError, ValueError):
                    return Verification(False, count, seq, "its details are not valid JSON", code="json")
                if digest != stored:
                    return Verification(False, count, seq, "its content was changed after it was written",
                                        code="changed")
            previous, expected, count = stored, expected + 1, count + 1
    return Verification(True, count, head=None if count == 0 else previous)


def day_bound(value: date | datetime | str | None, end: bool = False) -> str | None:
    """A day as the stored times start it (``YYYY-MM-DD``); with ``end``, the day after (an exclusive bound)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            raise InputError(key="errors.oversight.bad_date", value=repr(value)) from None
    if isinstance(value, datetime):
        value = value.date()
    if end:
        value = value + timedelta(days=1)
    return value.isoformat()


def entries(store: Store, *, action: str | Iterable[str] | None = None, actor: str | None = None,
            search: str | None = None, since: date | str | None = None, until: date | str | None = None,
            limit: int | None = None, newest_first: bool = True) -> list[Entry]:
    """Entries that match every filter given (``since``/``until``: days, inclusive; ``search`` in the object)."""
    query = select(audit_log)
    if action:
        actions = [action] if isinstance(action, str) else list(action)
        query = query.where(audit_log.c.action.in_(actions))
    if actor:
        query = query.where(audit_log.c.actor == actor)
    if search:
        query = query.where(audit_log.c.object.icontains(search, autoescape=True))
    start, stop = day_bound(since), day_bound(until, end=True)
    if start:
        query = query.where(audit_log.c.at >= start)
    if stop:
        query = query.where(audit_log.c.at < stop)
    query = query.order_by(audit_log.c.seq.desc() if newest_first else audit_log.c.seq)
    if limit is not None:
        query = query.limit(int(limit))
    with store.reading() as conn:
        return [_entry(row) for row in conn.execute(query)]


def count(store: Store) -> int:
    with store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar() or 0)


def actors(store: Store) -> list[str]:
    with store.reading() as conn:
        return list(conn.execute(select(audit_log.c.actor).distinct().order_by(audit_log.c.actor)).scalars())


CSV_COLUMNS = (*FIELDS, "hash")


def export_csv(items: Iterable[Entry]) -> bytes:
    """The entries as CSV (UTF-8 with BOM) through the project's one safe CSV writer
    (:func:`explainers.documents.safe_csv`), so that no cell runs as a spreadsheet formula."""
    import pandas as pd

    from ..documents import safe_csv

    rows = []
    for item in items:
        row = item.to_dict()
        row["details"] = canonical(row["details"])
        rows.append(row)
    return safe_csv(pd.DataFrame(rows, columns=list(CSV_COLUMNS)))


def export_json(items: Iterable[Entry]) -> bytes:
    """The entries as a JSON list (each with its hash), UTF-8."""
    buffer = io.StringIO()
    json.dump([item.to_dict() for item in items], buffer, ensure_ascii=False, indent=1, allow_nan=False)
    buffer.write("\n")
    return buffer.getvalue().encode("utf-8")
