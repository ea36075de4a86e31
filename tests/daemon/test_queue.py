"""The scan queue: bounded in flight, oldest attempt first, on-demand first, no doubles."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from depsentry.daemon.queue import Offer, WorkQueue

T0 = datetime(2026, 12, 1, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.peak = 0
        self.running = 0
        self.release = asyncio.Event()

    async def __call__(self, offer: Offer) -> None:
        self.started.append(offer.name)
        self.running += 1
        self.peak = max(self.peak, self.running)
        await self.release.wait()
        self.running -= 1


def test_at_most_concurrency_in_flight_oldest_attempt_first() -> None:
    async def main() -> tuple[list[str], int]:
        rec = Recorder()
        queue = WorkQueue(rec, concurrency=2)
        queue.paused = True
        queue.offer("recent", trigger="schedule", last_attempt=T0)
        queue.offer("old", trigger="schedule", last_attempt=T0 - timedelta(days=3))
        queue.offer("never", trigger="schedule", last_attempt=None)
        queue.offer("older", trigger="schedule", last_attempt=T0 - timedelta(days=1))
        queue.resume()
        await asyncio.sleep(0)
        assert queue.in_flight == 2 and queue.depth == 2
        rec.release.set()
        await queue.join()
        return rec.started, rec.peak

    started, peak = asyncio.run(main())
    assert started == ["never", "old", "older", "recent"]
    assert peak == 2


def test_on_demand_jumps_the_queue_and_may_use_one_extra_slot() -> None:
    async def main() -> list[str]:
        rec = Recorder()
        queue = WorkQueue(rec, concurrency=1)
        queue.offer("a", trigger="schedule", last_attempt=None)
        queue.offer("b", trigger="schedule", last_attempt=None)
        await asyncio.sleep(0)
        assert queue.offer("c", trigger="on-demand", last_attempt=T0, on_demand=True) == "queued"
        await asyncio.sleep(0)
        assert rec.started == ["a", "c"]  # c did not wait behind a or b
        assert queue.offer("d", trigger="on-demand", last_attempt=None, on_demand=True) == "queued"
        await asyncio.sleep(0)
        assert rec.started == ["a", "c"]  # only one slot beyond the limit
        rec.release.set()
        await queue.join()
        return rec.started

    assert asyncio.run(main()) == ["a", "c", "d", "b"]


def test_a_project_is_never_queued_or_run_twice_at_once() -> None:
    async def main() -> list[str]:
        rec = Recorder()
        queue = WorkQueue(rec, concurrency=4)
        assert queue.offer("a", trigger="schedule", last_attempt=None) == "queued"
        await asyncio.sleep(0)
        assert queue.offer("a", trigger="schedule", last_attempt=None) == "running"
        assert queue.offer("a", trigger="on-demand", last_attempt=None, on_demand=True) == "queued"
        assert (
            queue.offer("a", trigger="on-demand", last_attempt=None, on_demand=True)
            == "already queued"
        )
        await asyncio.sleep(0)
        assert rec.started == ["a"] and rec.peak == 1
        rec.release.set()
        await queue.join()
        return rec.started

    assert asyncio.run(main()) == ["a", "a"]


def test_a_crashing_scan_does_not_stop_the_queue() -> None:
    async def main() -> list[str]:
        done: list[str] = []

        async def runner(offer: Offer) -> None:
            if offer.name == "bad":
                raise RuntimeError("boom")
            done.append(offer.name)

        queue = WorkQueue(runner, concurrency=1)
        for name in ("bad", "good"):
            queue.offer(name, trigger="schedule", last_attempt=None)
        await queue.join()
        return done

    assert asyncio.run(main()) == ["good"]


def test_closing_drops_waiting_work_and_refuses_more() -> None:
    async def main() -> None:
        rec = Recorder()
        queue = WorkQueue(rec, concurrency=1)
        queue.paused = True
        queue.offer("a", trigger="schedule", last_attempt=None)
        assert queue.close() == 1
        assert queue.offer("b", trigger="schedule", last_attempt=None) == "refused"
        await asyncio.wait_for(queue.join(), 1)

    asyncio.run(main())
