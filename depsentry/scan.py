"""One scan: inputs -> dependencies -> findings (vulnerabilities, outdated, violations).

Data moves one way: readers know nothing of advisories, matching knows nothing of files, the
policy sees findings. Progress goes through a callback so that only the CLI knows about rich.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from depsentry.advisories.interface import AdvisorySource
from depsentry.errors import DepsentryError
from depsentry.models import (
    AdvisoryDbInfo,
    Dependency,
    ProjectReport,
    ScanResult,
    SkipKind,
    Skipped,
    Source,
    Vulnerability,
)

if TYPE_CHECKING:
    from depsentry.index import IndexFailure, PackageIndex
    from depsentry.inputs.project import ProjectInputs
    from depsentry.models.releases import ProjectReleases
    from depsentry.policy import Policy

logger = logging.getLogger(__name__)

CodemodHints = Callable[[str, str, str], tuple[str, ...]]
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
    osv_api_url: str | None = None
    pip_audit_osv_url: str | None = None
    safety_db: Path | None = None
    pip_audit_resolve: bool = False
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
    # When each finding key was first seen (the daemon's store); takes the place of `since`.
    first_seen: Callable[[str], datetime | None] | None = None
    exclude: tuple[str, ...] = ()  # gitignore-style patterns of files and folders to leave out
    # True: each path is one project (the daemon's entries); False: a directory is split into
    # the projects it holds (inputs/projects.py).
    one_project: bool = False
    # Honour the scanned root's own `[tool.depsentry] exclude`. The daemon does not: what it
    # watches is the operator's choice (`excludes`), not the repository's.
    own_excludes: bool = True
    # (package, current, target) -> the codemods for that upgrade. Passed in by commands/ and
    # the daemon (depsentry.codemods.upgrades.codemods_for): the engine never imports codemods.
    codemod_hints: CodemodHints | None = None


def run_scan(
    options: ScanOptions,
    progress: Progress = _no_progress,
    *,
    sources: Sequence[AdvisorySource] | None = None,
) -> ScanResult:
    """Scan every path in `options`; a project that cannot be read records its error and the
    others go on (the CLI exits 2 at the end when any project failed).

    `sources` are the already opened advisory sources, for a caller that matches again
    afterwards (`fix`); by default they are opened from `options`.
    """
    now = options.now or datetime.now(UTC)
    if options.since is not None:
        _confine_since(options.since, options.paths)
    if options.evaluate_policy and options.policy is not None:
        _load_policy(options.policy, {})  # a bad --policy fails before any work
    # Sources open first: a missing database or extra fails before any project work.
    if sources is None:
        sources = open_sources(options)

    reports = read_reports(options, progress)
    total = len(reports)
    policies = _policies(reports, options)

    answers = _fetch_releases(reports, options, policies, progress)
    if options.resolve_unpinned and answers:
        for report in reports:
            _resolve_unpinned(report, answers, options.python or report.requires_python)

    everything = [d for r in reports if r.error is None for d in r.dependencies]
    for source in sources:
        source.prepare(everything)
    for done, report in enumerate(reports):
        progress("matching", done, total)
        if report.error is None:
            _match(report, sources)
            if options.pip_audit_resolve:
                _pip_audit_transitive(report, sources, options)
    progress("matching", total, total)

    releases = _releases(answers)
    if options.outdated:
        _find_outdated(reports, policies, answers, options.python, now)
    if any(policies):
        _evaluate_policy(reports, policies, releases, options.since, now, options.first_seen)
    if options.codemod_hints is not None:
        marked: _Marked = {}
        for report in reports:
            offer_codemods(report, options.codemod_hints, marked)

    return ScanResult(generated_at=now, advisory_db=_combined_info(sources), projects=reports)


# id(finding) -> (the finding, it with its codemods or None): once per finding, not per pin.
_Marked = dict[int, tuple[Vulnerability, Vulnerability | None]]


def offer_codemods(
    report: ProjectReport, hints: CodemodHints, marked: _Marked | None = None
) -> None:
    """Mark each finding whose upgrade crosses a boundary a codemod handles: a vulnerability
    by its lowest fixed release above the version in use, an outdated pin by its latest.
    `marked`: the findings already looked at (shared by the projects of one scan)."""
    report.vulnerabilities = _with_codemods(report.vulnerabilities, hints, marked)
    known = _packages_of(hints)
    report.outdated = [
        replace(o, codemods=names)
        if (known is None or o.package in known)
        and (names := hints(o.package, o.current, o.latest))
        else o
        for o in report.outdated
    ]


def _packages_of(hints: CodemodHints) -> frozenset[str] | None:
    """The packages a table says it knows (codemods_for does); None: ask it about every one."""
    known: frozenset[str] | None = getattr(hints, "packages", None)
    return known


def _with_codemods(
    vulnerabilities: Sequence[Vulnerability], hints: CodemodHints, marked: _Marked | None = None
) -> list[Vulnerability]:
    marked = {} if marked is None else marked
    known = _packages_of(hints)  # a table is not asked about a package it does not name
    found = []
    for v in vulnerabilities:
        if known is not None and v.package not in known:
            found.append(v)
            continue
        template = v.template  # a pin's copy of a finding asks what the finding asked
        seen = marked.get(id(template))
        if seen is None:
            names = _codemods_of(hints, v.package, v.version, v.fixed_in)
            seen = marked[id(template)] = (
                template,
                replace(template, codemods=names) if names else None,
            )
        found.append(v if seen[1] is None else seen[1].at(v.source))
    return found


@lru_cache(maxsize=4096)  # the same (package, version) finding recurs in many projects
def _codemods_of(
    hints: CodemodHints, package: str, version: str, fixed_in: tuple[str, ...]
) -> tuple[str, ...]:
    """The codemods for the upgrade to the lowest fix above `version`."""
    from depsentry.advisories.versions import parse_version
    from depsentry.report.ordering import upgrade_target

    if parse_version(version) is None:
        return ()  # no release is known to be above it
    target = upgrade_target(version, [f for f in fixed_in if parse_version(f) is not None])
    return hints(package, version, target) if target is not None else ()


def _load_policy(
    ref: str | Path | None, cache: dict[str, Policy], root: Path | None = None
) -> Policy:
    """`root`: the project that named this policy itself; its files must stay inside it."""
    from depsentry.policy import load_policy

    key = f"{ref}\0{root}"
    if key not in cache:
        cache[key] = load_policy(ref, root=root)
    return cache[key]


def _policy_root(report: ProjectReport, options: ScanOptions) -> Path | None:
    """Where a policy's files must stay: the project, for the one it names itself or for a
    `--policy` file inside it (repository content); None for the operator's own files."""
    from depsentry.paths import project_of

    project = Path(report.path)
    project = project if project.is_dir() else project.parent
    if options.policy is None:
        return project if report.policy is not None else None
    text = str(options.policy)
    if "/" not in text and "\\" not in text and not text.endswith(".toml"):
        return None  # a bundled policy by name
    return project_of(Path(text), [project], what="--policy")


