"""The outbox event round-trips through JSON unchanged."""

from __future__ import annotations

import json

from depsentry.daemon.events import (
    Change,
    ChangeKind,
    Event,
    EventKind,
    FindingView,
    ProjectDigest,
)


def _finding(key: str) -> FindingView:
    return FindingView(
        key=key,
        kind="vulnerability",
        package="jinja2",
        version="2.11.3",
        advisory_id="GHSA-h5c8-rqwp-cp95",
        aliases=("CVE-2024-22195",),
        severity="medium",
        cvss=5.4,
        fixed_in=("3.1.3",),
    )


def test_scan_event_round_trips() -> None:
    event = Event(
        id="0192f1d2-0000-7000-8000-000000000001",
        kind=EventKind.SCAN,
        project="billing",
        created_at="2026-12-01T02:00:00+00:00",
        run_id=7,
        changes=(
            Change(ChangeKind.NEW, _finding("a")),
            Change(ChangeKind.SEVERITY_RAISED, _finding("b"), previous="low"),
        ),
    )
    text = event.to_json()
    assert json.loads(text)["schema"] == "depsentry.event/1"
    assert Event.from_json(text) == event


def test_digest_event_round_trips() -> None:
    event = Event(
        id="e2",
        kind=EventKind.DIGEST,
        project="billing",
        created_at="2026-12-07T01:00:00+00:00",
        digest=ProjectDigest(overdue=(_finding("c"),), libyears=3.5, commands=("depsentry fix .",)),
    )
    assert Event.from_json(event.to_json()) == event


def test_the_fast_paths_of_event_json_write_every_field() -> None:
    """Views and changes are flattened by hand (a baseline holds hundreds): no field left out."""
    import dataclasses

    from depsentry.daemon.events import Change, ChangeKind, FindingView, _plain

    view = FindingView(key="k", kind="vulnerability", package="p", aliases=("A",), fixed_in=("2",))
    change = Change(ChangeKind.SEVERITY_RAISED, view, previous="low")
    assert set(_plain(view)) == {f.name for f in dataclasses.fields(FindingView)}
    assert _plain(change) == {
        "kind": "severity_raised", "finding": _plain(view), "previous": "low",
    }  # fmt: skip
    assert set(_plain(change)) == {f.name for f in dataclasses.fields(Change)}
