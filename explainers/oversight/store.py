"""The oversight database: one SQLAlchemy engine per URL, Alembic migrations run on first use, and the
lock that serialises every write (each write appends to the audit chain).

- ``XAI_DB_URL`` names the database; without it, one SQLite file ``var/oversight.db`` in the project,
  created on first use, in WAL mode (readers never wait for the writer).
- A ``postgresql://`` URL uses PostgreSQL through psycopg 3.
- Every write runs in :meth:`Store.writing`: on SQLite a ``BEGIN IMMEDIATE`` transaction (one writer at a
  time, across threads and processes), on PostgreSQL a transaction that first takes
  ``pg_advisory_xact_lock``. Reading the chain's last entry and appending the next one therefore never
  interleave with another writer, so concurrent sessions lose nothing and the chain stays valid.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import NullPool

from ..errors import InputError

DB_ENV = "XAI_DB_URL"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = PROJECT_ROOT / "var" / "oversight.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0002"  # the newest migration; a test checks that Alembic agrees
CHAIN_LOCK = 7_863_615_734_302_817  # PostgreSQL advisory lock key of the audit chain
BUSY_TIMEOUT_MS = 120_000


def default_url() -> str:
    """``XAI_DB_URL``, else the SQLite file ``var/oversight.db`` of the project."""
    return os.environ.get(DB_ENV) or f"sqlite:///{DEFAULT_PATH}"


def normalise_url(url: str):
    """The SQLAlchemy URL: ``postgresql://`` and ``postgres://`` mean psycopg 3; InputError for anything that
    is not a SQLite or PostgreSQL URL."""
    try:
        parsed = make_url(str(url))
    except ArgumentError:
        raise InputError(key="errors.oversight.bad_url", url=_shown(url)) from None
    backend = parsed.get_backend_name()
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InputError(key="errors.oversight.unsupported_database", backend=repr(backend))
    return parsed


def _shown(url: object) -> str:
    """A URL for an error message, without its password."""
    try:
        return make_url(str(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(str(url)[:80])


class Store:
    """A database of cases, reviews and the audit trail. Thread-safe: share one per process."""

    def __init__(self, url: str | None = None, *, migrate: bool = True, pool: bool = True):
        self.url = normalise_url(url or default_url())
        self.dialect = self.url.get_backend_name()
        kwargs: dict = {}
        if self.dialect == "sqlite":
            database = self.url.database or ""
            if database in ("", ":memory:") or database.startswith("file:"):
                raise InputError(key="errors.oversight.in_memory")
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        if not pool:
            kwargs["poolclass"] = NullPool
        try:
            self.engine: Engine = create_engine(self.url, **kwargs)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            raise InputError(key="errors.oversight.cannot_use", url=_shown(self.url), reason=str(exc)) from None
        if self.dialect == "sqlite":
            _sqlite_settings(self.engine)
        self._migrated = False
        self._migrating = threading.Lock()
        self._local_lock = _local_lock(self.url.render_as_string(hide_password=False))
        if migrate:
            self.migrate()

    def __repr__(self) -> str:
        return f"Store({self.display_url!r})"

    @property
    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()

    # -- transactions ------------------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads (its own transaction; never waits for a writer on SQLite in WAL mode)."""
        with self._connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def writing(self, conn: Connection | None = None) -> Iterator[Connection]:
        """A transaction that holds the write lock (SQLite ``BEGIN IMMEDIATE``; PostgreSQL
        ``pg_advisory_xact_lock``); committed at the end of the block, rolled back on an exception.

        Pass ``conn`` (not in a transaction) to reuse one connection for many writes."""
        if conn is None:
            with self._connect() as own, self.writing(own) as locked:
                yield locked
            return
        # Threads of this process queue on a lock of their own first (SQLite's busy handler would make them
        # poll with sleeps); the database's own lock then serialises this process with the others.
        with self._local_lock:
            conn.execution_options(xai_begin="immediate")
            try:
                with conn.begin():
                    if self.dialect == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
                    yield conn
            finally:
                conn.execution_options(xai_begin="deferred")

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection to hold for a series of :meth:`writing` blocks (e.g. one per thread)."""
        with self._connect() as conn:
            yield conn

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except OperationalError as exc:
            reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
            raise InputError(key="errors.oversight.cannot_open", url=self.display_url, reason=reason) from None
        with conn:
            yield conn

    # -- migrations --------------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the tables to the newest migration (Alembic, run here; serialised with other processes)."""
        if self._migrated:
            return
        with self._migrating:
            if self._migrated:
                return
            with self.reading() as conn:
                current = _revision(conn)
            if current != HEAD:
                with self.writing() as conn:
                    if _revision(conn) != HEAD:
                        _upgrade(conn)
            self._migrated = True

    def revision(self) -> str | None:
        with self.reading() as conn:
            return _revision(conn)


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(conn: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def _sqlite_settings(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def connect(dbapi_connection, _record) -> None:
        # The driver must not open transactions itself: the "begin" hook below says how each one starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("xai_begin") == "immediate"
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_LOCAL_LOCKS: dict[str, threading.RLock] = {}
_LOCAL_LOCKS_GUARD = threading.Lock()


def _local_lock(key: str) -> threading.RLock:
    """One lock per database in this process, shared by every Store of that database."""
    with _LOCAL_LOCKS_GUARD:
        return _LOCAL_LOCKS.setdefault(key, threading.RLock())


_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def open_store(url: str | None = None) -> Store:
    """The process's :class:`Store` for ``url`` (default :func:`default_url`), created and migrated once."""
    key = normalise_url(url or default_url()).render_as_string(hide_password=False)
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = Store(key)
    return store
