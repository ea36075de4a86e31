"""`depsentry fix`: bump vulnerable pins in place (or show the diff)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from depsentry.commands.scan import build_options, scan_options, terminal_progress
from depsentry.models import ProjectReleases, ProjectReport

if TYPE_CHECKING:
    from depsentry.fix import PlannedBump
    from depsentry.scan import ScanOptions


@click.command(name="fix")
@scan_options
@click.option("--dry-run", is_flag=True, help="Print a unified diff; change nothing.")
@click.option(
    "--latest", is_flag=True, help="Bump every outdated pin to the latest allowed release."
)
@click.option(
    "--hashes",
    "refresh_hashes",
    is_flag=True,
    help="Refresh --hash options from the index instead of removing them.",
)
def fix(dry_run: bool, latest: bool, refresh_hashes: bool, **kwargs: Any) -> int:
    """Rewrite pins to the lowest release that fixes every known vulnerability.

    Requirements files and pyproject.toml are edited in place, keeping comments and order;
    lockfiles are never edited: the command to re-lock them is printed instead. When an upgrade
    crosses a breaking change a codemod handles, the codemod command is printed too. Exit codes:
    0 every known vulnerability has a fix planned, 1 some have no released fix, 2 bad input.
    """
    from depsentry.codemods.upgrades import codemods_for
    from depsentry.fix import apply_bumps, plan_fixes
    from depsentry.scan import open_sources, run_scan

    if kwargs.pop("fmt") is not None or kwargs.pop("output") is not None:
        # Shared scan options, but fix has no report to render: refuse rather than ignore.
        raise click.UsageError("fix writes no report; --format and --output are for scan")
    options = build_options(**kwargs)
    if latest:
        options = dataclasses.replace(options, outdated=True)
    # Opened once: the scan and the re-checks of candidate versions use the same data.
    sources = open_sources(options)
    with terminal_progress() as progress:
        result = run_scan(options, progress, sources=sources)
    for warning in result.advisory_db.warnings:  # e.g. only the embedded snapshot was there
        click.echo(f"depsentry: warning: {warning}", err=True)
    source = sources[0]
    status = 0
    for project in result.projects:
        if project.error:
            click.echo(f"depsentry: error: {project.error}", err=True)
            status = 2
            continue
        root = Path(project.path)
        root = root if root.is_dir() else root.parent
        newest = {o.package: o.latest for o in project.outdated} if latest else None
        bumps = plan_fixes(project, source, latest=newest, codemod_hints=codemods_for)
        if _say_unfixable(project, bumps) or any(bump.unfixed for bump in bumps):
            status = max(status, 1)  # vulnerabilities stay after every possible bump
        if not bumps:
            click.echo(f"{project.path}: nothing to fix", err=True)
            continue
        hashes = _hashes(bumps, options) if refresh_hashes else None
        outcome = apply_bumps(
            bumps, root=root, write=not dry_run, hashes=hashes, inputs=project.inputs
        )
        if dry_run and outcome.diff:
            click.echo(outcome.diff, nl=False)
        for bump in bumps:
            why = f" (fixes {', '.join(bump.fixes)})" if bump.fixes else ""
            click.echo(
                f"{bump.source}: {bump.package} {bump.current} -> {bump.target}{why}", err=True
            )
            if bump.unfixed:
                click.echo(
                    f"  still affected, no fix released: {', '.join(bump.unfixed)}", err=True
                )
            for name in bump.codemods:
                click.echo(
                    f"  breaking upgrade: run `depsentry codemod run {name} {project.path}`",
                    err=True,
                )
        for line in outcome.relock:
            click.echo(f"re-lock: {line}", err=True)
        for warning in outcome.warnings:
            click.echo(f"depsentry: warning: {warning}", err=True)
        verb = "would change" if dry_run else "changed"
        click.echo(f"{project.path}: {verb} {len(outcome.changed_files)} file(s)", err=True)
    return status


def _say_unfixable(project: ProjectReport, bumps: list[PlannedBump]) -> bool:
    """Name the vulnerable pins no bump moves (no release fixes them yet); True if any."""
    moved = {(bump.package, bump.current) for bump in bumps}
    stuck: dict[tuple[str, str, str], list[str]] = {}
    for vuln in project.vulnerabilities:
        if (vuln.package, vuln.version) not in moved:
            stuck.setdefault((str(vuln.source), vuln.package, vuln.version), []).append(vuln.id)
    for (where, package, version), ids in sorted(stuck.items()):
        click.echo(
            f"{where}: {package} {version} stays: no fix released for {', '.join(ids)}", err=True
        )
    return bool(stuck)


def _hashes(bumps: Sequence[PlannedBump], options: ScanOptions) -> dict[tuple[str, str], list[str]]:
    """sha256 of every file of each bump's target release, from the index (for --hashes)."""
    from depsentry.scan import open_index

    with open_index(options) as index:
        answers = index.fetch_many(sorted({bump.package for bump in bumps}))
    found: dict[tuple[str, str], list[str]] = {}
    for bump in bumps:
        releases = answers.get(bump.package)
        if not isinstance(releases, ProjectReleases):
            continue
        for release in releases.releases:
            if release.version == bump.target:
                digests = sorted({f.sha256 for f in release.files if f.sha256})
                if digests:
                    found[(bump.package, bump.target)] = digests
    return found
