"""Findings -> due dates -> `Violation`s.

Vulnerabilities are due N days (by severity) after first seen; every other finding N days
after the review that first saw it. Due dates are dates in the review's time zone, and a
finding is overdue once that date has passed there. `evaluate` returns the overdue ones
plus expired waivers (the scan's `violations`); `evaluate_all` also returns the ones not
yet due (`overdue=False`), for "due soon" lists.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from depsentry.models import ProjectReport, ScanResult, Violation
from depsentry.models.releases import ProjectReleases
from depsentry.policy.findings import Finding, collect_findings, fix_keys, vuln_keys
from depsentry.policy.model import Policy, Waiver
from depsentry.policy.schedule import review_at_or_after
from depsentry.policy.waivers import covering, is_expired

__all__ = [
    "FirstSeen",
    "evaluate",
    "evaluate_all",
    "finding_keys",
    "first_seen_dates",
    "first_seen_from_report",
    "published_dates",
]

FirstSeen = Callable[[str], datetime | None]


def evaluate(
    report: ProjectReport,
    policy: Policy,
    *,
    now: datetime,
    first_seen: FirstSeen | None = None,
    releases: Mapping[str, ProjectReleases] | None = None,
    acknowledged: Collection[str] = (),
) -> list[Violation]:
    """The violations of `report` under `policy` at `now`: overdue findings and expired waivers.

    `first_seen(key)` says when a finding was first seen (the store, or a `--since` report);
    None or no callable means now. `releases` (index data by package) enables the cool-down
    on proposed updates and the readiness check. `acknowledged` holds finding keys
    acknowledged outside the policy file (e.g. assessments recorded in the store).
    """
    items = evaluate_all(
        report, policy, now=now, first_seen=first_seen, releases=releases, acknowledged=acknowledged
    )
    return [v for v in items if v.overdue]


def evaluate_all(
    report: ProjectReport,
    policy: Policy,
    *,
    now: datetime,
    first_seen: FirstSeen | None = None,
    releases: Mapping[str, ProjectReleases] | None = None,
    acknowledged: Collection[str] = (),
) -> list[Violation]:
    """Like `evaluate`, but also the findings not yet due (`overdue=False`), soonest first."""
    now = _aware(now)
    tz = ZoneInfo(policy.review.timezone)
    today = now.astimezone(tz).date()
    seen = first_seen or (lambda key: None)
    assessed = {f"assessment:{a.package}:{a.major}" for a in policy.assessments}
    out = []
    for f in collect_findings(report, policy, now=now, releases=releases):
        if f.kind == "assessment" and (f.key in assessed or f.key in acknowledged):
            continue
        exc = covering(
            policy.waivers,
            kind=f.kind,
            package=f.package,
            version=f.version,
            ids=f.ids,
            fixed=f.fixed,
            today=today,
        )
        if exc is not None:
            continue
        start = _start(f, seen, now)
        due, basis = _due(f, start, policy, tz)
        out.append(
            Violation(
                rule=f.kind,
                package=f.package,
                finding=f.key,
                due=due,
                overdue=today > due,
                message=f"{f.what}; due {due} ({basis})",
            )
        )
    out.extend(_expired(report, policy, today))
    out.sort(key=lambda v: (v.due, v.rule, v.package, v.finding))
    return out


def _start(f: Finding, seen: FirstSeen, now: datetime) -> datetime:
    dates = [_aware(d) for d in map(seen, f.clock) if d is not None]
    return min(dates, default=now)


def _due(f: Finding, start: datetime, policy: Policy, tz: ZoneInfo) -> tuple[date, str]:
    days = timedelta(days=f.days)
    if f.by_review:
        review = review_at_or_after(policy, start)
        return review.date() + days, f"{_days(f.days)} after the review of {review.date()}"
    first = start.astimezone(tz).date()
    return first + days, f"{_days(f.days)} after first seen {first}"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _expired(report: ProjectReport, policy: Policy, today: date) -> list[Violation]:
    """Expired waivers that concern this project (its packages or its advisories)."""
    packages = {d.name for d in report.dependencies} | {v.package for v in report.vulnerabilities}
    out = []
    for exc in policy.waivers:
        if exc.expires is None or not is_expired(exc, today):
            continue
        package = _waiver_package(exc, report)
        if package not in packages:
            continue
        out.append(
            Violation(
                rule="waiver-expired",
                package=package,
                finding=exc.label,
                due=exc.expires,
                overdue=True,
                message=f"waiver {exc.label.removeprefix('waiver:')} expired on {exc.expires} "
                f"({exc.reason}); fix the finding or renew the waiver in {exc.source}",
            )
        )
    return out


def _waiver_package(exc: Waiver, report: ProjectReport) -> str:
    if exc.package:
        return exc.package
    wanted = (exc.id or "").casefold()
    for v in report.vulnerabilities:
        if wanted in {i.casefold() for i in v.ids}:
            return v.package
    return "*"


def finding_keys(
    report: ProjectReport,
    policy: Policy | None = None,
    *,
    now: datetime | None = None,
    releases: Mapping[str, ProjectReleases] | None = None,
) -> set[str]:
    """Every finding key of `report` (the store records their first-seen dates).

    Holds each vulnerability under its id and every alias, the `fix:` keys of fixed advisories,
    and the keys of the report's existing violations.
    """
    policy = policy or Policy()
    now = _aware(now or datetime.now(UTC))
    keys = {f.key for f in collect_findings(report, policy, now=now, releases=releases)}
    for v in report.vulnerabilities:
        keys.update(vuln_keys(v))
        if v.fixed_in:
            keys.update(fix_keys(v))
    keys.update(v.finding for v in report.violations)
    return keys


def first_seen_dates(
    report: ProjectReport,
    policy: Policy | None = None,
    *,
    now: datetime,
    first_seen: FirstSeen | None = None,
    releases: Mapping[str, ProjectReleases] | None = None,
) -> dict[str, datetime]:
    """Each finding key of `report` with the date it was first seen (from `first_seen`, else now).

    Written into the JSON report as a project's `"first_seen"` map, it lets the next
    `--since` keep the original dates: without it, a chain of reports would restart every
    clock at the previous report's `generated_at`.
    """
    now = _aware(now)
    seen = first_seen or (lambda key: None)
    out = {}
    for key in sorted(finding_keys(report, policy, now=now, releases=releases)):
        when = seen(key)
        out[key] = _aware(when) if when is not None else now
    return out


def first_seen_from_report(
    old: ScanResult,
    policy: Policy | None = None,
    *,
    project: str | None = None,
) -> FirstSeen:
    """First-seen dates from an earlier scan (`--since FILE`).

    `old` is the earlier `ScanResult` (a `depsentry.scan/1` file is turned into one by
    `report.json.read_report`). Its findings date from its `generated_at`, or from the earlier
    date in a project's `first_seen` map when it has one (see `first_seen_dates`). With `project`, only the project of that path counts when the
    old report has it; otherwise all of them do.
    """
    dates: dict[str, datetime] = {}

    def note(key: str, when: datetime) -> None:
        if key not in dates or when < dates[key]:
            dates[key] = when

    generated = _aware(old.generated_at)
    reports = old.projects
    if project is not None and any(p.path == project for p in reports):
        reports = [p for p in reports if p.path == project]
    for p in reports:
        for key in finding_keys(p, policy, now=generated):
            note(key, generated)
        for key, when in p.first_seen.items():
            note(key, _aware(when))
    return dates.get


def published_dates(report: ProjectReport) -> FirstSeen:
    """First-seen dates when there is no history (no store, no `--since`): a vulnerability's
    clock starts when the team could first have known, the advisory's publication date; a
    CI gate that restarted every clock "now" would pass a six-year-old known vulnerability."""
    dates: dict[str, datetime] = {}
    for v in report.vulnerabilities:
        if v.published is None:
            continue
        published = _aware(v.published)
        # `fix:` clocks too (needs_fix): without history or index data, when a fixed release
        # first existed cannot be dated, and the advisory usually ships with its fix.
        for key in (*vuln_keys(v), *(fix_keys(v) if v.fixed_in else ())):
            if key not in dates or published < dates[key]:
                dates[key] = published
    return dates.get


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
