"""Group commit: writes queued while another commits share the next transaction, each in its
own savepoint."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection

from depsentry.daemon.store import Store
from depsentry.daemon.store.batch import GroupCommit
from depsentry.daemon.store.runs import record_job

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_queued_writes_share_a_transaction_and_one_failure_costs_only_itself(
    tmp_path: Path,
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite3'}")
    batch = GroupCommit(store.engine)
    holding, release = threading.Event(), threading.Event()
    errors: dict[str, BaseException] = {}

    def first(conn: Connection) -> str:
        record_job(conn, "first", NOW, result="running")
        holding.set()
        release.wait(10)
        return "first"

    def job(name: str, fail: bool = False) -> None:
        def work(conn: Connection) -> str:
            record_job(conn, name, NOW, result="running")
            if fail:
                raise ValueError(name)
            return name

        try:
            assert batch.run(work) == name
        except ValueError as exc:
            errors[name] = exc

    leader = threading.Thread(target=lambda: batch.run(first))
    leader.start()
    assert holding.wait(10)
    others = [threading.Thread(target=job, args=(n, n == "bad")) for n in ("a", "bad", "b")]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 10
    while len(batch._queue) < 3:  # all three wait for the next transaction
        assert time.monotonic() < deadline
        time.sleep(0.01)
    release.set()
    for thread in [leader, *others]:
        thread.join(10)
    assert set(store.jobs()) == {"first", "a", "b"}  # bad's row went with its savepoint
    assert list(errors) == ["bad"]
    store.close()


def test_a_lone_failing_write_raises_and_writes_nothing(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite3'}")

    def work(conn: Connection) -> None:
        record_job(conn, "x", NOW, result="running")
        raise ValueError("no")

    with pytest.raises(ValueError):
        GroupCommit(store.engine).run(work)
    assert store.jobs() == {}
    store.close()
