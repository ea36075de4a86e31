"""The readiness engine (`depsentry.readiness`) called as the daemon's digest would: a dependency
set already held, or ScanOptions, against a loopback index."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from depsentry.index import IndexFailure
from depsentry.models import Dependency, Source
from depsentry.models.releases import DistFile, ProjectReleases, Release
from depsentry.readiness import assess_dependencies, check_readiness
from depsentry.scan import ScanOptions
from tests.servers.index_server import IndexFile, IndexServer

OLD = datetime(2024, 1, 1, tzinfo=UTC)


def test_assess_dependencies_one_row_per_pin_and_failures_named() -> None:
    six = ProjectReleases(
        "six", (Release("1.16.0", OLD, False, None, (DistFile("six-1.16.0-py3-none-any.whl"),)),)
    )
    deps = [
        Dependency("six", "1.16.0", True, Source("b/requirements.txt", 1)),
        Dependency("six", "1.16.0", True, Source("a/requirements.txt", 1)),
        Dependency("down", "1.0", True, Source("a/requirements.txt", 2)),
        Dependency("never", "1.0", True, Source("a/requirements.txt", 3)),
    ]
    answers = {"six": six, "down": IndexFailure("down", "HTTP 503 from the index")}
    rows = assess_dependencies(deps, answers, "3.14")
    assert [(r.package, r.verdict, r.support, str(r.source)) for r in rows] == [
        ("down", "unknown", "HTTP 503 from the index", "a/requirements.txt:2"),
        ("never", "unknown", "not asked", "a/requirements.txt:3"),
        ("six", "ready", "pure-Python wheel", "a/requirements.txt:1"),
    ]


def test_check_readiness_resolves_ranges_and_skips_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    app = tmp_path / "app"
    app.mkdir()
    (app / "requirements.txt").write_text("six>=1.15\n", encoding="utf-8")
    index = {
        "six": [
            IndexFile("six-1.15.0-py2.py3-none-any.whl", upload_time=OLD),
            IndexFile("six-1.17.0-py2.py3-none-any.whl", upload_time=OLD),
        ]
    }
    with IndexServer(index) as server:
        report = check_readiness(ScanOptions(paths=[app], index_url=server.simple_url), "3.14")
    (project,) = report.projects
    (row,) = project.rows
    # A range is judged at what a fresh install gets today.
    assert (row.package, row.version, row.pinned, row.verdict) == ("six", "1.17.0", False, "ready")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "requirements.txt").write_text("# nothing pinned\n", encoding="utf-8")
    assert check_readiness(ScanOptions(paths=[empty], offline=True), "3.14").projects[0].rows == []
