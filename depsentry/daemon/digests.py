"""Digest content beyond the store's counts: the commands that apply, and the fleet digest that
folds many projects' review digests into one message for a channel routing them all.

The codemod names come from `codemods/upgrades.py`, which knows each migration's version ranges
without importing libcst.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from depsentry.daemon.events import Event, EventKind, FindingView, ProjectDigest

__all__ = ["FLEET", "commands_for", "fleet_event", "readiness_for"]

FLEET = "fleet"  # `extra["fleet"]` lists the projects a fleet digest covers
MAX_COMMANDS = 10


def commands_for(views: Sequence[FindingView]) -> tuple[str, ...]:
    """`depsentry fix` for the vulnerabilities with a fix, and `depsentry codemod` for the
    breaking upgrades a codemod migrates, most useful first, at most MAX_COMMANDS."""
    from depsentry.codemods.upgrades import codemods_for

    out: list[str] = []
    fixable = sorted({v.package for v in views if v.kind == "vulnerability" and v.fixed_in})
    if fixable:
        out.append("depsentry fix . " + " ".join(f"--package {p}" for p in fixable[:5]))
    for view in views:
        if view.kind == "update" and view.version and view.target:
            for name in codemods_for(view.package, view.version, view.target):
                command = f"depsentry codemod run {name} .  # {view.package} {view.version} -> {view.target}"
                if command not in out:
                    out.append(command)
    return tuple(out[:MAX_COMMANDS])


def readiness_for(views: Sequence[FindingView]) -> str | None:
    """The readiness line for the policy's target Python: the dependencies whose latest release
    does not support it yet (the policy's `readiness` violations); None when there are none."""
    packages = sorted({v.package for v in views if v.kind == "violation" and v.rule == "readiness"})
    if not packages:
        return None
    # Language-neutral (the template's label says what it is, in en or zh): ✗ names (+more).
    more = f" (+{len(packages) - 5})" if len(packages) > 5 else ""
    return "✗ " + ", ".join(packages[:5]) + more


def fleet_event(events: Sequence[Event], event_id: str, created_at: str) -> Event:
    """One digest across projects: each finding named `project: package`, counts summed."""

    def tagged(project: str, views: Sequence[FindingView]) -> tuple[FindingView, ...]:
        return tuple(replace(v, package=f"{project}: {v.package}") for v in views)

    parts = [e for e in events if e.kind is EventKind.DIGEST and e.digest is not None]
    total = ProjectDigest()
    for event in parts:
        d = event.digest
        assert d is not None
        total = ProjectDigest(
            outdated=total.outdated + tagged(event.project, d.outdated),
            due=total.due + tagged(event.project, d.due),
            overdue=total.overdue + tagged(event.project, d.overdue),
            open_vulnerabilities=total.open_vulnerabilities
            + tagged(event.project, d.open_vulnerabilities),
            libyears=round(total.libyears + d.libyears, 2),
            fixed_since_last=total.fixed_since_last + d.fixed_since_last,
            dismissed=total.dismissed + d.dismissed,
            snoozed=total.snoozed + d.snoozed,
            commands=total.commands,
        )
    names = [e.project for e in parts]
    return Event(
        id=event_id, kind=EventKind.DIGEST, project=f"{len(names)} projects",
        created_at=created_at, digest=total, extra={FLEET: names},
    )  # fmt: skip
