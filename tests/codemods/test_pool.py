"""The worker pool: results in chunk order, and a crash, an exception or a hang costs one item."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from depsentry.codemods import pool
from depsentry.codemods.pool import map_chunks


def _double(items: list[int]) -> list[object]:
    return [item * 2 for item in items]


def _crash_on_3(items: list[int]) -> list[object]:
    if 3 in items:
        os.kill(os.getpid(), signal.SIGSEGV)
    return list(items)


def _raise_on_5(items: list[int]) -> list[object]:
    if 5 in items:
        raise ValueError("five\nand a second line")
    return list(items)


def _exit_on_7(items: list[int]) -> list[object]:
    if 7 in items:
        os._exit(3)
    return list(items)


def _sleep_on_2(items: list[int]) -> list[object]:
    if 2 in items:
        time.sleep(60)
    return list(items)


def _crashed(item: int, reason: str) -> object:
    return f"{item}: {reason}"


def test_results_come_back_in_chunk_order() -> None:
    chunks = [[1, 2], [3], [4, 5, 6], [7], [8, 9]]
    assert list(map_chunks(_double, chunks, 2, _crashed)) == [
        [2, 4],
        [6],
        [8, 10, 12],
        [14],
        [16, 18],
    ]


def test_a_crash_costs_only_the_item_that_caused_it() -> None:
    chunks = [[1, 2, 3, 4], [5, 6]]
    assert list(map_chunks(_crash_on_3, chunks, 2, _crashed)) == [
        [1, 2, "3: the worker process died (SIGSEGV)", 4],
        [5, 6],
    ]


def test_an_exception_in_the_work_costs_only_that_item() -> None:
    assert list(map_chunks(_raise_on_5, [[4, 5, 6]], 1, _crashed)) == [
        [4, "5: the worker failed: ValueError: five", 6]
    ]


def test_a_worker_that_exits_is_reported_with_its_status() -> None:
    assert list(map_chunks(_exit_on_7, [[7], [8]], 2, _crashed)) == [
        ["7: the worker process died (exit status 3)"],
        [8],
    ]


def test_an_item_past_its_deadline_is_stopped() -> None:
    start = time.monotonic()
    result = list(map_chunks(_sleep_on_2, [[1, 2], [3]], 2, _crashed, timeout=0.5))
    assert result == [[1, "2: took longer than 0.5 s"], [3]]
    assert time.monotonic() - start < 30


def test_no_chunks_no_workers() -> None:
    assert list(map_chunks(_double, [], 2, _crashed)) == []


def test_the_worker_loop_answers_until_told_to_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    """`_serve` in this process (coverage does not follow forked workers): results, failures."""
    monkeypatch.setattr(pool.signal, "signal", lambda *args: None)
    monkeypatch.setattr(pool.faulthandler, "disable", lambda: None)
    parent, child = multiprocessing.Pipe()
    for task in ([1, 2], [5], None):
        parent.send(task)
    pool._serve(child, _raise_on_5)
    assert parent.recv() == [1, 2]
    failure = parent.recv()
    assert failure == pool._Failure("the worker failed: ValueError: five")


def test_the_worker_loop_ends_when_its_pipe_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool.signal, "signal", lambda *args: None)
    monkeypatch.setattr(pool.faulthandler, "disable", lambda: None)
    parent, child = multiprocessing.Pipe()
    parent.close()
    pool._serve(child, _double)  # returns instead of waiting forever
