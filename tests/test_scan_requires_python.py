"""The scan uses the project's own requires-python when --python is not given."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from depsentry.scan import ScanOptions, run_scan
from tests.servers.index_server import IndexFile, IndexServer

RELEASES = {
    "demo": [
        IndexFile("demo-1.0.tar.gz", upload_time=datetime(2023, 1, 1, tzinfo=UTC)),
        IndexFile(
            "demo-2.0.tar.gz",
            requires_python=">=3.10",
            upload_time=datetime(2024, 1, 1, tzinfo=UTC),
        ),
        IndexFile(
            "demo-3.0.tar.gz",
            requires_python=">=3.13",
            upload_time=datetime(2025, 1, 1, tzinfo=UTC),
        ),
    ]
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\nrequires-python = ">=3.11"\n'
        'dependencies = ["demo==1.0"]\n',
        encoding="utf-8",
    )
    return root


def scan(project: Path, url: str, python: str | None) -> str:
    options = ScanOptions(
        paths=[project], outdated=True, index_url=url, python=python, offline=False
    )
    result = run_scan(options).projects[0]
    assert result.error is None
    [outdated] = result.outdated
    return outdated.latest


@pytest.fixture
def embedded_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # No OSV download in tests: an unroutable dump URL makes the scan use the embedded snapshot.
    monkeypatch.setattr("depsentry.advisories.osv_sync.DEFAULT_URL", "http://127.0.0.1:9/all.zip")


@pytest.mark.usefixtures("embedded_only")
def test_project_requires_python_limits_latest(project: Path) -> None:
    with IndexServer(RELEASES) as server:
        latest = scan(project, server.simple_url, python=None)
    assert latest == "2.0"  # 3.0 needs Python 3.13, the project supports 3.11


@pytest.mark.usefixtures("embedded_only")
def test_python_option_wins_over_the_project(project: Path) -> None:
    with IndexServer(RELEASES) as server:
        latest = scan(project, server.simple_url, python="3.13")
    assert latest == "3.0"
