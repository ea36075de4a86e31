"""`depsentry db sync|status|serve` through the real CLI entry point."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from depsentry.cli import main

RECORD = {
    "id": "PYSEC-2099-1",
    "modified": "2024-01-01T00:00:00Z",
    "affected": [
        {
            "package": {"name": "pkg", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}],
        }
    ],
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def source_dir(tmp_path: Path) -> Path:
    src = tmp_path / "vulns"
    src.mkdir()
    (src / "PYSEC-2099-1.json").write_text(json.dumps(RECORD))
    return src


def test_sync_then_status(tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = source_dir(tmp_path)
    assert main(["db", "sync", "--from", str(src), "--offline"]) == 0
    assert "Imported 1 records" in capsys.readouterr().err
    assert main(["db", "sync", "--from", str(src)]) == 0
    assert "up to date" in capsys.readouterr().err
    assert main(["db", "status", "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (
        status["source"] == str(src)
        and status["records"] == 1
        and status["path"] == str(home / "osv.sqlite3")
    )
    # The data's own date (its newest record's `modified`), the import time beside it.
    assert status["updated"] == RECORD["modified"] and status["imported"] != status["updated"]
    assert status["scans_use"] == "this database"
    assert main(["db", "status"]) == 0
    assert "records: 1" in capsys.readouterr().out


def test_status_without_database_says_scans_fall_back_to_the_snapshot(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "status"]) == 0
    out = capsys.readouterr().out
    assert "scans use: no synced database" in out and "embedded snapshot of 2024-10-10" in out
    assert "epss: not imported" in out and "kev: not imported" in out
    assert main(["db", "status", "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["records"] == 0 and "embedded snapshot" in status["scans_use"]
    assert status["epss"] is None and status["kev"] is None


def test_offline_sync_of_a_url_is_exit_2(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "sync", "--offline"]) == 2
    assert "--offline" in capsys.readouterr().err


def test_bad_listen_address(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "serve", "--listen", "nonsense", "--offline"]) == 2
    assert "HOST:PORT" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_on_a_taken_port_is_one_line_exit_2(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = [
            "db",
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
            "--osv-db",
            str(source_dir(tmp_path)),
        ]
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in err


def test_serve_port_0_sigterm_and_no_server_libraries_for_scan(tmp_path: Path) -> None:
    """Port 0 is announced as the bound port; SIGTERM ends it cleanly (exit 0, no traceback)."""
    env = {"DEPSENTRY_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "depsentry.cli", "db", "serve", "--listen", "127.0.0.1:0"]
    proc = subprocess.Popen(
        [*cmd, "--osv-db", str(source_dir(tmp_path))], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "Serving 1 advisories" in line, line
        url = line.rsplit(" on ", 1)[1].strip().removesuffix("/v1/query")
        body = {"package": {"name": "pkg", "ecosystem": "PyPI"}, "version": "1.0"}
        assert httpx.post(f"{url}/v1/query", json=body, timeout=5).json() == {"vulns": [RECORD]}
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0 and "Traceback" not in err, err
    # `scan` must not pay for the server libraries at start-up.
    probe = (
        "import sys; from depsentry.cli import main; main(['scan', '--help']);"
        "print(sorted(m for m in ('starlette', 'uvicorn', 'jinja2', 'anyio') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip().endswith("[]"), out.stdout + out.stderr


def test_serve_as_a_subprocess(tmp_path: Path) -> None:
    src, port = source_dir(tmp_path), free_port()
    env = {"DEPSENTRY_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    cmd = [
        sys.executable,
        "-m",
        "depsentry.cli",
        "db",
        "serve",
        "--listen",
        f"127.0.0.1:{port}",
        "--osv-db",
        str(src),
    ]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        body = {"package": {"name": "pkg", "ecosystem": "PyPI"}, "version": "1.0"}
        for _ in range(100):
            try:
                resp = httpx.post(f"http://127.0.0.1:{port}/v1/query", json=body, timeout=2)
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert resp.json() == {"vulns": [RECORD]}
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "Serving 1 advisories" in err
