"""The small guards of the advisory code, one by one: regular files only, corrupted stores,
caps on downloads and records, unreadable EPSS/KEV data, the state directory."""

from __future__ import annotations

import json
import os
import sqlite3
import zipfile
from pathlib import Path

import pytest
from osvdata import dep, record, write_records

from depsentry import paths
from depsentry.advisories import osv_sync
from depsentry.advisories.files import check_regular
from depsentry.advisories.kev import read_kev
from depsentry.advisories.matcher import Hit, RecordFacts
from depsentry.advisories.osv_record import MAX_RECORD_BYTES
from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.osv_sync import sync
from depsentry.advisories.package_index import PackageIndex
from depsentry.advisories.priorities import (
    Prioritiser,
    attach_priorities,
    priorities_path,
    read_info,
    stored_etag,
)
from depsentry.advisories.severity import UNRATED
from depsentry.advisories.versions import parse_version
from depsentry.commands.db import _detail
from depsentry.errors import AdvisoryDbError, ConfigError
from depsentry.models import Severity, Source, Vulnerability


def test_check_regular(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDbError, match="no thing here; hint"):
        check_regular(tmp_path / "missing", "thing", missing="; hint")
    (tmp_path / "file").write_text("x")
    with pytest.raises(AdvisoryDbError, match="cannot read the thing"):
        check_regular(tmp_path / "file" / "below", "thing")  # ENOTDIR
    with pytest.raises(AdvisoryDbError, match="is a directory"):
        check_regular(tmp_path, "thing")
    check_regular(tmp_path / "file", "thing")


def test_state_directory_problems_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "file" / "home"))
    with pytest.raises(
        ConfigError, match="DEPSENTRY_HOME: (cannot create it|a parent is not a directory)"
    ):
        paths.state_dir()
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "file"))
    with pytest.raises(ConfigError, match="DEPSENTRY_HOME is not a directory"):
        paths.state_dir()
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "ok"))
    assert paths.state_dir().is_dir()


def synced(tmp_path: Path, count: int = 300) -> Path:
    src, db = tmp_path / "osv", tmp_path / "home" / "osv.sqlite3"
    write_records(
        src,
        *(record(f"PYSEC-2024-{i}", f"p{i}", events=[{"introduced": "0"}], details="x" * 2000)
          for i in range(count)),
    )  # fmt: skip
    sync(db, src)
    return db


