"""`depsentry scan`: the one-shot scan, and the options `policy check` shares with it."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

import click

from depsentry.advisories.registry import SOURCES
from depsentry.errors import ConfigError
from depsentry.models import ProjectReport, ScanResult
from depsentry.report.registry import FORMATS
from depsentry.scan import Progress, ScanOptions, run_scan

if TYPE_CHECKING:
    from depsentry.policy.gate import Gate
    from depsentry.policy.model import VulnerabilityRules

F = TypeVar("F", bound=Callable[..., Any])

FAIL_ON = (
    "critical",
    "high",
    "medium",
    "low",
    "any",
    "none",
)  # the plain levels; see policy/gate.py
UNRATED_AS = ("critical", "high", "medium", "low", "ignore")


@overload
def scan_options(func: F, *, report: bool = True) -> F: ...
@overload
def scan_options(func: None = None, *, report: bool = True) -> Callable[[F], F]: ...


def scan_options(func: F | None = None, *, report: bool = True) -> F | Callable[[F], F]:
    """The options every command that runs a scan takes (scan, policy check; fix with
    `report=False`: it writes no report, so it offers no -f/-o)."""
    if func is None:
        return lambda f: scan_options(f, report=report)
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
            "--exclude",
            "exclude",
            multiple=True,
            metavar="GLOB",
            help="Leave out files and folders matching this gitignore-style pattern, relative "
            "to PATH (repeatable; adds to [tool.depsentry] exclude).",
        ),
        click.option(
            "--one-project",
            is_flag=True,
            help="Read each PATH as one project, subdirectories included, instead of one "
            "project per directory holding a manifest or lockfile.",
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
    if not report:
        decorators = decorators[:-2]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _check_python(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A version ("3.11") or a range (">=3.9,<4"), as the index stages read it."""
    if value is None:  # before the imports: most scans name no Python
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        if len(Version(value).release) < 2:  # "3" would match every 3.x: say which one
            raise click.BadParameter(
                f"{value!r} names no minor version; give X.Y (3.12) or a range (>=3.9,<4)"
            )
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
    exclude: tuple[str, ...] = (),
    one_project: bool = False,
    **extra: Any,
) -> ScanOptions:
    """Turn parsed options into `ScanOptions` (one place, shared by every scanning command)."""
    # The codemods' upgrade table is light (packaging, no libcst): findings offer codemods.
    from depsentry.codemods.upgrades import codemods_for

    extra.setdefault("codemod_hints", codemods_for)
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
        exclude=exclude,
        one_project=one_project,
        **extra,
    )


def collect_less(offline: bool) -> None:
    """A scan's objects live until its report is written: the collector only walks them again
    and again (a tenth of a big scan's time at the default thresholds), so it runs less often
    (mypy's thresholds). In the console script an offline scan pauses it outright: nothing
    after the scan needs it, and offline a scan makes no reference cycles worth collecting
    (peak memory is the same); online each httpx response is a cycle holding its body. Nor are
    a scan's objects freed one by one at exit."""
    from depsentry.commands import exit_without_teardown, process_ends_with_command

    if offline and process_ends_with_command():
        gc.disable()
    else:
        gc.set_threshold(200_000, 30, 30)
    exit_without_teardown()


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


def emit(
    result: ScanResult, fmt: str | None, output: Path | None, *, violations_only: bool = False
) -> None:
    """Render `result` to `output` (atomically) or stdout; warnings and the summary line go to
    stderr, in every format. `violations_only` (policy check): the table format shows just the
    violations table; the machine formats stay whole.

    Each unreadable project gets one `depsentry: error:` line on stderr. When no project could
    be read there is nothing to report, so those lines are all that is printed (like any other
    exit-2 error).
    """
    from depsentry.report import get_renderer, summarize

    errors = [project.error for project in result.projects if project.error]
    if not say_errors(errors, len(result.projects)):
        return
    fmt = fmt or "table"
    to_terminal = output is None and sys.stdout.isatty()
    renderer = get_renderer(
        fmt,
        color=to_terminal and fmt == "table",
        width=terminal_width(to_terminal),
        root=str(repository_root(Path.cwd())),
        base=str(Path.cwd()),
    )
    chunks: Iterable[str]
    if violations_only and fmt == "table":
        from depsentry.report.table import TableRenderer

        assert isinstance(renderer, TableRenderer)
        chunks = [renderer.render_violations(result)]
    else:
        chunks = renderer.chunks(result)  # a big report is written as it is made
    if output is not None:
        from depsentry.commands.output import atomic_output

        with atomic_output(output) as handle:
            handle.writelines(chunks)
    else:
        text = ""
        for text in chunks:
            click.echo(text, nl=False)
        if not text.endswith("\n"):
            click.echo()
    say_closing(result, summarize(result))


