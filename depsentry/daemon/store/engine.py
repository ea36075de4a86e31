"""Open the store's database: the SQLite specifics (WAL, busy timeout, BEGIN IMMEDIATE for
writes, how times are kept) live here and only here, and Alembic brings the schema to the
current revision.

A store whose revision this depsentry does not know was written by a newer version and is
refused (a downgrade would silently drop what the newer one records).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Dialect, Engine, create_engine, event, inspect
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.types import TypeEngine

from depsentry.errors import StoreError

__all__ = [
    "MIGRATIONS",
    "connect",
    "current_revision",
    "head_revision",
    "lock_aliases",
    "migrate",
    "migrate_apart",
    "time_from_db",
    "time_to_db",
    "time_type",
    "writing",
]

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
_WRITE = "depsentry_write"


def _sqlite_setup(engine: Engine) -> None:
    # pysqlite's own transaction handling begins lazily and cannot BEGIN IMMEDIATE; take it
    # over (the SQLAlchemy docs' recipe) so a writer waits for the lock up front instead of
    # failing with SQLITE_BUSY when it upgrades a read transaction.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def connect(url: str, password: str | None = None) -> Engine:
    """An engine for `url` (SQLite: the file's directory is created, mode 0700)."""
    try:
        parsed: URL = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"bad store URL ({exc})") from exc
    if password:
        parsed = parsed.set(password=password)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        engine = create_engine(parsed, pool_pre_ping=not is_sqlite)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"no database driver for {parsed.drivername} (for PostgreSQL: pip install psycopg)"
        ) from exc
    if is_sqlite:
        _sqlite_setup(engine)
    return engine


class _SqliteTime(sqlite.DATETIME):
    """SQLite's DATETIME column, its text written and read by `time_to_db`/`time_from_db`."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None

    def literal_processor(self, dialect: Dialect) -> Callable[[Any], str]:
        return lambda value: f"'{value}'"


def time_type(dialect: Dialect) -> TypeEngine[Any]:
    """The column type the store's times (`schema.UtcDateTime`) are kept in."""
    if dialect.name == "sqlite":
        return _SqliteTime()  # type: ignore[no-untyped-call]  # sqlite.DATETIME is untyped
    return dialect.type_descriptor(DateTime())


def time_to_db(value: datetime, dialect: Dialect) -> datetime | str:
    """An aware time as `dialect` keeps it: naive UTC; on SQLite, the text SQLAlchemy's DATETIME
    writes, made in one step and memoised (a round of scans binds the same few times to
    thousands of rows, and its per-value formatting was a tenth of the daemon's CPU)."""
    if dialect.name == "sqlite":
        return _sqlite_text(value)
    return value.astimezone(UTC).replace(tzinfo=None)


def time_from_db(value: datetime | str) -> datetime:
    if isinstance(value, str):
        return _sqlite_time(value)
    return value.replace(tzinfo=UTC)


@functools.lru_cache(maxsize=256)
def _sqlite_text(value: datetime) -> str:
    utc = value.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%d %H:%M:%S}.{utc.microsecond:06d}"


@functools.lru_cache(maxsize=1024)
def _sqlite_time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


_WRITERS: dict[int, threading.Lock] = {}


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction (on SQLite: BEGIN IMMEDIATE), committed on success.

    On SQLite the threads of one process also take turns on a lock: SQLite's busy handler
    sleeps in growing steps, so four scan threads contending for the one write lock spent
    most of their time asleep."""
    lock = (
        _WRITERS.setdefault(id(engine), threading.Lock())
        if engine.dialect.name == "sqlite"
        else None
    )
    with contextlib.ExitStack() as stack:
        if lock is not None:
            stack.enter_context(lock)
        conn = stack.enter_context(engine.connect())
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


def lock_aliases(conn: Connection) -> None:
    """Serialise changes to alias groups until the transaction ends. SQLite writers already
    hold the database lock (BEGIN IMMEDIATE); PostgreSQL gets a transaction advisory lock, so
    two scans seeing a new advisory at once cannot both create its group."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7301842017)")


def forget(engine: Engine) -> None:
    """Drop the write lock of a disposed engine."""
    _WRITERS.pop(id(engine), None)


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The newest schema revision this depsentry knows."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, where: str) -> None:
    """Create or upgrade the schema; StoreError for a newer or foreign database."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.script.revision import ResolutionError
    from alembic.util import CommandError

    try:
        with writing(engine) as conn:
            current = current_revision(conn)
            tables = set(inspect(conn).get_table_names())
            if current is None and tables - {"alembic_version"}:
                raise StoreError(
                    "not a depsentry store (it has tables but no depsentry schema revision)", where
                )
            script = ScriptDirectory(str(MIGRATIONS))
            if current is not None:
                try:
                    script.get_revision(current)
                except (ResolutionError, CommandError):
                    raise StoreError(
                        f"written by a newer depsentry (schema revision {current}); upgrade "
                        "depsentry, or point daemon.state_dir/daemon.store at another store",
                        where,
                    ) from None
            if current != script.get_current_head():
                logger.info(
                    "migrating the store from %s to %s",
                    current or "nothing",
                    script.get_current_head(),
                    extra={"action": "store_migrate"},
                )
                command.upgrade(_alembic_config(conn), "head")
    except DBAPIError as exc:
        raise StoreError(f"cannot open the store ({_reason(exc)})", where) from exc


def migrate_apart(url: str, password: str | None, where: str) -> None:
    """`migrate` in a spawned process: Alembic and Mako (about 10 MiB) never load into the
    long-running daemon. StoreError as `migrate` raises it."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_migrate_child, args=(url, password, where, sender, logging.getLogger().level),
        name="depsentry-migrate",
    )  # fmt: skip
    process.start()
    sender.close()
    try:
        message = receiver.recv()
    except EOFError:
        message = "the store's migration process died"
    finally:
        receiver.close()
        process.join()
    if message is not None:
        raise StoreError(message, where)


def _migrate_child(url: str, password: str | None, where: str, sender: Any, level: int) -> None:
    logging.basicConfig(level=level, format="%(message)s")
    try:
        engine = connect(url, password)
        try:
            migrate(engine, where)
        finally:
            engine.dispose()
        sender.send(None)
    except StoreError as exc:
        sender.send(exc.message)
    except Exception as exc:  # one line for the parent, as every store error is
        sender.send(f"cannot migrate the store ({type(exc).__name__})")


def _reason(exc: DBAPIError) -> str:
    # The driver's own message, without SQL or parameters (which could quote data).
    return str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