def _project_roots(paths: Sequence[Path]) -> list[Path]:
    return [path if path.is_dir() else path.parent for path in paths]


def _confine_since(since: Path, paths: Sequence[Path]) -> None:
    """A `--since` file inside a scanned project must not leave it through a symlink."""
    from depsentry.errors import InputError
    from depsentry.paths import project_of

    project_of(since, _project_roots(paths), what="--since", error=InputError)


def _policies(reports: Sequence[ProjectReport], options: ScanOptions) -> list[Policy | None]:
    """Each project's policy: `--policy`, else the project's `[tool.depsentry] policy`, else the
    default when the caller asked for an evaluation; None where no policy applies. A project whose
    own policy file is bad records that as its error; the others go on."""
    cache: dict[str, Policy] = {}
    chosen: list[Policy | None] = []
    for report in reports:
        ref = options.policy if options.policy is not None else report.policy
        if report.error is not None or (ref is None and not options.evaluate_policy):
            chosen.append(None)
            continue
        try:
            chosen.append(_load_policy(ref, cache, _policy_root(report, options)))
        except DepsentryError as exc:
            if options.policy is not None:
                raise
            report.error = f"{report.path}: [tool.depsentry] policy: {exc}"
            chosen.append(None)
    return chosen


def read_reports(options: ScanOptions, progress: Progress = _no_progress) -> list[ProjectReport]:
    """One report per project of `options.paths`, its inputs read (no findings yet): a
    directory is split into its projects unless `one_project`; an unreadable project keeps its
    error and the others go on."""
    reports: list[ProjectReport] = []
    total = len(options.paths)
    for done, path in enumerate(options.paths):
        progress("reading", done, total)
        is_dir = _is_dir(path)
        own = options.own_excludes and is_dir
        if options.one_project or not is_dir:
            reports.append(_read(path, options.environment, options.exclude, own=own))
        else:
            reports.extend(_read_split(path, options.environment, options.exclude, own=own))
    progress("reading", total, total)
    return reports


