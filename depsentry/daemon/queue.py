"""The scan queue: at most `concurrency` scans in flight; when more are due, the project
attempted longest ago goes first; an on-demand scan jumps the queue and may use one slot
beyond the limit, so it never waits behind a round of long scheduled scans (as in
Dependency-Track's ADR-038).

A project is never queued or run twice at once: a scheduled offer for a project already
waiting or running is coalesced into it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["Offer", "WorkQueue"]

logger = logging.getLogger(__name__)

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Offer:
    """One request to scan a project."""

    name: str
    trigger: str  # schedule | catch-up | on-demand | once | reload
    last_attempt: datetime | None
    on_demand: bool
    seq: int

    def order(self) -> tuple[int, datetime, int]:
        return (0 if self.on_demand else 1, self.last_attempt or _NEVER, self.seq)


Runner = Callable[[Offer], Awaitable[None]]


class WorkQueue:
    """Runs offers through `runner`, a bounded number at a time, on the running loop."""

    def __init__(
        self, runner: Runner, concurrency: int, on_change: Callable[[], None] | None = None
    ):
        self.runner = runner
        self.concurrency = concurrency
        self.paused = False
        self.pending: dict[str, Offer] = {}
        self.running: dict[str, Offer] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._seq = itertools.count()
        self._idle = asyncio.Event()
        self._idle.set()
        self._on_change = on_change or (lambda: None)
        self._closed = False

    @property
    def depth(self) -> int:
        return len(self.pending)

    @property
    def in_flight(self) -> int:
        return len(self.running)

    def offer(
        self, name: str, *, trigger: str, last_attempt: datetime | None, on_demand: bool = False
    ) -> str:
        """Queue a scan of `name`; say what became of it: queued, moved up, already queued or
        running (coalesced), or refused (the queue is closed)."""
        if self._closed:
            return "refused"
        waiting = self.pending.get(name)
        if waiting is not None:
            if on_demand and not waiting.on_demand:
                self.pending[name] = Offer(
                    name, "on-demand", waiting.last_attempt, True, next(self._seq)
                )
                self._dispatch()
                return "moved up"
            return "already queued"
        if name in self.running and not on_demand:
            return "running"  # a scheduled time that fell due during its own run: coalesced
        self.pending[name] = Offer(name, trigger, last_attempt, on_demand, next(self._seq))
        self._idle.clear()
        self._dispatch()
        return "queued"

    def resume(self) -> None:
        self.paused = False
        self._dispatch()

    def close(self) -> int:
        """Take no more work and forget what waits; return how many offers were dropped."""
        self._closed = True
        dropped = len(self.pending)
        self.pending.clear()
        self._settle()
        return dropped

    async def join(self) -> None:
        """Wait until nothing waits and nothing runs."""
        await self._idle.wait()

    def tasks(self) -> set[asyncio.Task[None]]:
        return set(self._tasks)

    def _dispatch(self) -> None:
        while self.pending and not self.paused:
            ready = [o for o in self.pending.values() if o.name not in self.running]
            if not ready:
                break
            best = min(ready, key=Offer.order)
            limit = self.concurrency + (1 if best.on_demand else 0)
            if len(self.running) >= limit:
                break
            del self.pending[best.name]
            self.running[best.name] = best
            task = asyncio.get_running_loop().create_task(self._run(best), name=f"scan:{best.name}")
            self._tasks.add(task)
        self._settle()

    def _settle(self) -> None:
        if not self.pending and not self.running:
            self._idle.set()
        self._on_change()

    async def _run(self, offer: Offer) -> None:
        try:
            await self.runner(offer)
        except asyncio.CancelledError:
            raise
        except Exception:  # one project's crash never takes the daemon down
            logger.exception(
                "scan of %s crashed",
                offer.name,
                extra={"action": "scan_crashed", "project": offer.name},
            )
        finally:
            self.running.pop(offer.name, None)
            task = asyncio.current_task()
            if task is not None:
                self._tasks.discard(task)
            if not self._closed:
                self._dispatch()
            else:
                self._settle()
