"""Status snapshots for the status page tests: a busy daemon with a failing, hostile project."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from depsentry.daemon.status import OverdueItem, ProjectStatus, StatusSnapshot

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))
HOSTILE_NAME = '<script>document.body.setAttribute("data-pwned", "1")</script>billing'
HOSTILE_ERROR = (
    "git clone failed: <img src=x onerror=\"document.body.setAttribute('data-pwned','2')\">"
    " & exit 128"
)


def busy() -> StatusSnapshot:
    projects = (
        ProjectStatus(
            name="payments",
            location="https://git.example.com/pay/payments.git",
            last_run_at=NOW - timedelta(hours=2),
            last_result="ok",
            last_error=None,
            next_run_at=datetime(2025, 6, 3, 2, 0, tzinfo=SHANGHAI),  # 2025-06-02 18:00 UTC
            open_by_severity={"critical": 2, "high": 3, "medium": 1, "low": 0, "unrated": 4},
            overdue=1,
        ),
        ProjectStatus(
            name=HOSTILE_NAME,
            location="/srv/billing",
            last_run_at=NOW - timedelta(minutes=5),
            last_result="failed",
            last_error=HOSTILE_ERROR,
            next_run_at=NOW + timedelta(hours=1),
            open_by_severity={"high": 1},
            overdue=0,
        ),
        ProjectStatus(
            name="newcomer",
            location="/srv/newcomer",
            last_run_at=None,
            last_result=None,
            last_error=None,
            next_run_at=None,
            open_by_severity={},
            overdue=0,
        ),
    )
    return StatusSnapshot(
        generated_at=NOW,
        ready=True,
        advisory_records=2662,
        advisory_updated=NOW - timedelta(days=3),
        last_sync_at=NOW - timedelta(hours=4),
        queue_depth=3,
        in_flight=1,
        projects=projects,
        overdue=(
            OverdueItem("payments", "security-fix-deadline", "jinja2", date(2025, 5, 20), 13),
        ),
        next_runs=(
            ("advisory sync", NOW + timedelta(hours=2)),
            ("scan billing", NOW + timedelta(hours=1)),
        ),
    )
