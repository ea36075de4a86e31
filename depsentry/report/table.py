"""Human-readable tables (rich): coloured with box drawing on a terminal, plain ASCII when piped.

Layout: the identifying columns (package, version, id, severity, due) never shrink below their
content; long source paths are elided from the left ("…/deep/requirements.txt:3", the file name
is what people look for); free text (aliases, fixes, summaries) wraps into what is left. When even
the identifying columns do not fit, the table is wider than asked rather than cutting an id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import StringIO

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from depsentry.models import ProjectReport, ScanResult, Severity, Source, Vulnerability
from depsentry.report.codemods import offers
from depsentry.report.escaping import printable
from depsentry.report.interface import Renderer, RenderOptions
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
    summary_of,
)

__all__ = ["TableRenderer"]

SEVERITY_STYLES = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "green",
    Severity.UNKNOWN: "dim",
}

DEFAULT_WIDTH = 100  # piped output without COLUMNS: no terminal to measure
MIN_PATH = 32  # paths this short stay whole; longer ones are elided to no less
TEXT_WANT = 40  # the room a wrapping column gets before a path may take more
MIN_DETAILS = 20  # narrower than this, advisory details go below the table

ID, TEXT, PATH = "id", "text", "path"


@dataclass(frozen=True)
class _Column:
    header: str
    kind: str  # ID: never shrinks; TEXT: wraps; PATH: elided from the left


class TableRenderer(Renderer):
    """Per project: vulnerabilities, outdated, violations, skipped, notes; then the data line.

    Advisory database warnings are not part of the table: the CLI prints them on stderr.
    """

    @classmethod
    def from_options(cls, options: RenderOptions) -> TableRenderer:
        return cls(color=options.color, width=options.width)

    def __init__(self, *, color: bool = False, width: int | None = None) -> None:
        self.color = color
        self.width = width or DEFAULT_WIDTH

    def render(self, result: ScanResult) -> str:
        out, console = self._console()
        several = len(result.projects) > 1
        for project in result.projects:
            self._project(console, project, heading=several)
        if any(project.error is None for project in result.projects):
            console.print(Text(printable(data_line(result.advisory_db)), style="dim"))
        if not result.projects:
            console.print("No projects scanned.")
        return self._text(out)

    def render_violations(self, result: ScanResult) -> str:
        """What `policy check` promises: one short table of violations (rule, package, due,
        overdue by, judged at the scan's `generated_at`), not the whole scan again."""
        out, console = self._console()
        today = result.generated_at.date()
        columns = [
            _Column("Rule", ID),
            _Column("Package", ID),
            _Column("Finding", ID),
            _Column("Due", ID),
            _Column("Overdue by", ID),
        ]
        several = len(result.projects) > 1
        if several:
            columns.insert(0, _Column("Project", PATH))
        rows: list[list[str | Text]] = []
        for project in result.projects:
            for rule in sorted_violations(project.violations):
                late = (today - rule.due).days
                overdue = plural(late, "day") if rule.overdue else "-"
                row: list[str | Text] = [
                    rule.rule,
                    rule.package,
                    rule.finding,
                    rule.due.isoformat(),
                    Text(overdue, style="red" if rule.overdue else ""),
                ]
                rows.append([project.path, *row] if several else row)
        if rows:
            self._print(console, "Policy violations", columns, rows)
        elif any(project.error is None for project in result.projects):
            console.print("No policy violations.")
        return self._text(out)

    def _console(self) -> tuple[StringIO, Console]:
        return text_console(color=self.color, width=self.width)

    def _text(self, out: StringIO) -> str:
        return console_text(out, color=self.color)

    def _print(
        self,
        console: Console,
        title: str,
        columns: Sequence[_Column],
        rows: Sequence[Sequence[str | Text]],
    ) -> None:
        cells = [[c if isinstance(c, Text) else Text(printable(c)) for c in row] for row in rows]
        width, budgets, _ = self._layout(columns, cells)
        for i, column in enumerate(columns):
            if column.kind == PATH:
                for row in cells:
                    row[i] = Text(_elide(row[i].plain, budgets[i]), style=row[i].style)
                # Cutting at a "/" may leave the column narrower than its budget.
                budgets[i] = max([cell_len(column.header), *(cell_len(r[i].plain) for r in cells)])
        table = Table(
            title=title,
            title_justify="left",
            box=box.SIMPLE_HEAVY if self.color else box.ASCII,
            header_style="bold" if self.color else "",
            title_style="bold" if self.color else "",
        )
        for i, column in enumerate(columns):
            if column.kind == TEXT:
                table.add_column(column.header, overflow="fold")
            else:
                table.add_column(column.header, no_wrap=True, min_width=budgets[i])
        for row in cells:
            table.add_row(*row)
        if width > console.width:
            console.width = (
                width  # rich crops at the console's width: columns that never shrink win
            )
        console.print(table, width=width)

    def _layout(
        self, columns: Sequence[_Column], cells: Sequence[Sequence[Text]]
    ) -> tuple[int, list[int], list[int]]:
        """The table's width, each non-wrapping column's width (paths: their budget), and each
        column's natural width."""
        natural = [
            max(
                [cell_len(column.header)]
                + [cell_len(line) for row in cells for line in row[i].plain.splitlines()]
            )
            for i, column in enumerate(columns)
        ]
        overhead = 3 * len(columns) + 1  # padding and rules: "| a | b |"
        kinds = [c.kind for c in columns]
        fixed = sum(n for n, kind in zip(natural, kinds, strict=True) if kind == ID)
        paths = [i for i, kind in enumerate(kinds) if kind == PATH]
        texts = [i for i, kind in enumerate(kinds) if kind == TEXT]
        spare = self.width - overhead - fixed
        budgets = list(natural)
        if paths:
            # Paths take what the text columns leave once each has room for a phrase
            # (TEXT_WANT), but never less than MIN_PATH.
            wanted = spare - sum(min(natural[i], TEXT_WANT) for i in texts)
            share = max(wanted // len(paths), MIN_PATH)
            for i in paths:
                budgets[i] = min(natural[i], share)
        needed = overhead + fixed + sum(budgets[i] for i in paths) + len(texts)
        return max(self.width, needed), budgets, natural

    def _project(self, console: Console, project: ProjectReport, *, heading: bool) -> None:
        if heading:
            console.print(Text(printable(project.path), style="bold underline"))
        if project.error:
            console.print(Text(printable(f"Error: {project.error}"), style="bold red"))
        vulns = sorted_vulnerabilities(project.vulnerabilities)
        if vulns:
            self._vulnerabilities(console, project, vulns)
        elif not project.error:
            deps = plural(len(project.dependencies), "dependency", "dependencies")
            console.print(f"No known vulnerabilities found in {deps}.")
        if project.outdated:
            columns = [
                _Column("Package", ID),
                _Column("Current", ID),
                _Column("Latest", ID),
                _Column("Update", ID),
                _Column("Libyears", ID),
                _Column("Source", PATH),
            ]
            rows = [
                [
                    o.package,
                    o.current,
                    o.latest,
                    o.update_type,
                    f"{o.libyears:.1f}",
                    _where(o.source, project.path),
                ]
                for o in sorted_outdated(project.outdated)
            ]
            self._print(console, "Outdated", columns, rows)
        if project.violations:
            columns = [
                _Column("Package", ID),
                _Column("Finding", ID),
                _Column("Due", ID),
                _Column("Message", TEXT),
            ]
            due_rows: list[list[str | Text]] = []
            for rule in sorted_violations(project.violations):
                due = rule.due.isoformat() + (" (overdue)" if rule.overdue else "")
                style = "red" if rule.overdue else ""
                due_rows.append([rule.package, rule.finding, Text(due, style=style), rule.message])
            self._print(console, "Policy violations", columns, due_rows)
        for offer in offers(project):
            console.print(
                Text(
                    f"Codemod: {offer.package} {offer.current} -> {offer.target} crosses a "
                    f"breaking change {offer.name} migrates: run `{offer.command}`",
                    style="bold",
                )
            )
        if project.skipped:
            columns = [
                _Column("Requirement", TEXT),
                _Column("Reason", TEXT),
                _Column("Source", PATH),
            ]
            rows = [
                [s.requirement, s.reason, _where(s.source, project.path)]
                for s in sorted_skipped(project.skipped)
            ]
            self._print(console, "Skipped", columns, rows)
        for note in project.notes:
            console.print(Text(printable(f"Note: {note}"), style="dim"))

    def _vulnerabilities(
        self, console: Console, project: ProjectReport, vulns: Sequence[Vulnerability]
    ) -> None:
        """One row per advisory; when the details cannot share the row without being folded to
        a few letters (80 columns), they follow the table, one paragraph per advisory."""
        rows: list[list[str | Text]] = []
        for v in vulns:
            severity = severity_text(v)
            if v.malicious:
                severity += " malicious"
            if priority := priority_text(v):
                severity += "\n" + priority
            detail = Text(printable(", ".join(sorted(v.aliases))), style="dim")
            if summary := summary_of(v):
                detail.append(("\n" if v.aliases else "") + printable(summary), style="")
            if not detail.plain:
                detail = Text("-")
            rows.append(
                [
                    v.package,
                    v.version,
                    v.id,
                    Text(printable(severity), style=SEVERITY_STYLES[v.severity]),
                    ", ".join(sorted_versions(v.fixed_in)) or "-",
                    _where(v.source, project.path),
                    detail,
                ]
            )
        columns = [
            _Column("Package", ID),
            _Column("Version", ID),
            _Column("ID", ID),
            _Column("Severity", ID),
            _Column("Fixed in", TEXT),
            _Column("Source", PATH),
            # Aliases and the summary share one wrapping column: two would each be narrow.
            _Column("Aliases, summary" if any(map(summary_of, vulns)) else "Aliases", TEXT),
        ]
        cells = [[c if isinstance(c, Text) else Text(printable(c)) for c in row] for row in rows]
        _, budgets, natural = self._layout(columns, cells)
        used = sum(b for b, c in zip(budgets, columns, strict=True) if c.kind != TEXT)
        need = sum(
            min(n, MIN_DETAILS) for n, c in zip(natural, columns, strict=True) if c.kind == TEXT
        )
        if self.width - used - 3 * len(columns) - 1 >= need:
            self._print(console, "Vulnerabilities", columns, rows)
            return
        self._print(console, "Vulnerabilities", columns[:5], [row[:5] for row in rows])
        for v in vulns:
            where = _elide(
                printable(_where(v.source, project.path)), max(self.width // 2, MIN_PATH)
            )
            line = Text(f"{printable(v.id)} ({where})", style="bold")
            if v.aliases:
                line.append(printable(", also " + ", ".join(sorted(v.aliases))), style="dim")
            if summary := summary_of(v):
                line.append(printable(": " + summary))
            console.print(line)


def _elide(text: str, budget: int) -> str:
    """`text` cut from the left to `budget` cells, at a `/` when one is near: "…/b/c.txt:3"."""
    if cell_len(text) <= budget:
        return text
    tail = text[len(text) - (budget - 1) :]
    cut = tail.find("/")
    if 0 <= cut < len(tail) // 2:
        tail = tail[cut:]
    return "…" + tail


def _where(source: Source, project: str) -> str:
    """`file:line`, relative to the project heading above the table when it is inside it."""
    prefix = project.rstrip("/") + "/"
    text = str(source)
    return text.removeprefix(prefix) if project not in ("", ".") else text.removeprefix("./")


def text_console(*, color: bool, width: int) -> tuple[StringIO, Console]:
    """A console that renders into a string (every table-like renderer's)."""
    out = StringIO()
    console = Console(
        file=out,
        force_terminal=color,
        no_color=not color,
        width=width,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        markup=False,
        # Pure: an empty environment, or TERM=dumb would force 80 columns (rich's own tests
        # use this parameter); the caller decides colour and width.
        _environ={},
    )
    return out, console


def console_text(out: StringIO, *, color: bool) -> str:
    """What `text_console` rendered; rich pads every line to the full width, piped text should
    not carry that."""
    text = out.getvalue()
    if color:
        return text
    return "".join(line.rstrip() + "\n" for line in text.splitlines())
