"""`sync`: from a directory, a zip, and a URL (conditional GET); incremental; atomic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from osvdata import record, write_records

from depsentry.advisories import osv_sync
from depsentry.advisories.osv_db import OsvDbSource
from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.osv_sync import sync
from depsentry.errors import AdvisoryDbError
from tests.servers.threads import ThreadingServer

RECORDS = [
    record(f"PYSEC-2024-{i}", f"pkg{i % 7}", events=[{"introduced": "0"}, {"fixed": f"1.{i}"}])
    for i in range(40)
]


def count(db: Path) -> int:
    store = OsvStore.open(db)
    try:
        return store.count()
    finally:
        store.close()


def ids_for(db: Path, name: str, version: str) -> list[str]:
    source = OsvDbSource(OsvStore.open(db))
    try:
        return sorted(h.facts.id for h in source.hits(name, version))
    finally:
        source.close()


def test_sync_from_directory_then_unchanged(tmp_path: Path) -> None:
    src, db = tmp_path / "vulns", tmp_path / "home" / "osv.sqlite3"
    write_records(src, *RECORDS)
    (src / "broken.json").write_text("{not json")
    first = sync(db, src)
    assert (first.records, first.imported, first.warnings, first.unchanged) == (40, 40, 1, False)
    assert ids_for(db, "pkg3", "1.5") == [
        "PYSEC-2024-10",
        "PYSEC-2024-17",
        "PYSEC-2024-24",
        "PYSEC-2024-31",
        "PYSEC-2024-38",
    ]
    mtime = db.stat().st_mtime_ns
    second = sync(db, src)
    assert second.unchanged and second.imported == 0 and db.stat().st_mtime_ns == mtime


def test_directory_walk_reads_nested_folders_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The tree is listed once per folder (not os.walk's twice): nested folders are read, hidden
    # ones and symlinked ones (os.walk's followlinks=False) are not, an unreadable one is named.
    src, db = tmp_path / "vulns", tmp_path / "osv.sqlite3"
    write_records(src / "PyPI" / "pkg0", RECORDS[0])
    write_records(src / "PyPI" / "pkg1" / "deeper", RECORDS[1])
    write_records(src / ".git" / "objects", RECORDS[2])
    write_records(tmp_path / "elsewhere", RECORDS[3])
    (src / "PyPI" / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (src / "PyPI" / "folder.json").mkdir()  # a folder named like a record is a folder
    write_records(src / "PyPI" / "folder.json", RECORDS[4])
    locked = src / "locked"
    write_records(locked, RECORDS[5])
    locked.chmod(0)
    try:
        result = sync(db, src)
    finally:
        locked.chmod(0o755)
    readable = os.geteuid() == 0  # root reads a mode-0 folder
    assert result.records == (4 if readable else 3)
    assert ids_for(db, "pkg0", "0.5") == ["PYSEC-2024-0"]
    assert ids_for(db, "pkg1", "0.5") == ["PYSEC-2024-1"]
    assert ids_for(db, "pkg2", "0.5") == [] and ids_for(db, "pkg3", "0.5") == []
    assert ids_for(db, "pkg4", "0.5") == ["PYSEC-2024-4"]
    if not readable:
        assert any(str(locked) in r.getMessage() for r in caplog.records)


def test_incremental_directory_resync_parses_only_changes(tmp_path: Path) -> None:
    src, db = tmp_path / "vulns", tmp_path / "osv.sqlite3"
    write_records(src, *RECORDS)
    sync(db, src)
    assert "PYSEC-2024-0" in ids_for(db, "pkg0", "0.5")
    (src / "PYSEC-2024-0.json").unlink()
    changed = record("PYSEC-2024-1", "pkg1", events=[{"introduced": "0"}, {"fixed": "9.0"}])
    (src / "PYSEC-2024-1.json").write_text(json.dumps(changed))
    write_records(src, record("PYSEC-2024-99", "newpkg", events=[{"introduced": "0"}]))
    result = sync(db, src)
    assert (result.imported, result.removed, result.records) == (
        2,
        2,
        40,
    )  # removed counts the changed one too
    assert "PYSEC-2024-0" not in ids_for(db, "pkg0", "0.5")
    assert "PYSEC-2024-1" in ids_for(db, "pkg1", "5.0")
    assert ids_for(db, "newpkg", "1") == ["PYSEC-2024-99"]


def test_sync_from_zip_with_yaml_and_json(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(
            "a/PYSEC-1.yaml",
            "id: PYSEC-1\naffected:\n- package: {name: Foo_Bar, ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n    events: [{introduced: '0'}, {fixed: '2.0'}]\n",
        )
        zf.writestr(
            "GHSA-x.json", json.dumps(record("GHSA-x", "foo-bar", events=[{"introduced": "1.0"}]))
        )
        zf.writestr("README.txt", "not a record")
    db = tmp_path / "osv.sqlite3"
    assert sync(db, archive).records == 2
    assert ids_for(db, "foo.bar", "1.5") == ["GHSA-x", "PYSEC-1"]
    assert sync(db, archive).unchanged


def test_not_a_zip_or_directory(tmp_path: Path) -> None:
    bogus = tmp_path / "x.zip"
    bogus.write_text("hello")
    with pytest.raises(AdvisoryDbError, match="not a zip file"):
        sync(tmp_path / "osv.sqlite3", bogus)
    with pytest.raises(AdvisoryDbError, match="no such file"):
        sync(tmp_path / "osv.sqlite3", tmp_path / "missing")


class ZipServer(ThreadingServer):
    """Serves one zip with an ETag and records each request's conditional headers."""

    def __init__(self, body: bytes):
        self.body, self.seen = body, []
        super().__init__(("127.0.0.1", 0), ZipHandler)


