"""The relay: outbox events -> one delivery per routed channel -> sent, retried or given up.

`fan_out` (a worker thread) reads the outbox in order, applies the `[[triage]]` rules, routes
each event (`routing.py`) and writes its deliveries in the same transaction that marks the event
processed. One asyncio task per channel then sends that channel's deliveries oldest first: the
head of a channel waits out its own backoff, so order holds per channel while another channel's
outage never delays this one. A delivery is marked sent only on the service's confirmed answer
(each part of a split message recorded as it is confirmed); `RateLimited` waits what the service
asked, `Unreachable` backs off exponentially with jitter, `Rejected` fails at once, and nothing is
retried past `give_up_after`. State lives in the store, so all of this carries across restarts.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from depsentry.daemon.digests import fleet_event
from depsentry.daemon.events import Change, ChangeKind, Event, EventKind
from depsentry.daemon.routing import channels_for, matching_rule, route
from depsentry.errors import DepsentryError, NotifyError, RateLimited, Rejected, Unreachable

if TYPE_CHECKING:
    from depsentry.daemon.metrics import Metrics
    from depsentry.daemon.notify import Channel, Notifier
    from depsentry.daemon.settings import Settings
    from depsentry.daemon.store import Delivery, Pending, Routed, Store

__all__ = ["Relay", "backoff"]

logger = logging.getLogger(__name__)

BATCH = 25  # events routed per transaction: short, so senders are not held off the write lock
WINDOW = 50  # deliveries a channel's sender reads at once (sent one by one, in order)
FLEET_WAIT = timedelta(minutes=10)  # longest a fleet digest waits for its review's last digest
_TRIAGE_KINDS = {ChangeKind.NEW, ChangeKind.REOPENED}


def backoff(attempts: int, initial: float, cap: float, rand: Callable[[], float]) -> float:
    """Seconds before retry number `attempts` + 1: doubling from `initial` up to `cap`, with
    "equal jitter" (half fixed, half random) so a recovering receiver is not hit all at once."""
    base = min(cap, initial * 2.0 ** min(attempts, 30))
    return base / 2 + rand() * base / 2


async def _woken(event: asyncio.Event, timeout: float) -> None:
    """Until `event` is set or `timeout` passes. Not `asyncio.wait_for`: on Python 3.11 a cancel
    that races the event being set is swallowed, and a stopping daemon's relay never ended."""
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter}, timeout=timeout)
    finally:
        waiter.cancel()


