from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from depsentry.errors import ConfigError
from depsentry.models import (
    AdvisoryDbInfo,
    ProjectReport,
    ScanResult,
    Severity,
    Violation,
)
from depsentry.report import FORMATS, get_renderer, summarize
from depsentry.report.json import JsonRenderer
from depsentry.report.markdown import MarkdownRenderer
from depsentry.report.sarif import SarifRenderer
from depsentry.report.table import TableRenderer

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def test_formats() -> None:
    assert FORMATS.names() == ("table", "json", "sarif", "markdown")


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [
        ("table", TableRenderer),
        ("json", JsonRenderer),
        ("sarif", SarifRenderer),
        ("markdown", MarkdownRenderer),
    ],
)
def test_get_renderer(fmt: str, kind: type) -> None:
    assert type(get_renderer(fmt)) is kind


def test_every_format_renders_the_realistic_result(result: ScanResult) -> None:
    for fmt in FORMATS:
        text = get_renderer(fmt).render(result)
        assert "PYSEC-2021-98" in text and text.endswith("\n")
    json.loads(get_renderer("json").render(result))
    json.loads(get_renderer("sarif").render(result))


def test_table_options_are_passed_on() -> None:
    renderer = get_renderer("table", color=True, width=42)
    assert isinstance(renderer, TableRenderer)
    assert renderer.color is True and renderer.width == 42
    sarif = get_renderer("sarif", root="/repo")
    assert isinstance(sarif, SarifRenderer) and sarif.root == "/repo"


def test_unknown_format_is_a_one_line_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        get_renderer("html")
    assert str(caught.value) == (
        "unknown report format 'html'; choose from table, json, sarif, markdown"
    )


def test_summary_of_the_realistic_result(result: ScanResult) -> None:
    assert summarize(result) == (
        "Found 7 vulnerabilities (1 critical, 3 high, 1 medium, 1 low, 1 unrated) in 5 packages"
        " across 2 projects; 1 outdated; 1 policy violation (1 overdue); 1 skipped"
    )


def test_summary_singulars(single: Callable[..., ScanResult]) -> None:
    result = single(severity=Severity.HIGH)
    assert summarize(result) == "Found 1 vulnerability (1 high) in 1 package across 1 project"


def test_summary_when_clean(empty_result: ScanResult) -> None:
    assert summarize(empty_result) == "No known vulnerabilities found in 2 dependencies"


def test_summary_clean_across_projects_with_an_error_and_due_soon() -> None:
    result = ScanResult(
        generated_at=WHEN,
        advisory_db=AdvisoryDbInfo("osv", 0, None),
        projects=[
            ProjectReport(
                path="a",
                violations=[Violation("monthly", "idna", "outdated", date(2026, 2, 1), False, "m")],
            ),
            ProjectReport(path="b", error="b/uv.lock: invalid TOML"),
        ],
    )
    assert summarize(result) == (
        "No known vulnerabilities found in 0 dependencies across 2 projects;"
        " 1 policy violation; 1 project unreadable"
    )


def test_a_summary_adds_up_from_the_parts_of_a_scan(result: ScanResult) -> None:
    # A scan split across processes sums its halves' tallies (one travels as JSON).
    from depsentry.report.summary import Tally

    clean = ProjectReport(path="c", error="c/uv.lock: invalid TOML")
    projects = [*result.projects, clean, *result.projects]
    whole = ScanResult(generated_at=WHEN, advisory_db=result.advisory_db, projects=projects)
    for cut in range(len(projects) + 1):
        first, second = Tally.of(projects[:cut]), Tally.of(projects[cut:])
        travelled = Tally.from_json(json.loads(json.dumps(second.to_json())))
        assert travelled == second
        assert (first + travelled).text() == summarize(whole)
    assert "1 project unreadable" in summarize(whole)
