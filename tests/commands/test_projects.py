"""`scan`/`fix` over a tree of projects: one report per project, grouped by its path under the
scanned root; --exclude, [tool.depsentry] exclude, --one-project; re-lock commands name their
directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from depsentry.cli import main
from tests.commands.scenario import project
from tests.commands.test_fix import POETRY_LOCK, POETRY_PYPROJECT
from tests.paths import DATA
from tests.schema import validate_report
from tests.servers.index_server import IndexServer


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The monorepo fixture with its gitignored build/ dir (and a demo pin there)."""
    root = tmp_path / "mono"
    shutil.copytree(DATA / "monorepo", root)
    (root / "build" / "requirements.txt").write_text("demo==1.0\n", encoding="utf-8")
    (root / "tests" / "fixtures" / "x" / "requirements.txt").write_text(
        "demo==1.0\n", encoding="utf-8"
    )
    return root


def scan_json(tree: Path, osv: Path, *args: str) -> tuple[int, dict[str, object]]:
    out = tree.parent / "report.json"
    code = main(
        ["scan", str(tree), "--osv-db", str(osv), "--offline", "--no-resolve", "-f", "json"]
        + ["-o", str(out), *args]
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    validate_report(data)
    return code, data


def projects(data: dict[str, object]) -> list[str]:
    listed = data["projects"]
    assert isinstance(listed, list)
    return [p["project"] for p in listed]


def test_scan_reports_each_project_under_the_root(tree: Path, home: Path, osv: Path) -> None:
    code, data = scan_json(tree, osv)
    assert code == 1  # demo 1.0 in the test fixture is vulnerable
    assert projects(data) == [".", "docs", "examples/demo", "tests/fixtures/x"]
    listed = data["projects"]
    assert isinstance(listed, list)
    assert {p["root"] for p in listed} == {str(tree)}
    by_project = {p["project"]: p for p in listed}
    fixture = by_project["tests/fixtures/x"]
    assert fixture["path"] == str(tree / "tests" / "fixtures" / "x")
    assert [v["id"] for v in fixture["vulnerabilities"]] == ["PYSEC-2099-7"]
    assert any("--exclude 'tests/'" in note for note in fixture["notes"])
    assert by_project["."]["vulnerabilities"] == []  # the real project is clean
    assert "workspace members: packages/lib" in by_project["."]["notes"]


def test_exclude_from_the_command_line_and_the_pyproject(tree: Path, home: Path, osv: Path) -> None:
    code, data = scan_json(tree, osv, "--exclude", "tests/", "--exclude", "docs/")
    assert (code, projects(data)) == (0, [".", "examples/demo"])
    pyproject = tree / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.depsentry]\nexclude = ["examples/"]\n', encoding="utf-8"
    )
    code, data = scan_json(tree, osv, "--exclude", "tests/")
    assert (code, projects(data)) == (0, [".", "docs"])


def test_one_project_keeps_the_directory_whole(tree: Path, home: Path, osv: Path) -> None:
    code, data = scan_json(tree, osv, "--one-project")
    assert code == 1
    (only,) = data["projects"]  # type: ignore[misc]
    assert only["project"] == "." and only["path"] == str(tree)
    # Everything under the tree, gitignored build/ included (as before projects were split).
    assert "build/requirements.txt" in only["inputs"]
    assert "tests/fixtures/x/poetry.lock" in only["inputs"]


def test_one_project_honours_the_pyprojects_exclude_too(tree: Path, home: Path, osv: Path) -> None:
    pyproject = tree / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.depsentry]\nexclude = ["tests/", "build/"]\n',
        encoding="utf-8",
    )
    code, data = scan_json(tree, osv, "--one-project")
    assert code == 0  # the vulnerable pins live under tests/ and build/
    (only,) = data["projects"]  # type: ignore[misc]
    assert not any(name.startswith("tests/") for name in only["inputs"])
    pyproject.write_text('[tool.depsentry]\nexclude = "tests/"\n', encoding="utf-8")
    assert main(["scan", str(tree), "--one-project", "--osv-db", str(osv), "--offline"]) == 2