class Relay:
    """Runs beside the service: `await relay.run()` until cancelled; `wake()` when the outbox grew."""

    def __init__(
        self,
        store: Store,
        settings: Callable[[], Settings],
        *,
        metrics: Metrics | None = None,
        notifiers: dict[str, Notifier] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rand: Callable[[], float] = random.random,
    ) -> None:
        from depsentry.daemon.notify import create_notifiers

        self.store = store
        self.settings = settings
        self.metrics = metrics
        self.notifiers = notifiers if notifiers is not None else create_notifiers()
        self.clock = clock
        self.rand = rand
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._kicks: dict[str, asyncio.Event] = {}
        self._routes: tuple[Settings, set[tuple[str, str]]] | None = None  # (of, routes)
        self.sent = 0  # confirmed deliveries since start (tests, benchmarks)

    # -- the main loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        try:
            while True:
                self._wake.clear()
                await self.step()
                await _woken(self._wake, self.settings().alerts.poll)
        finally:
            await self.stop()

    def wake(self) -> None:
        """The outbox grew (callable from any thread)."""
        if self._loop is not None and self._wake is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def step(self) -> int:
        """Route what the outbox holds, then make sure every channel with work has a sender."""
        added, after, more, first = 0, 0, True, True
        while more:
            try:
                written, after, more = await asyncio.to_thread(self.fan_out_batch, after, first)
                busy = await asyncio.to_thread(self.store.delivery_channels)
            except DepsentryError as exc:
                logger.error("relay: %s", exc, extra={"action": "relay_error"})
                return added
            added += written
            first = False
            for name in busy:  # senders start on the first batch while the rest is routed
                self._ensure_worker(name)
                self._kicks[name].set()
        await self._refresh_metrics()
        return added

    async def stop(self) -> None:
        for task in self._workers.values():
            task.cancel()
        await asyncio.gather(*self._workers.values(), return_exceptions=True)
        self._workers.clear()
        for notifier in self.notifiers.values():
            await notifier.aclose()

    # -- fan-out (blocking: runs in a worker thread) ---------------------------------------------

    def fan_out_batch(self, after: int, routes: bool = True) -> tuple[int, int, bool]:
        """Route up to BATCH unprocessed events after `after`, written in one transaction:
        (deliveries written, the last seq read, whether more may follow)."""
        settings = self.settings()
        channels: Sequence[Channel] = settings.alert_channels
        now = self.clock()
        if routes:
            self._route_baselines(settings, now)
        batch = self.store.pending_events(after=after, limit=BATCH)
        work = []
        told: dict[tuple[str, str], set[str]] = {}  # alerted by this batch, not yet committed
        for pending in batch:
            item = self._route_one(pending, settings, channels, now, told)
            if item is not None:
                work.append(item)
            after = pending.seq
        added = self.store.fan_out_many(work, now) if work else 0
        dismissed = sum(len(d) for _, _, d in work)
        if dismissed:
            logger.info("%d finding(s) dismissed by triage rules", dismissed,
                        extra={"action": "auto_triage"})  # fmt: skip
        return added, after, len(batch) == BATCH

    def _route_baselines(self, settings: Settings, now: datetime) -> None:
        if self._routes is None or self._routes[0] is not settings:  # settings change on reload
            pairs = {
                (c.name, p.name)
                for p in settings.projects
                for c in channels_for(p.name, p, settings.alert_channels)
            }
            self._routes = (settings, pairs)
        pairs = self._routes[1]
        for event in self.store.add_route_baselines(pairs, now):
            logger.info(
                "route %s -> %s added: its baseline goes out", event.project,
                event.extra["route"], extra={"action": "route_added", "project": event.project},
            )  # fmt: skip

    def _route_one(
        self,
        pending: Pending,
        settings: Settings,
        channels: Sequence[Channel],
        now: datetime,
        told: dict[tuple[str, str], set[str]],
    ) -> tuple[Pending, list[Routed], list[tuple[int, str, str, str]]] | None:
        """What to write for one event (None: not yet, its review is still being written)."""
        from depsentry.daemon.store import Routed

        targets = channels_for(pending.project, settings.project(pending.project), channels)
        if not targets and not settings.triage:
            return pending, [], []  # nothing to send or dismiss: its findings are never read
        event = pending.event
        created = _parse_time(event.created_at) or now
        if now - created > timedelta(seconds=settings.alerts.give_up_after):
            # Older than anything we would still retry (e.g. a store from before the relay).
            return pending, [], []
        event, dismiss = self._auto_triage(event, settings)
        only = event.extra.get("route")
        if only is not None:
            targets = [c for c in targets if c.name == only]
        alerted = self.store.alerted_keys(event.project, [c.name for c in targets])
        for name, keys in alerted.items():
            keys |= told.get((name, event.project), set())
        routed: list[Routed] = []
        fleets: dict[str, list[Event]] = {}
        if event.kind is EventKind.DIGEST and "review" in event.extra:
            siblings = self.store.review_events(str(event.extra["review"]))
            if len(siblings) < int(event.extra.get("count", 0)) and now - created < FLEET_WAIT:
                return None  # the rest of this review's digests are still being written
            for channel in targets:
                covered = [
                    e for e in siblings
                    if channel in channels_for(e.project, settings.project(e.project), channels)
                ]  # fmt: skip
                if len(covered) >= settings.alerts.fleet_digest_min:
                    fleets[channel.name] = covered
        for channel in targets:
            if channel.name in fleets:
                fleet = fleet_event(
                    fleets[channel.name], str(event.extra["review"]), event.created_at
                )
                routed.append(Routed(channel=channel.name, payload=fleet.to_json(),
                                     event_id=fleet.id))  # fmt: skip
                continue
            decision = route(
                event, channel, alerted=alerted[channel.name], now=now,
                unrated_as=settings.alerts.unrated_as,
            )  # fmt: skip
            if decision is None:
                continue
            told.setdefault((channel.name, event.project), set()).update(decision.alerted)
            routed.append(
                Routed(
                    channel=channel.name, payload=decision.event.to_json(),
                    critical=decision.critical, hold_until=decision.hold_until,
                    alerted=decision.alerted, route=event.kind is EventKind.BASELINE,
                )
            )  # fmt: skip
        return pending, routed, dismiss

    def _auto_triage(
        self, event: Event, settings: Settings
    ) -> tuple[Event, list[tuple[int, str, str, str]]]:
        rules = settings.triage
        if not rules or event.kind is EventKind.DIGEST:
            return event, []
        kept: list[Change] = []
        dismiss: list[tuple[int, str, str, str]] = []
        for change in event.changes:
            arrives = change.kind in _TRIAGE_KINDS or event.kind is EventKind.BASELINE
            rule = matching_rule(change.finding, event.project, rules) if arrives else None
            if rule is None:
                kept.append(change)
                continue
            if change.finding.id is not None:
                comment = rule.comment or f"auto-triage rule {rule.name}"
                dismiss.append(
                    (change.finding.id, rule.reason, comment, f"auto-triage:{rule.name}")
                )
        if not dismiss and len(kept) == len(event.changes):
            return event, []
        return replace(event, changes=tuple(kept)), dismiss

    # -- sending ---------------------------------------------------------------------------------

    def _ensure_worker(self, name: str) -> None:
        task = self._workers.get(name)
        if task is None or task.done():
            self._kicks.setdefault(name, asyncio.Event())
            self._workers[name] = asyncio.create_task(self._worker(name), name=f"relay:{name}")

    async def _worker(self, name: str) -> None:
        kick = self._kicks[name]
        while True:
            kick.clear()
            try:
                wait = await self._next(name)
            except DepsentryError as exc:  # the store: this channel tries again after `poll`
                logger.error("relay %s: %s", name, exc, extra={"action": "relay_error"})
                wait = self.settings().alerts.poll
            if wait is None:
                return  # nothing pending for this channel: `step` starts it again when needed
            if wait > 0:
                await _woken(kick, wait)  # not asyncio.wait_for (see `_woken`)

    async def _next(self, name: str) -> float | None:
        """Deliver the channel's due head (and what follows it, in order, while each one is
        confirmed); return seconds to wait (None: idle)."""
        settings = self.settings()
        now = self.clock()
        due = await asyncio.to_thread(self.store.due_deliveries, name, now, WINDOW)
        poll = settings.alerts.poll
        if not due:
            release = await asyncio.to_thread(self.store.next_release, name)
            if release is None:
                return None
            return max(0.05, min((release - now).total_seconds(), poll))
        channel = next((c for c in settings.alert_channels if c.name == name), None)
        give_up = timedelta(seconds=settings.alerts.give_up_after)
        for delivery in due:
            now = self.clock()
            if now - delivery.clock_start > give_up:
                await self._give_up(delivery, now, delivery.last_error or "no confirmed answer")
                continue
            if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
                return max(0.05, min((delivery.next_attempt_at - now).total_seconds(), poll))
            if channel is None:
                # Removed by a reload: it waits (a reload may bring it back) until the give-up time.
                return poll
            if not await self._deliver(delivery, channel, settings):
                return 0  # a retry is scheduled: read the head again
        return 0

    async def _deliver(self, delivery: Delivery, channel: Channel, settings: Settings) -> bool:
        """One delivery's remaining parts; False when it has to wait for a retry."""
        notifier = self.notifiers[channel.kind]
        try:
            payloads = notifier.build(Event.from_json(delivery.payload), channel)
        except NotifyError as exc:
            await self._give_up(delivery, self.clock(), str(exc))
            return True
        receipt = ""
        for payload in payloads[delivery.parts_sent :]:
            try:
                answer = await notifier.send(payload)
            except RateLimited as exc:
                await self._retry(delivery, exc, exc.retry_after)
                return False
            except Rejected as exc:
                await self._give_up(delivery, self.clock(), str(exc))
                return True
            except Exception as exc:  # noqa: BLE001 - Unreachable, or a bug: retried like an outage
                error = (
                    exc
                    if isinstance(exc, NotifyError)
                    else Unreachable(f"{payload.label}: {type(exc).__name__}")
                )
                delay = backoff(
                    delivery.attempts, settings.alerts.backoff_initial,
                    settings.alerts.backoff_max, self.rand,
                )  # fmt: skip
                await self._retry(delivery, error, delay)
                return False
            now = self.clock()
            receipt = str(answer)
            if payload.part < len(payloads):
                await asyncio.to_thread(
                    self.store.delivery_part_sent, delivery.id, payload.part, now
                )
        now = self.clock()
        await asyncio.to_thread(self.store.delivery_sent, delivery.id, now, receipt)
        self.sent += 1
        delay = (now - delivery.created_at).total_seconds()
        if self.metrics is not None:
            self.metrics.deliveries.labels("sent").inc()
            self.metrics.delivery_delay.observe(max(delay, 0.0))
        logger.info(
            "alert %s sent to %s (%s, %d part(s))", delivery.event_id, channel.name,
            delivery.kind, len(payloads),
            extra={"action": "alert_sent", "channel": channel.name, "delivery": delivery.id,
                   "event_id": delivery.event_id, "project": delivery.project},
        )  # fmt: skip
        return True

    async def _retry(self, delivery: Delivery, exc: NotifyError, delay: float) -> None:
        now = self.clock()
        give_up_at = delivery.clock_start + timedelta(seconds=self.settings().alerts.give_up_after)
        next_at = min(now + timedelta(seconds=delay), max(give_up_at, now))
        await asyncio.to_thread(self.store.delivery_retry_at, delivery.id, now, next_at, str(exc))
        if self.metrics is not None:
            self.metrics.deliveries.labels("retried").inc()
        logger.warning(
            "alert %s to %s not delivered (attempt %d), retrying in %.0fs: %s",
            delivery.event_id, delivery.channel, delivery.attempts + 1,
            (next_at - now).total_seconds(), exc,
            extra={"action": "alert_retry", "channel": delivery.channel,
                   "delivery": delivery.id, "error": str(exc)},
        )  # fmt: skip

    async def _give_up(self, delivery: Delivery, now: datetime, error: str) -> None:
        await asyncio.to_thread(self.store.delivery_failed, delivery.id, now, error)
        if self.metrics is not None:
            self.metrics.deliveries.labels("failed").inc()
            await self._refresh_metrics()
        logger.error(
            "alert %s to %s failed for good: %s (`depsentry alerts retry %d` sends it again)",
            delivery.event_id, delivery.channel, error, delivery.id,
            extra={"action": "alert_failed", "channel": delivery.channel,
                   "delivery": delivery.id, "error": error},
        )  # fmt: skip

    async def _refresh_metrics(self) -> None:
        if self.metrics is None:
            return
        counts = await asyncio.to_thread(self.store.delivery_counts)
        self.metrics.deliveries_pending.set(sum(c.get("pending", 0) for c in counts.values()))
        self.metrics.deliveries_failed.set(sum(c.get("failed", 0) for c in counts.values()))
        self.metrics.give_up_after.set(self.settings().alerts.give_up_after)

    async def idle(self, timeout: float) -> bool:
        """Wait until no channel has a sender running (tests): True when it happened in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if all(t.done() for t in self._workers.values()):
                return True
            await asyncio.sleep(0.02)
        return False


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
