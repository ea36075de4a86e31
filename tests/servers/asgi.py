"""Run an ASGI app under depsentry's guarded uvicorn in a background thread, on a free port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from depsentry.serving import ServerLimits, bind, make_server


@dataclass
class Running:
    url: str
    port: int
    server: uvicorn.Server

    def connections(self) -> int:
        return len(self.server.server_state.connections)


@contextmanager
def running(app: Any, limits: ServerLimits | None = None) -> Iterator[Running]:
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = make_server(app, limits or ServerLimits())
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield Running(f"http://127.0.0.1:{port}", port, server)
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
