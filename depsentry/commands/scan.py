"""`depsentry scan`: the one-shot scan, and the options `policy check` shares with it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from depsentry.advisories.registry import SOURCES
from depsentry.errors import DepsentryError
from depsentry.models import ScanResult, Severity
from depsentry.report.registry import FORMATS
from depsentry.scan import Progress, ScanOptions, run_scan

F = TypeVar("F", bound=Callable[..., Any])

FAIL_ON = ("critical", "high", "medium", "low", "any", "none")


def scan_options(func: F) -> F:
    """The options every command that runs a scan takes (scan, policy check)."""
    decorators = [
        click.argument(
            "paths", nargs=-1, type=click.Path(path_type=Path, exists=False), required=False
        ),
        click.option(
            "--environment",
            type=click.Path(path_type=Path, exists=True, file_okay=False),
            help="Also audit an installed environment (a venv or a site-packages directory).",
        ),
        click.option(
            "--osv-db",
            type=click.Path(path_type=Path),
            help="Use this OSV database (directory of OSV JSON/YAML files, or a zip) directly.",
        ),
        click.option("--offline", is_flag=True, help="Forbid every network access."),
        click.option(
            "--no-embedded",
            is_flag=True,
            help="Stop with an error instead of falling back to the advisory snapshot shipped "
            "in the package when no database is synced and OSV cannot be reached.",
        ),
        click.option(
            "--source",
            "sources",
            multiple=True,
            type=click.Choice(SOURCES.names()),
            help="Advisory source (repeatable; findings are merged by alias). Default: osv.",
        ),
        click.option(
            "--osv-api-url",
            metavar="URL",
            help="OSV API for --source osv-api (default https://api.osv.dev, or a `depsentry db serve`).",
        ),
        click.option(
            "--pip-audit-osv-url",
            metavar="URL",
            help="OSV API that pip-audit queries for --source pip-audit (e.g. a `depsentry db serve`).",
        ),
        click.option(
            "--pip-audit-resolve",
            is_flag=True,
            help="Let pip-audit resolve each requirements file of a project without a lockfile "
            "through pip, adding vulnerabilities of transitive dependencies (needs the index).",
        ),
        click.option(
            "--safety-db",
            type=click.Path(path_type=Path),
            help="Safety database (insecure_full.json, or a mirror directory) for --source safety.",
        ),
        click.option(
            "--outdated", is_flag=True, help="Also report outdated releases (asks the index)."
        ),
        click.option(
            "--no-resolve",
            is_flag=True,
            help="Do not resolve unpinned ranges through the index; report them as skipped.",
        ),
        click.option(
            "--python",
            "python_version",
            metavar="X.Y",
            callback=_check_python,
            help="Only releases supporting this Python.",
        ),
        click.option("--index-url", metavar="URL", help="Package index (PEP 503/691 or PyPI)."),
        click.option("--extra-index-url", multiple=True, metavar="URL", help="Extra index."),
        click.option(
            "-f",
            "--format",
            "fmt",
            type=click.Choice(FORMATS.names()),
            default=None,
            help="Output format: table (coloured on a terminal, plain when piped), json, sarif, markdown. [default: table]",
        ),
        click.option(
            "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write here."
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _check_python(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A version ("3.11") or a range (">=3.9,<4"), as the index stages read it."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    if value is None:
        return None
    try:
        Version(value)
    except InvalidVersion:
        try:
            SpecifierSet(value)
        except InvalidSpecifier:
            raise click.BadParameter(
                f"{value!r} is neither a Python version (3.11) nor a range (>=3.9,<4)"
            ) from None
    return value


def build_options(
    paths: tuple[Path, ...],
    *,
    environment: Path | None,
    osv_db: Path | None,
    offline: bool,
    no_embedded: bool,
    sources: tuple[str, ...],
    safety_db: Path | None,
    osv_api_url: str | None,
    pip_audit_osv_url: str | None,
    pip_audit_resolve: bool,
    outdated: bool,
    no_resolve: bool,
    python_version: str | None,
    index_url: str | None,
    extra_index_url: tuple[str, ...],
    **extra: Any,
) -> ScanOptions:
    """Turn parsed options into `ScanOptions` (one place, shared by every scanning command)."""
    return ScanOptions(
        paths=list(paths) or [Path(".")],
        environment=environment,
        osv_db=osv_db,
        offline=offline,
        allow_embedded=not no_embedded,
        sources=tuple(dict.fromkeys(sources)) or ("osv",),
        safety_db=safety_db,
        osv_api_url=osv_api_url,
        pip_audit_osv_url=pip_audit_osv_url,
        pip_audit_resolve=pip_audit_resolve,
        outdated=outdated,
        resolve_unpinned=not no_resolve,
        python=python_version,
        index_url=index_url,
        extra_index_urls=extra_index_url,
        **extra,
    )


@contextmanager
def terminal_progress() -> Iterator[Progress]:
    """A rich progress bar on stderr when it is a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        yield lambda stage, done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description:>9}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield update