def _is_dir(path: Path) -> bool:
    # Path.is_dir() raises on EACCES (a file in a directory we may not search): the reader
    # then says so in one line.
    try:
        return path.is_dir()
    except OSError:
        return False


def _read_split(
    root: Path, environment: Path | None, exclude: Sequence[str], *, own: bool
) -> list[ProjectReport]:
    from depsentry.inputs.projects import INCIDENTAL, read_projects

    try:
        found = read_projects(root, exclude=exclude, environment=environment, own_excludes=own)
    except DepsentryError as exc:
        return [_failed(ProjectReport(path=str(root)), exc)]
    reports: list[ProjectReport] = []
    for project, inputs in found:
        report = ProjectReport(path=str(project.path), root=str(root))
        if isinstance(inputs, DepsentryError):
            reports.append(_failed(report, inputs))
            continue
        _fill(report, inputs)
        if project.members:
            report.notes.append(f"workspace members: {', '.join(project.members)}")
        if project.incidental:
            parts = project.path.relative_to(root).parts
            top = next(i for i, part in enumerate(parts) if part in INCIDENTAL)
            report.notes.append(
                "a test, example or docs project; leave it out with "
                f"--exclude '{'/'.join(parts[: top + 1])}/'"
            )
        reports.append(report)
    return reports


def _failed(report: ProjectReport, exc: DepsentryError) -> ProjectReport:
    report.error = str(exc)
    # Recorded, not logged: whoever reports the result shows it once (the CLI as its one
    # `depsentry: error:` line), so it does not appear twice.
    logger.debug("%s", exc)
    return report


def _read(
    path: Path, environment: Path | None, exclude: Sequence[str] = (), *, own: bool = False
) -> ProjectReport:
    from depsentry.inputs import read_project
    from depsentry.inputs.projects import configured_excludes

    report = ProjectReport(path=str(path))
    try:
        excludes = (*exclude, *configured_excludes(path)) if own else tuple(exclude)
        project = read_project(path, environment=environment, exclude=excludes)
    except DepsentryError as exc:
        return _failed(report, exc)
    _fill(report, project)
    return report


def _fill(report: ProjectReport, project: ProjectInputs) -> None:
    report.inputs = list(project.inputs)
    report.dependencies = list(project.dependencies)
    report.skipped = list(project.skipped)
    report.notes = list(project.notes)
    report.requires_python = project.requires_python
    report.policy = project.policy


def open_sources(options: ScanOptions) -> list[AdvisorySource]:
    """The advisory sources `options` names, opened (the local database is imported if needed)."""
    from depsentry.advisories.interface import SourceOptions
    from depsentry.advisories.registry import open_sources as open_named

    return open_named(
        options.sources,
        SourceOptions(
            osv_db=options.osv_db,
            offline=options.offline,
            osv_api_url=options.osv_api_url,
            pip_audit_osv_url=options.pip_audit_osv_url,
            safety_db=options.safety_db,
            allow_embedded=options.allow_embedded,
        ),
    )


