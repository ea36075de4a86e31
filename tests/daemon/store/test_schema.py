"""The store's schema: migrations build exactly schema.py; newer, foreign or broken databases
are refused with one clear line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from depsentry.daemon.store import Store
from depsentry.daemon.store.engine import head_revision
from depsentry.errors import StoreError


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
