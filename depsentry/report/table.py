"""Human-readable tables (rich): coloured with box drawing on a terminal, plain ASCII when piped."""

from __future__ import annotations

from io import StringIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from depsentry.models import ProjectReport, ScanResult, Severity, Source
from depsentry.report.codemods import offers
from depsentry.report.interface import Renderer, RenderOptions
from depsentry.report.ordering import (
    sorted_outdated,
    sorted_skipped,
    sorted_versions,
    sorted_violations,
    sorted_vulnerabilities,
)
from depsentry.report.summary import data_line, plural, priority_text, severity_text

__all__ = ["TableRenderer"]

SEVERITY_STYLES = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "green",
    Severity.UNKNOWN: "dim",
}


class TableRenderer(Renderer):
    """Per project: vulnerabilities, outdated, violations, skipped, notes; then DB warnings."""

    @classmethod
    def from_options(cls, options: RenderOptions) -> TableRenderer:
        return cls(color=options.color, width=options.width)

    def __init__(self, *, color: bool = False, width: int | None = None) -> None:
        self.color = color
        self.width = width or 100

    def render(self, result: ScanResult) -> str:
        out = StringIO()
        console = Console(
            file=out,
            force_terminal=self.color,
            no_color=not self.color,
            width=self.width,
            color_system="standard" if self.color else None,
            highlight=False,
            emoji=False,
            markup=False,
            # Pure: an empty environment, or TERM=dumb would force 80 columns (rich's own tests
            # use this parameter); the caller decides colour and width.
            _environ={},
        )
        several = len(result.projects) > 1
        for project in result.projects:
            self._project(console, project, heading=several)
        for warning in result.advisory_db.warnings:
            console.print(Text(f"Warning: {warning}", style="yellow"))
        if any(project.error is None for project in result.projects):
            console.print(Text(data_line(result.advisory_db), style="dim"))
        if not result.projects:
            console.print("No projects scanned.")
        text = out.getvalue()
        if self.color:
            return text
        # rich pads every line to the full width; piped text should not carry that.
        return "".join(line.rstrip() + "\n" for line in text.splitlines())

    def _table(self, title: str, *columns: str, whole: tuple[str, ...] = ()) -> Table:
        table = Table(
            title=title,
            title_justify="left",
            box=box.SIMPLE_HEAVY if self.color else box.ASCII,
            header_style="bold" if self.color else "",
            title_style="bold" if self.color else "",
        )
        for name in columns:
            # Advisory ids stay whole (people copy them); the rest wraps, folding rather than
            # truncating: a path cut with "…" is worse than a wrap.
            table.add_column(name, overflow="fold", no_wrap=name in whole)
        return table

    def _project(self, console: Console, project: ProjectReport, *, heading: bool) -> None:
        if heading:
            console.print(Text(project.path, style="bold underline"))
        if project.error:
            console.print(Text(f"Error: {project.error}", style="bold red"))
        vulns = sorted_vulnerabilities(project.vulnerabilities)
        if vulns:
            table = self._table(
                "Vulnerabilities",
                *("Package", "Version", "ID", "Severity", "Fixed in", "Source"),
                whole=("ID", "Source"),
            )
            for v in vulns:
                ids = Text(v.id)
                if v.aliases:
                    ids.append("\n" + "\n".join(sorted(v.aliases)), style="dim")
                severity = severity_text(v)
                if v.malicious:
                    severity += " malicious"
                if priority := priority_text(v):
                    severity += "\n" + priority
                table.add_row(
                    v.package,
                    v.version,
                    ids,
                    Text(severity, style=SEVERITY_STYLES[v.severity]),
                    ", ".join(sorted_versions(v.fixed_in)) or "-",
                    _where(v.source, project.path),
                )
            console.print(table)
        elif not project.error:
            deps = plural(len(project.dependencies), "dependency", "dependencies")
            console.print(f"No known vulnerabilities found in {deps}.")
        if project.outdated:
            table = self._table(
                "Outdated",
                *("Package", "Current", "Latest", "Update", "Libyears"),
            )
            for o in sorted_outdated(project.outdated):
                table.add_row(o.package, o.current, o.latest, o.update_type, f"{o.libyears:.1f}")
            console.print(table)
        if project.violations:
            table = self._table(
                "Policy violations",
                *("Package", "Finding", "Due", "Message"),
                whole=("Finding",),
            )
            for rule in sorted_violations(project.violations):
                due = rule.due.isoformat() + (" (overdue)" if rule.overdue else "")
                style = "red" if rule.overdue else ""
                table.add_row(rule.package, rule.finding, Text(due, style=style), rule.message)
            console.print(table)
        for offer in offers(project):
            console.print(
                Text(
                    f"Codemod: {offer.package} {offer.current} -> {offer.target} crosses a "
                    f"breaking change {offer.name} migrates: run `{offer.command}`",
                    style="bold",
                )
            )
        if project.skipped:
            table = self._table("Skipped", "Requirement", "Reason", "Source")
            for s in sorted_skipped(project.skipped):
                table.add_row(s.requirement, s.reason, _where(s.source, project.path))
            console.print(table)
        for note in project.notes:
            console.print(Text(f"Note: {note}", style="dim"))


def _where(source: Source, project: str) -> str:
    """`file:line`, relative to the project heading above the table when it is inside it."""
    prefix = project.rstrip("/") + "/"
    text = str(source)
    return text.removeprefix(prefix) if project not in ("", ".") else text.removeprefix("./")
