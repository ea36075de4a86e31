"""An OSV-compatible API over the local database, answering as api.osv.dev does.

`POST /v1/query`, `POST /v1/querybatch` and `GET /v1/vulns/{id}` (google/osv.dev docs/api) as a
Starlette app, so pip-audit (`--osv-url`), `uv audit` (`--service-url`) and other OSV clients can
run air-gapped. `depsentry db serve` runs it under uvicorn (`depsentry.serving`); the daemon mounts it.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

import anyio
import anyio.to_thread
from packaging.utils import canonicalize_name
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from depsentry.advisories.osv_db import OsvDbSource
from depsentry.advisories.osv_record import is_pypi

__all__ = [
    "MAX_BATCH",
    "ApiLimits",
    "OsvApiError",
    "build_osv_app",
    "get_vuln",
    "osv_routes",
    "query",
    "querybatch",
]

logger = logging.getLogger(__name__)

MAX_BATCH = 1000  # api.osv.dev: "1,001 ... receives 400 Too many queries" (astral-sh/uv PR #20398)
MAX_ID = 100  # api.osv.dev answers "ID too long" past 100 characters
_MAX_TEXT = 256  # a package name or version; PEP 440 sets no limit, int() stops at 4,300 digits
_MAX_PURL = 512
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# gRPC status codes, which osv.dev puts in `code` of its JSON errors.
_INVALID_ARGUMENT, _NOT_FOUND, _UNIMPLEMENTED, _INTERNAL, _UNAVAILABLE = 3, 5, 12, 13, 14


@dataclass(frozen=True)
class ApiLimits:
    """What one request may ask of the API."""

    max_body: int = 1 << 20  # bytes; 413 beyond
    workers: int = 4  # threads doing look-ups (the store serialises on one lock anyway)
    max_waiting: int = 64  # requests queued for a worker before answering 503
    page_size: int = 1000  # vulns per query before `next_page_token` (api.osv.dev: 1,000)


class OsvApiError(Exception):
    """An error answered as `{"code", "message"}` with an HTTP status."""

    def __init__(self, status: HTTPStatus, code: int, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


def _bad(message: str) -> OsvApiError:
    return OsvApiError(HTTPStatus.BAD_REQUEST, _INVALID_ARGUMENT, message)


def _text(obj: dict[str, Any], key: str, what: str, limit: int = _MAX_TEXT) -> str | None:
    """A string field, None when absent or empty (proto3 defaults); 400 when it is anything else."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _bad(f"Invalid {what}: expected a string.")
    if len(value) > limit:
        raise _bad(f"Invalid {what}: longer than {limit} characters.")
    if _CONTROL.search(value):
        raise _bad(f"Invalid {what}: control characters.")
    return value


def _parse_purl(purl: str) -> tuple[str, str | None]:
    # Hand-parsed: only `pkg:pypi/name[@version]` matters here, not the whole purl grammar.
    body = purl.split("#", 1)[0].split("?", 1)[0]
    if not body.startswith("pkg:pypi/"):
        raise _bad("Invalid Package URL: only pkg:pypi purls are served.")
    name, _, version = body[len("pkg:pypi/") :].partition("@")
    if not name:
        raise _bad("Invalid Package URL.")
    return unquote(name), unquote(version) or None


def _target(q: object) -> tuple[str, str | None] | None:
    """(name, version) of one query; None when it asks about something we hold nothing for."""
    if not isinstance(q, dict):
        raise _bad("Invalid query.")
    package = q.get("package")
    version = _text(q, "version", "version")
    if package is None:
        if q.get("commit"):
            return None  # commit queries need git history; the local database has none
        raise _bad("Invalid query: package or commit is required.")
    if not isinstance(package, dict):
        raise _bad("Invalid package.")
    purl = _text(package, "purl", "purl", _MAX_PURL)
    if purl:
        if version is not None and "@" in purl:
            raise _bad("version specified in params and purl query")
        purl_name, purl_version = _parse_purl(purl)
        if len(purl_name) > _MAX_TEXT or len(purl_version or "") > _MAX_TEXT:
            raise _bad("Invalid Package URL.")
        return canonicalize_name(purl_name), version or purl_version
    name = _text(package, "name", "package name")
    ecosystem = _text(package, "ecosystem", "ecosystem")
    if not name:
        raise _bad("Invalid package: name is required.")
    if ecosystem is not None and not is_pypi(ecosystem):
        return None
    return canonicalize_name(name), version


