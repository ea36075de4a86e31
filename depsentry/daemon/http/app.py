"""The daemon's ASGI app on one port, behind the bearer-token guard (health and the OSV API open).

/          the status page (HTML, from `StatusSnapshot`)
/healthz   200 while the event loop answers (liveness)
/readyz    200 once the advisory database is loaded, the scheduler runs and the store
           takes a write; 503 with the failing checks otherwise
/metrics   Prometheus exposition (prometheus-client's ASGI app, on the service's registry)
/v1/...    the JSON API (projects, runs, findings, status), then the OSV-compatible API
           (`POST /v1/query`, `POST /v1/querybatch`, `GET /v1/vulns/{id}`) on the current
           advisory database
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, make_asgi_app
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from depsentry.advisories.osv_db import OsvDbSource
from depsentry.daemon.http.api import ApiFace, api_routes
from depsentry.daemon.http.auth import BearerAuth
from depsentry.daemon.status import StatusSnapshot

__all__ = ["DaemonFace", "build_app"]


class DaemonFace(ApiFace, Protocol):
    """What the HTTP layer needs from the service."""

    @property
    def registry(self) -> CollectorRegistry: ...

    def token(self) -> str | None: ...

    def readiness(self) -> dict[str, bool]: ...

    def snapshot(self) -> StatusSnapshot: ...

    def osv_database(self) -> OsvDbSource | None: ...


class _CurrentOsvApi:
    """The OSV API on whatever database the service holds now (a sync swaps it)."""

    def __init__(self, database: Any):
        self.database = database
        self._built: tuple[OsvDbSource, Any] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        db = self.database()
        if db is None:
            response = JSONResponse(
                {"code": 14, "message": "the advisory database is not loaded yet"},
                status_code=503,
                headers={"Retry-After": "30"},
            )
            await response(scope, receive, send)
            return
        if self._built is None or self._built[0] is not db:
            from depsentry.advisories.osv_api import build_osv_app

            self._built = (db, build_osv_app(db))
        await self._built[1](scope, receive, send)


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

    async def status_page(request: Request) -> Response:
        from depsentry.daemon.http.status_page import render_status

        snapshot = await run_in_threadpool(face.snapshot)  # it reads the store
        return HTMLResponse(render_status(snapshot))

    own: list[BaseRoute] = [
        Route("/", status_page),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", _Asgi(make_asgi_app(registry=face.registry))),
        *api_routes(face),
    ]
    osv = Mount("/", app=_CurrentOsvApi(face.osv_database))  # last: only its three paths match
    app = Starlette(routes=[*own, *routes, *mounts, osv])
    return BearerAuth(app, face.token)
