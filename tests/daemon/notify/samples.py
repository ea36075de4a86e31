"""Events of every kind and channels pointed at the stand-ins, for the notify tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from depsentry.daemon.events import Change, ChangeKind, Event, EventKind, FindingView, ProjectDigest
from depsentry.daemon.notify import Channel, parse_channels


def vuln(package: str = "jinja2", severity: str = "high", **kw: Any) -> FindingView:
    fields: dict[str, Any] = {
        "key": f"v:{package}:{kw.get('advisory_id', 'GHSA-h5c8-rqwp-cp95')}",
        "kind": "vulnerability",
        "package": package,
        "version": "2.11.3",
        "advisory_id": "GHSA-h5c8-rqwp-cp95",
        "aliases": ("CVE-2024-22195",),
        "severity": severity,
        "cvss": {"critical": 9.8, "high": 7.5, "medium": 5.4, "low": 2.1}.get(severity),
        "fixed_in": ("3.1.3",),
        "summary": "HTML attribute injection through the xmlattr filter",
        "fix_command": f"depsentry fix . --package {package}",
    }
    fields.update(kw)
    return FindingView(**fields)


UPDATE = FindingView(
    key="u:django",
    kind="update",
    package="django",
    version="4.2.0",
    target="5.1.4",
    due="2026-12-31",
)
VIOLATION = FindingView(
    key="p:flask",
    kind="violation",
    package="flask",
    version="1.0",
    rule="max-age",
    due="2026-11-01",
    fix_command="depsentry fix . --package flask",
)


def scan_event(changes: tuple[Change, ...] | None = None, **kw: Any) -> Event:
    return Event(
        id=kw.pop("id", "0192f1d2-0000-7000-8000-000000000001"),
        kind=kw.pop("kind", EventKind.SCAN),
        project=kw.pop("project", "billing"),
        created_at="2026-12-01T02:00:00+00:00",
        run_id=7,
        changes=changes
        if changes is not None
        else tuple(
            Change(
                kind,
                vuln(severity="critical" if kind is ChangeKind.NEW else "high"),
                "medium" if kind is ChangeKind.SEVERITY_RAISED else None,
            )
            for kind in ChangeKind
        ),
        **kw,
    )


def every_event() -> list[Event]:
    """One event of each kind, each with every change kind or digest section it can hold."""
    digest = ProjectDigest(
        outdated=(UPDATE,),
        due=(VIOLATION,),
        overdue=(VIOLATION,),
        open_vulnerabilities=(vuln(),),
        libyears=3.5,
        fixed_since_last=2,
        dismissed=1,
        snoozed=3,
        commands=("depsentry fix .",),
        readiness="31 of 34 dependencies are ready for Python 3.14",
    )
    baseline = tuple(
        Change(ChangeKind.NEW, f)
        for f in (vuln(severity="critical"), vuln("requests", "low"), UPDATE, VIOLATION)
    )
    return [
        scan_event(),
        scan_event(baseline, id="e-baseline", kind=EventKind.BASELINE),
        scan_event((), id="e-digest", kind=EventKind.DIGEST, digest=digest),
        scan_event(
            (Change(ChangeKind.REOPENED, vuln(severity="critical")),),
            id="e-expiry",
            kind=EventKind.EXPIRY,
        ),
        scan_event(
            (Change(ChangeKind.NEW, vuln(severity="critical")),), id="e-test", kind=EventKind.TEST
        ),
    ]


def many_changes(n: int, kind: ChangeKind = ChangeKind.NEW) -> Event:
    """A scan event with `n` findings with long summaries, to force splitting."""
    changes = tuple(
        Change(
            kind,
            vuln(
                f"package-{i:04d}",
                "high",
                advisory_id=f"GHSA-{i:04d}-aaaa-bbbb",
                summary="长的摘要 long summary " * 20,
            ),
        )
        for i in range(n)
    )
    return scan_event(changes, id=f"e-many-{n}")


def channel(kind: str, environ: Mapping[str, str] | None = None, **table: Any) -> Channel:
    (parsed,) = parse_channels(
        [{"name": f"test-{kind}", "kind": kind, **table}], environ=environ or {}
    )
    return parsed
