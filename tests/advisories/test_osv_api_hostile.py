"""The OSV API under hostile clients: raw sockets against the real uvicorn server.

Each case must end promptly in a 4xx or a closed connection, never a hang, and never a traceback in
the log; meanwhile a normal query is still answered.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from osvdata import memory_source, record

from depsentry.advisories.osv_api import build_osv_app
from depsentry.serving import GuardedH11Protocol, ServerLimits
from tests.servers.asgi import Running, running

LIMITS = ServerLimits(request_timeout=1.0, keep_alive=2, max_connections=512)
QUERY = {"package": {"name": "pkg", "ecosystem": "PyPI"}, "version": "1.0"}
GIVE_UP = 8.0  # seconds after which "promptly" has failed


@pytest.fixture(scope="module")
def served() -> Iterator[Running]:
    source = memory_source(record("PYSEC-1", "pkg", events=[{"introduced": "0"}]))
    with running(build_osv_app(source), LIMITS) as server:
        yield server
    source.close()


@pytest.fixture(autouse=True)
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    assert "Traceback" not in caplog.text


def connect(served: Running) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=GIVE_UP)
    return sock


def normal_query(served: Running) -> None:
    resp = httpx.post(f"{served.url}/v1/query", json=QUERY, timeout=GIVE_UP)
    assert resp.status_code == 200 and resp.json()["vulns"][0]["id"] == "PYSEC-1"


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; fails on GIVE_UP."""
    data = b""
    start = time.monotonic()
    try:
        while chunk := sock.recv(65536):
            data += chunk
            assert time.monotonic() - start < GIVE_UP, "the server kept the connection open"
    except ConnectionResetError:
        pass  # closed with our bytes unread: the kernel resets rather than shuts down
    return data


def post(body: bytes, *, headers: str = "", path: str = "/v1/query") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n{headers}"
    if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def test_400_half_open_connections_do_not_exhaust_the_server(served: Running) -> None:
    held = [connect(served) for _ in range(400)]
    try:
        for sock in held[::2]:
            sock.sendall(b"POST /v1/query HTTP/1.1\r\nHost: t\r\n")  # half a request
        normal_query(served)
    finally:
        for sock in held:
            sock.close()


def test_past_the_cap_the_longest_idle_connection_is_closed(served: Running) -> None:
    source = memory_source(record("PYSEC-1", "pkg", events=[{"introduced": "0"}]))
    small = ServerLimits(request_timeout=30, max_connections=20)
    with running(build_osv_app(source), small) as capped:
        held = [connect(capped) for _ in range(60)]
        try:
            normal_query(capped)
            assert capped.connections() <= 21
            held[0].settimeout(GIVE_UP)
            assert held[0].recv(1) == b""  # the oldest idle one went first
        finally:
            for sock in held:
                sock.close()
    source.close()


def test_content_length_minus_one_is_400_and_closed(served: Running) -> None:
    with connect(served) as sock:
        sock.sendall(post(b"{}", headers="Content-Length: -1\r\n"))
        assert read_until_closed(sock).startswith(b"HTTP/1.1 400 ")
    normal_query(served)


def test_slowloris_head_is_cut_off(served: Running) -> None:
    with connect(served) as sock:
        sock.sendall(b"POST /v1/query HTTP/1.1\r\nHost: t\r\n")
        start = time.monotonic()
        closed = False
        for _ in range(40):  # one header byte every 0.2 s: far slower than the 1 s budget
            try:
                sock.sendall(b"X")
            except OSError:
                closed = True
                break
            time.sleep(0.2)
            sock.setblocking(False)
            try:
                closed = sock.recv(65536) == b""
            except BlockingIOError:
                pass
            except OSError:
                closed = True
            sock.setblocking(True)
            if closed:
                break
        assert closed and time.monotonic() - start < GIVE_UP
    normal_query(served)


def test_slow_body_and_silent_connections_are_closed(served: Running) -> None:
    with connect(served) as slow, connect(served) as silent:
        slow.sendall(post(b"", headers="Content-Length: 100\r\n") + b'{"package"')
        start = time.monotonic()
        assert read_until_closed(silent) == b""
        assert read_until_closed(slow) == b""  # closed without an answer
        assert time.monotonic() - start < GIVE_UP


def test_deeply_nested_body_is_400_and_the_connection_lives_on(served: Running) -> None:
    with connect(served) as sock:
        sock.sendall(post(b"[" * 100_000))
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["code"] == 3
        sock.sendall(post(json.dumps(QUERY).encode()))
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


def test_oversized_body_is_413_without_reading_it(served: Running) -> None:
    with connect(served) as sock:
        sock.sendall(post(b"", headers="Content-Length: 50000000\r\n"))
        answer = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 413 ") and b"connection: close" in answer.lower()


def test_oversized_chunked_body_is_413(served: Running) -> None:
    with connect(served) as sock:
        sock.sendall(post(b"", headers="Transfer-Encoding: chunked\r\n"))
        chunk = b"100000\r\n" + b" " * 0x100000 + b"\r\n"
        try:
            for _ in range(3):
                sock.sendall(chunk)
        except OSError:
            pass  # the server may close while we are still sending
        answer = read_until_closed(sock)  # a 413, or a reset when the close beat our reading
        assert answer == b"" or answer.startswith(b"HTTP/1.1 413 ")


def test_garbage_and_huge_heads_are_400(served: Running) -> None:
    for raw in (b"\x16\x03\x01\x02\x00" + b"\x00" * 200, b"GET / HTTP/1.1\r\nX: " + b"a" * 70000):
        with connect(served) as sock:
            with contextlib.suppress(OSError):
                sock.sendall(raw)
            answer = read_until_closed(sock)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 400 ")


def test_keep_alive_answers_arrive_in_one_read_with_nodelay(served: Running) -> None:
    """Two writes per answer let Nagle and delayed ACKs stall keep-alive clients ~40 ms each."""
    body = json.dumps(QUERY).encode()
    with connect(served) as sock:
        for _ in range(20):
            sock.sendall(post(body))
            answer = sock.recv(65536)  # one read: head and body came in one segment
            head, _, payload = answer.partition(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            assert head.startswith(b"HTTP/1.1 200 ") and len(payload) == length
        protocols = list(served.server.server_state.connections)
        assert protocols and all(isinstance(p, GuardedH11Protocol) for p in protocols)
        for protocol in protocols:
            raw = protocol.transport.get_extra_info("socket")
            assert raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
