"""Routing: which channels an outbox event goes to, and what each of them is told (pure).

Per channel: the project must route to it (the project's `channels`, else the channel's
`projects` globs); a scan's changes are kept only when they alert there (a new or reopened
vulnerability at or above `min_severity`, unrated counting as `unrated_as`; malicious and KEV
always; a severity that rose across the threshold; a violation newly overdue; a fix for a
vulnerability the channel was told about or would be; resolved/retracted notes only for findings
the channel was told about); quiet hours hold a delivery until they end unless it is critical and
the channel lets critical through. Auto-triage rules (`[[triage]]`) are matched here too; the
relay dismisses what they match before any routing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo

from depsentry.daemon.events import Change, ChangeKind, Event, EventKind, FindingView
from depsentry.daemon.notify.channels import Channel
from depsentry.daemon.settings import ProjectSettings, TriageRule

__all__ = ["Decision", "accepts", "channels_for", "matching_rule", "quiet_until", "route"]

_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "unknown": 0}
_ALERTING = {ChangeKind.NEW, ChangeKind.REOPENED, ChangeKind.SEVERITY_RAISED, ChangeKind.OVERDUE}


@dataclass(frozen=True, slots=True)
class Decision:
    """What one channel gets of one event."""

    channel: str
    event: Event
    critical: bool
    hold_until: datetime | None
    alerted: tuple[str, ...]  # keys of the findings this message alerts about


def channels_for(
    project: str, settings: ProjectSettings | None, channels: Sequence[Channel]
) -> list[Channel]:
    """The channels `project` routes to: its own `channels` list, else every channel whose
    `projects` globs take it."""
    if settings is not None and settings.channels:
        return [c for c in channels if c.name in settings.channels]
    return [c for c in channels if c.routes(project)]


def accepts(channel: Channel, finding: FindingView, unrated_as: str = "high") -> bool:
    """Whether `finding` is at or above the channel's threshold (malicious and KEV always)."""
    if finding.malicious or finding.kev:
        return True
    return _accepts_severity(channel, finding.severity, unrated_as)


def _accepts_severity(channel: Channel, severity: str | None, unrated_as: str) -> bool:
    effective = severity if severity in _RANK and severity != "unknown" else unrated_as
    if effective == "ignore":
        return False
    return _RANK.get(effective, 3) >= _RANK.get(channel.min_severity, 1)


def _keep(change: Change, channel: Channel, alerted: Collection[str], unrated_as: str) -> bool:
    f = change.finding
    kind = change.kind
    if kind in (ChangeKind.RESOLVED, ChangeKind.RETRACTED):
        return f.key in alerted
    if kind is ChangeKind.OVERDUE:
        return True  # the policy's own deadline passed: every route of the project hears it
    if f.kind != "vulnerability":
        # Updates and new (not yet overdue) violations wait for the digest; a reopened one
        # (its snooze expired) is said once.
        return kind is ChangeKind.REOPENED
    if kind is ChangeKind.SEVERITY_RAISED:
        if change.previous is None:  # KEV or EPSS rose: news wherever the finding qualifies
            return accepts(channel, f, unrated_as)
        return accepts(channel, f, unrated_as) and (
            f.key not in alerted or not _accepts_severity(channel, change.previous, unrated_as)
        )
    if kind is ChangeKind.FIX_AVAILABLE:
        return f.key in alerted or accepts(channel, f, unrated_as)
    return accepts(channel, f, unrated_as)  # NEW, REOPENED


def is_critical(changes: Iterable[Change]) -> bool:
    """Whether any alerting change is critical (critical severity, malicious or KEV)."""
    return any(
        c.kind in _ALERTING
        and (c.finding.severity == "critical" or c.finding.malicious or c.finding.kev)
        for c in changes
    )


def quiet_until(channel: Channel, now: datetime) -> datetime | None:
    """When the channel's quiet hours end, if `now` is inside them."""
    if channel.quiet_hours is None or not channel.is_quiet(now):
        return None
    zone = ZoneInfo(channel.timezone)
    local = now.astimezone(zone)
    end = local.replace(
        hour=channel.quiet_hours[1].hour, minute=channel.quiet_hours[1].minute, second=0,
        microsecond=0,
    )  # fmt: skip
    if end <= local:
        end += timedelta(days=1)
    # Rebuild from the wall time so a DST change in between lands on the right hour.
    end = datetime(end.year, end.month, end.day, end.hour, end.minute, tzinfo=zone)
    return end.astimezone(now.tzinfo)


def route(
    event: Event,
    channel: Channel,
    *,
    alerted: Collection[str],
    now: datetime,
    unrated_as: str = "high",
) -> Decision | None:
    """What `channel` gets of `event` (None: nothing)."""
    changes = event.changes
    if event.kind in (EventKind.SCAN, EventKind.EXPIRY):
        changes = tuple(c for c in changes if _keep(c, channel, alerted, unrated_as))
        if not changes:
            return None
    elif event.kind is EventKind.BASELINE:
        # The summary of what exists: vulnerabilities at the channel's level, everything else.
        changes = tuple(
            c
            for c in changes
            if c.finding.kind != "vulnerability" or accepts(channel, c.finding, unrated_as)
        )
    critical = is_critical(changes) if event.kind is not EventKind.DIGEST else False
    hold = quiet_until(channel, now)
    if hold is not None and critical and channel.critical_overrides_quiet:
        hold = None
    told = tuple(
        sorted(
            {
                c.finding.key
                for c in changes
                if c.kind in _ALERTING or event.kind is EventKind.BASELINE
            }
        )
    )
    routed = replace(event, changes=changes) if changes != event.changes else event
    return Decision(channel.name, routed, critical, hold, told)


def matching_rule(
    finding: FindingView, project: str, rules: Sequence[TriageRule]
) -> TriageRule | None:
    """The first `[[triage]]` rule that matches `finding` (every condition a rule sets holds)."""
    for rule in rules:
        if _matches(rule, finding, project):
            return rule
    return None


def _matches(rule: TriageRule, f: FindingView, project: str) -> bool:
    if f.kind not in rule.kinds:
        return False
    if rule.projects and not any(fnmatchcase(project, p) for p in rule.projects):
        return False
    if rule.severities and f.severity not in rule.severities:
        return False
    if rule.packages and not any(fnmatchcase(f.package, p) for p in rule.packages):
        return False
    if rule.ids:
        names = {f.advisory_id or "", *f.aliases}
        if not any(fnmatchcase(n, i) for n in names for i in rule.ids):
            return False
    if rule.dev_only is not None and f.dev_only != rule.dev_only:
        return False
    if rule.epss_below is not None and (f.epss is None or f.epss >= rule.epss_below):
        return False
    return not (f.malicious and not rule.malicious_too)
