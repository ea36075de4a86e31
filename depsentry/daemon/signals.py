"""The only place that touches signal handlers: SIGTERM, SIGINT and SIGHUP are put on a queue
for `Service.run()` to act on, and the previous handlers come back when the scope ends."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["HANDLED", "capture"]

HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


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