def test_quick_check_catches_damage_the_schema_read_misses(tmp_path: Path) -> None:
    db = synced(tmp_path)
    st = db.stat()
    size = st.st_size
    with open(db, "r+b") as handle:  # zero the last third: meta (page 2) still reads
        handle.seek(size - size // 3)
        handle.write(b"\0" * (size // 3))
    os.utime(db, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # later, as damage comes
    with pytest.raises(AdvisoryDbError, match="the advisory database is corrupted"):
        OsvStore.open(db)
    store = OsvStore.open(db, verify=False)  # without the check, queries fail the same way
    try:
        with pytest.raises(AdvisoryDbError, match="corrupted"):
            store.records([f"PYSEC-2024-{i}" for i in range(300)])
    finally:
        store.close()
    rebuilt = sync(db, tmp_path / "osv")  # the same source: rebuilt, not copied
    assert rebuilt.rebuilt and rebuilt.records == 300 and OsvStore.open(db).count() == 300


def test_a_passed_check_is_remembered_until_the_file_changes(tmp_path: Path) -> None:
    db = synced(tmp_path, 3)
    stamp = db.with_name(".osv.sqlite3.checked")
    assert stamp.is_file()
    stamp.write_text("stale")
    OsvStore.open(db).close()
    assert stamp.read_text() != "stale"


def test_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "osv.sqlite3"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(AdvisoryDbError, match="not a depsentry advisory database"):
        OsvStore.open(junk)
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).close()
    with pytest.raises(AdvisoryDbError):
        OsvStore.open(other)


def test_oversized_records_in_a_zip_and_a_directory_are_counted(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("PYSEC-1.json", json.dumps(record("PYSEC-1", events=[{"introduced": "0"}])))
        zf.writestr("big.json", " " * (MAX_RECORD_BYTES + 1))
    result = sync(tmp_path / "a.sqlite3", archive)
    assert (result.records, result.malformed) == (1, 1)
    src = tmp_path / "dir"
    write_records(src, record("PYSEC-1", events=[{"introduced": "0"}]))
    (src / "big.json").write_bytes(b" " * (MAX_RECORD_BYTES + 1))
    assert sync(tmp_path / "b.sqlite3", src).malformed == 1


def test_a_record_growing_after_the_walk_is_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(b" " * 10)
    monkeypatch.setattr(osv_sync, "MAX_RECORD_BYTES", 5)
    with pytest.raises(ValueError, match="record larger than"):
        osv_sync._read_regular(str(path))
    os.mkfifo(tmp_path / "fifo.json")
    with pytest.raises(ValueError, match="not a regular file"):
        osv_sync._read_regular(str(tmp_path / "fifo.json"))


def test_an_unreadable_record_file_costs_that_record_only(tmp_path: Path) -> None:
    src = tmp_path / "osv"
    write_records(src, record("PYSEC-1", events=[{"introduced": "0"}]))
    (src / "PYSEC-2.json").symlink_to(src / "loop.json")
    (src / "loop.json").symlink_to(src / "PYSEC-2.json")  # ELOOP when read
    assert sync(tmp_path / "osv.sqlite3", src).records == 1


def test_sync_into_an_uncreatable_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(AdvisoryDbError, match="cannot create the database directory"):
        sync(tmp_path / "file" / "home" / "osv.sqlite3", tmp_path)


def test_huge_and_odd_versions_in_compiled_ranges() -> None:
    assert parse_version("1" * 5000) is None and parse_version("x y") is None
    facts = RecordFacts("R-1", (), UNRATED, "", None, None, False)
    entry = {
        "v": [],
        "r": [[["introduced", "0"], ["limit", "2.0"], ["limit", "junk"], ["fixed", "x!"]]],
    }
    index = PackageIndex([(facts, [entry])])
    assert index.hits(parse_version("1.0"), "1") == (Hit(facts, ()),)
    assert index.hits(parse_version("3.0"), "3") == ()


def test_kev_odd_dates_and_unreadable_files(tmp_path: Path) -> None:
    path = tmp_path / "kev.json"
    path.write_text(
        json.dumps({"vulnerabilities": [], "dateReleased": "soon", "catalogVersion": 7})
    )
    data = read_kev(path)
    assert (data.released, data.version, data.entries) == (None, "7", [])
    path.write_text(json.dumps({"vulnerabilities": [], "dateReleased": "2026-05-18T14:00:00"}))
    assert read_kev(path).released is not None
    path.write_bytes(b'{"vulnerabilities": ["\xff"]}')
    with pytest.raises(AdvisoryDbError, match="invalid JSON"):
        read_kev(path)


def test_kev_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from depsentry.advisories import kev

    monkeypatch.setattr(kev, "MAX_KEV_BYTES", 10)
    path = tmp_path / "kev.json"
    path.write_text(json.dumps({"vulnerabilities": []}))
    with pytest.raises(AdvisoryDbError, match="not a KEV catalogue"):
        read_kev(path)


def test_unreadable_priorities_file(tmp_path: Path) -> None:
    path = priorities_path(tmp_path)
    path.write_bytes(b"\0" * 4096)
    with pytest.raises(AdvisoryDbError, match="EPSS/KEV database is unreadable"):
        read_info(path)
    assert stored_etag("epss", tmp_path) is None
    assert stored_etag("epss", tmp_path / "nowhere") is None


def test_attach_priorities_for_other_sources(tmp_path: Path) -> None:
    path = priorities_path(tmp_path)
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE epss (cve TEXT PRIMARY KEY, epss REAL NOT NULL, percentile REAL);"
            "CREATE TABLE kev (cve TEXT PRIMARY KEY, date_added TEXT, ransomware INTEGER NOT NULL);"
            "INSERT INTO epss VALUES ('CVE-2024-1001', 0.5, 0.9);"
            "INSERT INTO meta VALUES ('epss_entries', '1'), ('epss_date', '');"
        )
    found = [
        Vulnerability("pkg", "1", "pyup.io-1", ("CVE-2024-1001",), Severity.UNKNOWN, None, (), "",
                      Source("r", 1), ("safety",)),
        Vulnerability("pkg", "1", "pyup.io-2", (), Severity.UNKNOWN, None, (), "", Source("r", 1)),
    ]  # fmt: skip
    p = Prioritiser(path)
    try:
        first, second = attach_priorities(found, p)
        assert (first.epss, first.epss_percentile, first.kev) == (0.5, 0.9, False)
        assert second is found[1]  # nothing to add: the same object
        assert p.epss_info is not None and p.epss_info.date is None and p.kev_info is None
    finally:
        p.close()
    assert attach_priorities(found, None) is found


def test_progress_details() -> None:
    assert _detail("download", 3 << 20, 6 << 20) == "3.0/6.0 MiB"
    assert _detail("download", 1 << 20, None) == "1.0 MiB"
    assert _detail("import", 5, 10) == "5/10 files" and _detail("import", 5, None) == "5 files"


def test_match_keeps_a_non_canonical_spelling(tmp_path: Path) -> None:
    from osvdata import memory_source

    source = memory_source(record("PYSEC-1", "django", events=[{"introduced": "0"}]))
    (vuln,) = source.match([dep("Django", "1.0")])
    assert vuln.package == "Django"
