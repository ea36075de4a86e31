"""Turn a project's report into the findings the policy judges, each with a stable key.

Finding keys (what the store and `--since` remember first-seen dates by):

    vuln:PACKAGE:ID            a vulnerability (also matched under each alias)
    fix:PACKAGE:ID             the same advisory once a fixed version exists
    outdated:PACKAGE:CURRENT   an update is available for the version in use (the clock keeps
                               running when a newer release replaces the proposed one)
    assessment:PACKAGE:MAJOR   a major upgrade (to MAJOR.x) waiting to be assessed
    libyears:PACKAGE           the dependency is over `libyears.max_per_dependency`
    libyears:*                 the project is over `libyears.max_per_project`
    pinning:PACKAGE            a direct dependency that is neither pinned nor locked
    hashes:PACKAGE             a pinned dependency without hashes
    readiness:PACKAGE:3.14     the latest release does not support the target Python
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from packaging.version import InvalidVersion, Version

from depsentry.models import Outdated, ProjectReport, SkipKind, UpdateType, Vulnerability
from depsentry.models.releases import ProjectReleases
from depsentry.policy.model import Policy
from depsentry.policy.readiness import readiness_problem
from depsentry.policy.releases import available, update_type
from depsentry.policy.waivers import covering

__all__ = ["Finding", "collect_findings", "fix_keys", "vuln_keys"]


@dataclass(frozen=True, slots=True)
class Finding:
    """Something the policy gives a due date: `days` after first seen, or after the review that saw it."""

    key: str
    kind: str
    package: str
    version: str  # the version in use ("" for the project as a whole)
    what: str  # one line describing it, without the due date
    days: int
    by_review: bool
    clock: tuple[str, ...]  # keys whose earliest first-seen date starts the clock
    ids: frozenset[str] = frozenset()
    fixed: bool = True


def vuln_keys(v: Vulnerability) -> tuple[str, ...]:
    return tuple(f"vuln:{v.package}:{i}" for i in (v.id, *v.aliases))


def fix_keys(v: Vulnerability) -> tuple[str, ...]:
    return tuple(f"fix:{v.package}:{i}" for i in (v.id, *v.aliases))


def collect_findings(
    report: ProjectReport,
    policy: Policy,
    *,
    now: datetime,
    releases: Mapping[str, ProjectReleases] | None = None,
) -> list[Finding]:
    """Every finding of `report` under `policy` (waivers not applied yet)."""
    releases = releases or {}
    return [
        *_vulnerabilities(report, policy, now),
        *_updates(report, policy, now, releases),
        *_libyears(report, policy),
        *_pinning(report, policy),
        *_readiness(report, policy, now, releases),
    ]


def _vulnerabilities(report: ProjectReport, policy: Policy, now: datetime) -> Iterator[Finding]:
    rules = policy.vulnerabilities
    today = now.date()
    for v in report.vulnerabilities:
        fixed = bool(v.fixed_in)
        # An until_fixed waiver that just stopped applying gives the deadline from the fix.
        after_fix = rules.needs_fix or any(
            e.until_fixed
            for e in policy.waivers
            if covering(
                [e],
                kind="vulnerability",
                package=v.package,
                version=v.version,
                ids=v.ids,
                today=today,
            )
        )
        if not fixed and rules.needs_fix:
            continue  # reported by the scan, but nothing to apply yet
        severity = "critical" if v.malicious else v.severity.value
        fix = f"fixed in {', '.join(v.fixed_in)}" if fixed else "no fix yet"
        shown = "unrated" if severity == "unknown" else severity
        if v.cvss is not None:
            shown += f" {v.cvss:.1f}"
        yield Finding(
            key=f"vuln:{v.package}:{v.id}",
            kind="vulnerability",
            package=v.package,
            version=v.version,
            what=f"{v.package} {v.version}: {v.id} ({shown}), {fix}",
            days=rules.days_for(severity),
            by_review=False,
            clock=fix_keys(v) if fixed and after_fix else vuln_keys(v),
            ids=v.ids,
            fixed=fixed,
        )


def _updates(
    report: ProjectReport, policy: Policy, now: datetime, releases: Mapping[str, ProjectReleases]
) -> Iterator[Finding]:
    rules = policy.updates
    for o in report.outdated:
        targets = _targets(o, releases.get(o.package), now, policy)
        for target, kind in targets:
            if kind == "major":
                major = Version(target).major
                yield Finding(
                    key=f"assessment:{o.package}:{major}",
                    kind="assessment",
                    package=o.package,
                    version=o.current,
                    what=f"{o.package} {o.current} -> {target} is a major upgrade: assess it",
                    days=rules.major_assessment_days,
                    by_review=True,
                    clock=(f"assessment:{o.package}:{major}",),
                )
            else:
                days = rules.patch_days if kind == "patch" else rules.minor_days
                key = f"outdated:{o.package}:{o.current}"
                yield Finding(
                    key=key,
                    kind="outdated",
                    package=o.package,
                    version=o.current,
                    what=f"{o.package} {o.current} -> {target} ({kind}) not taken",
                    days=days,
                    by_review=True,
                    clock=(key,),
                )


def _targets(
    o: Outdated, project: ProjectReleases | None, now: datetime, policy: Policy
) -> list[tuple[str, UpdateType]]:
    """The updates to judge: the newest available one, and below a major, the newest in-major one."""
    min_age = policy.min_release_age
    if project is None:
        too_young = o.latest_released is not None and now - o.latest_released < min_age
        return [] if too_young else [(o.latest, o.update_type)]
    try:
        current = Version(o.current)
    except InvalidVersion:
        return [(o.latest, o.update_type)]
    newer = [v for v, _ in available(project, now=now, min_age=min_age) if v > current]
    if not newer:
        return []
    latest = newer[-1]
    kind = update_type(o.current, str(latest))
    out: list[tuple[str, UpdateType]] = [(str(latest), kind)]
    if kind == "major":
        same_major = [v for v in newer if v.major == current.major]
        if same_major:
            out.append((str(same_major[-1]), update_type(o.current, str(same_major[-1]))))
    return out


def _libyears(report: ProjectReport, policy: Policy) -> Iterator[Finding]:
    rules = policy.libyears
    if rules.max_per_dependency > 0:
        for o in report.outdated:
            if o.libyears > rules.max_per_dependency:
                key = f"libyears:{o.package}"
                yield Finding(
                    key=key,
                    kind="libyears",
                    package=o.package,
                    version=o.current,
                    what=f"{o.package} {o.current} is {o.libyears:.1f} libyears behind (max {rules.max_per_dependency:g})",
                    days=rules.days,
                    by_review=True,
                    clock=(key,),
                )
    total = sum(o.libyears for o in report.outdated)
    if rules.max_per_project > 0 and total > rules.max_per_project:
        yield Finding(
            key="libyears:*",
            kind="libyears",
            package="*",
            version="",
            what=f"the project is {total:.1f} libyears behind (max {rules.max_per_project:g})",
            days=rules.days,
            by_review=True,
            clock=("libyears:*",),
        )


def _pinning(report: ProjectReport, policy: Policy) -> Iterator[Finding]:
    rules = policy.pinning
    pinned = {d.name for d in report.dependencies if d.pinned}
    if rules.direct:
        direct = {d.name: d.version for d in report.dependencies if d.direct}
        direct.update(
            {
                s.name: ""
                for s in report.skipped
                if s.direct and s.name and s.kind is SkipKind.UNPINNED
            }
        )
        for name in sorted(set(direct) - pinned):
            key = f"pinning:{name}"
            yield Finding(
                key=key,
                kind="pinning",
                package=name,
                version=direct[name],
                what=f"{name} is a direct dependency that is neither pinned (==) nor locked",
                days=rules.days,
                by_review=True,
                clock=(key,),
            )
    if rules.hashes:
        hashed = {d.name for d in report.dependencies if d.pinned and d.hashes}
        versions = {d.name: d.version for d in report.dependencies if d.pinned}
        for name in sorted(pinned - hashed):
            key = f"hashes:{name}"
            yield Finding(
                key=key,
                kind="hashes",
                package=name,
                version=versions[name],
                what=f"{name} {versions[name]} is pinned without hashes",
                days=rules.days,
                by_review=True,
                clock=(key,),
            )


def _readiness(
    report: ProjectReport, policy: Policy, now: datetime, releases: Mapping[str, ProjectReleases]
) -> Iterator[Finding]:
    python = policy.readiness.python
    if not python:
        return
    versions = {d.name: d.version for d in report.dependencies}
    for name in sorted(versions):
        project = releases.get(name)
        if project is None:
            continue
        problem = readiness_problem(project, python, now=now, min_age=policy.min_release_age)
        if problem:
            key = f"readiness:{name}:{python}"
            yield Finding(
                key=key,
                kind="readiness",
                package=name,
                version=versions[name],
                what=problem,
                days=policy.readiness.days,
                by_review=True,
                clock=(key,),
            )
