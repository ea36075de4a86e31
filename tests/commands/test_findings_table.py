"""`depsentry findings list` shows the level as every report does: with its CVSS score."""

from __future__ import annotations

import pytest

from depsentry.commands.findings import _severity, _table


@pytest.mark.parametrize(
    ("severity", "cvss", "shown"),
    [("high", 7.5, "high 7.5"), ("critical", 10, "critical 10.0"), ("unknown", None, "unrated")],
)
def test_severity_with_its_score(severity: str, cvss: float | None, shown: str) -> None:
    assert _severity({"severity": severity, "cvss": cvss}) == shown


def test_the_table_shows_it(capsys: pytest.CaptureFixture[str]) -> None:
    finding = {
        "id": 7, "project": "web", "kind": "vulnerability", "package": "django",
        "version": "3.2.0", "severity": "critical", "cvss": 9.8, "advisory_id": "PYSEC-2022-213",
        "state": "open", "first_seen": "2026-11-01T00:00:00Z",
    }  # fmt: skip
    _table([finding])
    captured = capsys.readouterr()
    row = next(line for line in captured.out.splitlines() if "django" in line)
    assert "critical 9.8" in row and "PYSEC-2022-213" in row and "2026-11-01" in row
    assert captured.err == "1 finding(s)\n"
