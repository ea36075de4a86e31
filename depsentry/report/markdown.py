"""GitHub-flavoured markdown for a pull-request comment: summary, then tables per project."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import quote

from depsentry.models import ProjectReport, ScanResult
from depsentry.report.codemods import offers
from depsentry.report.escaping import printable
from depsentry.report.interface import Renderer
from depsentry.report.ordering import (
    sorted_outdated,
    sorted_skipped,
    sorted_versions,
    sorted_violations,
    sorted_vulnerabilities,
)
from depsentry.report.summary import (
    data_line,
    plural,
    priority_text,
    severity_text,
    summarize,
    summary_of,
)

__all__ = ["MarkdownRenderer", "escape"]

OSV_URL = "https://osv.dev/vulnerability/"

# Backslash-escapes the punctuation that forms inline markup in GFM anywhere in a line (`$` is
# GitHub's math); `<`, `>` and `&` become entities, so that no HTML tag or entity is ever formed.
_INLINE = re.compile(r"([\\`*_\[\]|~$])")
# These only mean something at the start of a line (a heading, a list item, an ordered list).
# "1. x" escapes as "1\. x" and "- x" as "\- x"; "3.2.0" and "-e" are left alone.
_LEADING = re.compile(r"^(?:([#+-])(?=\s|$)|(\d+)(?=[.)](?:\s|$)))")


def escape(text: str) -> str:
    """Make arbitrary text inert inside a GFM table cell, list item or paragraph (one line)."""
    one_line = " ".join(text.split())
    escaped = _INLINE.sub(r"\\\1", html.escape(one_line, quote=False))
    return _LEADING.sub(_escape_leading, escaped)


def _escape_leading(match: re.Match[str]) -> str:
    marker, number = match.groups()
    return "\\" + marker if marker else number + "\\"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


# GitHub rejects issue and pull-request comments longer than this.
COMMENT_LIMIT = 65536


class MarkdownRenderer(Renderer):
    """A heading, the summary line, then per project: vulnerabilities, outdated, violations,
    and the skipped requirements folded in a <details> block.

    Output longer than `max_length` (default: GitHub's comment limit; None for no limit) is cut
    at a line boundary with a closing note, so that posting it never fails.
    """

    def __init__(self, *, max_length: int | None = COMMENT_LIMIT) -> None:
        self.max_length = max_length

    def render(self, result: ScanResult) -> str:
        text = printable(self._render(result))  # undecodable file names as \xff
        if self.max_length is None or len(text) <= self.max_length:
            return text
        return _cut(text, self.max_length)

    def _render(self, result: ScanResult) -> str:
        lines = ["## depsentry scan", "", escape(summarize(result)), ""]
        lines += [f"<sub>{escape(data_line(result.advisory_db))}</sub>", ""]
        lines += [f"> **Warning:** {escape(w)}" for w in result.advisory_db.warnings]
        if result.advisory_db.warnings:
            lines.append("")
        for project in result.projects:
            lines += self._project(project)
        return "\n".join(lines).rstrip("\n") + "\n"

    def _project(self, project: ProjectReport) -> list[str]:
        lines = [f"### {escape(project.path)}", ""]
        if project.error:
            lines += [f"**Error:** {escape(project.error)}", ""]
        vulns = sorted_vulnerabilities(project.vulnerabilities)
        if vulns:
            rows = []
            for v in vulns:
                link = f"[{escape(v.id)}]({OSV_URL}{quote(v.id, safe='')})"
                if v.aliases:
                    link += " (" + ", ".join(escape(a) for a in sorted(v.aliases)) + ")"
                severity = escape(severity_text(v))
                if priority := priority_text(v):
                    severity += f" ({escape(priority)})"
                rows.append(
                    [
                        escape(v.package),
                        escape(v.version),
                        link,
                        severity,
                        escape(", ".join(sorted_versions(v.fixed_in))) or "-",
                        escape(str(v.source)),
                        escape(summary_of(v) or ""),
                    ]
                )
            header = ["Package", "Version", "ID", "Severity", "Fixed in", "Source", "Summary"]
            if not any(summary_of(v) for v in vulns):  # no empty column
                header, rows = header[:-1], [row[:-1] for row in rows]
            lines += _table(header, rows)
        elif not project.error:
            deps = plural(len(project.dependencies), "dependency", "dependencies")
            lines += [f"No known vulnerabilities found in {deps}.", ""]
        if project.outdated:
            rows = [
                [
                    escape(o.package),
                    escape(o.current),
                    escape(o.latest),
                    o.update_type,
                    f"{o.libyears:.1f}",
                ]
                for o in sorted_outdated(project.outdated)
            ]
            lines += ["**Outdated**", ""]
            lines += _table(["Package", "Current", "Latest", "Update", "Libyears"], rows)
        if project.violations:
            rows = [
                [
                    escape(v.package),
                    escape(v.finding),
                    v.due.isoformat() + (" **overdue**" if v.overdue else ""),
                    escape(v.message),
                ]
                for v in sorted_violations(project.violations)
            ]
            lines += ["**Policy violations**", ""]
            lines += _table(["Package", "Finding", "Due", "Message"], rows)
        found = offers(project)
        if found:
            lines += [
                f"- **Codemod:** {escape(o.package)} {escape(o.current)} -> {escape(o.target)} "
                f"crosses a breaking change {escape(o.name)} migrates: run `{o.command}`"
                for o in found
            ]
            lines.append("")
        if project.skipped:
            skipped = sorted_skipped(project.skipped)
            lines += ["<details>", f"<summary>{len(skipped)} skipped</summary>", ""]
            lines += [
                f"- {escape(s.requirement)}: {escape(s.reason)} ({escape(str(s.source))})"
                for s in skipped
            ]
            lines += ["", "</details>", ""]
        if project.notes:
            lines += [f"- {escape(note)}" for note in project.notes]
            lines.append("")
        return lines


def _cut(text: str, limit: int) -> str:
    note = (
        "\n\n**Report truncated** at GitHub's comment size limit; "
        "see the JSON or SARIF report for every finding.\n"
    )
    closing = "\n</details>"
    kept = text[: max(limit - len(note) - len(closing), 0)]
    kept = kept[: kept.rfind("\n") + 1].rstrip("\n")
    if kept.count("<details>") > kept.count("</details>"):
        kept += "\n" + closing
    return kept + note
