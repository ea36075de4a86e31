"""`policy check` without history: a vulnerability's clock starts at the advisory's publication,
and the command prints the violations, not the whole scan again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from depsentry.cli import main
from tests.commands.scenario import osv_record, project, write_osv


def old_osv(directory: Path, published: str | None) -> Path:
    record = osv_record("PYSEC-2018-1", "requests", "2.20.0", "HIGH")
    if published is None:
        del record["published"]
    else:
        record["published"] = published
    return write_osv(directory, [record])


def test_a_six_year_old_advisory_fails_the_first_check(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    osv = old_osv(tmp_path / "osv", "2018-10-29T00:00:00Z")
    app = project(tmp_path / "app", {"requirements.txt": "requests==2.19.0\n"})
    assert main(["policy", "check", str(app), "--osv-db", str(osv), "--offline"]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == "Policy violations"
    header = next(line for line in lines if "Rule" in line)
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "Rule",
        "Package",
        "Finding",
        "Due",
        "Overdue by",
    ], captured.out
    row = next(line for line in lines if "requests" in line)
    late = (datetime.now(UTC).date() - datetime(2018, 11, 5).date()).days  # high: 7 days
    assert "vulnerability" in row and "2018-11-05" in row and f"{late} days" in row
    # The scan itself is not printed again: no vulnerabilities table, no data line.
    assert "Vulnerabilities" not in captured.out and "Advisory data" not in captured.out
    assert "1 policy violation (1 overdue)" in captured.err


def test_the_json_report_carries_the_publication_date_forward(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    osv = old_osv(tmp_path / "osv", "2018-10-29T00:00:00Z")
    app = project(tmp_path / "app", {"requirements.txt": "requests==2.19.0\n"})
    first = tmp_path / "first.json"
    args = ["policy", "check", str(app), "--osv-db", str(osv), "--offline", "-f", "json"]
    assert main([*args, "-o", str(first)]) == 1
    seen = json.loads(first.read_text())["projects"][0]["first_seen"]
    assert seen["vuln:requests:PYSEC-2018-1"] == "2018-10-29T00:00:00Z"
    capsys.readouterr()
    assert main([*args, "--since", str(first)]) == 1
    (violation,) = json.loads(capsys.readouterr().out)["projects"][0]["violations"]
    assert violation["due"] == "2018-11-05"


def test_without_a_publication_date_the_clock_starts_now(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    osv = old_osv(tmp_path / "osv", None)
    app = project(tmp_path / "app", {"requirements.txt": "requests==2.19.0\n"})
    assert main(["policy", "check", str(app), "--osv-db", str(osv), "--offline"]) == 0
    assert capsys.readouterr().out == "No policy violations.\n"


def test_a_recent_advisory_is_not_yet_due(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    osv = old_osv(tmp_path / "osv", yesterday)
    app = project(tmp_path / "app", {"requirements.txt": "requests==2.19.0\n"})
    assert main(["policy", "check", str(app), "--osv-db", str(osv), "--offline"]) == 0
