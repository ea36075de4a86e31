"""The status snapshot the status page renders."""

from __future__ import annotations

from datetime import UTC, date, datetime

from depsentry.daemon.status import build_snapshot, to_json
from depsentry.daemon.store.runs import ProjectState

NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)


def test_snapshot_counts_open_vulnerabilities_and_overdue_items() -> None:
    state = ProjectState(
        "billing", "/srv/billing", None, True, NOW, NOW, "failed", "no dependency files found", 3, 0
    )
    snapshot = build_snapshot(
        now=NOW, ready=True, projects=[("billing", "/srv/billing"), ("new", "https://git.example.com/new.git")],
        states={"billing": state},
        counts={"billing": {("vulnerability", "high"): 2, ("vulnerability", "unknown"): 1, ("update", "unknown"): 4}},
        violations=[("billing", "vulnerability", "jinja2", "2026-12-01", True), ("gone", "x", "y", "2026-01-01", True)],
        next_run={"billing": NOW}, running={"new"}, queued=set(), advisory_records=10,
        advisory_updated=None, advisory_source="osv", last_sync_at=NOW,
        next_runs=[("scan billing", NOW)], version="0.1.0",
    )  # fmt: skip
    billing, new = snapshot.projects
    assert billing.open_by_severity == {
        "critical": 0,
        "high": 2,
        "medium": 0,
        "low": 0,
        "unrated": 1,
    }
    assert (billing.last_result, billing.last_error, billing.overdue, billing.open_updates) == (
        "failed", "no dependency files found", 1, 4)  # fmt: skip
    assert new.last_result is None and new.running and snapshot.in_flight == 1
    (item,) = snapshot.overdue  # a project no longer configured is left out
    assert (item.package, item.due, item.overdue_days) == ("jinja2", date(2026, 12, 1), 9)
    data = to_json(snapshot)
    assert data["projects"][0]["last_run_at"] == NOW.isoformat()
    assert data["next_runs"] == [["scan billing", NOW.isoformat()]]


def test_snapshot_lists_each_channels_deliveries() -> None:
    snapshot = build_snapshot(
        now=NOW, ready=True, projects=[], states={}, counts={}, violations=[], next_run={},
        running=set(), queued=set(), advisory_records=0, advisory_updated=None,
        advisory_source="osv", last_sync_at=None, next_runs=[], version="0.1.0",
        channels=["hook", "quiet"], deliveries={"hook": {"pending": 1, "sent": 3, "failed": 2}},
        give_up_after=3600.0,
    )  # fmt: skip
    hook, quiet = snapshot.channels
    assert (hook.name, hook.pending, hook.sent, hook.failed) == ("hook", 1, 3, 2)
    assert (quiet.pending, quiet.sent, quiet.failed) == (0, 0, 0)
    assert snapshot.give_up_after == 3600.0
