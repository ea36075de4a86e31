from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from depsentry.models import AdvisoryDbInfo, ProjectReport, ScanResult, Source
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
        "Advisory data:",
    ]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    # Warnings go to stderr (the CLI prints them), never into the report on stdout.
    assert "advisory database is 25 hours old" not in text


def test_vulnerabilities_sorted_by_package(result: ScanResult) -> None:
    text = TableRenderer().render(result)
    api = text[text.index("services/api") :]
    assert api.index("MAL-2026-1") < api.index("PYSEC-2019-217") < api.index("PYSEC-2020-96")


def test_sources_are_shown_relative_to_the_project(result: ScanResult) -> None:
    text = TableRenderer(width=200).render(result)
    assert "| requirements.txt:12" in text
    assert "services/web/requirements.txt" not in text
    narrow = TableRenderer(width=80).render(result)
    assert "PYSEC-2019-133 (requirements.txt:12)" in narrow
    assert "services/web/requirements.txt" not in narrow


def test_one_row_per_advisory_with_its_aliases_on_it(result: ScanResult) -> None:
    text = TableRenderer(width=200).render(result)
    (row,) = [line for line in text.splitlines() if line.startswith("| urllib3")]
    assert "CVE-2019-11324, GHSA-mh33-7rrq-662w" in row
    assert "high 7.5" in row and "1.24.2" in row


def test_narrow_tables_keep_the_ids_and_put_details_below(result: ScanResult) -> None:
    text = TableRenderer(width=80).render(result)
    row = next(line for line in text.splitlines() if "| urllib3" in line)
    assert "PYSEC-2019-133" in row and "high 7.5" in row and "1.24.1" in row
    assert "PYSEC-2019-133 (requirements.txt:12), also CVE-2019-11324, GHSA-mh33-7rrq-662w" in text


@pytest.mark.parametrize("width", [80, 120, 200])
def test_identifying_columns_never_shrink_and_long_paths_lose_their_start(
    single: Callable[..., ScanResult], width: int
) -> None:
    deep = (
        "/opt/venvs/" + "very-long-directory/" * 8 + "site-packages/pillow-9.0.0.dist-info/METADATA"
    )
    text = TableRenderer(width=width).render(
        single(package="pillow", version="9.0.0", id="PYSEC-2022-10", source=Source(deep))
    )
    row = next(line for line in text.splitlines() if "| pillow" in line)
    assert "| pillow  " in row and "| 9.0.0 " in row and "PYSEC-2022-10" in row
    assert max(len(line) for line in text.splitlines()) <= width
    if width >= 120:  # the path shares the row, elided from the left: its end is what matters
        assert "…" in row and "METADATA" in row
        assert "/opt/venvs" not in text


def test_summary_shown_unless_it_repeats_the_id(single: Callable[..., ScanResult]) -> None:
    shown = TableRenderer(width=200).render(single(summary="Heap overflow in the decoder"))
    assert "Heap overflow in the decoder" in shown
    same = TableRenderer(width=200).render(single(id="PYSEC-2018-28", summary="PYSEC-2018-28"))
    assert same.count("PYSEC-2018-28") == 1


def test_undecodable_names_are_escaped(single: Callable[..., ScanResult]) -> None:
    import os

    text = TableRenderer(width=200).render(single(source=Source(os.fsdecode(b"req\xff.txt"), 1)))
    assert "req\\xff.txt:1" in text
    text.encode("utf-8")


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


@pytest.mark.parametrize("width", [80, 100, 160])
def test_width_is_respected(result: ScanResult, width: int) -> None:
    text = TableRenderer(width=width).render(result)
    assert max(len(line) for line in text.splitlines()) <= width


def test_too_narrow_a_width_never_crops_what_identifies_a_finding(result: ScanResult) -> None:
    # Below what the identifying columns need, the table is wider than asked, never cut off.
    text = TableRenderer(width=40).render(result)
    for project in result.projects:
        for vuln in project.vulnerabilities:
            assert vuln.id in text and vuln.package in text and vuln.version in text


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


def test_violations_table_says_how_late_each_one_is(result: ScanResult) -> None:
    text = TableRenderer(width=120).render_violations(result)
    lines = text.splitlines()
    assert lines[0] == "Policy violations"
    header = next(line for line in lines if "Rule" in line)
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "Project",
        "Rule",
        "Package",
        "Finding",
        "Due",
        "Overdue by",
    ]
    row = next(line for line in lines if "PYSEC-2021-98" in line)
    late = (result.generated_at.date() - datetime(2026, 11, 1).date()).days
    assert "services/web" in row and f"{late} days" in row and "security-fix" in row
    assert "Vulnerabilities" not in text


def test_violations_table_when_there_are_none(empty_result: ScanResult) -> None:
    assert TableRenderer().render_violations(empty_result) == "No policy violations.\n"


def test_kev_and_epss_sit_under_the_severity(single: Callable[..., ScanResult]) -> None:
    text = TableRenderer(width=200).render(single(kev=True, epss=0.42, epss_percentile=0.97))
    assert "KEV, EPSS 42% (p97)" in text