def emit(result: ScanResult, fmt: str | None, output: Path | None) -> None:
    """Render `result` to `output` or stdout; the summary line goes to stderr.

    Each unreadable project gets one `depsentry: error:` line on stderr. When no project could
    be read there is nothing to report, so those lines are all that is printed (like any other
    exit-2 error).
    """
    from depsentry.report import get_renderer, summarize

    for project in result.projects:
        if project.error:
            click.echo(f"depsentry: error: {project.error}", err=True)
    if result.projects and all(project.error for project in result.projects):
        return
    fmt = fmt or "table"
    to_terminal = output is None and sys.stdout.isatty()
    renderer = get_renderer(fmt, color=to_terminal and fmt == "table", root=str(Path.cwd()))
    text = renderer.render(result)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise DepsentryError(
                f"cannot write the report ({exc.strerror or exc})", output
            ) from exc
    else:
        click.echo(text, nl=not text.endswith("\n"))
    if not (fmt == "table" and output is None):  # the table on stdout already shows them
        for warning in result.advisory_db.warnings:
            click.echo(f"depsentry: warning: {warning}", err=True)
    click.echo(summarize(result), err=True)


def exit_code(result: ScanResult, fail_on: str) -> int:
    """0 nothing at or above the threshold, 1 findings that fail it, 2 a project was unreadable."""
    if any(project.error for project in result.projects):
        return 2
    if fail_on == "none":
        return 0
    threshold = None if fail_on == "any" else Severity(fail_on)
    for project in result.projects:
        for vuln in project.vulnerabilities:
            if threshold is None or vuln.severity.rank >= threshold.rank:
                return 1
    return 0


@click.command(name="scan")
@scan_options
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="any",
    show_default=True,
    help="Exit 1 when a vulnerability at or above this severity is found "
    "('unknown' counts between low and medium).",
)
@click.option("--policy", metavar="FILE|NAME", help="Evaluate this update policy (violations).")
@click.option(
    "--since",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="An earlier JSON report: findings already in it count as first seen then.",
)
def scan(fail_on: str, policy: str | None, since: Path | None, **kwargs: Any) -> int:
    """Scan projects for known vulnerabilities (and outdated releases with --outdated).

    PATH is a project directory (its requirements files, pyproject.toml and lockfiles are found
    automatically) or a single file. Exit codes: 0 clean, 1 findings at or above --fail-on,
    2 bad usage or unreadable input.
    """
    fmt = kwargs.pop("fmt")
    output = kwargs.pop("output")
    options = build_options(
        policy=policy, evaluate_policy=policy is not None, since=since, **kwargs
    )
    with terminal_progress() as progress:
        result = run_scan(options, progress)
    emit(result, fmt, output)
    return exit_code(result, fail_on)
