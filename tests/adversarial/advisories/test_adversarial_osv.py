"""Hostile and broken advisory data and state (issue 9): each reproducer is a test.

Classes and guards: non-regular files (FIFO, device, socket) are refused or skipped before any
read; OSV record text is capped (size, nesting) and YAML anchors/aliases are refused before they
expand; versions past `MAX_VERSION` are not versions; an id carried by two files survives the
removal of one; a corrupted or misplaced `osv.sqlite3` is one line (exit 2) and `db sync`
rebuilds it; `DEPSENTRY_HOME` naming a file is one line.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from depsentry.advisories.osv_api import query
from depsentry.advisories.osv_db import OsvDbSource
from depsentry.advisories.osv_record import MAX_RECORD_BYTES
from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.osv_sync import sync
from depsentry.cli import main
from depsentry.models import Dependency, Source

RECORD = {
    "id": "PYSEC-2099-1",
    "modified": "2024-01-01T00:00:00Z",
    "aliases": ["CVE-2099-1001"],
    "affected": [
        {
            "package": {"name": "pkg", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}],
        }
    ],
}


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("depsentry: error: "), err
    return err


def osv_dir(path: Path, *records: dict[str, object]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for raw in records or (RECORD,):
        (path / f"{raw['id']}.json").write_text(json.dumps(raw))
    return path


def project(path: Path, text: str = "pkg==1.0\n") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "requirements.txt").write_text(text)
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "depsentry.cli", *args],
        capture_output=True, text=True, timeout=timeout, env=os.environ.copy(), check=False,
    )  # fmt: skip


# --- never hang: only regular files and directories ------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["device", "fifo", "socket"])
def test_osv_db_that_is_not_a_file_or_directory_is_one_line(
    tmp_path: Path, home: Path, kind: str
) -> None:
    app = project(tmp_path / "app")
    if kind == "device":
        target = Path("/dev/zero")
    elif kind == "fifo":
        target = tmp_path / "osv.zip"
        os.mkfifo(target)
    else:
        target = tmp_path / "osv.sock"
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(target))
    try:
        proc = run(["scan", str(app), "--osv-db", str(target), "--offline"], timeout=30)
        assert proc.returncode == 2
        assert "not a regular file or directory" in one_line(proc.stderr)
        proc = run(["db", "sync", "--from", str(target)], timeout=30)
        assert proc.returncode == 2 and "not a regular file or directory" in one_line(proc.stderr)
    finally:
        if kind == "socket":
            server.close()


def test_fifos_and_symlinks_out_inside_an_osv_directory_are_skipped(tmp_path: Path) -> None:
    src = osv_dir(tmp_path / "osv")
    os.mkfifo(src / "PYSEC-FIFO.json")
    (src / "zero.json").symlink_to("/dev/zero")
    outside = tmp_path / "secret.json"
    outside.write_text(json.dumps({**RECORD, "id": "PYSEC-OUTSIDE"}))
    (src / "out.json").symlink_to(outside)
    inside = src / "nested"
    inside.mkdir()
    (inside / "link.json").symlink_to(src / "PYSEC-2099-1.json")
    result = sync(tmp_path / "osv.sqlite3", src)
    store = OsvStore.open(tmp_path / "osv.sqlite3")
    try:
        assert store.records(["PYSEC-OUTSIDE"]) == {} and result.records == 1
    finally:
        store.close()


# --- never exhaust memory: YAML aliases, size, nesting, huge versions ---------------------------

LAUGHS = "\n".join(
    ["id: PYSEC-LOL", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    + ["affected:", "- package: {name: pkg, ecosystem: PyPI}", "  versions: *a9"]
)

SYNC_CAPPED = """
import resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from depsentry.advisories.osv_sync import sync
r = sync(Path(sys.argv[1]), sys.argv[2])
print(r.records, r.malformed)
"""


@pytest.mark.slow
def test_billion_laughs_record_is_malformed_not_4_gb(tmp_path: Path) -> None:
    src = osv_dir(tmp_path / "osv")
    (src / "PYSEC-LOL.yaml").write_text(LAUGHS)
    assert len(LAUGHS) < 12_000
    proc = subprocess.run(
        [sys.executable, "-c", SYNC_CAPPED, str(tmp_path / "osv.sqlite3"), str(src)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "1"]  # the good record in, the bomb counted


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("anchor.yaml", "id: PYSEC-A\nx: &x 1\naffected: []\n"),
        ("deep.yaml", "id: PYSEC-D\nx: " + "[" * 5000 + "]" * 5000 + "\n"),
        ("deep-block.yaml", "id: PYSEC-B\n" + "".join("  " * i + "k:\n" for i in range(200))),
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("deep2.json", '{"id": "PYSEC-J", "x": ' + "[" * 900 + "]" * 900 + "}"),
        ("two.yaml", "id: PYSEC-T\n---\nid: PYSEC-U\n"),
        ("binary.json", "\xff\xfe garbage"),
        ("python.yaml", "id: !!python/object:os.system [echo hi]\n"),
        ("huge.json", '{"id": "PYSEC-H", "details": "' + "x" * (MAX_RECORD_BYTES + 10) + '"}'),
    ],
)
def test_hostile_record_text_is_counted_never_fatal(tmp_path: Path, name: str, text: str) -> None:
    src = osv_dir(tmp_path / "osv")
    (src / name).write_text(text, encoding="utf-8", errors="surrogateescape")
    result = sync(tmp_path / "osv.sqlite3", src)
    assert result.records == 1 and result.warnings >= 1


def test_five_thousand_digit_versions_never_raise(tmp_path: Path) -> None:
    huge = "1" * 5000
    record = {
        **RECORD,
        "id": "PYSEC-HUGE",
        "aliases": [],
        "affected": [
            {
                "package": {"name": "pkg", "ecosystem": "PyPI"},
                "versions": [huge, "1.5"],
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": huge}, {"fixed": "3.0"}]},
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": huge}]},
                ],
            }
        ],
    }
    src = osv_dir(tmp_path / "osv", RECORD, record)
    result = sync(tmp_path / "osv.sqlite3", src)
    assert result.records == 2 and result.warnings >= 2
    source = OsvDbSource(OsvStore.open(tmp_path / "osv.sqlite3"))
    try:
        dep = Dependency("pkg", huge, True, Source("requirements.txt", 1))
        assert [v.id for v in source.match([dep])] == ["PYSEC-HUGE"]  # by its versions list
        assert {v.id for v in source.match([Dependency("pkg", "1.5", True, Source("r", 1))])} == {
            "PYSEC-2099-1", "PYSEC-HUGE",
        }  # fmt: skip
        answer = query(
            source, {"package": {"name": "pkg", "ecosystem": "PyPI"}, "version": "9" * 250}
        )
        assert [v["id"] for v in answer["vulns"]] == ["PYSEC-HUGE"]  # introduced 0, no fix
    finally:
        source.close()


# --- never lose: the same id in two files ---------------------------------------------------


def ids(db: Path) -> dict[str, str]:
    store = OsvStore.open(db)
    try:
        return {rid: rec["modified"] for rid, rec in store.records(["PYSEC-2099-1"]).items()}
    finally:
        store.close()


def test_an_id_in_two_files_survives_removing_either(tmp_path: Path) -> None:
    src, db = tmp_path / "osv", tmp_path / "osv.sqlite3"
    older = {**RECORD, "modified": "2024-01-01T00:00:00Z"}
    newer = {**RECORD, "modified": "2024-06-01T00:00:00Z"}
    (src / "a").mkdir(parents=True)
    (src / "b").mkdir()
    (src / "a" / "PYSEC-2099-1.json").write_text(json.dumps(older))
    (src / "b" / "PYSEC-2099-1.json").write_text(json.dumps(newer))
    sync(db, src)
    assert ids(db) == {"PYSEC-2099-1": "2024-06-01T00:00:00Z"}  # the newer copy wins
    (src / "b" / "PYSEC-2099-1.json").unlink()  # the winner goes: the other copy comes back
    sync(db, src)
    assert ids(db) == {"PYSEC-2099-1": "2024-01-01T00:00:00Z"}
    (src / "b" / "PYSEC-2099-1.json").write_text(json.dumps(newer))
    sync(db, src)
    (src / "a" / "PYSEC-2099-1.json").unlink()  # the loser goes: the winner stays
    result = sync(db, src)
    assert ids(db) == {"PYSEC-2099-1": "2024-06-01T00:00:00Z"} and result.records == 1
    (src / "b" / "PYSEC-2099-1.json").unlink()
    assert sync(db, src).records == 0


# --- broken state: corrupted, misplaced, a file as home -----------------------------------------


def corrupt(db: Path, *, keep_mtime: bool = False) -> None:
    st = db.stat()
    size = st.st_size
    with open(db, "r+b") as handle:  # zero every page but the header page
        handle.seek(4096)
        handle.write(b"\0" * (size - 4096))
    if keep_mtime:
        os.utime(db, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("keep_mtime", [False, True])
def test_corrupted_database_is_one_line_everywhere_and_sync_rebuilds_it(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str], keep_mtime: bool
) -> None:
    src = osv_dir(tmp_path / "osv")
    app = project(tmp_path / "app")
    assert main(["db", "sync", "--from", str(src)]) == 0
    assert main(["scan", str(app), "--offline"]) == 1
    capsys.readouterr()
    corrupt(home / "osv.sqlite3", keep_mtime=keep_mtime)
    for args in (
        ["scan", str(app), "--offline"],
        ["db", "status"],
        ["db", "serve", "--listen", "127.0.0.1:0"],
    ):
        assert main(args) == 2, args
        err = one_line(capsys.readouterr().err)
        assert "corrupted" in err and "depsentry db sync" in err
    assert main(["db", "sync", "--from", str(src)]) == 0
    assert "rebuilt from scratch" in capsys.readouterr().err
    assert main(["scan", str(app), "--offline"]) == 1


def test_corrupted_osv_db_cache_is_rebuilt_on_its_own(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = osv_dir(tmp_path / "osv")
    app = project(tmp_path / "app")
    assert main(["scan", str(app), "--osv-db", str(src)]) == 1
    (cache,) = (home / "osv-db-cache").glob("*.sqlite3")
    corrupt(cache)
    assert main(["scan", str(app), "--osv-db", str(src)]) == 1


def test_a_killed_sync_leaves_journals_that_the_next_one_removes(tmp_path: Path) -> None:
    src, db = osv_dir(tmp_path / "osv"), tmp_path / "home" / "osv.sqlite3"
    sync(db, src)
    for name in (".osv.sqlite3.x1.tmp", ".osv.sqlite3.x1.tmp-journal", ".osv.sqlite3.x2.tmp-wal"):
        (db.parent / name).write_bytes(b"junk")
    (src / "PYSEC-2099-2.json").write_text(json.dumps({**RECORD, "id": "PYSEC-2099-2"}))
    assert sync(db, src).records == 2
    assert sorted(p.name for p in db.parent.iterdir()) == [".osv.sqlite3.checked", "osv.sqlite3"]


def test_database_path_that_is_a_directory(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "osv.sqlite3").mkdir(parents=True)
    app = project(tmp_path / "app")
    for args in (
        ["scan", str(app), "--offline"],
        ["db", "status"],
        ["db", "sync", "--from", str(osv_dir(tmp_path / "osv"))],
    ):
        assert main(args) == 2, args
        assert "is a directory" in one_line(capsys.readouterr().err)


def test_depsentry_home_that_is_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    home.write_text("not a directory")
    monkeypatch.setenv("DEPSENTRY_HOME", str(home))
    app = project(tmp_path / "app")
    for args in (["scan", str(app), "--offline"], ["db", "status"], ["db", "sync", "--offline"]):
        assert main(args) == 2, args
        assert "DEPSENTRY_HOME is not a directory" in one_line(capsys.readouterr().err)


def test_an_old_schema_database_says_to_sync(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    home.mkdir()
    conn = sqlite3.connect(home / "osv.sqlite3")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta VALUES ('schema', '1')")
    conn.commit()
    conn.close()
    assert main(["scan", str(project(tmp_path / "app")), "--offline"]) == 2
    assert "another depsentry version" in one_line(capsys.readouterr().err)
    assert main(["db", "sync", "--from", str(osv_dir(tmp_path / "osv"))]) == 0
