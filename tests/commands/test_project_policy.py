"""A project names its own policy in `[tool.depsentry] policy`; `--policy` overrides it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from depsentry.cli import main
from depsentry.inputs import read_project

PYPROJECT = '[project]\nname = "app"\nversion = "0"\ndependencies = ["demo==1.0"]\n'


def app(tmp_path: Path, policy: str | None) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    text = PYPROJECT + (f'\n[tool.depsentry]\npolicy = "{policy}"\n' if policy else "")
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    (root / "team.toml").write_text(
        'extends = "monthly"\n[vulnerabilities.deadline_days]\nhigh = 2\n', encoding="utf-8"
    )
    return root


def scan_json(root: Path, osv: Path, *extra: str) -> tuple[int, dict[str, object]]:
    out = root.parent / "report.json"
    code = main(
        ["scan", str(root), "--osv-db", str(osv), "--offline", "-f", "json", "-o", str(out), *extra]
    )
    return code, json.loads(out.read_text())["projects"][0]


def test_project_policy_name_is_kept(tmp_path: Path) -> None:
    assert read_project(app(tmp_path, "strict")).policy == "strict"


@pytest.mark.parametrize("value", ["team.toml", "ops/p.toml"])
def test_project_policy_path_is_relative_to_the_project(tmp_path: Path, value: str) -> None:
    root = app(tmp_path, value)
    assert read_project(root).policy == str((root / value).resolve())


def test_scan_evaluates_the_projects_own_policy(tmp_path: Path, home: Path, osv: Path) -> None:
    code, project = scan_json(app(tmp_path, "team.toml"), osv)
    assert code == 1
    assert "vuln:demo:PYSEC-2099-7" in project["first_seen"]  # type: ignore[operator]


def test_scan_without_a_policy_evaluates_none(tmp_path: Path, home: Path, osv: Path) -> None:
    code, project = scan_json(app(tmp_path, None), osv)
    assert code == 1
    assert project["first_seen"] == {} and project["violations"] == []


def test_bad_project_policy_is_that_projects_one_line_error(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = app(tmp_path, "missing.toml")
    code = main(["scan", str(root), "--osv-db", str(osv), "--offline", "-f", "json"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert err[0].startswith(f"depsentry: error: {root}: [tool.depsentry] policy: ")
    assert "missing.toml" in err[0]


def test_policy_option_overrides_the_project(tmp_path: Path, home: Path, osv: Path) -> None:
    code, project = scan_json(app(tmp_path, "missing.toml"), osv, "--policy", "monthly")
    assert code == 1
    assert project["error"] is None
