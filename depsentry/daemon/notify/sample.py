"""`send_test`: what `depsentry alerts test` sends to a channel, and the sample event it renders."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from depsentry.daemon.events import Change, ChangeKind, Event, EventKind, FindingView

from .channels import Channel
from .interface import DeliveryReceipt
from .limits import Limiters
from .registry import NOTIFIERS

__all__ = ["sample_event", "send_test"]

SAMPLE_FINDING = FindingView(
    key="sample:jinja2:GHSA-h5c8-rqwp-cp95",
    kind="vulnerability",
    package="jinja2",
    version="2.11.3",
    advisory_id="GHSA-h5c8-rqwp-cp95",
    aliases=("CVE-2024-22195",),
    severity="critical",
    cvss=9.8,
    fixed_in=("3.1.3",),
    summary="Jinja vulnerable to HTML attribute injection when passing user input as keys to xmlattr filter",
    fix_command="depsentry fix . --package jinja2",
)


def sample_event(now: datetime | None = None) -> Event:
    """A TEST event with one critical finding, so the message shows format and mentions."""
    moment = now or datetime.now(UTC)
    return Event(
        id=f"test-{uuid.uuid4()}",
        kind=EventKind.TEST,
        project="depsentry-test",
        created_at=moment.isoformat(timespec="seconds"),
        changes=(Change(ChangeKind.NEW, SAMPLE_FINDING),),
    )


async def send_test(channel: Channel) -> list[DeliveryReceipt]:
    """Send the sample to `channel`; each service answer, or the NotifyError of the first failure."""
    notifier = NOTIFIERS[channel.kind](limiters=Limiters())
    try:
        return [await notifier.send(p) for p in notifier.build(sample_event(), channel)]
    finally:
        await notifier.aclose()
