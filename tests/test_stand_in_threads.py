"""The stand-ins' thread-per-request servers when a handler thread dies before it runs.

CPython 3.11 under coverage can kill a new thread in `Thread._bootstrap_inner`, at
`_sys.settrace(_trace_hook)`, before `run()`; here threading's `_sys` fails that call the same way
for the chosen handler threads. Plain `ThreadingHTTPServer` then never answers the accepted
connection and never closes it (the socket is finalized open later: CI's rare ResourceWarning).
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest

from tests.servers.index_server import IndexFile, IndexServer
from tests.servers.threads import MAX_STARTS, ThreadingServer


class _Sys:
    """threading's `_sys`, whose `settrace` fails in the next `deaths` request-handler threads."""

    def __init__(self, deaths: int) -> None:
        self.deaths = deaths

    def settrace(self, fn: Any) -> None:
        target = getattr(threading.current_thread(), "_target", None)
        if self.deaths and getattr(target, "__name__", "") == "process_request_thread":
            self.deaths -= 1
            raise RuntimeError(
                "Cannot install a trace function while another trace function is being installed"
            )
        if fn is not _no_trace:
            sys.settrace(fn)

    def __getattr__(self, name: str) -> Any:
        return getattr(sys, name)


def _no_trace(*args: object) -> None:
    return None


def handler_threads_die(monkeypatch: pytest.MonkeyPatch, deaths: int) -> _Sys:
    fake = _Sys(deaths)
    monkeypatch.setattr(threading, "_sys", fake)
    if threading._trace_hook is None:  # type: ignore[attr-defined]
        monkeypatch.setattr(threading, "_trace_hook", _no_trace)  # so _bootstrap_inner calls it
    return fake


@pytest.fixture
def index() -> Iterator[IndexServer]:
    with IndexServer({"demo": [IndexFile("demo-1.0.tar.gz")]}) as server:
        yield server


def test_a_request_whose_handler_thread_died_is_still_answered(
    index: IndexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = handler_threads_die(monkeypatch, 1)
    started = time.monotonic()
    answer = httpx.get(f"{index.simple_url}demo/", timeout=5)
    assert answer.status_code == 200 and b"demo-1.0.tar.gz" in answer.content
    assert time.monotonic() - started < 3
    assert fake.deaths == 0  # a thread did die; a new one answered
    # and no socket is left open for the teardown to find (filterwarnings = error)


def test_a_request_no_handler_thread_can_take_is_closed(
    index: IndexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = handler_threads_die(monkeypatch, MAX_STARTS)
    with pytest.raises(httpx.TransportError):  # closed unanswered, not left to time out
        httpx.get(f"{index.simple_url}demo/", timeout=5, headers={"Connection": "close"})
    assert fake.deaths == 0
    monkeypatch.undo()
    assert httpx.get(f"{index.simple_url}demo/", timeout=5).status_code == 200


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(204)
        self.end_headers()


@pytest.mark.parametrize("daemon_threads", [False, True])
def test_server_close_closes_a_connection_whose_thread_died(
    monkeypatch: pytest.MonkeyPatch, daemon_threads: bool
) -> None:
    server = ThreadingServer(("127.0.0.1", 0), _Ok)
    server.daemon_threads = daemon_threads
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=5) as client:
        request, address = server.get_request()
        handler_threads_die(monkeypatch, 1)
        server.process_request(request, address)  # not serving: nothing re-dispatches it
        server.server_close()
        assert request.fileno() == -1
        assert client.recv(1) == b""
