"""The outbox event: what the store records when findings change, and what notifiers render.

The store writes one `Event` per project per scan (its finding changes grouped), per review digest,
per baseline and per expiry, in the same transaction as the change itself; the relay routes each
to channels, and notifiers turn it into messages. It round-trips through JSON (`to_json` /
`from_json`) because the outbox stores it as a JSON document and the generic webhook sends it.
"""

from __future__ import annotations

import enum
import json
import operator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Change", "ChangeKind", "Event", "EventKind", "FindingView", "ProjectDigest"]

EVENT_SCHEMA = "depsentry.event/1"


class EventKind(enum.Enum):
    """Why an event exists."""

    SCAN = "scan"  # one project's finding changes from one scan (or re-match after a sync)
    BASELINE = "baseline"  # what already existed at a project's first scan, or a new route
    DIGEST = "digest"  # the policy's review digest for one project
    EXPIRY = "expiry"  # snoozes or waivers that ran out and re-opened findings
    TEST = "test"  # a sample sent by `depsentry alerts test`; never written to the outbox


class ChangeKind(enum.Enum):
    """What happened to one finding."""

    NEW = "new"
    SEVERITY_RAISED = "severity_raised"  # severity, EPSS or KEV rose
    FIX_AVAILABLE = "fix_available"  # an open vulnerability that had no fix now has one
    OVERDUE = "overdue"  # a violation became overdue
    RESOLVED = "resolved"  # upgraded away
    RETRACTED = "retracted"  # the advisory was withdrawn or no longer matches
    REOPENED = "reopened"  # a snooze or waiver expired


@dataclass(frozen=True, slots=True)
class FindingView:
    """A finding as people read it; `key` is its stable identity in the store."""

    key: str
    kind: str  # "vulnerability" | "update" | "violation"
    package: str
    version: str = ""
    advisory_id: str | None = None
    aliases: tuple[str, ...] = ()
    severity: str = "unknown"  # critical, high, medium, low, unknown
    cvss: float | None = None
    epss: float | None = None
    kev: bool = False
    malicious: bool = False
    fixed_in: tuple[str, ...] = ()
    summary: str = ""
    target: str | None = None  # updates: the version to move to
    rule: str | None = None  # violations: the policy rule
    due: str | None = None  # ISO date
    dev_only: bool = False
    fix_command: str | None = None
    codemod: str | None = None
    update_type: str | None = None  # updates: major, minor, patch, other
    libyears: float | None = None  # updates: how far behind the version in use is
    overdue: bool = False  # violations: past the due date
    source: str | None = None  # where the dependency is declared (file:line)
    first_seen: str | None = None  # ISO 8601, UTC
    id: int | None = None  # the finding's number in the store (`depsentry findings show ID`)

    def to_dict(self) -> dict[str, Any]:
        """What `dataclasses.asdict` gives (tuples as lists), without its deep copy of each leaf:
        a baseline event of a few hundred findings spent most of its time there."""
        data = dict(zip(_VIEW_FIELDS, _VIEW_VALUES(self), strict=True))
        data["aliases"] = list(self.aliases)
        data["fixed_in"] = list(self.fixed_in)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FindingView:
        """The inverse of `dataclasses.asdict` (lists back to tuples; unknown keys dropped)."""
        known = cls.__dataclass_fields__
        fields: dict[str, Any] = {
            k: tuple(v) if k in {"aliases", "fixed_in"} else v
            for k, v in data.items()
            if k in known
        }
        return cls(**fields)


@dataclass(frozen=True, slots=True)
class Change:
    """One finding's change; `previous` is the old severity for SEVERITY_RAISED."""

    kind: ChangeKind
    finding: FindingView
    previous: str | None = None


@dataclass(frozen=True, slots=True)
class ProjectDigest:
    """The review digest's content for one project."""

    outdated: tuple[FindingView, ...] = ()
    due: tuple[FindingView, ...] = ()
    overdue: tuple[FindingView, ...] = ()
    open_vulnerabilities: tuple[FindingView, ...] = ()
    libyears: float = 0.0
    fixed_since_last: int = 0
    dismissed: int = 0
    snoozed: int = 0
    commands: tuple[str, ...] = ()
    readiness: str | None = None  # e.g. "31 of 34 ready for 3.14; 2 need an upgrade"


@dataclass(frozen=True, slots=True)
class Event:
    """One outbox entry. `id` is unique and stable: webhook receivers de-duplicate on it."""

    id: str
    kind: EventKind
    project: str
    created_at: str  # ISO 8601, UTC
    run_id: int | None = None
    changes: tuple[Change, ...] = ()
    digest: ProjectDigest | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        document = _plain(self)
        document["schema"] = EVENT_SCHEMA
        return json.dumps(document, default=_enum_value, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Event:
        data = json.loads(text)
        data.pop("schema", None)
        digest = data.pop("digest")
        return cls(
            **{k: v for k, v in data.items() if k not in {"kind", "changes"}},
            kind=EventKind(data["kind"]),
            changes=tuple(
                Change(
                    kind=ChangeKind(c["kind"]),
                    finding=_finding(c["finding"]),
                    previous=c["previous"],
                )
                for c in data["changes"]
            ),
            digest=None if digest is None else _digest(digest),
        )


def _finding(data: dict[str, Any]) -> FindingView:
    return FindingView.from_dict(data)


def _digest(data: dict[str, Any]) -> ProjectDigest:
    lists = {"outdated", "due", "overdue", "open_vulnerabilities"}
    fields: dict[str, Any] = {
        k: tuple(_finding(f) for f in v) if k in lists else tuple(v) if k == "commands" else v
        for k, v in data.items()
    }
    return ProjectDigest(**fields)


_VIEW_FIELDS = tuple(FindingView.__dataclass_fields__)
_VIEW_VALUES = operator.attrgetter(*_VIEW_FIELDS)


def _plain(value: Any) -> Any:
    # What dataclasses.asdict gives, by hand for the types a baseline holds hundreds of.
    if type(value) is FindingView:
        return value.to_dict()
    if type(value) is Change:
        return {"kind": value.kind.value, "finding": _plain(value.finding),
                "previous": value.previous}  # fmt: skip
    if hasattr(value, "__dataclass_fields__"):
        return {f: _plain(getattr(value, f)) for f in value.__dataclass_fields__}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _enum_value(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
