"""`depsentry alerts`: send a sample to each channel, preview what a project's channels would get,
list the deliveries the relay gave up on and put one back in its queue. Works on the daemon's
config and store directly (`-c`), like `depsentry findings -c`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from depsentry.commands.daemon import config_option
from depsentry.errors import DepsentryError, NotifyError

if TYPE_CHECKING:
    from depsentry.daemon.notify import Channel
    from depsentry.daemon.settings import Settings
    from depsentry.daemon.store import Store


def _settings(config: Path | None) -> Settings:
    from depsentry.daemon.config import config_path, load_settings

    return load_settings(config_path(config))


@contextmanager
def _store(settings: Settings) -> Iterator[Store]:
    from depsentry.daemon.credentials import read_secret
    from depsentry.daemon.store import Store

    password = read_secret(what="daemon.store password", env=settings.store_password_env,
                           file=settings.store_password_file)  # fmt: skip
    store = Store.open(settings.store_url, password=password)
    try:
        yield store
    finally:
        store.close()


def _channels(settings: Settings, name: str | None) -> list[Channel]:
    channels: list[Channel] = list(settings.alert_channels)
    if name is not None:
        channels = [c for c in channels if c.name == name]
        if not channels:
            known = ", ".join(c.name for c in settings.alert_channels) or "none"
            raise DepsentryError(f"no [[channel]] named {name!r} (configured: {known})")
    if not channels:
        raise DepsentryError(f"{settings.config_path}: no [[channel]] configured")
    return channels


@click.group(name="alerts")
def alerts() -> None:
    """Alert channels: test them, preview messages, see and retry failed deliveries."""


@alerts.command(name="test")
@config_option
@click.option("--channel", "channel_name", metavar="NAME", help="Only this channel.")
def test_command(config: Path | None, channel_name: str | None) -> int:
    """Send a sample alert to each channel and print each service's answer (exit 1 if any failed)."""
    from depsentry.daemon.notify import send_test

    settings = _settings(config)
    failed = 0
    for channel in _channels(settings, channel_name):
        try:
            receipts = asyncio.run(send_test(channel))
        except NotifyError as exc:
            failed += 1
            click.echo(f"{channel.name}: FAILED: {exc}")
            continue
        for receipt in receipts:
            click.echo(f"{channel.name}: ok: {receipt}")
    return 1 if failed else 0


@alerts.command(name="preview")
@config_option
@click.option("--project", required=True, metavar="NAME", help="The project to preview.")
@click.option("--digest", is_flag=True, help="Preview its review digest instead.")
@click.option("--channel", "channel_name", metavar="NAME", help="Only this channel.")
def preview_command(
    config: Path | None, project: str, digest: bool, channel_name: str | None
) -> int:
    """Print what each channel of PROJECT would be sent now, in that service's own format,
    without sending: its undelivered alerts, else a summary of its open findings."""
    from depsentry.daemon.events import Change, ChangeKind, Event, EventKind
    from depsentry.daemon.notify import NOTIFIERS
    from depsentry.daemon.routing import channels_for, route
    from depsentry.daemon.store.outbox import uuid7

    settings = _settings(config)
    project_settings = settings.project(project)
    if project_settings is None:
        raise DepsentryError(f"no project named {project!r} in {settings.config_path}")
    channels = channels_for(project, project_settings, _channels(settings, channel_name))
    if not channels:
        raise DepsentryError(f"project {project!r} routes to no channel")
    now = datetime.now(UTC)
    shown = 0
    with _store(settings) as store:
        for channel in channels:
            events: list[Event]
            if digest:
                events = [store.digest_event(project, now)]
            else:
                waiting = [
                    d for d in store.deliveries(state="pending", channel=channel.name, limit=1000)
                    if d.project == project
                ]  # fmt: skip
                events = [Event.from_json(d.payload) for d in reversed(waiting)]
                if not events:
                    views = store.open_findings(project)
                    summary = Event(
                        id=uuid7(), kind=EventKind.BASELINE, project=project,
                        created_at=now.isoformat(),
                        changes=tuple(Change(ChangeKind.NEW, v) for v in views),
                    )  # fmt: skip
                    decision = route(summary, channel, alerted=(), now=now,
                                     unrated_as=settings.alerts.unrated_as)  # fmt: skip
                    events = [decision.event] if decision is not None else []
            notifier = NOTIFIERS[channel.kind]()
            for event in events:
                for payload in notifier.build(event, channel):
                    shown += 1
                    click.echo(f"--- {payload.label}: {payload.title}")
                    click.echo(json.dumps(payload.document(), indent=2, ensure_ascii=False))
    click.echo(f"{shown} message(s) for {len(channels)} channel(s), none sent", err=True)
    return 0


@alerts.command(name="failed")
@config_option
@click.option("--channel", "channel_name", metavar="NAME", help="Only this channel.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
def failed_command(config: Path | None, channel_name: str | None, limit: int, fmt: str) -> int:
    """List the deliveries the relay gave up on (rejected, or past [alerts] give_up_after)."""
    settings = _settings(config)
    with _store(settings) as store:
        failed = store.deliveries(state="failed", channel=channel_name, limit=limit)
        counts = store.delivery_counts()
    if fmt == "json":
        data: dict[str, Any] = {
            "give_up_after": settings.alerts.give_up_after,
            "failed": [d.to_json() for d in failed],
            "channels": counts,
        }
        click.echo(json.dumps(data, indent=2))
        return 0
    for d in failed:
        when = d.failed_at.isoformat(timespec="seconds") if d.failed_at else ""
        click.echo(
            f"{d.id}\t{d.channel}\t{d.project}\t{d.kind}\t{when}\t{d.attempts} attempt(s)\t"
            f"{d.last_error or ''}"
        )
    pending = sum(c.get("pending", 0) for c in counts.values())
    click.echo(
        f"{len(failed)} failed deliver{'y' if len(failed) == 1 else 'ies'}, {pending} pending "
        f"(give_up_after {settings.alerts.give_up_after:g}s)",
        err=True,
    )
    return 0


@alerts.command(name="retry")
@config_option
@click.argument("delivery_id", type=int)
def retry_command(config: Path | None, delivery_id: int) -> int:
    """Put failed delivery ID back in its channel's queue (the running daemon sends it)."""
    settings = _settings(config)
    with _store(settings) as store:
        delivery = store.retry_delivery(delivery_id, datetime.now(UTC))
    if delivery is None:
        raise DepsentryError(f"no delivery {delivery_id}")
    if delivery.state == "sent":
        click.echo(f"delivery {delivery_id} to {delivery.channel} was already sent")
        return 0
    click.echo(
        f"delivery {delivery_id} to {delivery.channel} queued again "
        f"({delivery.kind} event {delivery.event_id})"
    )
    return 0
