from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from depsentry.models import AdvisoryDbInfo, ProjectReport, ScanResult
from depsentry.report.table import TableRenderer

ANSI = re.compile(r"\x1b\[[0-9;]*m")
WHEN = datetime(2026, 1, 1, tzinfo=UTC)
DB = AdvisoryDbInfo("osv", 0, None)


def test_plain_output_has_every_finding_and_no_ansi(result: ScanResult) -> None:
    text = TableRenderer(color=False).render(result)
    assert not ANSI.search(text)
    for vuln_id in (
        "PYSEC-2021-98",
        "CVE-2021-33203",
        "GHSA-x84v-xcm2-53pg",
        "PYSEC-2019-133",
        "PYSEC-2020-96",
        "PYSEC-2019-217",
        "MAL-2026-1",
    ):
        assert vuln_id in text
    assert "requirements.txt:7" in text and "poetry.lock:120" in text
    assert "critical 9.8" in text
    assert "2.2.24, 3.1.12," in text
    assert "unrated malicious" in text
    assert "Advisory data: osv:/var/lib/depsentry/osv (2662 records) of 2026-11-21" in text


def test_plain_output_is_ascii_without_trailing_spaces(result: ScanResult) -> None:
    text = TableRenderer().render(result)
    box_lines = [line for line in text.splitlines() if line.startswith(("+", "|"))]
    assert box_lines, "tables are drawn"
    assert all(ord(ch) < 128 for line in box_lines for ch in line)
    assert all(line == line.rstrip() for line in text.splitlines())


def test_color_output_has_ansi_and_box_drawing(result: ScanResult) -> None:
    text = TableRenderer(color=True).render(result)
    assert ANSI.search(text)
    assert "━" in text
    assert "PYSEC-2021-98" in ANSI.sub("", text)


def test_sections_per_project_in_order(result: ScanResult) -> None:
    text = TableRenderer().render(result)
    order = [
        "services/web",
        "Vulnerabilities",
        "Outdated",
        "Policy violations",
        "2026-11-01 (overdue)",
        "Skipped",
        "URL requirement",
        "Note: flask resolved from a range: >=2",
        "services/api",
        "tools/empty",
        "No known vulnerabilities found in 1 dependency.",
        "Warning: advisory database is 25 hours old",
    ]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_vulnerabilities_sorted_by_package(result: ScanResult) -> None:
    text = TableRenderer().render(result)
    api = text[text.index("services/api") :]
    assert api.index("MAL-2026-1") < api.index("PYSEC-2019-217") < api.index("PYSEC-2020-96")


def test_sources_are_shown_relative_to_the_project(result: ScanResult) -> None:
    text = TableRenderer().render(result)
    assert "| requirements.txt:12" in text
    assert "services/web/requirements.txt" not in text


def test_empty_result_says_so(empty_result: ScanResult) -> None:
    text = TableRenderer().render(empty_result)
    assert text == (
        "No known vulnerabilities found in 2 dependencies.\nAdvisory data: osv (10 records)\n"
    )


def test_no_projects() -> None:
    result = ScanResult(generated_at=WHEN, advisory_db=DB)
    assert TableRenderer().render(result) == "No projects scanned.\n"


def test_project_error_is_shown_instead_of_the_all_clear() -> None:
    result = ScanResult(
        generated_at=WHEN,
        advisory_db=DB,
        projects=[ProjectReport(path="x", error="x/requirements.txt:3: invalid requirement")],
    )
    text = TableRenderer().render(result)
    assert text == "Error: x/requirements.txt:3: invalid requirement\n"


@pytest.mark.parametrize("width", [60, 80, 100, 160])
def test_width_is_respected(result: ScanResult, width: int) -> None:
    text = TableRenderer(width=width).render(result)
    assert max(len(line) for line in text.splitlines()) <= width


def test_advisory_ids_are_never_cut(single: Callable[..., ScanResult]) -> None:
    text = TableRenderer(width=80).render(single(id="GHSA-aaaa-bbbb-cccc-long-identifier"))
    assert "GHSA-aaaa-bbbb-cccc-long-identifier" in text


@pytest.mark.parametrize("env", ["NO_COLOR", "FORCE_COLOR", "COLUMNS", "TERM"])
def test_environment_does_not_change_the_output(
    result: ScanResult, monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    plain, coloured = TableRenderer().render(result), TableRenderer(color=True).render(result)
    monkeypatch.setenv(env, {"COLUMNS": "30", "TERM": "dumb"}.get(env, "1"))
    assert TableRenderer().render(result) == plain
    assert TableRenderer(color=True).render(result) == coloured
