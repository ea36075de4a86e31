"""`depsentry fix`: bump vulnerable pins in place (or show the diff)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from depsentry.commands.scan import build_options, collect_less, scan_options, terminal_progress
from depsentry.errors import DepsentryError, ResolverError
from depsentry.models import ProjectReport
from depsentry.models.releases import ProjectReleases
from depsentry.report.escaping import printable

if TYPE_CHECKING:
    from depsentry.fix import PlannedBump
    from depsentry.resolver import Uv
    from depsentry.scan import ScanOptions


@click.command(name="fix")
@scan_options(report=False)
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
@click.option(
    "--no-verify",
    is_flag=True,
    help="Do not check with uv that the new pins install together (writes an unchecked plan).",
)
@click.option(
    "--allow-build",
    is_flag=True,
    help="Let uv build source distributions to learn their dependencies while checking "
    "(runs their build scripts); by default only wheel metadata is used.",
)
def fix(
    dry_run: bool,
    latest: bool,
    refresh_hashes: bool,
    no_verify: bool,
    allow_build: bool,
    **kwargs: Any,
) -> int:
    """Rewrite pins to the lowest release that fixes every known vulnerability.

    Requirements files and pyproject.toml are edited in place, keeping comments and order;
    lockfiles are never edited: the command to re-lock them is printed instead. Every plan is
    first resolved with uv (the project's Python, the configured indexes): pins that block it
    are raised to their lowest safe compatible release, and a bump that cannot install is
    reported with the chain that blocks it, never written. When an upgrade crosses a breaking
    change a codemod handles, the codemod command is printed too. Exit codes: 0 every known
    vulnerability has a fix planned, 1 some have no released fix (or none that installs), 2 bad
    input or a plan uv could not check, 3 a bug in depsentry.
    """
    from depsentry.codemods.upgrades import codemods_for
    from depsentry.fix import apply_bumps, check_plan, plan_fixes
    from depsentry.scan import open_sources, run_scan

    options = build_options(**kwargs)
    collect_less(options.offline)
    if latest:
        options = dataclasses.replace(options, outdated=True)
    # Opened once: the scan and the re-checks of candidate versions use the same data.
    sources = open_sources(options)
    with terminal_progress() as progress:
        result = run_scan(options, progress, sources=sources)
    for warning in result.advisory_db.warnings:  # e.g. only the embedded snapshot was there
        click.echo(f"depsentry: warning: {warning}", err=True)
    status = 0
    # In a tree of many projects, the clean ones are counted, not listed one line each.
    several, clean = len(result.projects) > 1, 0
    for project in result.projects:
        if project.error:
            click.echo(f"depsentry: error: {printable(project.error)}", err=True)
            status = 2
            continue
        root = Path(project.path)
        root = root if root.is_dir() else root.parent
        newest = _newest_from_pin_index(project, options) if latest else None
        bumps = plan_fixes(project, sources, latest=newest, codemod_hints=codemods_for)
        conflicts: list[str] = []
        notes: list[str] = []
        snapshots = None
        if bumps and not no_verify:
            try:
                planned = apply_bumps(bumps, root=root, write=False, inputs=project.inputs)
                snapshots = planned.snapshots
                checked = check_plan(
                    project,
                    bumps,
                    root=root,
                    uv=_uv(project, options, allow_build),
                    sources=sources,
                    texts=planned.texts,
                    codemod_hints=codemods_for,
                )
            except ResolverError as exc:
                hint = "" if "--no-verify" in str(exc) else "; --no-verify writes it unchecked"
                click.echo(
                    f"depsentry: error: {printable(f'{project.path}: {exc}')}{hint}", err=True
                )
                status = 2
                continue
            except DepsentryError as exc:
                click.echo(f"depsentry: error: {printable(f'{project.path}: {exc}')}", err=True)
                status = 2
                continue
            bumps, conflicts, notes = checked.bumps, checked.conflicts, checked.notes
            if checked.checked:
                click.echo(
                    f"{project.path}: plan checked with uv ({', '.join(checked.checked)})",
                    err=True,
                )
        if _say_unfixable(project, bumps) or any(bump.unfixed for bump in bumps) or conflicts:
            status = max(status, 1)  # vulnerabilities stay after every possible bump
        for line in conflicts:
            click.echo(line, err=True)
        if not bumps:
            if several and not project.vulnerabilities:
                clean += 1
            else:
                click.echo(f"{project.path}: nothing to fix", err=True)
            continue
        hashes = _hashes(bumps, options) if refresh_hashes else None
        try:
            outcome = apply_bumps(
                bumps,
                root=root,
                write=not dry_run,
                hashes=hashes,
                inputs=project.inputs,
                snapshots=snapshots,
            )
        except DepsentryError as exc:  # a file changed meanwhile, is read-only, ...: none written
            click.echo(f"depsentry: error: {printable(str(exc))}", err=True)
            status = 2
            continue
        if dry_run and outcome.diff:
            click.echo(outcome.diff, nl=False)
        for bump in bumps:
            why = f" (fixes {', '.join(bump.fixes)})" if bump.fixes else ""
            click.echo(
                f"{bump.source}: {bump.package} {bump.current} -> {bump.target}{why}", err=True
            )
            if bump.raised:
                start = f"raised from {bump.planned}" if bump.planned else "raised"
                click.echo(f"  {start} so that the plan installs: {bump.raised}", err=True)
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
        for note in notes:
            click.echo(f"re-lock: {note}", err=True)
        for warning in outcome.warnings:
            click.echo(f"depsentry: warning: {warning}", err=True)
        verb = "would change" if dry_run else "changed"
        click.echo(f"{project.path}: {verb} {len(outcome.changed_files)} file(s)", err=True)
    if clean:
        click.echo(
            f"{clean} other project(s) without known vulnerabilities: nothing to fix", err=True
        )
    return status


def _uv(project: ProjectReport, options: ScanOptions, allow_build: bool) -> Uv:
    """uv as this project resolves: its Python, the configured indexes (credentials scoped)."""
    from depsentry.index.client import DEFAULT_INDEX_URL, credentialed_urls
    from depsentry.resolver import Uv, find_uv, python_floor

    indexes = credentialed_urls(options.index_url or DEFAULT_INDEX_URL, options.extra_index_urls)
    return Uv(
        find_uv(),
        indexes=tuple(indexes),
        python=python_floor(options.python or project.requires_python),
        offline=options.offline,
        allow_build=allow_build,
    )


def _newest_from_pin_index(project: ProjectReport, options: ScanOptions) -> dict[str, str]:
    """The latest release of each outdated pin, from the index its current version came from.

    When a name is on several indexes, the union can make a squatted public upload "latest":
    a release only on another index is never picked without saying so (dependency confusion).
    """
    from depsentry.index.origins import indexes_of, pin_indexes, restrict
    from depsentry.outdated import find_outdated

    newest = {o.package: o.latest for o in project.outdated}
    if not options.extra_index_urls or not newest:
        return newest
    from depsentry.scan import open_index

    with open_index(options) as index:
        answers = index.fetch_many(sorted(newest))
    for dep in project.dependencies:
        answer = answers.get(dep.name)
        if dep.name not in newest or not isinstance(answer, ProjectReleases):
            continue
        hosts = indexes_of(answer)
        wanted = newest[dep.name]
        wanted_on = pin_indexes(answer, wanted)
        origin = pin_indexes(answer, dep.version)
        if len(hosts) < 2 or not origin or set(wanted_on) & set(origin):
            if len(hosts) > 1 and not origin:
                click.echo(
                    f"depsentry: warning: {dep.source}: {dep.name} {dep.version} is on none of "
                    f"the indexes; {wanted} comes from {', '.join(wanted_on)}: make sure it is "
                    "the package you mean (dependency confusion)",
                    err=True,
                )
            continue
        found = find_outdated(
            [dep],
            {dep.name: restrict(answer, origin)},
            python=options.python or project.requires_python,
        )
        stay = found.outdated[0].latest if found.outdated else None
        instead = f"staying on it: {stay}" if stay else "staying on it: no newer release there"
        click.echo(
            f"depsentry: warning: {dep.source}: {dep.name} {wanted} is only on "
            f"{', '.join(wanted_on)}, but {dep.version} came from {', '.join(origin)} "
            f"(dependency confusion?); {instead}",
            err=True,
        )
        if stay:
            newest[dep.name] = stay
        else:
            del newest[dep.name]
    return newest


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
