"""`depsentry readiness`: the Python upgrade readiness report of one or more projects."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import click

from depsentry.errors import DepsentryError
from depsentry.report.registry import READINESS_FORMATS

_TARGET = re.compile(r"\d+\.\d+t?")


def _check_target(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not _TARGET.fullmatch(value):
        raise click.BadParameter(
            f"{value!r} is not a Python version X.Y (3.14), or X.Yt for the free-threaded build"
        )
    return value


@click.command(name="readiness")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), required=False)
@click.option(
    "--python",
    "target",
    required=True,
    metavar="X.Y[t]",
    callback=_check_target,
    help="The target Python (3.14); 3.14t for the free-threaded build.",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(READINESS_FORMATS.names()),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write here.")
@click.option("--offline", is_flag=True, help="Only the index cache: no network access.")
@click.option("--index-url", metavar="URL", help="Package index (PEP 503/691 or PyPI).")
@click.option("--extra-index-url", multiple=True, metavar="URL", help="Extra index.")
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Leave out files and folders matching this gitignore-style pattern (repeatable).",
)
@click.option("--one-project", is_flag=True, help="Read each PATH as one project.")
def readiness(
    paths: tuple[Path, ...],
    target: str,
    fmt: str,
    output: Path | None,
    offline: bool,
    index_url: str | None,
    extra_index_url: tuple[str, ...],
    exclude: tuple[str, ...],
    one_project: bool,
) -> int:
    """Which dependencies support a target Python, from which release, and what to do.

    Per dependency: the pinned version, whether it supports the target (Requires-Python and
    wheel tags: cpXY, abi3, pure Python; cpXYt for the free-threaded build), the lowest release
    that does, the step to it (patch, minor, major) and a verdict: ready, upgrade to X,
    blocked: no release yet, or builds from source only. Asks the package index (its cache
    with --offline). Exit codes: 0 the report was made, 2 bad usage or an unreadable project.
    """
    from depsentry.commands.scan import terminal_progress
    from depsentry.readiness import check_readiness
    from depsentry.report.interface import RenderOptions
    from depsentry.report.readiness import overall_summary
    from depsentry.scan import ScanOptions

    options = ScanOptions(
        paths=list(paths) or [Path(".")],
        offline=offline,
        index_url=index_url,
        extra_index_urls=extra_index_url,
        exclude=exclude,
        one_project=one_project,
    )
    with terminal_progress() as progress:
        report = check_readiness(options, target, progress)
    failed = [p for p in report.projects if p.error]
    for project in failed:
        click.echo(f"depsentry: error: {project.error}", err=True)
    if report.projects and len(failed) == len(report.projects):
        return 2
    to_terminal = output is None and sys.stdout.isatty()
    color = to_terminal and fmt == "table"
    width = shutil.get_terminal_size().columns if to_terminal else None
    renderer = READINESS_FORMATS.load(fmt).from_options(RenderOptions(color=color, width=width))
    text = renderer.render(report)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise DepsentryError(
                f"cannot write the report ({exc.strerror or exc})", output
            ) from exc
    else:
        click.echo(text, nl=not text.endswith("\n"))
    if not (fmt == "table" and output is None):  # the table on stdout ends with it
        click.echo(overall_summary(report), err=True)
    return 2 if failed else 0
