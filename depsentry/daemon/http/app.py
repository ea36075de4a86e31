"""The daemon's ASGI app: `/healthz`, `/readyz`, `/metrics` and the JSON API, behind the
bearer-token guard; other parts (the status page at `/`, the OSV API under `/v1`) come in
through `routes` and `mounts`.

    /healthz   200 while the event loop answers (liveness)
    /readyz    200 once the advisory database is loaded, the scheduler runs and the store
               takes a write; 503 with the failing checks otherwise
    /metrics   Prometheus exposition (prometheus-client's ASGI app, on the service's registry)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, make_asgi_app
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from depsentry.daemon.http.api import ApiFace, api_routes
from depsentry.daemon.http.auth import BearerAuth

__all__ = ["DaemonFace", "build_app"]


class DaemonFace(ApiFace, Protocol):
    """What the HTTP layer needs from the service."""

    @property
    def registry(self) -> CollectorRegistry: ...

    def token(self) -> str | None: ...

    def readiness(self) -> dict[str, bool]: ...


class _Asgi:
    # Starlette treats a plain function as a request handler; this marks an ASGI app.
    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def build_app(
    face: DaemonFace,
    *,
    routes: Sequence[BaseRoute] = (),
    mounts: Sequence[Mount] = (),
) -> Any:
    """The whole app. `routes` (e.g. the status page at `/`) are matched after the daemon's
    own; `mounts` (e.g. the OSV API at `/v1`) last, so `/v1/projects` and friends stay ours."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = await run_in_threadpool(face.readiness)
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    own: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", _Asgi(make_asgi_app(registry=face.registry))),
        *api_routes(face),
    ]
    app = Starlette(routes=[*own, *routes, *mounts])
    return BearerAuth(app, face.token)
