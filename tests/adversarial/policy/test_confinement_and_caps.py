"""Policy files a repository names stay inside it; chains and numbers have caps; the state
directory must be a directory (issue 9). Each failure is one line on stderr and exit 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from depsentry.cli import main
from depsentry.errors import PolicyError
from depsentry.policy import load_policy
from tests.commands.scenario import project, run_cli

REQS = {"requirements.txt": "calm==1.0\n"}


def own_policy(value: str) -> str:
    return f'[project]\nname = "app"\nversion = "0"\n\n[tool.depsentry]\npolicy = "{value}"\n'


def check(app: Path, osv: Path, *extra: str) -> int:
    return main(["policy", "check", str(app), "--osv-db", str(osv), "--offline", *extra])


def one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("depsentry: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_a_projects_policy_outside_it_is_refused(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret.toml"
    secret.write_text('name = "operator"\n')
    app = project(tmp_path / "app", {**REQS, "pyproject.toml": own_policy("../secret.toml")})
    assert check(app, osv) == 2
    line = one_error(capsys.readouterr().err)
    assert "[tool.depsentry] policy" in line and "is outside the project; refused" in line


def test_a_projects_policy_symlinked_out_is_refused(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside.toml"
    outside.write_text('name = "outside"\n')
    app = project(tmp_path / "app", {**REQS, "pyproject.toml": own_policy("policy.toml")})
    (app / "policy.toml").symlink_to(outside)
    assert check(app, osv) == 2
    assert "is outside the project; refused" in one_error(capsys.readouterr().err)


@pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/passwd", "/proc/self/environ"])
def test_extends_leaving_the_project_is_refused_before_it_is_read(
    target: str, tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(
        tmp_path / "app",
        {
            **REQS,
            "pyproject.toml": own_policy("policy.toml"),
            "policy.toml": f'extends = "{target}"\n',
        },
    )
    assert check(app, osv) == 2
    line = one_error(capsys.readouterr().err)
    assert "policy.toml: extends:" in line and "is outside the project; refused" in line
    assert "root:" not in line  # nothing of the file's content


def test_extends_inside_the_project_and_bundled_policies_still_work(
    tmp_path: Path, home: Path, osv: Path
) -> None:
    app = project(tmp_path / "app", {**REQS, "pyproject.toml": own_policy("policies/team.toml")})
    (app / "policies").mkdir()
    (app / "policies" / "team.toml").write_text('extends = "base.toml"\n')
    (app / "policies" / "base.toml").write_text('extends = "strict"\n[updates]\npatch_days = 3\n')
    assert check(app, osv) == 0
    policy = load_policy(app / "policies" / "team.toml", root=app)
    assert policy.updates.patch_days == 3 and policy.review.every == "week"  # strict's


def test_an_operator_policy_inside_a_project_is_confined_to_it(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "org.toml").write_text('name = "org"\n')
    app = project(tmp_path / "app", {**REQS, "policy.toml": 'extends = "../org.toml"\n'})
    assert check(app, osv, "--policy", str(app / "policy.toml")) == 2
    assert "is outside the project; refused" in one_error(capsys.readouterr().err)
    # the same file outside any scanned project is the operator's own: it may extend anything
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "policy.toml").write_text('extends = "../org.toml"\n')
    assert check(app, osv, "--policy", str(tmp_path / "ops" / "policy.toml")) == 0


def test_since_symlinked_out_of_the_project_is_refused(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "not-a-report.json"
    outside.write_text('{"secret": "value"}')
    app = project(tmp_path / "app", REQS)
    (app / "last.json").symlink_to(outside)
    assert check(app, osv, "--since", str(app / "last.json")) == 2
    line = one_error(capsys.readouterr().err)
    assert "--since:" in line and "is outside the project; refused" in line
    assert "value" not in line


def test_extends_depth_is_capped(tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / f"p{i}.toml").write_text(f'extends = "p{i + 1}.toml"\n')
    (tmp_path / "p40.toml").write_text("")
    with pytest.raises(PolicyError, match="more than 16 files in the chain"):
        load_policy(tmp_path / "p0.toml", root=tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[vulnerabilities.deadline_days]\ncritical = 3000000\n", "at most 36500 days"),
        ("[updates]\npatch_days = 99999999999999999999\n", "at most 36500 days"),
        ("[libyears]\nmax_per_project = nan\n", "got nan"),
        ("[libyears]\nmax_per_project = inf\n", "must be at most"),
        ("[[assessments]]\npackage = 'x'\nmajor = 10000000000000\ndecision = 'x'\n", "major"),
        ("a = " + "[" * 2000 + "]" * 2000 + "\n", "invalid TOML"),
    ],
)
def test_numbers_and_nesting_are_validated(
    text: str,
    message: str,
    tmp_path: Path,
    home: Path,
    osv: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "p.toml").write_text(text)
    app = project(tmp_path / "app", REQS)
    assert check(app, osv, "--policy", str(tmp_path / "p.toml")) == 2
    assert message in one_error(capsys.readouterr().err)


def test_a_fifo_or_huge_policy_file_is_refused_without_hanging(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", REQS)
    os.mkfifo(tmp_path / "fifo.toml")
    assert check(app, osv, "--policy", str(tmp_path / "fifo.toml")) == 2
    assert "not a regular file" in one_error(capsys.readouterr().err)
    (tmp_path / "huge.toml").write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    assert check(app, osv, "--policy", str(tmp_path / "huge.toml")) == 2
    assert "larger than 1024 KiB" in one_error(capsys.readouterr().err)


@pytest.mark.slow
def test_deadline_of_3000000_days_as_a_real_process(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text("[vulnerabilities.deadline_days]\ncritical = 3000000\n")
    app = project(tmp_path / "app", REQS)
    done = run_cli(
        "policy",
        "check",
        str(app),
        "--policy",
        str(tmp_path / "p.toml"),
        "--offline",
        home=tmp_path / "home",
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "critical: must be at most 36500 days (100 years), got 3000000" in done.stderr


@pytest.mark.parametrize("shape", ["file", "parent-file"])
def test_depsentry_home_that_is_not_a_directory(
    shape: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "home-file"
    blocker.write_text("")
    home = blocker if shape == "file" else blocker / "state"
    monkeypatch.setenv("DEPSENTRY_HOME", str(home))
    app = project(tmp_path / "app", REQS)
    assert main(["scan", str(app), "--offline"]) == 2
    line = one_error(capsys.readouterr().err)
    assert "DEPSENTRY_HOME" in line and str(home) in line


@pytest.mark.slow
def test_depsentry_home_file_as_a_real_process(tmp_path: Path) -> None:
    blocker = tmp_path / "home-file"
    blocker.write_text("")
    app = project(tmp_path / "app", REQS)
    done = run_cli("scan", str(app), "--offline", home=blocker)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        f"depsentry: error: {blocker}: DEPSENTRY_HOME is not a directory; point it at a directory"
    )
