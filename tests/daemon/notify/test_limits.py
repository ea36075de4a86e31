"""The per-destination limiter: a burst is spread over the window, another robot is not delayed."""

from __future__ import annotations

import asyncio

import pytest

from depsentry.daemon.notify.limits import Limiters
from depsentry.errors import RateLimited


class VirtualClock:
    """Time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def test_burst_of_25_is_spread_over_the_window_in_order() -> None:
    clock = VirtualClock()
    limiter = Limiters(clock=clock, sleep=clock.sleep).get("dingtalk:A", ((20, 60.0),))
    sent: list[tuple[int, float]] = []

    async def one(i: int) -> None:
        await limiter.acquire(max_wait=120, what="robot A")
        sent.append((i, clock.now))

    async def burst() -> None:
        await asyncio.gather(*(one(i) for i in range(25)))

    asyncio.run(burst())
    assert [i for i, _ in sent] == list(range(25))  # arrival order kept
    assert all(t == 0.0 for _, t in sent[:20])
    assert all(t >= 60.0 for _, t in sent[20:])
    # Never more than 20 in any 60-second window.
    times = [t for _, t in sent]
    assert all(sum(1 for u in times if t <= u < t + 60) <= 20 for t in times)


def test_another_destination_is_not_delayed() -> None:
    clock = VirtualClock()
    limiters = Limiters(clock=clock, sleep=clock.sleep)
    a = limiters.get("dingtalk:A", ((20, 60.0),))
    b = limiters.get("dingtalk:B", ((20, 60.0),))

    async def run() -> None:
        for _ in range(20):
            await a.acquire(120, "A")
        assert a.delay() == pytest.approx(60.0)
        assert b.delay() == 0.0
        await b.acquire(120, "B")

    asyncio.run(run())
    assert clock.slept == []  # B went at once although A is full


def test_same_destination_shares_one_limiter_and_keys_hide_the_url() -> None:
    limiters = Limiters()
    assert limiters.get("slack:https://hooks/x", ((1, 1.0),)) is limiters.get(
        "slack:https://hooks/x", ((1, 1.0),)
    )
    assert not any("hooks" in key for key in limiters._by_key)


def test_too_long_a_wait_raises_rate_limited_and_a_pause_holds_every_send() -> None:
    clock = VirtualClock()
    limiter = Limiters(clock=clock, sleep=clock.sleep).get("d", ((20, 60.0),))

    async def run() -> None:
        limiter.pause(600)
        with pytest.raises(RateLimited) as raised:
            await limiter.acquire(max_wait=60, what="robot A")
        assert raised.value.retry_after == pytest.approx(600)
        assert raised.value.retryable

    asyncio.run(run())
    clock.now = 601
    assert limiter.delay() == 0.0


def test_two_windows_both_hold() -> None:
    clock = VirtualClock()
    limiter = Limiters(clock=clock, sleep=clock.sleep).get("feishu:x", ((5, 1.0), (100, 60.0)))

    async def run() -> list[float]:
        times = []
        for _ in range(105):
            await limiter.acquire(max_wait=120, what="bot")
            times.append(clock.now)
        return times

    times = asyncio.run(run())
    assert all(sum(1 for u in times if t <= u < t + 1.0) <= 5 for t in times)
    assert all(sum(1 for u in times if t <= u < t + 60.0) <= 100 for t in times)
    assert times[-1] >= 60.0
