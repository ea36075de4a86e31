"""`open_advisories`: --osv-db cache, the synced DB, the embedded snapshot, and the daemon's refusal."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from osvdata import dep, record, write_records

from depsentry.advisories.embedded import read_snapshot
from depsentry.advisories.osv_sync import sync
from depsentry.advisories.resolve import cache_path, database_path, open_advisories
from depsentry.errors import AdvisoryDbError
from tests.paths import REPO


def test_osv_db_path_is_imported_once_and_reused(tmp_path: Path) -> None:
    src = tmp_path / "clone" / "vulns"
    write_records(src, record("PYSEC-1", "pkg", events=[{"introduced": "0"}, {"fixed": "2"}]))
    home = tmp_path / "home"
    first = open_advisories(osv_db=src.parent, offline=True, home=home)
    assert [v.id for v in first.match([dep("pkg", "1")])] == ["PYSEC-1"]
    first.close()
    cached = cache_path(src.parent, home)
    mtime = cached.stat().st_mtime_ns
    again = open_advisories(osv_db=src.parent, offline=True, home=home)
    assert cached.stat().st_mtime_ns == mtime and again.info().records == 1
    again.close()
    write_records(src, record("PYSEC-2", "pkg", events=[{"introduced": "0"}]))
    third = open_advisories(osv_db=src.parent, offline=True, home=home)
    assert third.info().records == 2 and third.info().warnings == ()
    third.close()


def test_missing_osv_db_path(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDbError, match="no such file"):
        open_advisories(osv_db=tmp_path / "nope", offline=True, home=tmp_path)


def test_synced_database_is_used(tmp_path: Path) -> None:
    src = tmp_path / "vulns"
    write_records(src, record("PYSEC-3", "pkg", events=[{"introduced": "0"}]))
    sync(database_path(tmp_path), src)
    source = open_advisories(osv_db=None, offline=True, home=tmp_path)
    assert source.info().source == str(src) and source.info().records == 1
    source.close()


def test_offline_with_nothing_synced_uses_embedded_snapshot_with_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        source = open_advisories(osv_db=None, offline=True, home=tmp_path)
    header = read_snapshot()["header"]
    (warning,) = source.info().warnings
    assert header["data_date"] in warning and "embedded advisory snapshot" in warning
    updated = source.info().updated
    assert updated is not None and updated.date().isoformat() == header["data_date"]
    # Logged once at INFO: the CLI shows info().warnings itself, so a WARNING would print it twice.
    assert [r.levelname for r in caplog.records if warning in r.getMessage()] == ["INFO"]
    found = source.match([dep("jinja2", "2.10")])
    assert "PYSEC-2019-217" in {v.id for v in found}
    assert all(v.summary == v.id for v in found)  # the snapshot carries no prose
    assert not list(tmp_path.iterdir())  # offline: nothing written, nothing fetched
    source.close()


def test_daemon_without_a_database_gets_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDbError) as err:
        open_advisories(osv_db=None, offline=True, home=tmp_path, allow_embedded=False)
    message = str(err.value)
    assert (
        "depsentry db sync" in message
        and "--osv-db PATH" in message
        and "pypa/advisory-database" in message
    )


def test_snapshot_is_small_and_attributed() -> None:
    data = read_snapshot()
    header = data["header"]
    assert header["licence"] == "CC-BY-4.0" and "CC-BY 4.0" in header["attribution"]
    assert header["records"] == len(data["records"]) > 1000
    assert not any("details" in r or "summary" in r or "references" in r for r in data["records"])
    snapshot = REPO / "depsentry/advisories/data/embedded-osv.json.gz"
    assert snapshot.stat().st_size < 400_000
