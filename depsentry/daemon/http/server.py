"""uvicorn embedded in the service's event loop: the service owns the signals (uvicorn's own
`capture_signals` would replace them), binds the socket itself (so a busy port is a one-line
error, not uvicorn's `sys.exit`), and stops the server by setting `should_exit`.

`capture_signals` is not a documented hook; tests/daemon/test_http.py covers that it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator
from typing import Any

import uvicorn

from depsentry.errors import ConfigError
from depsentry.serving import ServerLimits, uvicorn_config

__all__ = ["EmbeddedServer"]


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # signals belong to the service (depsentry/daemon/signals.py)


class EmbeddedServer:
    """One HTTP listener for `app` on (host, port); port 0 picks a free one."""

    def __init__(self, app: Any, host: str, port: int):
        self.app, self.host, self.port = app, host, port
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None
        self.url = ""

    async def start(self) -> str:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise ConfigError(
                f"daemon.listen: cannot listen on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from exc
        sock.listen(128)
        sock.setblocking(False)
        bound_host, bound_port = sock.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.url = f"http://{shown}:{bound_port}"
        # The same guarded protocol as `db serve`: whole-request read timeout, connection cap
        # shedding the longest-idle connection, one write per response.
        self._server = _QuietServer(uvicorn_config(self.app, ServerLimits()))
        self._task = asyncio.get_running_loop().create_task(
            self._server.serve(sockets=[sock]), name="http"
        )
        while not self._server.started:
            if self._task.done():
                self._task.result()  # startup failed: raise what it raised
                raise ConfigError(f"daemon.listen: HTTP server on {self.url} did not start")
            await asyncio.sleep(0.01)
        return self.url

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
