"""Building a store, settings and outbox events for relay tests, and running the relay once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from depsentry.daemon.config import load_settings
from depsentry.daemon.events import Change, ChangeKind, Event, EventKind, FindingView
from depsentry.daemon.metrics import Metrics
from depsentry.daemon.relay import Relay
from depsentry.daemon.settings import AlertSettings, Settings
from depsentry.daemon.store import Store
from depsentry.daemon.store.engine import writing
from depsentry.daemon.store.outbox import add_event, uuid7


def settings_for(tmp_path: Path, channels: str, projects: str = "", **alerts: Any) -> Settings:
    """A daemon config with these [[channel]] tables (and fast retries unless told otherwise)."""
    (tmp_path / "app").mkdir(exist_ok=True)
    config = tmp_path / "depsentry.toml"
    config.write_text(
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\n'
        f'[[project]]\nname = "app"\npath = "{tmp_path / "app"}"\n{projects}\n{channels}',
        encoding="utf-8",
    )
    settings = load_settings(config)
    fast = {"backoff_initial": 0.05, "backoff_max": 0.2, "poll": 0.2, **alerts}
    return replace(settings, alerts=replace(AlertSettings(), **fast))


def vuln(
    key: str, severity: str = "high", *, package: str = "jinja2", finding_id: int | None = None,
    **extra: Any,
) -> FindingView:  # fmt: skip
    fields: dict[str, Any] = {"summary": f"advisory {key}", "fixed_in": ("3.1.3",), **extra}
    return FindingView(
        key=key, kind="vulnerability", package=package, version="2.11.3",
        advisory_id=f"GHSA-{key}", severity=severity, id=finding_id, **fields,
    )  # fmt: skip


def scan_event(
    *findings: FindingView, project: str = "app", kind: ChangeKind = ChangeKind.NEW,
    event_kind: EventKind = EventKind.SCAN, previous: str | None = None,
) -> Event:  # fmt: skip
    return Event(
        id=uuid7(), kind=event_kind, project=project,
        created_at=datetime.now(UTC).isoformat(), run_id=1,
        changes=tuple(Change(kind, f, previous=previous) for f in findings),
    )  # fmt: skip


def open_store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'relay.sqlite3'}")


def write_events(store: Store, events: Sequence[Event]) -> None:
    with writing(store.engine) as conn:
        for event in events:
            add_event(conn, event, datetime.now(UTC))


def run_relay(
    store: Store,
    settings: Settings | Callable[[], Settings],
    *,
    timeout: float = 20.0,
    metrics: Metrics | None = None,
    clock: Callable[[], datetime] | None = None,
    steps: int = 1,
    until: Callable[[], bool] | None = None,
) -> Relay:
    """Route and send until every channel's sender is idle, or `until()` holds (or `timeout`)."""
    get = settings if callable(settings) else (lambda: settings)

    async def go() -> Relay:
        relay = Relay(
            store, get, metrics=metrics, rand=lambda: 0.0,
            **({"clock": clock} if clock is not None else {}),
        )  # fmt: skip
        try:
            for _ in range(steps):
                await relay.step()
                if until is None:
                    await relay.idle(timeout)
                    continue
                loop = asyncio.get_running_loop()
                deadline = loop.time() + timeout
                while not until() and loop.time() < deadline:
                    await asyncio.sleep(0.05)
        finally:
            await relay.stop()
        return relay

    return asyncio.run(go())


def all_attempted(store: Store) -> Callable[[], bool]:
    """Every delivery has had at least one attempt (for tests that expect one to wait)."""
    return lambda: all(d.attempts >= 1 for d in store.deliveries()) and bool(store.deliveries())