def _match(report: ProjectReport, sources: Sequence[AdvisorySource]) -> None:
    report.vulnerabilities = match_dependencies(report.dependencies, sources)


def match_dependencies(
    dependencies: Sequence[Dependency],
    sources: Sequence[AdvisorySource],
    codemod_hints: CodemodHints | None = None,
) -> list[Vulnerability]:
    """The vulnerabilities of an already known dependency set, merged across `sources` by alias
    (no files are read: the daemon re-matches stored dependency sets after an advisory sync),
    with the codemods `codemod_hints` offers for their fixes."""
    from depsentry.advisories.merge import merge_vulnerabilities

    found = [source.match(dependencies) for source in sources]
    vulnerabilities = merge_vulnerabilities(found) if len(found) > 1 else found[0]
    if codemod_hints is None:
        return vulnerabilities
    return _with_codemods(vulnerabilities, codemod_hints)


def _pip_audit_transitive(
    report: ProjectReport, sources: Sequence[AdvisorySource], options: ScanOptions
) -> None:
    """Let pip resolve each requirements file of a project without a lockfile, through
    pip-audit, and add what it finds in the transitive dependencies only we cannot see."""
    from depsentry.advisories.pip_audit_source import PipAuditSource
    from depsentry.inputs import reader_for
    from depsentry.inputs.project import NO_LOCK_NOTE
    from depsentry.inputs.requirements import RequirementsReader

    if NO_LOCK_NOTE not in report.notes:
        return  # a lockfile or environment already names every transitive dependency
    from depsentry.paths import OUTSIDE

    refused = [s.requirement for s in report.skipped if OUTSIDE in s.reason]
    if refused:
        # pip reads -r/-c includes itself: it would open what the reader refused to.
        report.notes.append(
            f"pip-audit resolution skipped: pip would read {refused[0]}, which the scan refused "
            "(outside the project)"
        )
        return
    auditor = next((s for s in sources if isinstance(s, PipAuditSource)), None)
    if auditor is None:
        auditor = PipAuditSource(
            osv_url=options.pip_audit_osv_url, offline=options.offline, index_url=options.index_url
        )
    root = Path(report.path)
    root = root if root.is_dir() else root.parent
    known = {(d.name, d.version) for d in report.dependencies}
    files = [rel for rel in report.inputs if isinstance(reader_for(root / rel), RequirementsReader)]
    for rel in files:
        for vuln in auditor.audit_requirements_file(root / rel):
            if (vuln.package, vuln.version) not in known:
                report.vulnerabilities.append(replace(vuln, source=Source(rel)))
    if files:
        report.notes.append(
            f"pip-audit resolved {len(files)} requirements file(s) through pip: "
            "vulnerabilities of their transitive dependencies are included"
        )


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
        epss=next((info.epss for info in infos if info.epss is not None), None),
        kev=next((info.kev for info in infos if info.kev is not None), None),
    )


def open_index(options: ScanOptions) -> PackageIndex:
    """The package index client configured by `options`."""
    from depsentry.index import DEFAULT_INDEX_URL, PackageIndex

    return PackageIndex(
        options.index_url or DEFAULT_INDEX_URL, options.extra_index_urls, offline=options.offline
    )


def _releases(answers: Mapping[str, ProjectReleases | IndexFailure]) -> dict[str, ProjectReleases]:
    """The index's answers that are releases, not failures."""
    if not answers:
        return {}  # offline: the index's types are never loaded
    from depsentry.models.releases import ProjectReleases

    return {name: a for name, a in answers.items() if isinstance(a, ProjectReleases)}