def _page_token(q: object) -> int:
    """The offset a query's `page_token` asks for (0 without one)."""
    token = q.get("page_token") if isinstance(q, dict) else None
    if token is None or token == "":
        return 0
    try:
        if not isinstance(token, str) or len(token) > 64:
            raise ValueError(token)
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        if not text.startswith("o") or not text[1:].isdigit():
            raise ValueError(token)
        return int(text[1:])
    except (ValueError, binascii.Error):
        raise _bad("Invalid page token.") from None


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode("ascii").rstrip("=")


def _ids_for(db: OsvDbSource, target: tuple[str, str | None] | None) -> list[str]:
    if target is None:
        return []
    name, version = target
    if version is None:  # osv.dev: a package without a version lists all its records
        return sorted({facts.id for _, facts, _ in db.store.affected_rows([name])})
    return sorted(h.facts.id for h in db.hits(name, version))


def _page(ids: list[str], offset: int, size: int) -> tuple[list[str], str | None]:
    end = offset + size
    return ids[offset:end], (_encode_token(end) if end < len(ids) else None)


def query(db: OsvDbSource, body: object, *, page_size: int = 1000) -> dict[str, Any]:
    """`POST /v1/query`: full records, or `{}` when none."""
    offset = _page_token(body)
    ids, token = _page(_ids_for(db, _target(body)), offset, page_size)
    records = db.records(ids)
    out: dict[str, Any] = {"vulns": [records[i] for i in ids if i in records]} if ids else {}
    if token:
        out["next_page_token"] = token
    return out


def querybatch(db: OsvDbSource, body: object, *, page_size: int = 1000) -> dict[str, Any]:
    """`POST /v1/querybatch`: ids and modified dates only, one result per query."""
    queries = body.get("queries") if isinstance(body, dict) else None
    if not isinstance(queries, list):
        raise _bad("Invalid request: queries is required.")
    if len(queries) > MAX_BATCH:
        raise _bad("Too many queries.")
    asked = []
    for index, q in enumerate(queries):
        try:
            asked.append((_target(q), _page_token(q)))
        except OsvApiError as err:
            raise _bad(f"{err.message.rstrip('.')} at index: {index}.") from None
    results: list[dict[str, Any]] = []
    for target, offset in asked:
        ids, token = _page(_ids_for(db, target), offset, page_size)
        modified = db.store.modified_of(ids) if ids else {}
        result: dict[str, Any] = (
            {"vulns": [{"id": i, "modified": modified.get(i)} for i in ids]} if ids else {}
        )
        if token:
            result["next_page_token"] = token
        results.append(result)
    return {"results": results}


def get_vuln(db: OsvDbSource, vuln_id: str) -> dict[str, Any]:
    """`GET /v1/vulns/{id}`: the record; for an alias, osv.dev's 404 naming the records it aliases."""
    if len(vuln_id) > MAX_ID:
        raise _bad("ID too long")
    record = db.records([vuln_id]).get(vuln_id)
    if record is not None:
        return record
    group = db.store.ids_with_alias(vuln_id)
    if group:
        raise OsvApiError(
            HTTPStatus.NOT_FOUND,
            _NOT_FOUND,
            f"Bug not found, but the following aliases were: {' '.join(group)}",
        )
    raise OsvApiError(HTTPStatus.NOT_FOUND, _NOT_FOUND, "Bug not found.")


# -- HTTP ---------------------------------------------------------------------------------


def _json(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(payload).encode(), status, headers=headers, media_type="application/json"
    )


def _error(err: OsvApiError, headers: dict[str, str] | None = None) -> Response:
    return _json(err.status, err.body(), headers)


