"""The readiness report's renderers: every format over errors, empty projects and trees, and the
JSON document against its shipped schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from depsentry.models import Source
from depsentry.models.readiness import ProjectReadiness, ReadinessReport, ReadinessRow
from depsentry.report.readiness import (
    JsonReadiness,
    MarkdownReadiness,
    TableReadiness,
    json_schema,
    overall_summary,
    readiness_summary,
)
from depsentry.report.registry import READINESS_FORMATS

HERE = Source("requirements.txt", 1)


def row(name: str, verdict: str = "ready", **kw: object) -> ReadinessRow:
    base: dict[str, object] = {"support": "cp314 wheel", "supported": verdict == "ready"}
    base.update(kw)
    return ReadinessRow(name, "1.0", HERE, verdict, **base)  # type: ignore[arg-type]


@pytest.fixture
def report() -> ReadinessReport:
    return ReadinessReport(
        python="3.14",
        generated_at=datetime(2026, 12, 2, 5, 0, tzinfo=UTC),
        projects=[
            ProjectReadiness(
                path="repo",
                root="repo",
                rows=[
                    row("six", lowest="1.0", target="1.0", free_threaded=True),
                    row("aiohttp", "upgrade", supported=False, support="no 3.14 wheel",
                        lowest="3.13.0", target="3.13.0", step="minor", free_threaded=False),
                    row("ranged", pinned=False, target="1.0"),
                ],
            ),
            ProjectReadiness(path="repo/tests/fixtures/x", root="repo", rows=[row("six")]),
            ProjectReadiness(path="repo/empty", root="repo"),
            ProjectReadiness(path="repo/broken", root="repo", error="uv.lock: unsupported"),
            ProjectReadiness(path="elsewhere", root="repo"),
        ],
    )  # fmt: skip


def test_summaries() -> None:
    rows = [row("a"), row("b", "upgrade", target="2"), row("c", "upgrade", target="2"),
            row("d", "blocked"), row("e", "source-only"), row("f", "unknown")]  # fmt: skip
    assert readiness_summary(rows) == (
        "1 of 6 ready; 2 need an upgrade; blocked: d; builds from source only: e; unknown: f"
    )
    assert readiness_summary(rows[:2]) == "1 of 2 ready; 1 needs an upgrade"
    assert readiness_summary([]) == "0 of 0 ready"


def test_the_overall_summary_counts_each_pin_once(report: ReadinessReport) -> None:
    assert overall_summary(report) == "Python 3.14: 2 of 3 ready; 1 needs an upgrade"


def test_json_matches_its_schema(report: ReadinessReport) -> None:
    document = json.loads(JsonReadiness().render(report))
    schema = json_schema()
    Draft202012Validator.check_schema(schema)
    errors = list(
        Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(document)
    )
    assert not errors, errors
    assert document["generated_at"] == "2026-12-02T05:00:00Z"
    assert [(p["project"], p["summary"], p["error"]) for p in document["projects"]] == [
        (".", "2 of 3 ready; 1 needs an upgrade", None),
        ("tests/fixtures/x", "1 of 1 ready", None),
        ("empty", "0 of 0 ready", None),
        ("broken", None, "uv.lock: unsupported"),
        ("elsewhere", "0 of 0 ready", None),
    ]
    one = ReadinessReport("3.14t", report.generated_at, [ProjectReadiness(path="app")])
    (project,) = json.loads(JsonReadiness().render(one))["projects"]
    assert (project["root"], project["project"]) == ("app", ".")


def test_the_table_heads_each_project_and_says_what_is_wrong(report: ReadinessReport) -> None:
    text = TableReadiness().render(report)
    lines = text.splitlines()
    for heading in ("repo", "repo/tests/fixtures/x", "repo/empty", "repo/broken"):
        assert heading in lines
    assert "Error: uv.lock: unsupported" in lines
    assert "No dependencies." in lines
    assert "2 of 3 ready; 1 needs an upgrade" in lines  # each project's own line
    assert any("1.0 (range)" in line for line in lines)
    assert lines[-1] == "Python 3.14: 2 of 3 ready; 1 needs an upgrade"
    coloured = TableReadiness(color=True, width=140).render(report)
    assert "\x1b[" in coloured


def test_markdown(report: ReadinessReport) -> None:
    text = MarkdownReadiness().render(report)
    assert text.startswith("## Python 3.14 readiness\n\nPython 3.14: 2 of 3 ready")
    assert "### repo/broken\n\n**Error:** uv.lock: unsupported" in text
    assert "| aiohttp | 1.0 | no: no 3.14 wheel | 3.13.0 | minor | upgrade to 3.13.0 | no |" in text


def test_markdown_is_cut_to_fit_a_comment(report: ReadinessReport) -> None:
    whole = MarkdownReadiness().render(report)
    cut = MarkdownReadiness(max_length=300).render(report)
    assert len(cut) <= 300 < len(whole)
    assert cut.endswith(
        "**Report truncated** at GitHub's comment size limit; see the JSON report.\n"
    )
    assert whole.startswith(cut.split("\n**Report truncated**")[0])


def test_the_registry_lists_the_formats() -> None:
    assert READINESS_FORMATS.names() == ("table", "json", "markdown")
    assert READINESS_FORMATS.load("json") is JsonReadiness