class ZipHandler(BaseHTTPRequestHandler):
    server: ZipServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.seen.append(self.headers.get("If-None-Match"))
        etag = '"v1"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)


@pytest.fixture
def zip_server(tmp_path: Path) -> Iterator[ZipServer]:
    archive = tmp_path / "served.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for raw in RECORDS[:5]:
            zf.writestr(f"{raw['id']}.json", json.dumps(raw))
    server = ZipServer(archive.read_bytes())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_sync_from_url_uses_etag_and_304(tmp_path: Path, zip_server: ZipServer) -> None:
    url = f"http://127.0.0.1:{zip_server.server_address[1]}/PyPI/all.zip"
    db = tmp_path / "osv.sqlite3"
    progress: list[tuple[str, int, int | None]] = []
    first = sync(db, url, progress=lambda *a: progress.append(a))
    assert first.records == 5 and not first.unchanged
    assert ("download", len(zip_server.body), len(zip_server.body)) in progress
    second = sync(db, url)
    assert second.unchanged and second.records == 5
    assert zip_server.seen == [None, '"v1"']
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name or "download" in p.name]


def test_offline_refuses_urls(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDbError, match="--offline"):
        sync(tmp_path / "osv.sqlite3", "https://example.invalid/all.zip", offline=True)


def test_unreachable_url_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDbError, match="download failed"):
        sync(tmp_path / "osv.sqlite3", "http://127.0.0.1:9/all.zip", connect_timeout=1)


def test_failure_mid_import_keeps_the_old_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, db = tmp_path / "vulns", tmp_path / "osv.sqlite3"
    write_records(src, *RECORDS[:10])
    sync(db, src)
    write_records(src, *RECORDS[10:])
    calls = 0
    real = osv_sync.parse_record

    def failing(raw: object):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 15:
            raise RuntimeError("disk on fire")
        return real(raw)

    monkeypatch.setattr(osv_sync, "parse_record", failing)
    with pytest.raises(RuntimeError):
        sync(db, src)
    assert count(db) == 10
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


KILLER = """
import os, signal, sys
from pathlib import Path
from depsentry.advisories import osv_sync
real, n = osv_sync.parse_record, [0]
def dying(raw):
    n[0] += 1
    if n[0] == 20:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(raw)
osv_sync.parse_record = dying
osv_sync.sync(Path(sys.argv[1]), sys.argv[2])
"""


def test_killed_sync_leaves_the_previous_database_usable(tmp_path: Path) -> None:
    src, db = tmp_path / "vulns", tmp_path / "osv.sqlite3"
    write_records(src, *RECORDS[:10])
    sync(db, src)
    for raw in RECORDS:
        raw = {**raw, "modified": "2025-01-01T00:00:00Z"}
        (src / f"{raw['id']}.json").write_text(json.dumps(raw))
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(db), str(src)], capture_output=True, timeout=60
    )
    assert proc.returncode == -9
    assert count(db) == 10
    assert ids_for(db, "pkg0", "0.1")  # still answers
    result = sync(db, src)  # and the next sync completes
    assert result.records == 40


def test_yaml_timestamps_are_stored_as_rfc3339_z(tmp_path: Path) -> None:
    src, db = tmp_path / "vulns", tmp_path / "osv.sqlite3"
    src.mkdir()
    (src / "PYSEC-9.yaml").write_text(
        "id: PYSEC-9\npublished: 2023-10-04T17:15:00Z\nmodified: 2023-10-05T01:02:03.5Z\n"
        "affected:\n- package: {name: pkg, ecosystem: PyPI}\n  versions: ['1.0']\n"
    )
    sync(db, src)
    store = OsvStore.open(db)
    stored = store.records(["PYSEC-9"])["PYSEC-9"]
    store.close()
    # Timestamps stay the text the record has (the YAML loader types no dates).
    assert (stored["published"], stored["modified"]) == (
        "2023-10-04T17:15:00Z",
        "2023-10-05T01:02:03.5Z",
    )


def test_credentials_in_urls_never_reach_messages(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDbError) as err:
        sync(
            tmp_path / "osv.sqlite3",
            "http://user:s3cret@127.0.0.1:9/all.zip?token=s3cret",
            connect_timeout=1,
        )
    assert "s3cret" not in str(err.value) and "127.0.0.1:9/all.zip" in str(err.value)


def test_stale_temp_files_of_a_killed_sync_are_removed(tmp_path: Path) -> None:
    # A sync holds the directory's lock: any temp file (and SQLite journal) of this database
    # is a leftover of a killed one, however fresh; another database's files stay.
    src, db = tmp_path / "vulns", tmp_path / "home" / "osv.sqlite3"
    write_records(src, *RECORDS[:2])
    sync(db, src)
    leftovers = [
        db.parent / name for name in (".osv.sqlite3.abc.tmp", ".osv.sqlite3.def.tmp-journal")
    ]
    other = db.parent / ".other.sqlite3.abc.tmp"
    for path in [*leftovers, other]:
        path.write_text("x")
    os.utime(leftovers[0], (0, 0))
    sync(db, src)
    assert not any(p.exists() for p in leftovers) and other.exists()