def _fetch_releases(
    reports: Sequence[ProjectReport],
    options: ScanOptions,
    policies: Sequence[Policy | None],
    progress: Progress,
) -> dict[str, ProjectReleases | IndexFailure]:
    """Ask the index once for every name any stage needs (outdated, unpinned, readiness)."""
    every_name = options.outdated or any(p is not None and p.readiness.python for p in policies)
    names: set[str] = set()
    for report in reports:
        if every_name:
            names.update(dep.name for dep in report.dependencies)
        if options.resolve_unpinned:
            names.update(s.name for s in report.skipped if s.kind is SkipKind.UNPINNED and s.name)
    if not names:
        return {}

    def fetch_progress(done: int, total: int) -> None:
        progress("index", done, total)

    with open_index(options) as index:
        return index.fetch_many(sorted(names), progress=fetch_progress)


def _resolve_unpinned(
    report: ProjectReport,
    answers: Mapping[str, ProjectReleases | IndexFailure],
    python: str | None,
) -> None:
    from depsentry.outdated import resolve_unpinned

    unpinned = [s for s in report.skipped if s.kind is SkipKind.UNPINNED]
    if not unpinned:
        return
    resolved, still = resolve_unpinned(unpinned, answers, python=python)
    report.skipped = [s for s in report.skipped if s.kind is not SkipKind.UNPINNED] + still
    known = {(d.name, d.version) for d in report.dependencies}
    report.dependencies.extend(d for d in resolved if (d.name, d.version) not in known)
    if resolved:
        report.notes.append(
            f"{len(resolved)} unpinned requirement(s) resolved to the newest allowed release "
            "(pinned: false): what a fresh install gets today, not necessarily what is deployed"
        )


def _find_outdated(
    reports: Sequence[ProjectReport],
    policies: Sequence[Policy | None],
    answers: Mapping[str, ProjectReleases | IndexFailure],
    python: str | None,
    now: datetime,
) -> None:
    from depsentry.outdated import find_outdated

    for report, policy in zip(reports, policies, strict=True):
        if report.error is not None:
            continue
        # The policy's cool-down: younger releases are not proposed.
        min_age = policy.min_release_age if policy is not None else timedelta(0)
        # --python wins; else the project's own requires-python (its lowest allowed Python).
        result = find_outdated(
            report.dependencies,
            answers,
            python=python or report.requires_python,
            now=now,
            min_release_age=min_age,
        )
        report.outdated = list(result.outdated)
        report.skipped.extend(m for m in result.unavailable if not _already(report.skipped, m))


def _already(skipped: Sequence[Skipped], entry: Skipped) -> bool:
    return any(s.requirement == entry.requirement and s.reason == entry.reason for s in skipped)


def _evaluate_policy(
    reports: Sequence[ProjectReport],
    policies: Sequence[Policy | None],
    releases: Mapping[str, ProjectReleases],
    since: Path | None,
    now: datetime,
    known: Callable[[str], datetime | None] | None = None,
) -> None:
    from depsentry.policy import (
        evaluate,
        first_seen_dates,
        first_seen_from_report,
        published_dates,
    )

    old = _read_since(since) if since is not None and known is None else None
    for report, policy in zip(reports, policies, strict=True):
        if report.error is not None or policy is None:
            continue
        first_seen = known
        if old is not None:
            first_seen = first_seen_from_report(old, policy, project=report.path)
        elif first_seen is None:  # no history: clocks start at the advisory's publication
            first_seen = published_dates(report)
        report.violations = evaluate(
            report, policy, now=now, first_seen=first_seen, releases=releases
        )
        report.first_seen = first_seen_dates(
            report, policy, now=now, first_seen=first_seen, releases=releases
        )


def _read_since(path: Path) -> ScanResult:
    from depsentry.errors import reading
    from depsentry.report.json import read_report

    with reading(path):
        text = path.read_text(encoding="utf-8")
    return read_report(text, str(path))


__all__ = [
    "Progress",
    "ScanOptions",
    "match_dependencies",
    "open_index",
    "open_sources",
    "read_reports",
    "run_scan",
]
