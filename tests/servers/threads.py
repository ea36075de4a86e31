"""ThreadingHTTPServer for the loopback stand-ins: every accepted connection is answered and closed.

On CPython 3.11 under coverage (CI's `pytest --cov`), a new thread can die in
`Thread._bootstrap_inner` before `run()` ("Cannot install a trace function while another trace
function is being installed", at `_sys.settrace(_trace_hook)`; pyproject ignores that unraisable).
`socketserver.ThreadingMixIn` has already accepted the connection and handed it to that thread, so
nobody answers it (the client waits out its timeout) and nobody closes it: the dead Thread keeps the
socket in its args until it is dropped (at `server_close`, or when the next request reaps it), and
the socket is then finalized open, a ResourceWarning failing whichever test is running.

Here the server owns each accepted connection until its handler thread claims it: a thread that
ended without claiming it never ran, so the connection goes to a new thread (nothing was read from
it yet); at `server_close` such a connection is closed instead.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any

Request = socket.socket | tuple[bytes, socket.socket]

MAX_STARTS = 3  # a connection whose handler thread cannot start this often is closed instead


@dataclass(frozen=True)
class _Unclaimed:
    thread: threading.Thread
    client_address: Any
    starts: int


class ThreadingServer(ThreadingHTTPServer):
    """A drop-in ThreadingHTTPServer (same `daemon_threads`/`block_on_close` meaning)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._handoff = threading.Lock()
        self._unclaimed: dict[Request, _Unclaimed] = {}
        self._handlers: list[threading.Thread] = []  # non-daemon ones, joined on close
        super().__init__(*args, **kwargs)

    def process_request(self, request: Request, client_address: Any) -> None:
        self._start_handler(request, client_address, 1)

    def _start_handler(self, request: Request, client_address: Any, starts: int) -> None:
        # ThreadingMixIn.process_request, with the connection recorded before the thread starts.
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            daemon=self.daemon_threads,
        )
        with self._handoff:
            self._unclaimed[request] = _Unclaimed(thread, client_address, starts)
            if self.block_on_close and not thread.daemon:
                self._handlers = [t for t in self._handlers if t.is_alive()] + [thread]
        thread.start()

    def process_request_thread(self, request: Request, client_address: Any) -> None:
        with self._handoff:
            self._unclaimed.pop(request, None)  # claimed: from here socketserver closes it
        super().process_request_thread(request, client_address)

    def service_actions(self) -> None:
        super().service_actions()
        self._rescue(closing=False)

    def _rescue(self, *, closing: bool) -> None:
        with self._handoff:
            orphans = {r: u for r, u in self._unclaimed.items() if not u.thread.is_alive()}
            for request in orphans:
                del self._unclaimed[request]
        for request, orphan in orphans.items():
            if closing or orphan.starts >= MAX_STARTS:
                self.shutdown_request(request)
            else:
                self._start_handler(request, orphan.client_address, orphan.starts + 1)

    def server_close(self) -> None:
        super().server_close()  # the listening socket; its ThreadingMixIn part joins nothing here
        with self._handoff:
            handlers, self._handlers = self._handlers, []
        for thread in handlers:
            thread.join()
        # A thread started just before shutdown claims its connection or dies within moments.
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            with self._handoff:
                starting = any(u.thread.is_alive() for u in self._unclaimed.values())
            if not starting:
                break
            time.sleep(0.005)
        self._rescue(closing=True)
