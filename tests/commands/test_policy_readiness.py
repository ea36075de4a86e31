"""`policy check` with a Python-readiness target, against a loopback index serving real wheel names."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from depsentry.cli import main
from tests.servers.index_server import IndexFile, IndexServer

OLD = datetime(2024, 1, 1, tzinfo=UTC)


def wheel(name: str) -> IndexFile:
    return IndexFile(name, upload_time=OLD)


INDEX = {
    # Latest release has wheels up to CPython 3.13 only: not ready for 3.14.
    "aiohttp": [
        wheel("aiohttp-3.12.0-cp313-cp313-manylinux_2_17_x86_64.whl"),
        wheel("aiohttp-3.13.0-cp312-cp312-manylinux_2_17_x86_64.whl"),
        wheel("aiohttp-3.13.0-cp313-cp313-manylinux_2_17_x86_64.whl"),
    ],
    # A cp314 wheel: ready.
    "pydantic-core": [
        wheel("pydantic_core-2.40.0-cp313-cp313-manylinux_2_17_x86_64.whl"),
        wheel("pydantic_core-2.41.0-cp314-cp314-manylinux_2_17_x86_64.whl"),
    ],
    # Pure Python: ready.
    "six": [wheel("six-1.16.0-py2.py3-none-any.whl"), wheel("six-1.17.0-py2.py3-none-any.whl")],
    # abi3 built for 3.9+: ready.
    "cryptography": [wheel("cryptography-44.0.0-cp39-abi3-manylinux_2_28_x86_64.whl")],
    # Requires-Python excludes 3.14 even though the wheel is pure Python: not ready.
    "oldlib": [IndexFile("oldlib-1.0-py3-none-any.whl", requires_python="<3.14", upload_time=OLD)],
}


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    app = tmp_path / "app"
    app.mkdir()
    (app / "requirements.txt").write_text(
        "aiohttp==3.12.0\npydantic-core==2.40.0\nsix==1.16.0\ncryptography==44.0.0\noldlib==1.0\n",
        encoding="utf-8",
    )
    (tmp_path / "ready.toml").write_text(
        'extends = "monthly"\n[readiness]\npython = "3.14"\ndays = 30\n'
        "[updates]\nmin_release_age_days = 0\n",
        encoding="utf-8",
    )
    osv = tmp_path / "osv"
    osv.mkdir()
    (osv / "PYSEC-0000-1.json").write_text(
        json.dumps(
            {
                "id": "PYSEC-0000-1",
                "modified": "2024-01-01T00:00:00Z",
                "affected": [
                    {
                        "package": {"name": "unrelated", "ecosystem": "PyPI"},
                        "versions": ["1.0"],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return tmp_path


def check(workspace: Path, url: str, *extra: str) -> int:
    return main(
        [
            "policy",
            "check",
            str(workspace / "app"),
            "--policy",
            str(workspace / "ready.toml"),
            "--osv-db",
            str(workspace / "osv"),
            "--index-url",
            url,
            "--format",
            "json",
            "-o",
            str(workspace / "report.json"),
            *extra,
        ]
    )


def old_report(workspace: Path) -> Path:
    """An earlier report in which every readiness finding was already seen, months ago."""
    seen = {
        f"readiness:{name}:3.14": "2025-01-01T00:00:00Z"
        for name in ("aiohttp", "pydantic-core", "six", "cryptography", "oldlib")
    }
    path = workspace / "old.json"
    path.write_text(
        json.dumps(
            {
                "schema": "depsentry.scan/1",
                "generated_at": "2025-01-01T00:00:00Z",
                "advisory_db": {"source": "osv", "records": 1, "updated": None},
                "projects": [
                    {
                        "path": str(workspace / "app"),
                        "inputs": [],
                        "dependencies": [],
                        "vulnerabilities": [],
                        "outdated": [],
                        "violations": [],
                        "skipped": [],
                        "first_seen": seen,
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


def test_new_readiness_findings_are_not_yet_due(workspace: Path) -> None:
    with IndexServer(INDEX) as server:
        assert check(workspace, server.simple_url) == 0
    report = json.loads((workspace / "report.json").read_text())
    seen = report["projects"][0]["first_seen"]
    assert {"readiness:aiohttp:3.14", "readiness:oldlib:3.14"} <= set(seen)
    assert "readiness:six:3.14" not in seen and "readiness:pydantic-core:3.14" not in seen


def test_overdue_readiness_fails_the_gate_only_for_packages_not_ready(workspace: Path) -> None:
    since = old_report(workspace)
    with IndexServer(INDEX) as server:
        assert check(workspace, server.simple_url, "--since", str(since)) == 1
    violations = json.loads((workspace / "report.json").read_text())["projects"][0]["violations"]
    flagged = {v["package"] for v in violations if v["rule"] == "readiness"}
    assert flagged == {"aiohttp", "oldlib"}
    message = next(v["message"] for v in violations if v["package"] == "aiohttp")
    assert "3.14" in message
