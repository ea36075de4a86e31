"""`depsentry policy show|check` end to end: the effective policy, the CI gate, --since."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from depsentry.cli import main
from tests.commands.scenario import project, run_cli
from tests.servers.index_server import IndexServer


def one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("depsentry: error: ")
    return lines[0]


# --- policy show ---------------------------------------------------------------------------------


def test_show_prints_the_default_policy_as_toml(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["policy", "show"]) == 0
    out = capsys.readouterr().out
    policy = tomllib.loads(out)
    assert policy["name"] == "monthly"
    assert policy["vulnerabilities"]["deadline_days"] == {
        "critical": 1,
        "high": 7,
        "medium": 30,
        "low": 90,
        "unknown": 30,
    }
    assert policy["review"]["every"] == "month"


def test_show_strict_differs(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "show"]) == 0
    monthly = tomllib.loads(capsys.readouterr().out)
    assert main(["policy", "show", "--policy", "strict"]) == 0
    strict = tomllib.loads(capsys.readouterr().out)
    assert strict["name"] == "strict" and strict != monthly
    assert strict["review"]["every"] == "week"
    assert strict["pinning"]["hashes"] is True


def test_show_follows_extends_of_a_policy_file(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(
        'extends = "monthly"\nname = "mine"\n[vulnerabilities.deadline_days]\nhigh = 3\n'
    )
    assert main(["policy", "show", "--policy", str(mine)]) == 0
    policy = tomllib.loads(capsys.readouterr().out)
    assert policy["name"] == "mine"
    assert policy["vulnerabilities"]["deadline_days"]["high"] == 3
    assert policy["vulnerabilities"]["deadline_days"]["medium"] == 30  # inherited


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('extends = "monthly"\n[vulnerabilities.deadline_days]\nhigh = "soon"\n', "high"),
        ("bogus = 1\n", "bogus"),
        ('extends = "monthly"\n[vulnerabilities\n', ":2:"),
    ],
)
def test_bad_policy_file_is_one_line_naming_file_and_key(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str], text: str, named: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    assert main(["policy", "show", "--policy", str(bad)]) == 2
    captured = capsys.readouterr()
    line = one_line(captured.err)
    assert str(bad) in line and named in line
    assert captured.out == ""


def test_bad_policy_fails_check_before_any_scan(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "monthly"\n[updates]\npatch_days = -1\n')
    app = project(tmp_path / "app", {"requirements.txt": "high==1.0\n"})
    assert main(["policy", "check", str(app), "--policy", str(bad), "--osv-db", str(osv)]) == 2
    captured = capsys.readouterr()
    line = one_line(captured.err)
    assert str(bad) in line and "patch_days" in line
    assert captured.out == ""
    assert not (home / "osv-db-cache").exists()  # the advisory database was never opened


# --- policy check --------------------------------------------------------------------------------


def check(*args: str) -> int:
    return main(["policy", "check", *args])


def aged(report: Path, days: int) -> Path:
    """A copy of `report` made to look `days` old (as if a scan had seen it all back then)."""
    document = json.loads(report.read_text())
    then = datetime.now(UTC) - timedelta(days=days)
    document["generated_at"] = then.isoformat().replace("+00:00", "Z")
    for entry in document["projects"]:
        entry["first_seen"] = {}
    old = report.with_name(f"aged-{days}.json")
    old.write_text(json.dumps(document))
    return old


def test_check_passes_while_within_the_deadline(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "high==1.0\n"})
    assert check(str(app), "--osv-db", str(osv), "-f", "json") == 0
    report = json.loads(capsys.readouterr().out)["projects"][0]
    assert [v["id"] for v in report["vulnerabilities"]] == ["PYSEC-2099-2"]
    assert not any(v["overdue"] for v in report["violations"])


def test_check_fails_once_the_deadline_has_passed(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "high==1.0\n"})
    first = tmp_path / "first.json"
    assert check(str(app), "--osv-db", str(osv), "-f", "json", "-o", str(first)) == 0
    old = aged(first, days=90)  # high is due within 7 days
    capsys.readouterr()
    assert check(str(app), "--osv-db", str(osv), "--since", str(old), "-f", "json") == 1
    captured = capsys.readouterr()
    (violation,) = json.loads(captured.out)["projects"][0]["violations"]
    assert (violation["rule"], violation["package"], violation["overdue"]) == (
        "vulnerability",
        "high",
        True,
    )
    due = (datetime.now(UTC) - timedelta(days=90) + timedelta(days=7)).date()
    assert violation["due"] == due.isoformat()
    assert "1 policy violation (1 overdue)" in captured.err


def test_check_still_within_a_longer_deadline(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "low==1.0\n"})
    first = tmp_path / "first.json"
    assert check(str(app), "--osv-db", str(osv), "-f", "json", "-o", str(first)) == 0
    old = aged(first, days=30)  # low is due within 90 days
    assert check(str(app), "--osv-db", str(osv), "--since", str(old)) == 0
    assert check(str(app), "--osv-db", str(osv), "--since", str(aged(first, days=120))) == 1


def test_advisory_without_a_fix_is_no_violation_under_needs_fix(
    tmp_path: Path, home: Path, osv: Path
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "nofix==1.0\n"})
    first = tmp_path / "first.json"
    assert check(str(app), "--osv-db", str(osv), "-f", "json", "-o", str(first)) == 0
    assert check(str(app), "--osv-db", str(osv), "--since", str(aged(first, days=365))) == 0


def test_check_judges_outdated_releases_with_outdated(
    tmp_path: Path,
    home: Path,
    osv: Path,
    index: IndexServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "calm==1.0\ndemo==1.3\n"})
    args = [str(app), "--osv-db", str(osv), "--index-url", index.simple_url, "-f", "json"]
    first = tmp_path / "first.json"
    assert check(*args, "-o", str(first)) == 0  # new findings: due after the next review
    assert check(*args, "-o", str(first), "--outdated") == 0
    assert check(*args, "--outdated", "--since", str(aged(first, days=120))) == 1
    violations = json.loads(capsys.readouterr().out)["projects"][0]["violations"]
    by_rule = {(v["rule"], v["package"]): v for v in violations}
    assert by_rule.keys() == {("outdated", "calm"), ("assessment", "demo")}
    assert all(v["overdue"] for v in violations)
    assert "calm 1.0 -> 1.4.0 (minor)" in by_rule[("outdated", "calm")]["message"]
    # without --outdated the index is not asked and outdated findings are not judged
    asked = index.count()
    assert check(*args, "--since", str(aged(first, days=120))) == 0
    assert index.count() == asked


def test_check_markdown(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "high==1.0\n"})
    first = tmp_path / "first.json"
    assert check(str(app), "--osv-db", str(osv), "-f", "json", "-o", str(first)) == 0
    old = aged(first, days=60)
    assert check(str(app), "--osv-db", str(osv), "--since", str(old), "-f", "markdown") == 1
    out = capsys.readouterr().out
    assert out.startswith("## depsentry scan")
    assert "**Policy violations**" in out
    assert "| high | vuln:high:PYSEC-2099-2 |" in out and "**overdue**" in out


def test_since_carries_first_seen_forward(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "high==1.0\n"})
    first = tmp_path / "first.json"
    assert check(str(app), "--osv-db", str(osv), "-f", "json", "-o", str(first)) == 0
    old = aged(first, days=40)
    started = json.loads(old.read_text())["generated_at"]

    second = tmp_path / "second.json"
    args = ["--osv-db", str(osv), "-f", "json"]
    assert check(str(app), *args, "--since", str(old), "-o", str(second)) == 1
    seen = json.loads(second.read_text())["projects"][0]["first_seen"]
    assert seen["vuln:high:PYSEC-2099-2"] == started

    third = tmp_path / "third.json"
    assert check(str(app), *args, "--since", str(second), "-o", str(third)) == 1
    document = json.loads(third.read_text())
    assert document["generated_at"] > started
    assert document["projects"][0]["first_seen"]["vuln:high:PYSEC-2099-2"] == started


def test_scan_with_policy_reports_violations_but_gates_on_severity(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "high==1.0\n"})
    first = tmp_path / "first.json"
    assert check(str(app), "--osv-db", str(osv), "-f", "json", "-o", str(first)) == 0
    old = aged(first, days=60)
    args = [str(app), "--osv-db", str(osv), "--policy", "monthly", "--since", str(old)]
    assert main(["scan", *args, "-f", "json", "--fail-on", "none"]) == 0
    violations = json.loads(capsys.readouterr().out)["projects"][0]["violations"]
    assert [v["overdue"] for v in violations] == [True]


def test_unreadable_since_report_is_one_line(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "high==1.0\n"})
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    assert check(str(app), "--osv-db", str(osv), "--since", str(junk)) == 2
    captured = capsys.readouterr()
    assert str(junk) in one_line(captured.err) and captured.out == ""


@pytest.mark.slow
def test_process_check_gate(tmp_path: Path, osv: Path) -> None:
    home = tmp_path / "home"
    app = project(tmp_path / "app", {"requirements.txt": "high==1.0\n"})
    first = tmp_path / "first.json"
    done = run_cli(
        "policy", "check", str(app), "--osv-db", str(osv), "-o", str(first), "-f", "json", home=home
    )
    assert done.returncode == 0, done.stderr
    late = run_cli(
        "policy",
        "check",
        str(app),
        "--osv-db",
        str(osv),
        "--since",
        str(aged(first, 30)),
        home=home,
    )
    assert late.returncode == 1
    assert "PYSEC-2099-2" in late.stdout and "Traceback" not in late.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("bogus = 1\n")
    refused = run_cli("policy", "show", "--policy", str(bad), home=home)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == f"depsentry: error: {bad}: bogus: unknown key\n"
