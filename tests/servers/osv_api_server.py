"""A loopback stand-in for api.osv.dev, serving a few hand-written OSV records.

Answers what the real API answers (google/osv.dev docs/api): `POST /v1/query` (full records),
`POST /v1/querybatch` (ids and `modified` only, per-query paging with `next_page_token`,
`400 Too many queries.` above 1,000 queries) and `GET /v1/vulns/{id}`. Tests can queue faults
(429 with Retry-After, 5xx) and read back every request it served.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tests.servers.threads import ThreadingServer

MAX_BATCH = 1000


@dataclass
class Fault:
    """Answer the next `times` requests whose path starts with `path` with `status`."""

    status: int
    path: str = "/"
    retry_after: str | None = None
    times: int = 1
    body: bytes | None = None  # raw body instead of a JSON error


@dataclass
class Served:
    """One request the stand-in answered."""

    method: str
    path: str
    status: int
    queries: int = 0  # number of queries in a querybatch body
    page_tokens: int = 0  # how many of them carried a page_token


@dataclass
class _State:
    records: dict[str, dict[str, Any]]
    page_size: int
    also_match: Mapping[tuple[str, str], Sequence[str]]
    faults: list[Fault] = field(default_factory=list)
    served: list[Served] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _affects(record: Mapping[str, Any], name: str, version: str) -> bool:
    # The OSV evaluation algorithm (ossf/osv-schema "Evaluation"), ECOSYSTEM ranges only.
    try:
        v = Version(version)
    except InvalidVersion:
        v = None
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or canonicalize_name(package.get("name", "")) != name:
            continue
        if version in affected.get("versions", []):
            return True
        if v is None:
            continue
        for rng in affected.get("ranges", []):
            if rng.get("type") != "ECOSYSTEM":
                continue
            hit = False
            for event in rng.get("events", []):
                ((kind, at),) = event.items()
                if kind == "introduced" and (at == "0" or v >= Version(at)):
                    hit = True
                elif (kind == "fixed" and v >= Version(at)) or (
                    kind == "last_affected" and v > Version(at)
                ):
                    hit = False
            if hit:
                return True
    return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _send(self, status: int, body: object, headers: Mapping[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _fault(self) -> Fault | None:
        state = self.server.state
        with state.lock:
            for fault in state.faults:
                if self.path.startswith(fault.path) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _record(self, served: Served) -> None:
        with self.server.state.lock:
            self.server.state.served.append(served)

    def _answer(self, method: str, body: object) -> None:
        fault = self._fault()
        if fault is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            self._record(Served(method, self.path, fault.status))
            body = (
                fault.body if fault.body is not None else {"code": 8, "message": "stand-in fault"}
            )
            self._send(fault.status, body, headers)
            return
        status, answer, served = self._route(method, body)
        self._record(served)
        self._send(status, answer)

    def _route(self, method: str, body: Any) -> tuple[int, object, Served]:
        state = self.server.state
        if method == "GET" and self.path.startswith("/v1/vulns/"):
            record = state.records.get(self.path.removeprefix("/v1/vulns/"))
            if record is None:
                return 404, {"code": 5, "message": "Bug not found."}, Served(method, self.path, 404)
            return 200, record, Served(method, self.path, 200)
        if method == "POST" and self.path == "/v1/query":
            ids = self._matching(body)
            answer = {"vulns": [state.records[i] for i in ids]} if ids else {}
            return 200, answer, Served(method, self.path, 200, queries=1)
        if method == "POST" and self.path == "/v1/querybatch":
            queries = body.get("queries", [])
            tokens = sum(1 for q in queries if q.get("page_token"))
            served = Served(method, self.path, 400, len(queries), tokens)
            if len(queries) > MAX_BATCH:
                return 400, {"code": 3, "message": "Too many queries."}, served
            served.status = 200
            return 200, {"results": [self._page(q) for q in queries]}, served
        return 404, {"code": 5, "message": "Not found."}, Served(method, self.path, 404)

    def _matching(self, query: Mapping[str, Any]) -> list[str]:
        package = query.get("package", {})
        name = canonicalize_name(package.get("name", ""))
        version = str(query.get("version", ""))
        state = self.server.state
        extra = set(state.also_match.get((name, version), ()))
        return sorted(
            i for i, r in state.records.items() if i in extra or _affects(r, name, version)
        )

    def _page(self, query: Mapping[str, Any]) -> dict[str, Any]:
        state = self.server.state
        ids = self._matching(query)
        start = int(query.get("page_token") or 0)
        page = ids[start : start + state.page_size]
        result: dict[str, Any] = {}
        if page:
            result["vulns"] = [{"id": i, "modified": state.records[i]["modified"]} for i in page]
        if start + state.page_size < len(ids):
            result["next_page_token"] = str(start + state.page_size)
        return result

    def do_GET(self) -> None:
        self._answer("GET", None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._record(Served("POST", self.path, 400))
            self._send(400, {"code": 3, "message": "Invalid JSON."})
            return
        self._answer("POST", body)


class _Server(ThreadingServer):
    daemon_threads = True
    state: _State


class OsvApiStandIn:
    """Run the stand-in on 127.0.0.1 in a thread; use as a context manager."""

    def __init__(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        page_size: int = 1000,
        also_match: Mapping[tuple[str, str], Sequence[str]] | None = None,
    ) -> None:
        """`also_match` adds (name, version) -> ids matches beyond the ranges, as osv.dev's
        fuzzy version matching and GIT-range expansion do."""
        self._server = _Server(("127.0.0.1", 0), _Handler)
        records_by_id = {r["id"]: dict(r) for r in records}
        self._server.state = _State(records_by_id, page_size, also_match or {})
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def served(self) -> list[Served]:
        with self._server.state.lock:
            return list(self._server.state.served)

    def fail(self, fault: Fault) -> None:
        """Queue a fault; faults are matched in the order queued."""
        with self._server.state.lock:
            self._server.state.faults.append(fault)

    def __enter__(self) -> OsvApiStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def record(
    vuln_id: str,
    package: str,
    *,
    introduced: str = "0",
    fixed: str | None = None,
    aliases: Iterable[str] = (),
    summary: str = "",
    severity: Iterable[tuple[str, str]] = (),
    modified: str = "2024-01-01T00:00:00Z",
    **extra: Any,
) -> dict[str, Any]:
    """A minimal OSV record affecting `package` from `introduced` up to `fixed`."""
    events: list[dict[str, str]] = [{"introduced": introduced}]
    if fixed is not None:
        events.append({"fixed": fixed})
    out: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": vuln_id,
        "modified": modified,
        "aliases": list(aliases),
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": package},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
    }
    if summary:
        out["summary"] = summary
    if severity:
        out["severity"] = [{"type": t, "score": s} for t, s in severity]
    out.update(extra)
    return out
