"""A big sync parses in worker processes: the database is the same as a one-process sync's."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from osvdata import record, write_records

from depsentry.advisories import osv_sync
from depsentry.advisories.osv_sync import sync

RECORDS = [
    record(f"PYSEC-2024-{i}", f"pkg{i % 7}", events=[{"introduced": "0"}, {"fixed": f"1.{i}"}])
    for i in range(150)
]
YAML = (
    "id: GHSA-yaml-1\nmodified: 2024-02-03T04:05:06Z\naliases: [PYSEC-2024-3]\n"
    "affected:\n- package: {name: Foo_Bar, ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n"
    "    events: [{introduced: '0'}, {fixed: '2.0'}, {}]\n"
)


def tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    try:
        return {
            t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall())
            for t in ("vulns", "affected", "aliases", "carriers", "origins")
        }
    finally:
        conn.close()


def source(tmp_path: Path) -> Path:
    src = tmp_path / "vulns"
    write_records(src, *RECORDS)
    (src / "GHSA-yaml-1.yaml").write_text(YAML)
    (src / "broken.json").write_text("{not json")
    (src / "anchors.yaml").write_text("id: &a X\naliases: [*a]\n")
    (src / "huge.json").write_text(" " * 2048)
    return src


def test_pool_and_one_process_give_the_same_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = source(tmp_path)
    monkeypatch.setattr(osv_sync, "MAX_RECORD_BYTES", 1024)  # huge.json: too large to read
    monkeypatch.setattr(osv_sync, "_BATCH", 16)  # many batches in flight
    monkeypatch.setattr(osv_sync, "_workers", lambda files: 0)
    alone = sync(tmp_path / "one" / "osv.sqlite3", src)
    monkeypatch.setattr(osv_sync, "_workers", lambda files: 2)
    pooled = sync(tmp_path / "pool" / "osv.sqlite3", src)
    assert alone == pooled
    assert (pooled.records, pooled.malformed) == (151, 3)
    assert pooled.warnings == 4  # the three files and GHSA-yaml-1's empty event
    assert tables(tmp_path / "one" / "osv.sqlite3") == tables(tmp_path / "pool" / "osv.sqlite3")


def test_without_worker_processes_the_sync_runs_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork(method: str) -> None:
        raise ValueError(f"cannot find context for {method!r}")

    monkeypatch.setattr(osv_sync, "_workers", lambda files: 2)
    monkeypatch.setattr(multiprocessing, "get_context", no_fork)
    result = sync(tmp_path / "osv.sqlite3", source(tmp_path))
    assert result.records == 151


def test_workers_only_for_big_syncs_on_several_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(osv_sync.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5})
    assert osv_sync._workers(osv_sync.POOL_MIN_FILES - 1) == 0
    assert osv_sync._workers(osv_sync.POOL_MIN_FILES) == 4
    monkeypatch.setattr(osv_sync.os, "sched_getaffinity", lambda pid: {0})
    assert osv_sync._workers(10_000) == 0
    monkeypatch.delattr(osv_sync.os, "sched_getaffinity")
    monkeypatch.setattr(osv_sync.os, "cpu_count", lambda: 2)
    assert osv_sync._workers(10_000) == 2


def test_workers_end_on_ctrl_c_and_stop_whatever_the_parent_handles() -> None:
    import signal

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for sig in saved:
            signal.signal(sig, signal.SIG_IGN)  # as a parent with its own handlers might
        osv_sync._worker_signals()
        assert all(signal.getsignal(sig) == signal.SIG_DFL for sig in saved)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
