"""The store's schema: migrations build exactly schema.py; newer, foreign or broken databases
are refused with one clear line."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text, update

from depsentry.daemon.store import Store, runs
from depsentry.daemon.store.engine import head_revision
from depsentry.daemon.store.schema import projects
from depsentry.errors import StoreError

EAST_8 = timezone(timedelta(hours=8))


def test_migrations_build_exactly_the_declared_schema(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from depsentry.daemon.store.schema import metadata

    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite3'}")
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    store.close()
    assert diff == []


def test_sqlite_store_runs_in_wal_mode(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite3'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()


def test_reopening_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    Store.open(url).close()
    store = Store.open(url)
    with store.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            == head_revision()
        )
    store.close()


def test_a_store_written_by_a_newer_depsentry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    Store.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match=r"written by a newer depsentry \(schema revision 9999\)"):
        Store.open(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:  # and left exactly as it was
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("9999",)


def test_a_migration_apart_builds_the_schema_and_refuses_the_same_stores(tmp_path: Path) -> None:
    """The daemon migrates in a child process: the same schema, the same one-line refusals."""
    path = tmp_path / "s.sqlite3"
    store = Store.open(f"sqlite:///{path}", apart=True)
    with store.engine.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    store.close()
    assert revision == head_revision()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match=r"written by a newer depsentry \(schema revision 9999\)"):
        Store.open(f"sqlite:///{path}", apart=True)


def _store_at(url: str, revision: str) -> Engine:
    """A store migrated only up to `revision` (as an older depsentry left it)."""
    from alembic import command

    from depsentry.daemon.store.engine import _alembic_config, connect, writing

    engine = connect(url)
    with writing(engine) as conn:
        command.upgrade(_alembic_config(conn), revision)
    return engine


def test_first_seen_rows_of_an_older_store_become_its_map_dates_intact(tmp_path: Path) -> None:
    """0003 folds the first_seen table into `projects.first_seen`; no clock restarts."""
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    engine = _store_at(url, "0002")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO projects (name, location, baselined, interrupted_streak) "
                          "VALUES ('p', '/p', 1, 0), ('q', '/q', 1, 0)"))  # fmt: skip
        conn.execute(
            text("INSERT INTO first_seen (project, key, at) VALUES (:p, :k, :at)"),
            [
                {"p": "p", "k": "vuln:a:GHSA-A", "at": "2026-01-02 03:04:05.000000"},
                {"p": "p", "k": "vuln:a:CVE-1", "at": "2026-01-02 03:04:05.000000"},
                {"p": "p", "k": "fix:a:GHSA-A", "at": "2026-02-01 00:00:00.250000"},
            ],
        )
    engine.dispose()
    store = Store.open(url)
    day, later = (
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 2, 1, 0, 0, 0, 250000, tzinfo=UTC),
    )
    assert store.first_seen("p") == {
        "vuln:a:GHSA-A": day,
        "vuln:a:CVE-1": day,
        "fix:a:GHSA-A": later,
    }
    assert store.first_seen("q") == {}
    with store.engine.connect() as conn:
        assert "first_seen" not in inspect(conn).get_table_names()
    store.close()


def test_the_first_seen_map_migrates_back_down(tmp_path: Path) -> None:
    from alembic import command

    from depsentry.daemon.store.engine import _alembic_config, writing

    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    store = Store.open(url)
    store.ensure_projects([("p", "/p")])
    with writing(store.engine) as conn:
        dates = {"vuln:a:GHSA-A": datetime(2026, 1, 2, 8, 0, tzinfo=EAST_8)}
        first_seen = runs.merged_first_seen(conn, "p", dates)
        conn.execute(update(projects).where(projects.c.name == "p").values(first_seen=first_seen))
        command.downgrade(_alembic_config(conn), "0002")
        rows = conn.execute(text("SELECT project, key, at FROM first_seen")).all()
    store.close()
    assert rows == [
        ("p", "vuln:a:GHSA-A", "2026-01-02 00:00:00.000000")
    ]  # naive UTC, as 0002 kept it


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE customers (id INTEGER)"))
    engine.dispose()
    with pytest.raises(StoreError, match="not a depsentry store"):
        Store.open(f"sqlite:///{path}")


def test_a_corrupted_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not a database, just bytes" * 100)
    with pytest.raises(StoreError, match="cannot open the store") as caught:
        Store.open(f"sqlite:///{path}")
    assert "\n" not in str(caught.value)


def test_a_store_url_for_a_missing_driver_says_what_to_install() -> None:
    with pytest.raises(StoreError, match="no database driver"):
        Store.open("postgresql+nosuchdriver://localhost/db")


def test_times_are_kept_as_sqlalchemys_sqlite_datetime_text() -> None:
    """The store writes its SQLite times itself (faster); the text must be SQLAlchemy's, or
    stores written before would sort and compare differently."""
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    from depsentry.daemon.store.engine import time_from_db, time_to_db

    dialect = sqlite_dialect.dialect()
    reference = sqlite_dialect.DATETIME().bind_processor(dialect)
    for when in (
        datetime(2026, 12, 2, 18, 51, 4, 759081, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),  # no microseconds: still six digits
        datetime(2026, 6, 1, 8, 0, tzinfo=EAST_8),  # kept as UTC
        datetime(999, 1, 1, tzinfo=UTC),
    ):
        text = time_to_db(when, dialect)
        assert text == reference(when.astimezone(UTC).replace(tzinfo=None))
        assert time_from_db(text) == when and time_from_db(text).tzinfo is UTC