def say_errors(errors: list[str], projects: int) -> bool:
    """One line per unreadable project; False when none could be read (nothing to report)."""
    from depsentry.report.escaping import printable

    for error in errors:
        click.echo(f"depsentry: error: {printable(error)}", err=True)
    return not projects or len(errors) < projects


def say_closing(result: ScanResult, summary: str) -> None:
    """The advisory data's warnings, then the summary line."""
    from depsentry.report.escaping import printable

    for warning in result.advisory_db.warnings:
        click.echo(f"depsentry: warning: {printable(warning)}", err=True)
    click.echo(printable(summary), err=True)


def repository_root(start: Path) -> Path:
    """The nearest directory at or above `start` holding `.git` (SARIF paths are relative to
    it, as GitHub resolves them against the checkout); `start` when there is none."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def terminal_width(to_terminal: bool) -> int | None:
    """`COLUMNS`, else the terminal's width; None (the renderer's default) when piped."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), 40)  # what shutil would answer, without importing it
    if columns.isdigit() or to_terminal:
        import shutil

        return max(shutil.get_terminal_size().columns, 40)
    return None


def _check_gate(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    from depsentry.policy.gate import GateError, parse_gate

    if value:
        try:
            parse_gate(value)
        except GateError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def _gate_for(
    project: ProjectReport,
    fail_on: tuple[str, ...],
    unrated_as: str | None,
    policy: str | None,
    cache: dict[str, VulnerabilityRules],
) -> Gate:
    """The project's gate: the command line, else its policy's `[vulnerabilities]` keys
    (`--policy`, else the project's own), else `any`."""
    from depsentry.policy.gate import DEFAULT_UNRATED, parse_gate

    ref = policy if policy is not None else project.policy
    rules = None
    if ref is not None and (not fail_on or unrated_as is None):
        if ref not in cache:
            from depsentry.policy import load_policy

            cache[ref] = load_policy(ref).vulnerabilities
        rules = cache[ref]
    expression = fail_on or (rules.fail_on if rules is not None else ()) or ("any",)
    unrated = unrated_as or (rules.unrated_as if rules is not None else DEFAULT_UNRATED)
    return parse_gate(expression, unrated)


def exit_code(
    result: ScanResult,
    fail_on: str | tuple[str, ...] = (),
    *,
    unrated_as: str | None = None,
    policy: str | None = None,
) -> int:
    """0 nothing fails the gate, 1 findings that fail it, 2 a project was unreadable (or the
    gate asks for EPSS/KEV data that was never imported: a gate that cannot look must not pass)."""
    if any(project.error for project in result.projects):
        return 2
    texts = (fail_on,) if isinstance(fail_on, str) else tuple(fail_on)
    cache: dict[str, VulnerabilityRules] = {}
    failing = False
    for project in result.projects:
        gate = _gate_for(project, texts, unrated_as, policy, cache)
        if gate.needs_epss and result.advisory_db.epss is None:
            raise ConfigError(
                f"the gate {str(gate)!r} uses EPSS, but no EPSS data is imported; run "
                "`depsentry db import-epss --download` (or import-epss FILE)"
            )
        if gate.needs_kev and result.advisory_db.kev is None:
            raise ConfigError(
                f"the gate {str(gate)!r} uses KEV, but no KEV catalogue is imported; run "
                "`depsentry db import-kev --download` (or import-kev FILE)"
            )
        failing = failing or any(gate.fails(v) for v in project.vulnerabilities)
    return 1 if failing else 0


@click.command(name="scan")
@scan_options
@click.option(
    "--fail-on",
    multiple=True,
    metavar="GATE",
    callback=_check_gate,
    help="Exit 1 when a vulnerability meets GATE: critical, high, medium, low, any (the "
    "default) or none; kev; epss>=N or percentile>=N; joined by 'and', alternatives by ',' "
    "(repeatable). Unrated vulnerabilities meet every level (see --unrated-as). "
    "[default: the policy's fail_on, else any]",
)
@click.option(
    "--unrated-as",
    type=click.Choice(UNRATED_AS),
    default=None,
    help="What a vulnerability without a rating counts as for --fail-on levels; 'ignore' "
    "never fails a level on it. [default: the policy's unrated_as, else critical]",
)
@click.option("--policy", metavar="FILE|NAME", help="Evaluate this update policy (violations).")
@click.option(
    "--since",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="An earlier JSON report: findings already in it count as first seen then.",
)
def scan(
    fail_on: tuple[str, ...],
    unrated_as: str | None,
    policy: str | None,
    since: Path | None,
    **kwargs: Any,
) -> int:
    """Scan projects for known vulnerabilities (and outdated releases with --outdated).

    PATH is a directory (its requirements files, pyproject.toml and lockfiles are found
    automatically; each directory holding a manifest or lockfile is its own project, unless
    --one-project) or a single file. Exit codes: 0 clean, 1 findings that fail --fail-on,
    2 bad usage or unreadable input, 3 a bug in depsentry (the traceback is saved to a file).
    """
    fmt = kwargs.pop("fmt")
    output = kwargs.pop("output")
    options = build_options(
        policy=policy, evaluate_policy=policy is not None, since=since, **kwargs
    )
    collect_less(options.offline)

    def code_of(result: ScanResult) -> int:
        return exit_code(result, fail_on, unrated_as=unrated_as, policy=policy)

    if output is not None and can_split(options, fmt):
        return _scan_in_halves(options, output, code_of, warn_since=policy is None)
    with terminal_progress() as progress:
        result = run_scan(options, progress)
    if since is not None and policy is None and not any(p.policy for p in result.projects):
        _since_unused()
    emit(result, fmt, output)
    return code_of(result)


# Paths: below this a second process's own start-up (the fork, its database connection)
# outweighs the half it takes (bench/scan.py: 500 paths take a quarter less wall time).
SPLIT_AT = 64


def can_split(options: ScanOptions, fmt: str | None) -> bool:
    """Whether a scan to a file runs on two processes (`commands/halves.py`): only where a fork
    shares nothing it should not and the result is the serial one byte for byte. In the console
    script (a program that calls `cli.main` itself may hold threads), offline (no HTTP client,
    and no index asked twice), on Linux, JSON (whose projects' text joins up), and not on a
    terminal, whose progress bar would show one process's work."""
    from depsentry.commands import process_ends_with_command
    from depsentry.cpus import usable_cpus

    return (
        fmt == "json"
        and len(options.paths) >= SPLIT_AT
        and options.offline
        and process_ends_with_command()
        and sys.platform == "linux"
        and usable_cpus() >= 2
        and not sys.stderr.isatty()
    )


def _since_unused() -> None:
    click.echo(
        "depsentry: warning: --since has no effect without a policy (--policy, or a "
        "project's [tool.depsentry] policy): first-seen dates only feed due dates",
        err=True,
    )


def _scan_in_halves(
    options: ScanOptions, output: Path, code_of: Callable[[ScanResult], int], *, warn_since: bool
) -> int:
    """`scan` on two cores (`commands/halves.py`): the serial scan's report, lines and code."""
    from depsentry.commands.halves import Halves
    from depsentry.commands.output import Discard, append_file, atomic_output
    from depsentry.report.json import JsonRenderer, closing, joint
    from depsentry.report.summary import Tally

    with terminal_progress() as progress:
        halves = Halves(options, output, progress, code_of)
    result, reported = halves.result, True
    try:
        with atomic_output(output) as handle:
            # Both halves' text is written before a line is said: the child's comes last.
            renderer = JsonRenderer()
            handle.writelines(renderer.opening(result))
            halves.wait()
            theirs = halves.theirs
            assert theirs is not None  # known once the child is done
            listed = bool(result.projects)
            if theirs.tally.projects:
                handle.write(joint(listed))
                if halves.rest_result is not None:  # the child failed
                    handle.writelines(renderer.projects_text(halves.rest_result))
                else:
                    append_file(handle, halves.part)
            handle.write(closing(listed or theirs.tally.projects > 0))
            policies = theirs.any_policy or any(p.policy for p in result.projects)
            if warn_since and options.since is not None and not policies:
                _since_unused()
            errors = [*(p.error for p in result.projects if p.error), *theirs.errors]
            if not say_errors(errors, len(result.projects) + theirs.tally.projects):
                reported = False
                raise Discard
    finally:
        halves.close()
    if reported:
        say_closing(result, (Tally.of(result.projects) + theirs.tally).text())
    rest = halves.rest_result
    return max(code_of(result), code_of(rest) if rest is not None else theirs.code)
