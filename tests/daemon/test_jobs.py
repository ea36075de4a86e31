"""When work is due after downtime: judged from the store, not from APScheduler's memory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from depsentry.daemon import jobs
from depsentry.daemon.config import load_settings
from depsentry.daemon.service import Service
from depsentry.daemon.store import Store

NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)  # a Thursday


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    for name in ("fresh", "daily", "done", "crashy"):
        (tmp_path / name).mkdir()
    projects = "".join(
        f'[[project]]\nname = "{n}"\npath = "{n}"\nschedule = "daily 02:00"\n'
        for n in ("fresh", "daily", "done", "crashy")
    )
    (tmp_path / "d.toml").write_text(f'[daemon]\nstate_dir = "state"\n{projects}', encoding="utf-8")
    svc = Service(load_settings(tmp_path / "d.toml"), install_signals=False)
    svc._store = Store.open(svc.settings.store_url)
    yield svc
    svc._store.close()
    svc._executor.shutdown()


def attempt(store: Store, name: str, when: datetime, result: str = "ok") -> None:
    run = store.start_run(name, name, "schedule", when)
    if result == "interrupted":
        store.interrupt_running(when, "stopped")
    else:
        store.record_failure(name, run, "x", now=when, duration=1, result=result)


def test_due_projects_after_downtime(service: Service) -> None:
    store = service.store
    assert store is not None
    attempt(store, "daily", NOW - timedelta(days=2))  # missed two 02:00 runs: due once
    attempt(store, "done", NOW - timedelta(hours=9, minutes=30))  # ran at 02:30 today
    for i in range(jobs.MAX_INTERRUPTED + 1):  # keeps dying with the daemon: not retried forever
        attempt(store, "crashy", NOW - timedelta(minutes=10 - i), "interrupted")
    due = {name: trigger for name, _, trigger in jobs.due_projects(service, NOW)}
    assert due == {"fresh": "first", "daily": "catch-up"}


def test_an_interrupted_scan_runs_again_at_start(service: Service) -> None:
    store = service.store
    assert store is not None
    attempt(store, "done", NOW - timedelta(hours=1), "interrupted")
    assert ("done", "catch-up") in {(n, t) for n, _, t in jobs.due_projects(service, NOW)}


def test_a_review_is_caught_up_only_after_its_clock_started(service: Service) -> None:
    assert not jobs.review_due(service, "monthly", NOW)  # first sight: starts the clock
    assert not jobs.review_due(service, "monthly", NOW + timedelta(days=1))
    # The first Monday of January 2027 (the 4th) passes while the daemon is down.
    assert jobs.review_due(service, "monthly", datetime(2027, 1, 5, tzinfo=UTC))
    assert jobs.review_groups(service) == {"monthly": ["fresh", "daily", "done", "crashy"]}


def test_job_specs_cover_every_project_sync_reviews_and_expiry(service: Service) -> None:
    ids = [spec.id for spec in jobs.specs(service)]
    assert ids == [
        "scan:fresh",
        "scan:daily",
        "scan:done",
        "scan:crashy",
        "sync",
        "review:monthly",
        "expiry",
    ]
