"""How depsentry serves HTTP (`db serve`, the daemon): uvicorn with the guards it lacks.

uvicorn times out idle keep-alive connections only after a first response, and counts idle sockets
against `limit_concurrency`; this adds a whole-request read timeout, a connection cap that sheds the
oldest idle connection first, and one write per response.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
import uvicorn
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from depsentry.errors import ConfigError

__all__ = ["ServerLimits", "bind", "make_server", "uvicorn_config"]

logger = logging.getLogger(__name__)

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class ServerLimits:
    """Connection-level limits; body size and worker threads belong to each app."""

    request_timeout: float = 10.0  # a whole request (head and body) must arrive within this
    keep_alive: int = 5  # idle seconds between requests on one connection
    max_connections: int = 512  # past this, the oldest idle connection is closed
    graceful_shutdown: int = 5  # seconds running requests get on shutdown


class _OneWriteTransport:
    """Joins the writes of one loop iteration into one send.

    uvicorn writes a response's head and body separately; two segments per answer is what let
    Nagle and delayed ACKs stall keep-alive clients, and one read per response is cheaper anyway.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._scheduled = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        self._pending.append(bytes(data))
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def _flush(self) -> None:
        self._scheduled = False
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a request read timeout, a connection cap and one write per answer."""

    limits: ClassVar[ServerLimits] = ServerLimits()

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.access_log = self.access_log and config.access_log  # caplog's root handler aside
        self._read_timer: asyncio.TimerHandle | None = None
        self._waiting_since = time.monotonic()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        raw = transport.get_extra_info("socket")
        if raw is not None and raw.family in (socket.AF_INET, socket.AF_INET6):
            # asyncio's selector loop sets it too; say so for any loop (small answers, no stalls).
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(_OneWriteTransport(transport, self.loop))  # type: ignore[arg-type]
        self._waiting_since = time.monotonic()
        self._arm_read_timer()
        if len(self.connections) > self.limits.max_connections:
            self._shed()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_timer()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self._waiting_since = time.monotonic()
        self._arm_read_timer()
        super().on_response_complete()

    def _idle(self) -> bool:
        no_request = self.cycle is None or self.cycle.response_complete
        return no_request and self.conn.their_state is h11.IDLE and not self.transport.is_closing()

    def _shed(self) -> None:
        """Over the cap: close the connection idle the longest (maybe this one)."""
        idle = [p for p in self.connections if isinstance(p, GuardedH11Protocol) and p._idle()]
        victim = min(idle, key=lambda p: p._waiting_since, default=self)
        logger.debug("over %d connections: closing an idle one", self.limits.max_connections)
        victim.transport.close()

    def _arm_read_timer(self) -> None:
        self._cancel_read_timer()
        self._read_timer = self.loop.call_later(self.limits.request_timeout, self._read_timed_out)

    def _cancel_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        # IDLE: no complete head yet (silence or slowloris); SEND_BODY: the body is still coming.
        if not self.transport.is_closing() and self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
            logger.debug("request not received within %ss: closed", self.limits.request_timeout)
            self.transport.close()


def _protocol(limits: ServerLimits) -> type[GuardedH11Protocol]:
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})


def _raise_fd_limit(wanted: int) -> None:
    # Each connection is a file descriptor; a low soft limit would make accept() fail first.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (OSError, ValueError):  # a seccomp filter or a container may forbid it: carry on
            logger.debug("could not raise the open-file limit to %d", target)


def uvicorn_config(
    app: Any, limits: ServerLimits = ServerLimits(), *, access_log: bool = False
) -> Config:
    """A uvicorn Config with the guarded protocol and no logging set-up of its own."""
    return Config(
        app,
        http=_protocol(limits),
        ws="none",
        lifespan="off",
        timeout_keep_alive=limits.keep_alive,
        timeout_graceful_shutdown=limits.graceful_shutdown,
        limit_concurrency=None,  # it counts idle sockets: the cap above sheds those instead
        log_config=None,
        access_log=access_log,
        server_header=False,
        proxy_headers=False,
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free one); ConfigError naming the address on failure."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises SIGTERM/SIGINT once shut down, so the process dies by the signal;
        # here a finished graceful shutdown is a clean exit (0), as for the daemon.
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def make_server(
    app: Any, limits: ServerLimits = ServerLimits(), *, access_log: bool = False
) -> uvicorn.Server:
    """A uvicorn Server for `app`; run it with `server.run(sockets=[bind(host, port)])`.

    SIGTERM and SIGINT (on the main thread) start a graceful shutdown; a second SIGINT forces it.
    """
    _raise_fd_limit(limits.max_connections + 64)
    return _Server(uvicorn_config(app, limits, access_log=access_log))
