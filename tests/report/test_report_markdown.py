from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from markdown_it import MarkdownIt

from depsentry.models import ScanResult
from depsentry.report.markdown import MarkdownRenderer, escape

# A CommonMark parser with GFM tables (markdown-it-py comes with rich): the tests read the
# comment the way GitHub will, instead of grepping the source text.
PARSER = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def html(markdown: str) -> str:
    return str(PARSER.render(markdown))


def table_rows(rendered: str) -> list[list[str]]:
    """Every table row (header and body) as its cells' inner HTML."""
    rows = re.findall(r"<tr>(.*?)</tr>", rendered, re.S)
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows]


def test_heading_summary_and_one_section_per_project(result: ScanResult) -> None:
    text = MarkdownRenderer().render(result)
    assert text.startswith("## depsentry scan\n\nFound 7 vulnerabilities (1 critical, 3 high,")
    assert [line for line in text.splitlines() if line.startswith("### ")] == [
        "### services/web",
        "### services/api",
        "### tools/empty",
    ]
    assert "> **Warning:** advisory database is 25 hours old" in text
    assert text.endswith("No known vulnerabilities found in 1 dependency.\n")


def test_vulnerability_table_cells(result: ScanResult) -> None:
    rendered = html(MarkdownRenderer().render(result))
    rows = table_rows(rendered)
    header = ["Package", "Version", "ID", "Severity", "Fixed in", "Source", "Summary"]
    assert rows[0] == header
    django = rows[1]
    assert django[0:2] == ["django", "3.2.0"]
    assert django[2] == (
        '<a href="https://osv.dev/vulnerability/PYSEC-2021-98">PYSEC-2021-98</a> (CVE-2021-33203)'
    )
    assert django[3:6] == [
        "critical 9.8",
        "2.2.24, 3.1.12, 3.2.4",
        "services/web/requirements.txt:7",
    ]
    # The summary's pipe stays inside its cell and its "<script>" stays text.
    assert django[6] == "Potential directory traversal | via admindocs &lt;script&gt;"
    assert all(len(row) == len(header) for row in rows[: 1 + 3])


def test_markdown_in_summaries_is_inert(result: ScanResult) -> None:
    rendered = html(MarkdownRenderer().render(result))
    assert "Insecure *credential* handling in `requests`" in rendered
    assert "<em>" not in rendered and "<code>" not in rendered
    assert "<script>" not in rendered


def test_outdated_and_violations_tables(result: ScanResult) -> None:
    rows = table_rows(html(MarkdownRenderer().render(result)))
    assert ["Package", "Current", "Latest", "Update", "Libyears"] in rows
    assert ["requests", "2.19.0", "2.32.3", "minor", "6.0"] in rows
    assert ["Package", "Finding", "Due", "Message"] in rows
    assert [
        "django",
        "PYSEC-2021-98",
        "2026-11-01 <strong>overdue</strong>",
        "django 3.2.0 has a critical fix (3.2.4) due 2026-11-01",
    ] in rows


def test_skipped_in_a_details_block(result: ScanResult) -> None:
    text = MarkdownRenderer().render(result)
    block = text[text.index("<details>") : text.index("</details>")]
    assert "<summary>1 skipped</summary>" in block
    rendered = html(text)
    assert (
        "<li>mylib @ git+https://example.invalid/mylib.git: URL requirement "
        "(services/web/requirements.txt:15)</li>"
    ) in rendered


def test_no_tables_for_a_clean_project(empty_result: ScanResult) -> None:
    text = MarkdownRenderer().render(empty_result)
    assert "|" not in text
    assert "No known vulnerabilities found in 2 dependencies." in text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a | b", "a | b"),
        ("*bold* _it_ `code` ~~s~~", "*bold* _it_ `code` ~~s~~"),
        ("[link](https://example.invalid)", "[link](https://example.invalid)"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("&amp; stays text", "&amp;amp; stays text"),
        ("# not a heading", "# not a heading"),
        ("- not a list", "- not a list"),
        ("1. not a list", "1. not a list"),
        ("2) not a list", "2) not a list"),
        ("+ not a list", "+ not a list"),
        ("-", "-"),
        ("line\nbreak", "line break"),
        ("back\\slash", "back\\slash"),
    ],
)
def test_escape_round_trips_through_a_parser(raw: str, shown: str) -> None:
    assert html(escape(raw)) == f"<p>{shown}</p>\n"


@pytest.mark.parametrize("plain", ["3.2.0", "-e ./lib", "#1 fan", "+1", "1)x", "a-b"])
def test_escape_leaves_harmless_text_as_it_is(plain: str) -> None:
    assert escape(plain) == plain


def test_escaped_text_in_a_cell_keeps_the_table_shape() -> None:
    nasty = "x | y \\| z `|` *"
    rows = table_rows(html(f"| a | b |\n| --- | --- |\n| {escape(nasty)} | 2 |\n"))
    assert rows[1] == ["x | y \\| z `|` *", "2"]


def test_link_target_is_quoted(single: Callable[..., ScanResult]) -> None:
    text = MarkdownRenderer().render(single(id="ODD ID)"))
    assert "(https://osv.dev/vulnerability/ODD%20ID%29)" in text


def test_project_error_replaces_the_all_clear(empty_result: ScanResult) -> None:
    empty_result.projects[0].error = "requirements.txt:3: invalid requirement: 'foo=='"
    text = MarkdownRenderer().render(empty_result)
    assert "**Error:** requirements.txt:3: invalid requirement: 'foo=='" in text
    assert "No known vulnerabilities" not in text.split("### .")[1]


def test_long_reports_are_cut_to_fit_a_github_comment(result: ScanResult) -> None:
    full = MarkdownRenderer(max_length=None).render(result)
    for limit in (300, 1200, len(full) - 100):
        text = MarkdownRenderer(max_length=limit).render(result)
        assert len(text) <= limit
        assert text.endswith("see the JSON or SARIF report for every finding.\n")
        assert text.count("<details>") == text.count("</details>")
        body = text[: text.index("**Report truncated**")].rstrip("\n")
        assert full.startswith(body)
    assert MarkdownRenderer(max_length=len(full)).render(result) == full
    assert MarkdownRenderer().render(result) == full


def test_cut_inside_details_closes_the_block(result: ScanResult) -> None:
    full = MarkdownRenderer(max_length=None).render(result)
    inside = full.index("- mylib @") + 10
    note = len(
        "\n\n**Report truncated** at GitHub's comment size limit; see the JSON or SARIF report for every finding.\n"
    )
    text = MarkdownRenderer(max_length=inside + note + len("\n</details>") + 40).render(result)
    assert "<details>" in text and text.count("<details>") == text.count("</details>")


def test_no_summary_column_without_summaries(single: Callable[..., ScanResult]) -> None:
    from depsentry.report.markdown import MarkdownRenderer

    text = MarkdownRenderer().render(single(id="PYSEC-2024-1", summary="PYSEC-2024-1"))
    header = next(line for line in text.splitlines() if line.startswith("| Package"))
    assert "Summary" not in header
    assert "Summary" in MarkdownRenderer().render(single()).split("| Package", 1)[1].splitlines()[0]
