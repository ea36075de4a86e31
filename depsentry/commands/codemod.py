"""`depsentry codemod`: list the codemods, and run one over files and directories."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from depsentry.codemods import all_codemods, get_codemod
from depsentry.codemods.files import find_files, write_atomically
from depsentry.codemods.runner import FileResult, Mode, Outcome, Summary, run, validate_options
from depsentry.errors import CodemodError

# A progress bar only pays off on a terminal and a tree of some size.
PROGRESS_MIN_FILES = 50


@click.group(name="codemod")
def codemod() -> None:
    """Rewrite code across breaking upgrades of its dependencies."""


@codemod.command(name="list")
def list_codemods() -> int:
    """Show the available codemods and their options."""
    table = Table("name", "package", "from -> to", "description", "options")
    for cls in all_codemods():
        options = "; ".join(f"{name}={'|'.join(values)}" for name, values in cls.OPTIONS.items())
        table.add_row(cls.NAME, cls.PACKAGE, f"{cls.FROM} -> {cls.TO}", cls.DESCRIPTION, options)
    # Off a terminal, rows stay whole for grep and scripts rather than wrapping at 80 columns.
    console = Console()
    if not console.is_terminal:
        console.width = 1000
    console.print(table)
    return 0


@codemod.command(name="run")
@click.argument("name")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--diff", "mode", flag_value=Mode.DIFF, default=True, help="Print a unified diff (default)."
)
@click.option("--check", "mode", flag_value=Mode.CHECK, help="Exit 1 if any file would change.")
@click.option("--write", "mode", flag_value=Mode.WRITE, help="Rewrite the files in place.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Worker processes [default: CPU count].",
)
@click.option(
    "--include",
    multiple=True,
    metavar="GLOB",
    help="Only files matching (repeatable; default *.py).",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Skip files and directories matching (repeatable).",
)
@click.option(
    "-o", "--option", "raw_options", multiple=True, metavar="KEY=VALUE", help="A codemod option."
)
@click.option("--mode", "mode_option", metavar="VALUE", help="Shorthand for --option mode=VALUE.")
def run_codemod(
    name: str,
    paths: tuple[Path, ...],
    mode: Mode,
    jobs: int | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    raw_options: tuple[str, ...],
    mode_option: str | None,
) -> int:
    """Run codemod NAME over PATHS (files, or directories walked respecting .gitignore).

    Exit code: 0 done (with --diff, even if files would change), 1 --check found files that would
    change, 2 a file could not be read, parsed or rewritten (2 wins over 1).
    """
    cls = get_codemod(name)
    options = _parse_options(raw_options)
    if mode_option is not None:
        options["mode"] = mode_option
    options = validate_options(cls, options)
    files = find_files(paths, include, exclude)
    summary = Summary()
    with _progress(len(files)) as advance:
        for result in run(cls, files, options, jobs=jobs):
            result = _apply(result, mode)
            summary.add(result)
            advance()
    click.echo(summary.line(mode), err=True)
    return summary.exit_code(mode)


def _parse_options(raw: tuple[str, ...]) -> dict[str, str]:
    options = {}
    for item in raw:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CodemodError(f"--option expects KEY=VALUE, got {item!r}")
        options[key.strip()] = value.strip()
    return options


def _apply(result: FileResult, mode: Mode) -> FileResult:
    for warning in result.warnings:
        click.echo(f"{result.path}: warning: {warning}", err=True)
    if result.outcome is Outcome.CHANGED:
        if mode is Mode.DIFF:
            click.echo(result.diff(), nl=False)
        elif mode is Mode.CHECK:
            click.echo(f"Would rewrite {result.path}", err=True)
        else:
            try:
                write_atomically(result.path, result.output)
            except OSError as exc:
                error = f"{result.path}: cannot write: {exc.strerror or exc}"
                result = FileResult(result.path, Outcome.FAILED, error=error)
            else:
                click.echo(f"Rewriting {result.path}", err=True)
    if result.outcome is Outcome.FAILED:
        click.echo(result.error, err=True)
    return result


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    if total <= PROGRESS_MIN_FILES or not sys.stderr.isatty():
        yield _no_progress
        return
    columns = (TextColumn("codemod"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("codemod", total=total)
        yield lambda: progress.advance(task)


def _no_progress() -> None:
    pass
