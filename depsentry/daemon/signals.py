"""The only place that touches signal handlers: SIGTERM, SIGINT and SIGHUP are put on a queue
for `Service.run()` to act on, and the previous handlers come back when the scope ends."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["HANDLED", "blocked_for_a_child", "capture", "leave_to_the_daemon"]

_STOPS = {signal.SIGINT, signal.SIGTERM}

HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def leave_to_the_daemon() -> None:
    """In a worker process: a Ctrl-C (SIGINT to the whole process group) or a SIGTERM sent to
    every process is the daemon's to act on; it drains, then ends its workers itself. One
    that came while the worker started (`blocked_for_a_child`) is dropped here."""
    for sig in _STOPS:
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)


@contextmanager
def blocked_for_a_child() -> Iterator[None]:
    """Start a worker process inside: it inherits SIGINT and SIGTERM blocked (this thread's
    mask only; the daemon's main thread still gets them) until `leave_to_the_daemon`."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def capture(loop: asyncio.AbstractEventLoop) -> Iterator[asyncio.Queue[signal.Signals]]:
    """Queue the signals in HANDLED while inside; handlers are installed on `loop`."""
    queue: asyncio.Queue[signal.Signals] = asyncio.Queue()
    previous = {sig: signal.getsignal(sig) for sig in HANDLED}
    for sig in HANDLED:
        loop.add_signal_handler(sig, queue.put_nowait, sig)
    try:
        yield queue
    finally:
        for sig in HANDLED:
            loop.remove_signal_handler(sig)
            signal.signal(sig, previous[sig])
