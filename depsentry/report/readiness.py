"""The readiness report's formats (`depsentry readiness`): table, json (`depsentry.readiness/1`)
and markdown. Pure like every renderer: no I/O, no clock, no environment."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from pathlib import PurePath
from typing import Any, Self

from depsentry.models.readiness import ProjectReadiness, ReadinessReport, ReadinessRow
from depsentry.report.interface import ReadinessRenderer, RenderOptions

__all__ = [
    "SCHEMA",
    "JsonReadiness",
    "MarkdownReadiness",
    "TableReadiness",
    "json_schema",
    "overall_summary",
    "readiness_summary",
]

SCHEMA = "depsentry.readiness/1"
SCHEMA_RESOURCE = "schemas/depsentry.readiness-1.schema.json"
COLUMNS = ("Package", "Pinned", "Supports {python}", "Lowest", "Step", "Verdict", "Free-threaded")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of `depsentry.readiness/1` that ships in the package."""
    from importlib import resources

    text = (resources.files("depsentry.report") / SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def readiness_summary(rows: Sequence[ReadinessRow]) -> str:
    """ "31 of 34 ready; 2 need an upgrade; blocked: aiohttp" (the parts that are not empty)."""
    ready = sum(row.verdict == "ready" for row in rows)
    parts = [f"{ready} of {len(rows)} ready"]
    upgrades = sum(row.verdict == "upgrade" for row in rows)
    if upgrades:
        parts.append(f"{upgrades} need{'s' if upgrades == 1 else ''} an upgrade")
    for verdict, label in (
        ("blocked", "blocked"),
        ("source-only", "builds from source only"),
        ("unknown", "unknown"),
    ):
        names = sorted({row.package for row in rows if row.verdict == verdict})
        if names:
            parts.append(f"{label}: {', '.join(names)}")
    return "; ".join(parts)


def overall_summary(report: ReadinessReport) -> str:
    """The one-line summary over every project (each distinct pin counted once)."""
    rows = {(r.package, r.version): r for p in report.projects for r in p.rows}
    return f"Python {report.python}: {readiness_summary(list(rows.values()))}"


def _cells(row: ReadinessRow) -> list[str]:
    supported = {True: "yes", False: "no", None: "?"}[row.supported]
    threaded = {True: "yes", False: "no", None: "-"}[row.free_threaded]
    return [
        row.package,
        row.version if row.pinned else f"{row.version} (range)",
        f"{supported}: {row.support}",
        row.lowest or "-",
        row.step or "-",
        row.verdict_text,
        threaded,
    ]


def _relative(project: ProjectReadiness) -> str:
    if project.root is None:
        return "."
    try:
        return PurePath(project.path).relative_to(project.root).as_posix()
    except ValueError:
        return project.path


class TableReadiness(ReadinessRenderer):
    """Per project: one row per dependency, then the project's summary line."""

    @classmethod
    def from_options(cls, options: RenderOptions) -> Self:
        return cls(color=options.color, width=options.width)

    def __init__(self, *, color: bool = False, width: int | None = None) -> None:
        self.color = color
        self.width = width or 120  # piped: wide enough for a row per dependency

    def render(self, report: ReadinessReport) -> str:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        from depsentry.report.table import console_text, text_console

        out, console = text_console(color=self.color, width=self.width)
        styles = {"ready": "green", "upgrade": "yellow", "blocked": "bold red"}
        several = len(report.projects) > 1
        for project in report.projects:
            if several:
                console.print(Text(project.path, style="bold underline"))
            if project.error:
                console.print(Text(f"Error: {project.error}", style="bold red"))
                continue
            if not project.rows:
                console.print("No dependencies.")
                continue
            table = Table(
                title=f"Python {report.python} readiness",
                title_justify="left",
                box=box.SIMPLE_HEAVY if self.color else box.ASCII,
                header_style="bold" if self.color else "",
                title_style="bold" if self.color else "",
            )
            for name in COLUMNS:
                # Names, versions and verdicts stay whole; the support reason wraps.
                whole = not name.startswith("Supports")
                table.add_column(name.format(python=report.python), overflow="fold", no_wrap=whole)
            for row in project.rows:
                cells = _cells(row)
                verdict = Text(cells[5], style=styles.get(row.verdict, ""))
                table.add_row(*cells[:5], verdict, cells[6])
            console.print(table)
            if several:
                console.print(readiness_summary(project.rows), soft_wrap=True)
        console.print(overall_summary(report), soft_wrap=True)
        return console_text(out, color=self.color)


class JsonReadiness(ReadinessRenderer):
    """The stable `depsentry.readiness/1` document (keys never renamed without a new number)."""

    def render(self, report: ReadinessReport) -> str:
        when = report.generated_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        document = {
            "schema": SCHEMA,
            "generated_at": when,
            "python": report.python,
            "summary": overall_summary(report),
            "projects": [_project(p) for p in report.projects],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _project(project: ProjectReadiness) -> dict[str, Any]:
    return {
        "path": project.path,
        "root": project.root if project.root is not None else project.path,
        "project": _relative(project),
        "error": project.error,
        "summary": readiness_summary(project.rows) if project.error is None else None,
        "dependencies": [_row(r) for r in project.rows],
    }


def _row(row: ReadinessRow) -> dict[str, Any]:
    return {
        "package": row.package,
        "version": row.version,
        "pinned": row.pinned,
        "source": str(row.source),
        "supported": row.supported,
        "support": row.support,
        "lowest": row.lowest,
        "target": row.target,
        "step": row.step,
        "verdict": row.verdict,
        "verdict_text": row.verdict_text,
        "free_threaded": row.free_threaded,
    }


class MarkdownReadiness(ReadinessRenderer):
    """A heading, the summary, then one table per project (for a pull request or an issue),
    cut at a line boundary to `max_length` (default: GitHub's comment limit)."""

    def __init__(self, *, max_length: int | None = None) -> None:
        from depsentry.report.markdown import COMMENT_LIMIT

        self.max_length = COMMENT_LIMIT if max_length is None else max_length

    def render(self, report: ReadinessReport) -> str:
        text = self._render(report)
        if len(text) <= self.max_length:
            return text
        note = "\n**Report truncated** at GitHub's comment size limit; see the JSON report.\n"
        kept = text[: max(self.max_length - len(note), 0)]
        return kept[: kept.rfind("\n") + 1] + note

    def _render(self, report: ReadinessReport) -> str:
        from depsentry.report.markdown import escape

        lines = [
            f"## Python {escape(report.python)} readiness",
            "",
            escape(overall_summary(report)),
        ]
        for project in report.projects:
            lines += ["", f"### {escape(project.path)}", ""]
            if project.error:
                lines.append(f"**Error:** {escape(project.error)}")
                continue
            lines += [escape(readiness_summary(project.rows)), ""]
            if not project.rows:
                continue
            header = [c.format(python=report.python) for c in COLUMNS]
            lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
            lines += ["| " + " | ".join(escape(c) for c in _cells(r)) + " |" for r in project.rows]
        return "\n".join(lines) + "\n"
