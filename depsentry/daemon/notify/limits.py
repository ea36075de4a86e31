"""Client-side rate limits: one sliding-window limiter per destination, shared by all its sends.

Each limiter has its own lock, so waiting for one robot's window never delays another robot.
Written by hand: the limits are a few (count, seconds) windows plus a server-imposed pause, and
the libraries on offer (aiolimiter, limits) model one window or need a storage backend.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque
from collections.abc import Awaitable, Callable

from depsentry.errors import RateLimited

__all__ = ["Limiter", "Limiters", "Windows"]

Windows = tuple[tuple[int, float], ...]  # (at most N sends, per S seconds), all must hold


class Limiter:
    """Waits until a send fits every window; raises RateLimited when the wait would be too long."""

    def __init__(
        self,
        windows: Windows,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.windows = windows
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[list[float]] = deque(maxlen=max((n for n, _ in windows), default=1))
        self._unsettled: deque[list[float]] = deque()  # slots taken whose send has not finished
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def delay(self) -> float:
        """Seconds until the next send may go (0 when it may go now)."""
        now = self._clock()
        wait = self._paused_until - now
        sent = [slot[0] for slot in self._sent]
        for count, per in self.windows:
            recent = [t for t in sent if t > now - per]
            if len(recent) >= count:
                wait = max(wait, recent[-count] + per - now)
        return max(wait, 0.0)

    async def acquire(self, max_wait: float, what: str) -> None:
        """Take one slot, waiting up to `max_wait` seconds; waiters go in arrival order."""
        async with self._lock:
            while (wait := self.delay()) > 0:
                if wait > max_wait:
                    raise RateLimited(f"{what}: rate limit, next send in {wait:.0f}s", wait)
                await self._sleep(wait)
            slot = [self._clock()]  # a list: settle() moves it in place
            self._sent.append(slot)
            self._unsettled.append(slot)

    def settle(self) -> None:
        """A send just finished: count the oldest unsettled slot from now. The service counts a
        request when it arrives, which may be well after we took the slot on a busy machine or
        network; with sends in flight together, each finish settles one slot, oldest first."""
        if self._unsettled:
            slot = self._unsettled.popleft()
            slot[0] = max(slot[0], self._clock())

    def pause(self, seconds: float) -> None:
        """The service asked us to wait (429 Retry-After, DingTalk 130101): hold every send."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)


class Limiters:
    """The limiter of each destination, keyed by a hash (the key holds URLs and tokens)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._by_key: dict[str, Limiter] = {}

    def get(self, destination: str, windows: Windows) -> Limiter:
        key = hashlib.sha256(destination.encode()).hexdigest()
        limiter = self._by_key.get(key)
        if limiter is None:
            limiter = Limiter(windows, clock=self._clock, sleep=self._sleep)
            self._by_key[key] = limiter
        return limiter
