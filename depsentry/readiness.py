"""The Python upgrade readiness report: every dependency of every project against one target
Python ("3.14"): does its pin support it, from which release, how big a step, what to do.

Reads projects as a scan does (`scan.read_reports`: split per manifest, --exclude,
--one-project), asks the package index once for every name (its HTTP cache, --offline and
--index-url as for `scan --outdated`), and judges each pin with `policy.readiness.assess`.
Unpinned ranges are judged at the release a fresh install gets today, as a scan resolves them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from depsentry.models import Dependency, SkipKind
from depsentry.models.readiness import ProjectReadiness, ReadinessReport, ReadinessRow
from depsentry.models.releases import ProjectReleases
from depsentry.scan import Progress, ScanOptions, open_index, read_reports

if TYPE_CHECKING:
    from depsentry.index import IndexFailure

__all__ = ["assess_dependencies", "check_readiness"]


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


def check_readiness(
    options: ScanOptions,
    python: str,
    progress: Progress = _no_progress,
    *,
    now: datetime | None = None,
) -> ReadinessReport:
    """The readiness report of `options.paths` for target `python` ("3.14" or "3.14t")."""
    from depsentry.outdated import resolve_unpinned

    reports = read_reports(options, progress)
    names: set[str] = set()
    for report in reports:
        names.update(d.name for d in report.dependencies)
        names.update(s.name for s in report.skipped if s.kind is SkipKind.UNPINNED and s.name)
    answers: dict[str, ProjectReleases | IndexFailure] = {}
    if names:

        def fetch_progress(done: int, total: int) -> None:
            progress("index", done, total)

        with open_index(options) as index:
            answers = index.fetch_many(sorted(names), progress=fetch_progress)
    result = ReadinessReport(python=python, generated_at=now or datetime.now(UTC))
    for report in reports:
        project = ProjectReadiness(path=report.path, root=report.root, error=report.error)
        if report.error is None:
            unpinned = [s for s in report.skipped if s.kind is SkipKind.UNPINNED]
            resolved, _ = resolve_unpinned(
                unpinned, answers, python=options.python or report.requires_python
            )
            project.rows = assess_dependencies([*report.dependencies, *resolved], answers, python)
        result.projects.append(project)
    return result


def assess_dependencies(
    dependencies: Sequence[Dependency],
    answers: Mapping[str, ProjectReleases | IndexFailure],
    python: str,
) -> list[ReadinessRow]:
    """One row per distinct (name, version), sorted: the engine-side call for any caller that
    already holds a dependency set and the index's answers (the daemon's review digest)."""
    from depsentry.policy.readiness import assess

    rows: dict[tuple[str, str], ReadinessRow] = {}
    for dep in sorted(dependencies, key=lambda d: (d.name, d.version, str(d.source))):
        if (dep.name, dep.version) in rows:
            continue
        answer = answers.get(dep.name)
        if isinstance(answer, ProjectReleases):
            releases, failure = answer, None
        else:
            releases, failure = None, answer.reason if answer is not None else "not asked"
        rows[(dep.name, dep.version)] = assess(
            dep.name, dep.version, releases, python, source=dep.source, pinned=dep.pinned,
            failure=failure,
        )  # fmt: skip
    return list(rows.values())
