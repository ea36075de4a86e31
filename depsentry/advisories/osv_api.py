"""An OSV-compatible API over the local database, answering as api.osv.dev does.

`POST /v1/query`, `POST /v1/querybatch` and `GET /v1/vulns/{id}` (google/osv.dev docs/api), so
pip-audit (`--osv-url`), `uv audit` (`--service-url`) and other OSV clients can run air-gapped.
Stdlib `ThreadingHTTPServer`: three JSON routes need no framework, and it adds no dependency.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from packaging.utils import canonicalize_name

from depsentry.advisories.osv_db import OsvDbSource
from depsentry.advisories.osv_record import is_pypi

__all__ = ["MAX_BATCH", "OsvApiError", "make_server", "query", "querybatch"]

logger = logging.getLogger(__name__)

MAX_BATCH = 1000  # api.osv.dev: "1,001 ... receives 400 Too many queries" (astral-sh/uv PR #20398)
_MAX_BODY = 32 << 20

# gRPC status codes, which osv.dev puts in `code` of its JSON errors.
_INVALID_ARGUMENT, _NOT_FOUND = 3, 5


class OsvApiError(Exception):
    """An error answered as `{"code", "message"}` with an HTTP status."""

    def __init__(self, status: HTTPStatus, code: int, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _bad(message: str) -> OsvApiError:
    return OsvApiError(HTTPStatus.BAD_REQUEST, _INVALID_ARGUMENT, message)


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
    version = q.get("version")
    if version is not None and not isinstance(version, str):
        raise _bad("Invalid version.")
    if package is None:
        if q.get("commit"):
            return None  # commit queries need git history; the local database has none
        raise _bad("Invalid query: package or commit is required.")
    if not isinstance(package, dict):
        raise _bad("Invalid package.")
    if package.get("purl"):
        if version is not None and "@" in str(package["purl"]):
            raise _bad("version specified in params and purl query")
        purl_name, purl_version = _parse_purl(str(package["purl"]))
        return canonicalize_name(purl_name), version or purl_version
    name, ecosystem = package.get("name"), package.get("ecosystem")
    if not isinstance(name, str) or not name:
        raise _bad("Invalid package: name is required.")
    if ecosystem is not None and not is_pypi(ecosystem):
        return None
    return canonicalize_name(name), version


def _ids_for(db: OsvDbSource, target: tuple[str, str | None] | None) -> list[str]:
    if target is None:
        return []
    name, version = target
    if version is None:  # osv.dev: a package without a version lists all its records
        return sorted({facts.id for _, facts, _ in db.store.affected_rows([name])})
    return sorted(h.facts.id for h in db.hits(name, version))


def query(db: OsvDbSource, body: object) -> dict[str, Any]:
    """`POST /v1/query`: full records, or `{}` when none."""
    ids = _ids_for(db, _target(body))
    records = db.records(ids)
    return {"vulns": [records[i] for i in ids if i in records]} if ids else {}


def querybatch(db: OsvDbSource, body: object) -> dict[str, Any]:
    """`POST /v1/querybatch`: ids and modified dates only, one result per query."""
    queries = body.get("queries") if isinstance(body, dict) else None
    if not isinstance(queries, list):
        raise _bad("Invalid request: queries is required.")
    if len(queries) > MAX_BATCH:
        raise _bad("Too many queries.")
    targets = [_target(q) for q in queries]
    results: list[dict[str, Any]] = []
    for target in targets:
        ids = _ids_for(db, target)
        modified = db.store.modified_of(ids) if ids else {}
        results.append(
            {"vulns": [{"id": i, "modified": modified.get(i)} for i in ids]} if ids else {}
        )
    return {"results": results}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        # Method and path only: never headers (tokens) or bodies.
        logger.debug("%s %s", self.command, self.path.split("?", 1)[0])

    def _send(self, status: HTTPStatus, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, err: OsvApiError) -> None:
        self._send(err.status, {"code": err.code, "message": err.message})

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith("/v1/vulns/"):
            vuln_id = unquote(path[len("/v1/vulns/") :])
            record = self.server.db.records([vuln_id]).get(vuln_id)
            if record is not None:
                self._send(HTTPStatus.OK, record)
                return
            self._error(OsvApiError(HTTPStatus.NOT_FOUND, _NOT_FOUND, "Bug not found."))
            return
        self._error(OsvApiError(HTTPStatus.NOT_FOUND, _NOT_FOUND, "Not Found"))

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        routes = {"/v1/query": query, "/v1/querybatch": querybatch}
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_BODY:
                raise _bad("Request too large.")
            raw = self.rfile.read(length) if length else b""
            if path not in routes:
                raise OsvApiError(HTTPStatus.NOT_FOUND, _NOT_FOUND, "Not Found")
            try:
                body = json.loads(raw or b"{}")
            except ValueError as exc:
                raise _bad(f"Invalid JSON: {exc}") from exc
            self._send(HTTPStatus.OK, routes[path](self.server.db, body))
        except OsvApiError as err:
            self._error(err)
        except ValueError:
            self._error(_bad("Invalid Content-Length."))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], db: OsvDbSource):
        self.db = db
        super().__init__(address, _Handler)


def make_server(db: OsvDbSource, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    """A ready server (port 0 picks a free one: see `server.server_address`); call serve_forever()."""
    return _Server((host, port), db)
