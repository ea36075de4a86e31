"""`depsentry scan` end to end: exit codes, error lines, output formats, the index stages."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from depsentry.cli import main
from tests.commands.scenario import SNAPSHOT, project, run_cli, unused_port
from tests.paths import EXAMPLE
from tests.schema import validate_report
from tests.servers.index_server import IndexServer

CONTRACT_PROJECT_KEYS = {
    "path",
    "inputs",
    "dependencies",
    "vulnerabilities",
    "outdated",
    "violations",
    "skipped",
}


def scan(*args: str) -> int:
    return main(["scan", *args])


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("depsentry: error: "), err
    return lines[0]


# --- exit codes and --fail-on -------------------------------------------------------------------


def test_clean_project_exits_0(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.3\ncalm==1.0\n"})
    assert scan(str(app), "--osv-db", str(osv), "--offline") == 0
    captured = capsys.readouterr()
    assert "No known vulnerabilities found in 2 dependencies" in captured.err


def test_findings_exit_1(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    assert scan(str(app), "--osv-db", str(osv), "--offline") == 1
    captured = capsys.readouterr()
    assert "PYSEC-2099-7" in captured.out
    assert "Found 1 vulnerability (1 high) in 1 package" in captured.err


@pytest.mark.parametrize(
    ("package", "fail_on", "code"),
    [
        ("crit", "critical", 1),
        ("high", "critical", 0),
        ("high", "high", 1),
        ("med", "high", 0),
        ("med", "medium", 1),
        ("low", "medium", 0),
        ("low", "low", 1),
        ("low", "any", 1),
        ("crit", "none", 0),
        # a gate must not pass what it cannot rate: unrated fails every level
        ("unrated", "critical", 1),
        ("unrated", "high", 1),
        ("unrated", "medium", 1),
        ("unrated", "low", 1),
        ("unrated", "any", 1),
        ("unrated", "none", 0),
    ],
)
def test_fail_on_thresholds(
    tmp_path: Path, home: Path, osv: Path, package: str, fail_on: str, code: int
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": f"{package}==1.0\n"})
    args = [str(app), "--osv-db", str(osv), "--offline", "-f", "json"]
    assert scan(*args, "--fail-on", fail_on) == code


@pytest.mark.parametrize(
    ("unrated_as", "fail_on", "code"),
    [
        ("high", "critical", 0),
        ("high", "high", 1),
        ("medium", "high", 0),
        ("low", "low", 1),
        ("ignore", "low", 0),
        ("ignore", "any", 1),  # `any` is every vulnerability, rated or not
        ("ignore", "high, kev", 2),  # no KEV data imported: the gate cannot look, exit 2
    ],
)
def test_unrated_as(
    tmp_path: Path, home: Path, osv: Path, unrated_as: str, fail_on: str, code: int
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "unrated==1.0\n"})
    args = [str(app), "--osv-db", str(osv), "--offline", "-f", "json"]
    assert scan(*args, "--fail-on", fail_on, "--unrated-as", unrated_as) == code


def test_unrated_advisory_is_reported_as_unknown(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "unrated==1.0\n"})
    scan(str(app), "--osv-db", str(osv), "--offline", "-f", "json")
    (vuln,) = json.loads(capsys.readouterr().out)["projects"][0]["vulnerabilities"]
    assert (vuln["severity"], vuln["rated"], vuln["severity_source"]) == ("unknown", False, None)


# --- unreadable input: exit 2, one line, no traceback -------------------------------------------


def test_missing_path_is_one_error_line(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert scan(str(missing), "--osv-db", str(osv), "--offline") == 2
    captured = capsys.readouterr()
    assert one_error_line(captured.err) == f"depsentry: error: {missing}: no such file or directory"
    assert captured.out == ""


BROKEN = {
    "pyproject": (
        "pyproject.toml",
        '[project]\nname = "x"\ndependencies = [\n',
        "pyproject.toml: invalid TOML",
    ),
    "requirements": (
        "requirements.txt",
        "flask==1.0 ; python_version >\n",
        "requirements.txt:1: nothing readable",
    ),
    "lock-version": ("uv.lock", "version = 99\n", "uv.lock: unsupported uv.lock version 99"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_file_named_directly_is_one_error_line(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    name, text, message = BROKEN[case]
    app = project(tmp_path / "app", {name: text})
    assert scan(str(app / name), "--osv-db", str(osv), "--offline", "-f", "json") == 2
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert message in line and str(app) in line
    assert captured.out == ""


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_project_whose_only_input_is_broken_is_one_error_line(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    name, text, message = BROKEN[case]
    app = project(tmp_path / "app", {name: text})
    assert scan(str(app), "--osv-db", str(osv), "--offline") == 2
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert message in line and str(app) in line
    assert captured.out == ""


def test_bad_osv_db_path_is_one_error_line(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    assert scan(str(app), "--osv-db", str(tmp_path / "no-db"), "--offline") == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(tmp_path / "no-db") in line and "--osv-db" in line


def test_multi_project_scan_reports_the_good_ones_and_exits_2(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = project(tmp_path / "good", {"requirements.txt": "demo==1.0\n"})
    clean = project(tmp_path / "clean", {"requirements.txt": "calm==1.0\n"})
    broken = tmp_path / "missing"
    assert scan(str(good), str(broken), str(clean), "--osv-db", str(osv), "-f", "json") == 2
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    by_path = {p["path"]: p for p in document["projects"]}
    assert [v["id"] for v in by_path[str(good)]["vulnerabilities"]] == ["PYSEC-2099-7"]
    assert by_path[str(clean)]["dependencies"][0]["name"] == "calm"
    assert "no such file or directory" in by_path[str(broken)]["error"]
    errors = [line for line in captured.err.splitlines() if "error" in line.lower()]
    assert errors == [f"depsentry: error: {broken}: no such file or directory"]


def test_broken_project_wins_over_findings_even_with_fail_on_none(
    tmp_path: Path, home: Path, osv: Path
) -> None:
    good = project(tmp_path / "good", {"requirements.txt": "demo==1.0\n"})
    missing = str(tmp_path / "missing")
    assert scan(str(good), missing, "--osv-db", str(osv), "--fail-on", "none") == 2


# --- output formats ------------------------------------------------------------------------------


def test_json_is_one_document_with_the_contract_keys(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\ncalm==1.0\nfree>=1\n"})
    assert scan(str(app), "--osv-db", str(osv), "--offline", "--format", "json") == 1
    captured = capsys.readouterr()
    document = json.loads(captured.out)  # one document and nothing else, or this fails
    assert document["schema"] == "depsentry.scan/1"
    assert {"schema", "generated_at", "advisory_db", "projects"} <= document.keys()
    assert {"source", "records", "updated"} <= document["advisory_db"].keys()
    assert document["advisory_db"]["records"] == 9
    (report,) = document["projects"]
    assert report.keys() >= CONTRACT_PROJECT_KEYS
    assert report["inputs"] == ["requirements.txt"]
    for dep in report["dependencies"]:
        assert {"name", "version", "direct", "source"} <= dep.keys()
    (vuln,) = report["vulnerabilities"]
    assert {
        "package",
        "version",
        "id",
        "aliases",
        "severity",
        "cvss",
        "fixed_in",
        "summary",
        "source",
    } <= vuln.keys()
    assert (vuln["package"], vuln["version"], vuln["id"], vuln["severity"]) == (
        "demo",
        "1.0",
        "PYSEC-2099-7",
        "high",
    )
    assert vuln["fixed_in"] == ["1.2"] and vuln["source"] == "requirements.txt:1"
    (skipped,) = report["skipped"]
    assert {"requirement", "reason"} <= skipped.keys() and skipped["requirement"] == "free>=1"
    # the summary went to stderr, not into the document
    assert "Found 1 vulnerability" in captured.err and "Found" not in captured.out


def test_output_file_leaves_stdout_empty(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    out = tmp_path / "report.json"
    assert scan(str(app), "--osv-db", str(osv), "--offline", "-f", "json", "-o", str(out)) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert json.loads(out.read_text())["projects"][0]["vulnerabilities"][0]["id"] == "PYSEC-2099-7"
    assert "Found 1 vulnerability" in captured.err


def test_unwritable_output_file_is_one_error_line(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    out = tmp_path / "no-such-dir" / "report.json"
    assert scan(str(app), "--osv-db", str(osv), "-f", "json", "-o", str(out)) == 2
    captured = capsys.readouterr()
    assert one_error_line(captured.err) == (
        f"depsentry: error: {out}: cannot write the report (No such file or directory)"
    )
    assert captured.out == ""


def test_bad_python_version_is_a_usage_error(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    assert scan(str(app), "--osv-db", str(osv), "--python", "banana") == 2
    captured = capsys.readouterr()
    assert "'--python'" in captured.err and "banana" in captured.err
    assert captured.out == ""
    assert scan(str(app), "--osv-db", str(osv), "--python", ">=3.9,<4", "--fail-on", "none") == 0


def test_sarif(tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "calm==1.0\ndemo==1.0\n"})
    assert scan(str(app), "--osv-db", str(osv), "--offline", "--format", "sarif") == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    (result,) = run["results"]
    assert result["ruleId"] == "PYSEC-2099-7"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("requirements.txt")
    assert location["region"]["startLine"] == 2


def test_markdown(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    assert scan(str(app), "--osv-db", str(osv), "--offline", "--format", "markdown") == 1
    out = capsys.readouterr().out
    assert out.startswith("## depsentry scan")
    assert "| Package | Version | ID |" in out
    assert "| demo | 1.0 |" in out and "PYSEC-2099-7" in out


def test_table_is_the_default(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    assert scan(str(app), "--osv-db", str(osv), "--offline") == 1
    out = capsys.readouterr().out
    assert "Vulnerabilities" in out and "PYSEC-2099-7" in out and "\x1b[" not in out


# --- advisory data -------------------------------------------------------------------------------


def test_offline_with_nothing_synced_uses_the_embedded_snapshot_and_warns(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "jinja2==2.10\n"})
    assert scan(str(app), "--offline", "-f", "json") == 1
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    db = document["advisory_db"]
    assert db["source"].startswith("embedded snapshot")
    assert db["records"] > 1000
    assert any("embedded advisory snapshot" in w for w in db["warnings"])
    ids = {v["id"] for v in document["projects"][0]["vulnerabilities"]}
    assert "PYSEC-2019-217" in ids  # jinja2 sandbox escape, fixed in 2.10.1
    warnings = [line for line in captured.err.splitlines() if "embedded advisory snapshot" in line]
    assert warnings and all(line.lower().startswith("depsentry: warning: ") for line in warnings)


def test_no_embedded_stops_with_how_to_get_a_database(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "jinja2==2.10\n"})
    assert scan(str(app), "--offline", "--no-embedded", "-f", "json") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.strip().splitlines()
    assert line.startswith("depsentry: error: no advisory database has been synced")
    assert "depsentry db sync" in line and "--osv-db" in line


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_snapshot_warning_is_said_once(
    tmp_path: Path,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    fmt: str,
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "calm==1.0\n"})
    assert scan(str(app), "--offline", "-f", fmt) == 0
    captured = capsys.readouterr()
    printed = [line for line in captured.err.splitlines() if "snapshot" in line]
    printed += [
        line
        for line in captured.out.splitlines()
        if "snapshot" in line and fmt == "table" and not line.startswith("Advisory data:")
    ]
    logged = [
        r for r in caplog.records if "snapshot" in r.getMessage() and r.levelno >= logging.WARNING
    ]
    assert len(printed) + len(logged) == 1, (printed, logged)


def test_real_snapshot_on_the_example_project(
    home: Path, snapshot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert scan(str(EXAMPLE), "--osv-db", str(snapshot), "--offline", "-f", "json") == 1
    document = json.loads(capsys.readouterr().out)
    assert document["advisory_db"]["source"] == str(SNAPSHOT)
    vulns = document["projects"][0]["vulnerabilities"]
    by_package = {v["package"] for v in vulns}
    assert {"flask", "jinja2", "pillow", "aiohttp"} <= by_package
    cve = {alias for v in vulns for alias in v["aliases"]}
    assert "CVE-2023-30861" in cve  # flask session cookie caching, fixed in 2.2.5
    assert all(v["severity"] in {"critical", "high", "medium", "low", "unknown"} for v in vulns)


# --- the index: outdated, unpinned ranges, index down ---------------------------------------------


def test_outdated_against_the_loopback_index(
    tmp_path: Path,
    home: Path,
    osv: Path,
    index: IndexServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.3\ncalm==1.0\n"})
    args = ["--osv-db", str(osv), "--index-url", index.simple_url, "-f", "json"]
    assert scan(str(app), "--outdated", *args) == 0
    outdated = {
        o["package"]: o for o in json.loads(capsys.readouterr().out)["projects"][0]["outdated"]
    }
    assert outdated.keys() == {"demo", "calm"}
    assert (outdated["demo"]["latest"], outdated["demo"]["update_type"]) == ("2.0", "major")
    assert (outdated["calm"]["latest"], outdated["calm"]["update_type"]) == ("1.4.0", "minor")
    # demo 1.3 (2021-06-01) -> 2.0 (2023-01-01): about 1.59 years behind
    assert outdated["demo"]["libyears"] == pytest.approx(1.59, abs=0.01)
    assert outdated["calm"]["libyears"] == pytest.approx(2.0, abs=0.01)
    assert outdated["demo"]["current_released"] == "2021-06-01T00:00:00Z"
    assert index.count("/simple/demo/") == 1


def test_without_outdated_the_index_is_not_asked(
    tmp_path: Path, home: Path, osv: Path, index: IndexServer
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.3\n"})
    assert scan(str(app), "--osv-db", str(osv), "--index-url", index.simple_url) == 0
    assert index.count() == 0


def test_unpinned_range_is_resolved_through_the_index(
    tmp_path: Path,
    home: Path,
    osv: Path,
    index: IndexServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo>=1.0,<1.3\n"})
    args = ["--osv-db", str(osv), "--index-url", index.simple_url, "-f", "json"]
    assert scan(str(app), *args) == 1
    report = json.loads(capsys.readouterr().out)["projects"][0]
    (dep,) = report["dependencies"]
    assert (dep["name"], dep["version"], dep["pinned"]) == ("demo", "1.2", False)
    assert [v["id"] for v in report["vulnerabilities"]] == ["PYSEC-2099-8"]
    assert report["skipped"] == []


@pytest.mark.parametrize("flag", ["--no-resolve", "--offline"])
def test_unpinned_range_stays_skipped(
    tmp_path: Path,
    home: Path,
    osv: Path,
    index: IndexServer,
    capsys: pytest.CaptureFixture[str],
    flag: str,
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo>=1.0\n"})
    args = ["--osv-db", str(osv), "--index-url", index.simple_url, "-f", "json"]
    assert scan(str(app), flag, *args) == 0
    report = json.loads(capsys.readouterr().out)["projects"][0]
    assert report["dependencies"] == []
    (skipped,) = report["skipped"]
    assert skipped["requirement"] == "demo>=1.0"
    assert index.count() == 0


def test_index_down_still_scans_and_marks_outdated_unavailable(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    dead = f"http://127.0.0.1:{unused_port()}/simple/"
    args = ["--osv-db", str(osv), "--index-url", dead, "--outdated", "-f", "json"]
    assert scan(str(app), *args) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)["projects"][0]
    assert [v["id"] for v in report["vulnerabilities"]] == ["PYSEC-2099-7"]
    assert report["outdated"] == []
    (skipped,) = report["skipped"]
    assert skipped["requirement"].startswith("demo")
    assert "Traceback" not in captured.err


# --- --environment -------------------------------------------------------------------------------


def fake_venv(root: Path, dists: dict[str, str]) -> Path:
    """A real venv (no pip) with `.dist-info` metadata for `dists` in its site-packages."""
    venv.EnvBuilder(with_pip=False).create(root)
    (site,) = root.glob("lib/python*/site-packages")
    for name, version in dists.items():
        info = site / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
        )
    return root


def test_environment_is_audited(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = fake_venv(tmp_path / "venv", {"demo": "1.0", "calm": "1.0"})
    app = project(tmp_path / "app", {"requirements.txt": "calm==1.0\n"})
    args = ["--osv-db", str(osv), "--offline", "-f", "json"]
    assert scan(str(app), "--environment", str(env), *args) == 1
    report = json.loads(capsys.readouterr().out)["projects"][0]
    assert {(d["name"], d["version"]) for d in report["dependencies"]} == {
        ("demo", "1.0"),
        ("calm", "1.0"),
    }
    (vuln,) = report["vulnerabilities"]
    assert vuln["package"] == "demo"


def test_environment_that_is_not_a_directory_is_a_usage_error(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "calm==1.0\n"})
    assert scan(str(app), "--environment", str(tmp_path / "nope"), "--osv-db", str(osv)) == 2
    assert "Traceback" not in capsys.readouterr().err


# --- as a real process ---------------------------------------------------------------------------


@pytest.mark.slow
def test_process_exit_codes_and_streams(tmp_path: Path, osv: Path) -> None:
    home = tmp_path / "home"
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    found = run_cli("scan", str(app), "--osv-db", str(osv), "-f", "json", home=home)
    assert found.returncode == 1
    validate_report(json.loads(found.stdout))
    assert found.stderr.startswith("Found 1 vulnerability")

    missing = run_cli("scan", str(tmp_path / "nope"), "--osv-db", str(osv), home=home)
    assert missing.returncode == 2
    assert missing.stdout == ""
    assert missing.stderr == f"depsentry: error: {tmp_path / 'nope'}: no such file or directory\n"

    bad_db = run_cli("scan", str(app), "--osv-db", str(tmp_path / "no-db"), home=home)
    assert (bad_db.returncode, bad_db.stdout) == (2, "")
    assert bad_db.stderr.count("\n") == 1 and "Traceback" not in bad_db.stderr


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_process_broken_file_named_directly_is_one_line(
    tmp_path: Path, osv: Path, case: str
) -> None:
    name, text, message = BROKEN[case]
    app = project(tmp_path / "app", {name: text})
    done = run_cli("scan", str(app / name), "--osv-db", str(osv), home=tmp_path / "home")
    assert (done.returncode, done.stdout) == (2, "")
    assert message in one_error_line(done.stderr)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_process_project_whose_only_input_is_broken_is_one_line(
    tmp_path: Path, osv: Path, case: str
) -> None:
    name, text, message = BROKEN[case]
    app = project(tmp_path / "app", {name: text})
    done = run_cli("scan", str(app), "--osv-db", str(osv), home=tmp_path / "home")
    assert (done.returncode, done.stdout) == (2, "")
    assert message in one_error_line(done.stderr)


@pytest.mark.slow
def test_console_script_runs(tmp_path: Path, osv: Path) -> None:
    script = Path(sys.executable).parent / "depsentry"
    if not script.exists():
        script_path = shutil.which("depsentry")
        if script_path is None:
            pytest.skip("no depsentry console script next to this interpreter")
        script = Path(script_path)
    app = project(tmp_path / "app", {"requirements.txt": "calm==1.0\n"})
    done = subprocess.run(
        [str(script), "scan", str(app), "--osv-db", str(osv)],
        capture_output=True,
        text=True,
        env={"DEPSENTRY_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "No known vulnerabilities found in 1 dependency" in done.stderr


def test_policy_gate_keys_apply_and_the_command_line_wins(
    tmp_path: Path, home: Path, osv: Path
) -> None:
    policy = tmp_path / "gate.toml"
    policy.write_text('[vulnerabilities]\nfail_on = "critical"\nunrated_as = "ignore"\n')
    unrated = project(tmp_path / "a", {"requirements.txt": "unrated==1.0\nhigh==1.0\n"})
    args = [str(unrated), "--osv-db", str(osv), "--offline", "-f", "json", "--policy", str(policy)]
    assert scan(*args) == 0  # critical only; unrated ignored
    assert scan(*args, "--fail-on", "high") == 1  # the command line wins over fail_on
    assert scan(*args, "--unrated-as", "critical") == 1  # and over unrated_as
    own = project(  # a project's own policy must live inside it (the confinement rule)
        tmp_path / "b",
        {
            "requirements.txt": "unrated==1.0\n",
            "gate.toml": policy.read_text(),
            "pyproject.toml": '[tool.depsentry]\npolicy = "gate.toml"\n',
        },
    )
    assert scan(str(own), "--osv-db", str(osv), "--offline", "-f", "json") == 0  # its own policy
