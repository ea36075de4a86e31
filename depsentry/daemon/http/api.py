"""The JSON API: projects, runs and findings, triage, and on-demand scans.

    GET  /v1/status                      the status snapshot (what the status page shows)
    GET  /v1/projects                    every configured project with its last run and counts
    GET  /v1/projects/NAME               one project, with its recent runs
    POST /v1/projects/NAME/scan          scan it now (jumps the queue): 202
    GET  /v1/runs?project=&limit=&before=
    GET  /v1/runs/ID
    GET  /v1/findings?project=&kind=&state=&package=&severity=&limit=&offset=
    GET  /v1/findings/ID                 with its severity history and triage audit
    POST /v1/findings/ID/dismiss         {"reason", "comment", "by"}
    POST /v1/findings/ID/snooze          {"until" | "until_fix": true, "comment", "by"}
    POST /v1/findings/ID/reopen          {"comment", "by"}

Store calls run in the thread pool, so a slow query never stalls the scheduler's loop.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from depsentry.daemon.schedule import parse_until
from depsentry.daemon.status import StatusSnapshot, to_json
from depsentry.daemon.store import DISMISS_REASONS, KINDS, STATES, FindingFilter, Store
from depsentry.errors import TriageError

__all__ = ["ApiFace", "api_routes"]

_MAX_BODY = 64 * 1024


class ApiFace(Protocol):
    """What the API needs from the service."""

    @property
    def store(self) -> Store | None: ...

    @property
    def timezone(self) -> str: ...

    def snapshot(self) -> StatusSnapshot: ...

    def request_scan(self, name: str) -> str | None: ...


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(face: ApiFace, handler: Callable[[Request, Store], Awaitable[Response]]) -> Handler:
    async def endpoint(request: Request) -> Response:
        store = face.store
        if store is None:
            return _error("the store is not open yet", 503)
        try:
            return await handler(request, store)
        except _BadRequest as exc:
            return _error(str(exc), exc.status)
        except TriageError as exc:
            return _error(exc.message, 404 if exc.missing else 409 if exc.conflict else 400)

    return endpoint


def _int(
    request: Request, name: str, default: int | None, low: int = 0, high: int = 10_000
) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise _BadRequest(f"{name}: expected a whole number from {low} to {high}")
    return int(raw)


def _path_id(request: Request) -> int:
    raw = request.path_params["id"]
    if not raw.isdigit():
        raise _BadRequest("expected a numeric id", 404)
    return int(raw)


async def _body(request: Request) -> dict[str, Any]:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > _MAX_BODY):
        raise _BadRequest("request body too large", 413)
    raw = await request.body()
    if len(raw) > _MAX_BODY:
        raise _BadRequest("request body too large", 413)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise _BadRequest(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _BadRequest("expected a JSON object")
    return data


def _text(body: dict[str, Any], key: str, default: str = "", limit: int = 2000) -> str:
    value = body.get(key, default)
    if not isinstance(value, str) or len(value) > limit:
        raise _BadRequest(f"{key}: expected a string of at most {limit} characters")
    return value


def _actor(body: dict[str, Any]) -> str:
    by = _text(body, "by", "", 200).strip()
    return by or "api"


def api_routes(face: ApiFace) -> list[Route]:
    """The /v1 routes of the JSON API."""

    async def status(request: Request, store: Store) -> Response:
        return JSONResponse(to_json(await run_in_threadpool(face.snapshot)))

    async def projects(request: Request, store: Store) -> Response:
        snapshot = await run_in_threadpool(face.snapshot)
        return JSONResponse({"projects": to_json(snapshot.projects)})

    async def project(request: Request, store: Store) -> Response:
        name = request.path_params["name"]
        snapshot = await run_in_threadpool(face.snapshot)
        found = next((p for p in snapshot.projects if p.name == name), None)
        if found is None:
            raise _BadRequest(f"no project {name!r}", 404)
        recent = await run_in_threadpool(store.runs, project=name, limit=10)
        return JSONResponse({**to_json(found), "runs": [r.to_json() for r in recent]})

    async def scan(request: Request, store: Store) -> Response:
        name = request.path_params["name"]
        state = face.request_scan(name)
        if state is None:
            raise _BadRequest(f"no project {name!r}", 404)
        if state == "refused":
            raise _BadRequest("the daemon is stopping", 503)
        requested = datetime.now(UTC).isoformat()
        return JSONResponse({"project": name, "state": state, "requested_at": requested}, 202)

    async def runs(request: Request, store: Store) -> Response:
        limit = _int(request, "limit", 50, 1, 1000) or 50
        before = _int(request, "before", None, 1, 2**62)
        found = await run_in_threadpool(
            store.runs, project=request.query_params.get("project"), limit=limit, before=before
        )
        return JSONResponse({"runs": [r.to_json() for r in found]})

    async def run(request: Request, store: Store) -> Response:
        found = await run_in_threadpool(store.run, _path_id(request))
        if found is None:
            raise _BadRequest("no such run", 404)
        return JSONResponse(found.to_json())

    async def findings(request: Request, store: Store) -> Response:
        q = request.query_params
        state = q.get("state", "open")
        if state not in STATES:
            raise _BadRequest(f"state: expected one of {', '.join(STATES)}")
        kind = q.get("kind")
        if kind is not None and kind not in KINDS:
            raise _BadRequest(f"kind: expected one of {', '.join(KINDS)}")
        flt = FindingFilter(
            project=q.get("project"), kind=kind, state=state, package=q.get("package"),
            severity=q.get("severity"), limit=_int(request, "limit", 500, 1, 5000) or 500,
            offset=_int(request, "offset", 0, 0, 10**9) or 0,
        )  # fmt: skip
        found = await run_in_threadpool(store.findings, flt)
        return JSONResponse({"findings": [f.to_json() for f in found]})

    async def finding(request: Request, store: Store) -> Response:
        found = await run_in_threadpool(store.finding, _path_id(request))
        if found is None:
            raise _BadRequest("no such finding", 404)
        return JSONResponse(found.to_json())

    async def dismiss(request: Request, store: Store) -> Response:
        body = await _body(request)
        reason = _text(body, "reason", "", 40)
        if reason not in DISMISS_REASONS:
            raise _BadRequest(f"reason: expected one of {', '.join(DISMISS_REASONS)}")
        record = await run_in_threadpool(
            lambda: store.dismiss(
                _path_id(request),
                reason=reason,
                comment=_text(body, "comment"),
                actor=_actor(body),
                now=datetime.now(UTC),
            )  # fmt: skip
        )
        return JSONResponse(record.to_json())

    async def snooze(request: Request, store: Store) -> Response:
        body = await _body(request)
        now = datetime.now(UTC)
        until_fix = body.get("until_fix", False)
        if not isinstance(until_fix, bool):
            raise _BadRequest("until_fix: expected true or false")
        until = None
        if body.get("until") is not None:
            try:
                until = parse_until(_text(body, "until", "", 100), now, face.timezone)
            except ValueError as exc:
                raise _BadRequest(f"until: {exc}") from None
        record = await run_in_threadpool(
            lambda: store.snooze(
                _path_id(request),
                until=until,
                until_fix=until_fix,
                comment=_text(body, "comment"),
                actor=_actor(body),
                now=now,
            )  # fmt: skip
        )
        return JSONResponse(record.to_json())

    async def reopen(request: Request, store: Store) -> Response:
        body = await _body(request)
        record = await run_in_threadpool(
            lambda: store.reopen(
                _path_id(request),
                comment=_text(body, "comment"),
                actor=_actor(body),
                now=datetime.now(UTC),
            )  # fmt: skip
        )
        return JSONResponse(record.to_json())

    def route(
        path: str, handler: Callable[[Request, Store], Awaitable[Response]], method: str = "GET"
    ) -> Route:
        return Route(path, _guarded(face, handler), methods=[method])

    return [
        route("/v1/status", status),
        route("/v1/projects", projects),
        route("/v1/projects/{name}", project),
        route("/v1/projects/{name}/scan", scan, "POST"),
        route("/v1/runs", runs),
        route("/v1/runs/{id}", run),
        route("/v1/findings", findings),
        route("/v1/findings/{id}", finding),
        route("/v1/findings/{id}/dismiss", dismiss, "POST"),
        route("/v1/findings/{id}/snooze", snooze, "POST"),
        route("/v1/findings/{id}/reopen", reopen, "POST"),
    ]
