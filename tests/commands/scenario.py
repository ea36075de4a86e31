"""Building blocks for the command tests: a tiny OSV database, a loopback index, projects on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.paths import PYPA_DB
from tests.servers.index_server import IndexFile

# shared/ sits beside the repository checkout (as in CI); tests skip when it is absent.
SNAPSHOT = PYPA_DB


def when(year: int, month: int = 1, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def osv_record(
    vuln_id: str,
    package: str,
    fixed: str | None,
    severity: str | None = None,
    *,
    introduced: str = "0",
) -> dict[str, Any]:
    """One OSV record: `package` affected from `introduced` until `fixed` (None: no fix)."""
    events: list[dict[str, str]] = [{"introduced": introduced}]
    if fixed is not None:
        events.append({"fixed": fixed})
    record: dict[str, Any] = {
        "id": vuln_id,
        "modified": "2024-01-01T00:00:00Z",
        # Published today: `policy check` without history starts a clock at publication, and
        # these tests age their reports (--since) to move it.
        "published": datetime.now(UTC).strftime("%Y-%m-%dT00:00:00Z"),
        "summary": f"{package} is affected",
        "affected": [
            {
                "package": {"name": package, "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
    }
    if severity is not None:  # GitHub's qualitative rating, as GHSA records carry it
        record["database_specific"] = {"severity": severity}
    return record


# One package per severity, each fixed in 2.0; `nofix` has no fix released.
RECORDS = [
    osv_record("PYSEC-2099-1", "crit", "2.0", "CRITICAL"),
    osv_record("PYSEC-2099-2", "high", "2.0", "HIGH"),
    osv_record("PYSEC-2099-3", "med", "2.0", "MODERATE"),
    osv_record("PYSEC-2099-4", "low", "2.0", "LOW"),
    osv_record("PYSEC-2099-5", "unrated", "2.0"),
    osv_record("PYSEC-2099-6", "nofix", None, "HIGH"),
    osv_record("PYSEC-2099-7", "demo", "1.2", "HIGH"),
    osv_record("PYSEC-2099-8", "demo", "1.3", "LOW", introduced="1.2"),
    osv_record("PYSEC-2099-9", "openai", "1.0.0", "MODERATE"),
]


def write_osv(directory: Path, records: list[dict[str, Any]] = RECORDS) -> Path:
    """An OSV database directory: one JSON file per record, one as YAML (both are read)."""
    directory.mkdir(parents=True, exist_ok=True)
    for record in records[:-1]:
        (directory / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    last = records[-1]
    (directory / f"{last['id']}.yaml").write_text(_yaml(last), encoding="utf-8")
    return directory


def _yaml(record: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(record, sort_keys=False))


def index_projects() -> dict[str, list[IndexFile]]:
    """What the loopback index holds: demo has a fix (1.2), a later fix (1.3) and a newest 2.0.

    Every release the fix tests pin has a real wheel, so `fix` can check its plans with uv.
    """
    return {
        "demo": [
            IndexFile("demo-1.0.tar.gz", upload_time=when(2020)),
            IndexFile("demo-1.0-py3-none-any.whl", upload_time=when(2020)),
            IndexFile("demo-1.2.tar.gz", upload_time=when(2021)),
            IndexFile("demo-1.2-py3-none-any.whl", upload_time=when(2021)),
            IndexFile("demo-1.3-py3-none-any.whl", upload_time=when(2021, 6)),
            IndexFile("demo-1.3.tar.gz", upload_time=when(2021, 6)),
            IndexFile("demo-2.0.tar.gz", upload_time=when(2023)),
            IndexFile("demo-2.0-py3-none-any.whl", upload_time=when(2023)),
            IndexFile("demo-3.0b1.tar.gz", upload_time=when(2024)),
        ],
        "calm": [
            IndexFile("calm-1.0.tar.gz", upload_time=when(2020)),
            IndexFile("calm-1.0-py3-none-any.whl", upload_time=when(2020)),
            IndexFile("calm-1.0.1.tar.gz", upload_time=when(2020, 3)),
            IndexFile("calm-1.4.0.tar.gz", upload_time=when(2022)),
            IndexFile("calm-1.4.0-py3-none-any.whl", upload_time=when(2022)),
        ],
        "openai": [
            IndexFile("openai-0.28.1.tar.gz", upload_time=when(2023, 9)),
            IndexFile("openai-0.28.1-py3-none-any.whl", upload_time=when(2023, 9)),
            IndexFile("openai-1.0.0.tar.gz", upload_time=when(2023, 11)),
            IndexFile("openai-1.0.0-py3-none-any.whl", upload_time=when(2023, 11)),
        ],
        "high": [
            IndexFile("high-1.0-py3-none-any.whl", upload_time=when(2020)),
            IndexFile("high-2.0-py3-none-any.whl", upload_time=when(2022)),
        ],
        "nofix": [IndexFile("nofix-1.0-py3-none-any.whl", upload_time=when(2020))],
    }


def project(root: Path, files: dict[str, str]) -> Path:
    """A project directory holding `files` (name -> text)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def run_cli(
    *args: str, cwd: Path | None = None, home: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI as a real process (python -m depsentry.cli), with its own state directory;
    `env` adds to (or overrides) the environment."""
    env = {**os.environ, "DEPSENTRY_HOME": str(home), **(env or {})}
    env.setdefault("UV_CACHE_DIR", str(home / "uv-cache"))  # fix's checks never touch ~/.cache
    env.pop("DEPSENTRY_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-m", "depsentry.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )


def unused_port() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
