"""One scan: inputs -> dependencies -> findings (vulnerabilities, outdated, violations).

Data moves one way: readers know nothing of advisories, matching knows nothing of files, the
policy sees findings. Progress goes through a callback so that only the CLI knows about rich.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from depsentry.daemon.advisories.interface import AdvisorySource
from depsentry.daemon.models import (
    AdvisoryDbInfo,
    Dependency,
    ProjectReleases,
    ProjectReport,
    ScanResult,
    SkipKind,
    Skipped,
)
from depsentry.errors import DepsentryError

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as work advances; the CLI draws it."""


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class ScanOptions:
    """Everything one scan needs to know; built by the CLI or the daemon."""

    paths: Sequence[Path]
    environment: Path | None = None
    osv_db: Path | None = None
    offline: bool = False
    sources: tuple[str, ...] = ("osv",)
    osv_api_url: str = "https://api.osv.dev"
    safety_db: Path | None = None
    outdated: bool = False
    resolve_unpinned: bool = True
    python: str | None = None
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    policy: str | Path | None = None
    evaluate_policy: bool = False
    since: Path | None = None
    allow_embedded: bool = True
    now: datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)


def run_scan(options: ScanOptions, progress: Progress = _no_progress) -> ScanResult:
    """Scan every path in `options`; a project that cannot be read records its error and the
    others go on (the CLI exits 2 at the end when any project failed)."""
    from depsentry.daemon.inputs import read_project

    now = options.now or datetime.now(UTC)
    reports: list[ProjectReport] = []
    total = len(options.paths)
    for done, path in enumerate(options.paths):
        progress("reading", done, total)
        reports.append(_read(path, options.environment, read_project))
    progress("reading", total, total)

    needs_index = options.outdated or (options.resolve_unpinned and not options.offline)
    releases: dict[str, ProjectReleases] = {}
    if needs_index:
        releases = _resolve_and_fetch(reports, options, progress)

    sources = open_sources(options)
    for done, report in enumerate(reports):
        progress("matching", done, total)
        if report.error is None:
            _match(report, sources)
    progress("matching", total, total)

    if options.outdated:
        _find_outdated(reports, releases, options, now)

    if options.evaluate_policy:
        _evaluate_policy(reports, releases, options, now)

    return ScanResult(generated_at=now, advisory_db=_combined_info(sources), projects=reports)


def _read(
    path: Path, environment: Path | None, read_project: Callable[..., object]
) -> ProjectReport:
    report = ProjectReport(path=str(path))
    try:
        project = read_project(path, environment=environment)
    except DepsentryError as exc:
        report.error = str(exc)
        logger.error("%s", exc)
        return report
    report.inputs = list(project.inputs)  # type: ignore[attr-defined]
    report.dependencies = list(project.dependencies)  # type: ignore[attr-defined]
    report.skipped = list(project.skipped)  # type: ignore[attr-defined]
    report.notes = list(project.notes)  # type: ignore[attr-defined]
    return report


def open_sources(options: ScanOptions) -> list[AdvisorySource]:
    from depsentry.daemon.advisories.sources import build_sources

    return build_sources(
        options.sources,
        osv_db=options.osv_db,
        offline=options.offline,
        osv_api_url=options.osv_api_url,
        safety_db=options.safety_db,
        allow_embedded=options.allow_embedded,
    )


def _match(report: ProjectReport, sources: Sequence[AdvisorySource]) -> None:
    from depsentry.daemon.advisories.merge import merge_vulnerabilities

    found = [source.match(report.dependencies) for source in sources]
    report.vulnerabilities = merge_vulnerabilities(found) if len(found) > 1 else found[0]


def _combined_info(sources: Sequence[AdvisorySource]) -> AdvisoryDbInfo:
    infos = [source.info() for source in sources]
    if len(infos) == 1:
        return infos[0]
    updated = [info.updated for info in infos if info.updated is not None]
    return AdvisoryDbInfo(
        source=" + ".join(info.source for info in infos),
        records=sum(info.records for info in infos),
        updated=min(updated) if updated else None,
        warnings=tuple(w for info in infos for w in info.warnings),
    )


