"""The shared part of the chat-service stand-ins: a loopback HTTP server in a thread that records
every request, and queued faults (an answer, a hang past the client's timeout, a connection reset).

Each service module subclasses `ChatStandIn` with `answer(request)`, which answers as that service
does. Rate limits use `clock` (time.monotonic unless a test passes its own).
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.servers.threads import ThreadingServer


@dataclass
class Request:
    """One request the stand-in received, and what it answered."""

    method: str
    path: str  # without the query
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float
    status: int = 0
    answer: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Fault:
    """Answer the next `times` requests with `status`/`body`, hang (`hang` seconds), or reset."""

    status: int = 500
    body: bytes | dict[str, Any] | str = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    times: int = 1
    hang: float = 0.0
    reset: bool = False


Answer = tuple[int, bytes | dict[str, Any] | str, Mapping[str, str]]


class Window:
    """A sliding-window counter, as the services count sends per robot."""

    def __init__(self, count: int, per: float, clock: Callable[[], float]) -> None:
        self.count, self.per, self.clock = count, per, clock
        self.times: deque[float] = deque()

    def hit(self) -> bool:
        """Record one send; False when it is over the limit (then it is not counted)."""
        now = self.clock()
        while self.times and self.times[0] <= now - self.per:
            self.times.popleft()
        if len(self.times) >= self.count:
            return False
        self.times.append(now)
        return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def setup(self) -> None:
        super().setup()
        if self.server.stand_in.nodelay:
            # Headers and body go out as two writes: Nagle's algorithm holds the body until the
            # client's delayed ACK (40 ms a request on Linux). Benchmarks turn that off.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        parts = urllib.parse.urlsplit(self.path)
        request = Request(
            method="POST",
            path=parts.path,
            query=dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            at=self.server.stand_in.clock(),
        )
        stand_in = self.server.stand_in
        fault = stand_in.take_fault()
        if fault is not None and fault.reset:
            stand_in.record(request)
            # SO_LINGER 0: close sends a TCP RST, as a crashing proxy does.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if fault is not None and fault.hang:
            time.sleep(fault.hang)
        status, answer, headers = (
            (fault.status, fault.body, fault.headers)
            if fault is not None
            else stand_in.answer(request)
        )
        data = (
            answer
            if isinstance(answer, bytes)
            else answer.encode()
            if isinstance(answer, str)
            else json.dumps(answer).encode()
        )
        request.status, request.answer = status, data
        stand_in.record(request)
        content_type = "text/plain" if isinstance(answer, str) else "application/json"
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        # The client may have given up (a hang fault outlasting its timeout).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)


class _Server(ThreadingServer):
    daemon_threads = True
    request_queue_size = 128  # bursts of concurrent sends, as the real services take them
    stand_in: ChatStandIn


class ChatStandIn:
    """Run on 127.0.0.1 in a thread; use as a context manager."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.nodelay = False  # True: answer without Nagle's delay (benchmarks)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stand_in = self
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._received: list[Request] = []
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def received(self) -> list[Request]:
        with self._lock:
            return list(self._received)

    def fail(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take_fault(self) -> Fault | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self._faults.pop(0)
            return fault

    def record(self, request: Request) -> None:
        with self._lock:
            self._received.append(request)

    def answer(self, request: Request) -> Answer:
        raise NotImplementedError

    def __enter__(self) -> ChatStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