def test_the_table_groups_by_project_path(
    tree: Path,
    home: Path,
    osv: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tree)
    assert main(["scan", ".", "--osv-db", str(osv), "--offline", "--no-resolve"]) == 1
    out = capsys.readouterr().out
    headings = [
        line
        for line in out.splitlines()
        if line in (".", "docs", "examples/demo", "tests/fixtures/x")
    ]
    assert headings == [".", "docs", "examples/demo", "tests/fixtures/x"]
    fixture = out[out.index("tests/fixtures/x") :]
    assert "PYSEC-2099-7" in fixture and "requirements.txt:1" in fixture


def test_a_bad_exclude_setting_is_exit_2_naming_the_file(
    tree: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tree / "pyproject.toml").write_text('[tool.depsentry]\nexclude = "tests/"\n', encoding="utf-8")
    assert main(["scan", str(tree), "--osv-db", str(osv), "--offline"]) == 2
    err = capsys.readouterr().err
    assert f"{tree / 'pyproject.toml'}: [tool.depsentry] exclude: must be a list" in err


def test_fix_names_the_directory_each_relock_runs_in(
    tmp_path: Path, home: Path, osv: Path, index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "repo", {"requirements.txt": "calm==1.0\n"})
    sub = project(
        root / "services" / "api", {"pyproject.toml": POETRY_PYPROJECT, "poetry.lock": POETRY_LOCK}
    )
    code = main(
        ["fix", str(root), "--osv-db", str(osv), "--index-url", index.simple_url, "--no-verify"]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert f"re-lock: poetry.lock: demo 1.0 -> 1.3: poetry update demo (in {sub})" in err
    assert "1 other project(s) without known vulnerabilities: nothing to fix" in err
    assert f"{root}: nothing to fix" not in err


def test_sarif_locations_are_relative_to_the_scanned_root(
    tree: Path,
    home: Path,
    osv: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tree)
    assert (
        main(["scan", ".", "--osv-db", str(osv), "--offline", "--no-resolve", "-f", "sarif"]) == 1
    )
    log = json.loads(capsys.readouterr().out)
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    ]
    assert uris == ["tests/fixtures/x/requirements.txt"]


def test_sarif_rebases_only_what_lies_below_the_root() -> None:
    from datetime import UTC, datetime

    from depsentry.models import (
        AdvisoryDbInfo,
        ProjectReport,
        ScanResult,
        Severity,
        Source,
        Vulnerability,
    )
    from depsentry.report.sarif import SarifRenderer

    def vuln(path: str) -> Vulnerability:
        return Vulnerability(
            "demo", "1.0", "PYSEC-1", (), Severity.HIGH, 7.5, ("1.2",), "", Source(path, 1)
        )

    result = ScanResult(
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        advisory_db=AdvisoryDbInfo("osv", 1, None),
        projects=[
            ProjectReport(path="repo", root="repo", vulnerabilities=[vuln("a.txt")]),
            ProjectReport(path="repo/sub", root="repo", vulnerabilities=[vuln("b.txt")]),
            ProjectReport(path="other", root="repo", vulnerabilities=[vuln("c.txt")]),
            ProjectReport(path="repo/abs", root="repo", vulnerabilities=[vuln("/repo/abs/d.txt")]),
            ProjectReport(path="plain", vulnerabilities=[vuln("e.txt")]),
        ],
    )
    log = json.loads(SarifRenderer(root="/repo").render(result))
    uris = sorted(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    )
    # Each source is joined to its project's path (relative to where the scan ran, here the
    # repository root's parent); absolute ones are taken relative to the repository root.
    assert uris == ["abs/d.txt", "other/c.txt", "plain/e.txt", "repo/a.txt", "repo/sub/b.txt"]
