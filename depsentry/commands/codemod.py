"""`depsentry codemod`: list the codemods, and run one over files and directories.

Only what a command uses is imported: `codemod list` and a run whose files the pre-filter rules
out never import libcst, and rich's progress bar loads when it is shown.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from depsentry.codemods.files import DEFAULT_MAX_BYTES, SourceFile, display, find_files, write_back
from depsentry.codemods.registry import all_infos, describe
from depsentry.codemods.runner import (
    DEFAULT_TIMEOUT,
    FileResult,
    Mode,
    Outcome,
    Summary,
    run,
    validate_options,
)
from depsentry.errors import CodemodError

# A progress bar only pays off on a terminal and a tree of some size.
PROGRESS_MIN_FILES = 50
_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9}
_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30}


def _size(ctx: click.Context, param: click.Parameter, value: str) -> int:
    """A size such as `50MB`, `512KiB` or `1000000` (bytes)."""
    match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", value)
    factor = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or factor is None or int(match.group(1)) == 0:
        raise click.BadParameter(f"{value!r} is not a size such as 50MB, 512KiB or 1000000")
    return int(match.group(1)) * factor


@click.group(name="codemod")
def codemod() -> None:
    """Rewrite code across breaking upgrades of its dependencies."""


@codemod.command(name="list")
def list_codemods() -> int:
    """Show the available codemods and their options."""
    rows = [("name", "package", "from -> to", "description", "options")]
    for info in all_infos():
        options = "; ".join(f"{name}={'|'.join(values)}" for name, values in info.OPTIONS.items())
        rows.append(
            (info.NAME, info.PACKAGE, f"{info.FROM} -> {info.TO}", info.DESCRIPTION, options)
        )
    # Plain aligned columns: whole rows for grep and scripts, and no rich import at start-up.
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
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
@click.option(
    "--max-file-size",
    type=str,
    callback=_size,
    default=f"{DEFAULT_MAX_BYTES // 10**6}MB",
    metavar="SIZE",
    help="Skip larger files [default: 50MB].",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    metavar="SECONDS",
    help="Give up on a file after this long [default: 300].",
)
@click.option(
    "--add-dependencies",
    is_flag=True,
    help="With --write: add the pip packages the rewritten code needs to the project's "
    "pyproject.toml or requirements.txt (the nearest one above the first PATH).",
)
def run_codemod(
    name: str,
    paths: tuple[Path, ...],
    mode: Mode,
    jobs: int | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    raw_options: tuple[str, ...],
    mode_option: str | None,
    max_file_size: int,
    timeout: float,
    add_dependencies: bool,
) -> int:
    """Run codemod NAME over PATHS (files, or directories walked respecting .gitignore).

    Exit code: 0 done (with --diff, even if files would change), 1 --check found files that would
    change, 2 a file could not be read, parsed or rewritten (2 wins over 1). Paths that are not
    read (not regular files, over --max-file-size, symlinks leaving the tree, directories that
    cannot be listed) are reported as skipped.
    """
    if add_dependencies and mode is not Mode.WRITE:
        raise click.UsageError("--add-dependencies needs --write")
    info = describe(name)
    options = _parse_options(raw_options)
    if mode_option is not None:
        options["mode"] = mode_option
    options = validate_options(info, options)
    files = find_files(paths, include, exclude)
    by_path = {file.path: file for file in files}
    summary = Summary()
    results = run(info, files, options, jobs=jobs, max_bytes=max_file_size, timeout=timeout)
    with _progress(len(files)) as advance:
        for result in results:
            result = _apply(result, mode, by_path[result.path])
            summary.add(result)
            advance()
    click.echo(summary.line(mode), err=True)
    if add_dependencies and summary.requirements:
        _add_dependencies(paths[0], sorted(summary.requirements))
    return summary.exit_code(mode)


DEPENDENCY_FILES = ("pyproject.toml", "requirements.txt")


def dependency_file(start: Path) -> Path:
    """The nearest pyproject.toml (else requirements.txt) in `start`'s folder or above it."""
    folder = start.resolve()
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        for name in DEPENDENCY_FILES:
            if (candidate / name).is_file():
                return candidate / name
    raise CodemodError(f"{start}: no pyproject.toml or requirements.txt here or above to add to")


def _add_dependencies(start: Path, names: list[str]) -> None:
    # Loaded only for this option: a plain run never imports the input writers.
    from depsentry.inplace import read_snapshot, replace
    from depsentry.inputs.pin_writer import add_requirements

    path = dependency_file(start)
    snapshot = read_snapshot(path, path.parent)
    result = add_requirements(path, names, text=snapshot.text)
    if result.added:
        replace(snapshot, snapshot.encode(result.text))
        click.echo(f"Added {', '.join(result.added)} to {path}", err=True)
    else:
        click.echo(f"{path} already declares {', '.join(names)}", err=True)


def _parse_options(raw: tuple[str, ...]) -> dict[str, str]:
    options = {}
    for item in raw:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CodemodError(f"--option expects KEY=VALUE, got {item!r}")
        options[key.strip()] = value.strip()
    return options


def _apply(result: FileResult, mode: Mode, file: SourceFile) -> FileResult:
    name = display(result.path)
    for warning in result.warnings:
        click.echo(f"depsentry: warning: {name}: {warning}", err=True)  # the CLI's one prefix
    if result.outcome is Outcome.CHANGED:
        if mode is Mode.DIFF:
            click.echo(result.diff(), nl=False)
        elif mode is Mode.CHECK:
            click.echo(f"Would rewrite {name}", err=True)
        else:
            try:
                write_back(file, result.output, result.stamp)
            except CodemodError as exc:
                result = FileResult(result.path, Outcome.FAILED, error=str(exc))
            else:
                click.echo(f"Rewriting {name}", err=True)
    if result.outcome in (Outcome.FAILED, Outcome.SKIPPED):
        click.echo(result.error, err=True)
    return result


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    if total <= PROGRESS_MIN_FILES or not sys.stderr.isatty():
        yield _no_progress
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("codemod"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("codemod", total=total)
        yield lambda: progress.advance(task)


def _no_progress() -> None:
    pass