def open_index(options: ScanOptions) -> Any:
    from depsentry.daemon.index import PackageIndex

    kwargs: dict[str, object] = {"offline": options.offline}
    if options.index_url:
        kwargs["index_url"] = options.index_url
    if options.extra_index_urls:
        kwargs["extra_index_urls"] = list(options.extra_index_urls)
    return PackageIndex(**kwargs)


def _resolve_and_fetch(
    reports: Sequence[ProjectReport], options: ScanOptions, progress: Progress
) -> dict[str, ProjectReleases]:
    """Fetch release data once for every name any project needs, then resolve unpinned ranges."""
    from depsentry.daemon.index import resolve_unpinned

    names: set[str] = set()
    for report in reports:
        if options.outdated:
            names.update(dep.name for dep in report.dependencies)
        if options.resolve_unpinned:
            names.update(s.name for s in report.skipped if s.kind is SkipKind.UNPINNED and s.name)
    if not names:
        return {}
    index = open_index(options)

    def fetch_progress(done: int, total: int) -> None:
        progress("index", done, total)

    answers = index.fetch_many(sorted(names), progress=fetch_progress)  # type: ignore[attr-defined]
    releases = {name: a for name, a in answers.items() if isinstance(a, ProjectReleases)}

    if options.resolve_unpinned:
        for report in reports:
            unpinned = [s for s in report.skipped if s.kind is SkipKind.UNPINNED]
            if not unpinned:
                continue
            resolved, still = resolve_unpinned(unpinned, answers, python=options.python)
            report.skipped = [s for s in report.skipped if s.kind is not SkipKind.UNPINNED] + list(
                still
            )
            _add_resolved(report, resolved)
    return releases


def _add_resolved(report: ProjectReport, resolved: Sequence[Dependency]) -> None:
    known = {(d.name, d.version) for d in report.dependencies}
    report.dependencies.extend(d for d in resolved if (d.name, d.version) not in known)
    if resolved:
        report.notes.append(
            f"{len(resolved)} unpinned requirement(s) resolved to the newest allowed release "
            "(pinned: false): a fresh install today, not necessarily what is deployed"
        )


def _find_outdated(
    reports: Sequence[ProjectReport],
    releases: dict[str, ProjectReleases],
    options: ScanOptions,
    now: datetime,
) -> None:
    from depsentry.daemon.outdated import find_outdated

    min_age = None
    if options.evaluate_policy:
        from depsentry.daemon.policy import load_policy

        min_age = load_policy(options.policy).min_release_age
    answers: dict[str, object] = dict(releases)
    for report in reports:
        if report.error is not None:
            continue
        kwargs: dict[str, object] = {"python": options.python, "now": now}
        if min_age is not None:
            kwargs["min_release_age"] = min_age
        result = find_outdated(report.dependencies, answers, **kwargs)  # type: ignore[arg-type]
        report.outdated = list(result.outdated)
        for missing in result.unavailable:
            if not _already_skipped(report.skipped, missing):
                report.skipped.append(missing)


def _already_skipped(skipped: Sequence[Skipped], entry: Skipped) -> bool:
    return any(s.requirement == entry.requirement and s.reason == entry.reason for s in skipped)


def _evaluate_policy(
    reports: Sequence[ProjectReport],
    releases: dict[str, ProjectReleases],
    options: ScanOptions,
    now: datetime,
) -> None:
    from depsentry.daemon.policy import evaluate, first_seen_from_report, load_policy

    policy = load_policy(options.policy)
    first_seen = None
    if options.since is not None:
        from depsentry.daemon.report.json import read_report
        from depsentry.errors import reading

        with reading(options.since):
            text = options.since.read_text(encoding="utf-8")
        first_seen = first_seen_from_report(read_report(text, str(options.since)))
    for report in reports:
        if report.error is None:
            report.violations = evaluate(
                report, policy, now=now, first_seen=first_seen, releases=releases
            )