def _parse(raw: bytes) -> object:
    try:
        return json.loads(raw or b"{}")
    except RecursionError:
        raise _bad("Invalid JSON: nested too deeply.") from None
    except ValueError as exc:  # also non-UTF-8 bytes and integers past 4,300 digits
        raise _bad(f"Invalid JSON: {str(exc)[:200]}") from None


def _answer(fn: Callable[[], dict[str, Any]], path: str) -> tuple[int, bytes]:
    """Run one look-up in a worker thread: (status, JSON body); never raises."""
    try:
        return 200, json.dumps(fn()).encode()
    except OsvApiError as err:
        return int(err.status), json.dumps(err.body()).encode()
    except Exception as exc:  # a bug: one line (the traceback with -v), never a dropped socket
        debug = logger.isEnabledFor(logging.DEBUG)
        logger.error("internal error answering %s: %r", path, exc, exc_info=debug)
        return 500, json.dumps({"code": _INTERNAL, "message": "Internal error."}).encode()


class _Pool:
    """A bounded set of worker threads with a bounded queue in front of it."""

    def __init__(self, limits: ApiLimits):
        self._limits = limits
        self._limiter: anyio.CapacityLimiter | None = None  # made inside the running loop

    async def run(self, fn: Callable[[], dict[str, Any]], path: str) -> Response:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self._limits.workers)
        stats = self._limiter.statistics()
        if stats.borrowed_tokens >= stats.total_tokens and (
            stats.tasks_waiting >= self._limits.max_waiting
        ):
            busy = OsvApiError(HTTPStatus.SERVICE_UNAVAILABLE, _UNAVAILABLE, "Server busy.")
            return _error(busy, {"Retry-After": "1"})
        status, body = await anyio.to_thread.run_sync(_answer, fn, path, limiter=self._limiter)
        return Response(body, status, media_type="application/json")


async def _read_body(request: Request, limit: int) -> bytes:
    # By hand rather than Starlette's max_body_size: the 413 must be osv.dev's JSON error shape.
    too_large = OsvApiError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _INVALID_ARGUMENT, f"Request over {limit} bytes."
    )
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def osv_routes(db: OsvDbSource, limits: ApiLimits = ApiLimits()) -> list[BaseRoute]:
    """The three routes, for an app of one's own (the daemon) or `build_osv_app`."""
    pool = _Pool(limits)

    def post(handler: Callable[..., dict[str, Any]], path: str) -> Callable[..., Any]:
        async def endpoint(request: Request) -> Response:
            try:
                raw = await _read_body(request, limits.max_body)
            except OsvApiError as err:
                return _error(err, {"Connection": "close"})
            except ClientDisconnect:
                return Response(status_code=400)  # nobody is listening; uvicorn drops it
            return await pool.run(
                lambda: handler(db, _parse(raw), page_size=limits.page_size), path
            )

        return endpoint

    async def vuln(request: Request) -> Response:
        vuln_id = str(request.path_params["vuln_id"])
        return await pool.run(lambda: get_vuln(db, vuln_id), "/v1/vulns/{id}")

    return [
        Route("/v1/query", post(query, "/v1/query"), methods=["POST"]),
        Route("/v1/querybatch", post(querybatch, "/v1/querybatch"), methods=["POST"]),
        Route("/v1/vulns/{vuln_id:path}", vuln, methods=["GET"]),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        err = OsvApiError(HTTPStatus.METHOD_NOT_ALLOWED, _UNIMPLEMENTED, "Method Not Allowed")
        return _error(err, dict(exc.headers or {}))
    if exc.status_code == 404:
        return _error(OsvApiError(HTTPStatus.NOT_FOUND, _NOT_FOUND, "Not Found"))
    return _json(exc.status_code, {"code": _INVALID_ARGUMENT, "message": exc.detail})


def build_osv_app(db: OsvDbSource, limits: ApiLimits = ApiLimits()) -> Starlette:
    """The OSV API as its own app: `db serve` runs it; the daemon can mount it."""
    return Starlette(routes=osv_routes(db, limits), exception_handlers={HTTPException: _http_error})
