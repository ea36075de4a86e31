"""A loopback stand-in for PyPI: PEP 503 HTML and PEP 691 JSON simple pages, the PyPI JSON API,
ETag/max-age caching, basic auth, added latency and queued faults; it counts what it is asked.

    with IndexServer({"demo": [IndexFile("demo-1.0.tar.gz", upload_time=...)]}) as server:
        PackageIndex(server.simple_url, ...)
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import html
import json
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler
from pathlib import Path

from packaging.utils import canonicalize_name

from tests.servers.artifacts import artifact, metadata, sha256
from tests.servers.threads import ThreadingServer

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"


@dataclass(frozen=True)
class IndexFile:
    """One file of a project as the index lists it."""

    filename: str
    requires_python: str | None = None
    yanked: bool | str = False  # a string is the PEP 592 reason
    upload_time: datetime | None = None
    requires_dist: tuple[str, ...] = ()  # what the file's metadata declares (real wheels/sdists)

    @property
    def data(self) -> bytes:
        return artifact(self.filename, self.requires_dist, self.requires_python)

    @property
    def metadata(self) -> bytes:
        return metadata(self.filename, self.requires_dist, self.requires_python)


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or before) answering one request to a path."""

    status: int | None = None  # answer with this status and an empty body
    retry_after: str | None = None
    delay: float = 0.0  # seconds to wait before answering
    body: bytes | None = None  # answer 200 with this body instead of the page
    content_type: str = "text/html"
    location: str | None = None  # answer 302 to this URL (a redirect, e.g. to another host)


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]

    @property
    def conditional(self) -> bool:
        return "if-none-match" in self.headers or "if-modified-since" in self.headers


@dataclass
class IndexServer:
    """The server; start it with `with`, mutate `projects`/`faults` freely while it runs."""

    projects: dict[str, list[IndexFile]] = field(default_factory=dict)
    latency: float = 0.0
    max_age: int = 600
    credentials: tuple[str, str] | None = None
    json_pages: bool = True  # False: an HTML-only index (old Artifactory/Nexus), ignoring Accept
    faults: defaultdict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.projects = {canonicalize_name(k): v for k, v in self.projects.items()}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def simple_url(self) -> str:
        return f"{self.url}/simple/"

    def add_fault(self, path: str, *faults: Fault) -> None:
        self.faults[path].extend(faults)

    def count(self, path: str | None = None, *, conditional: bool | None = None) -> int:
        with self._lock:
            return sum(
                1
                for s in self.seen
                if (path is None or s.path == path)
                and (conditional is None or s.conditional == conditional)
            )

    def __enter__(self) -> IndexServer:
        self._httpd = _Server(("127.0.0.1", 0), functools.partial(_Handler, self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            queue = self.faults.get(path)
            return queue.popleft() if queue else None

    def _record(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.seen.append(Seen(path, headers))

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


class _Server(ThreadingServer):
    # Handler threads are joined on close (no stray sockets); idle keep-alive reads time out.
    daemon_threads = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that timed out and hung up is expected here


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 2

    def __init__(self, server_state: IndexServer, *args: object) -> None:
        self.state = server_state
        super().__init__(*args)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        state = self.state
        path = self.path.split("?", 1)[0]
        if path == "/_seen":  # what it was asked so far, for a client in another process
            with state._lock:
                seen = [[s.path, s.conditional] for s in state.seen]
            return self._send(200, json.dumps(seen).encode(), "application/json")
        state._record(path, {k.lower(): v for k, v in self.headers.items()})
        if state.latency:
            state._wait(state.latency)
        fault = state._take_fault(path)
        if fault is not None:
            if fault.delay:
                state._wait(fault.delay)
            if fault.location is not None:
                return self._send(302, b"", "text/plain", {"Location": fault.location})
            if fault.status is not None:
                extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return self._send(fault.status, b"", "text/plain", extra)
            if fault.body is not None:
                return self._send(200, fault.body, fault.content_type)
        if state.credentials is not None and not self._authorised(state.credentials):
            return self._send(401, b"", "text/plain", {"WWW-Authenticate": 'Basic realm="index"'})
        page = self._page(path)
        if page is None:
            return self._send(404, b"not found", "text/plain")
        body, content_type = page
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        caching = {
            "ETag": etag,
            "Last-Modified": LAST_MODIFIED,
            "Cache-Control": f"max-age={state.max_age}, public",
        }
        if self.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in self.headers
            and self.headers.get("If-Modified-Since") == LAST_MODIFIED
        ):
            return self._send(304, b"", None, caching)
        return self._send(200, body, content_type, caching)

    def _authorised(self, credentials: tuple[str, str]) -> bool:
        token = base64.b64encode(":".join(credentials).encode()).decode()
        return self.headers.get("Authorization") == f"Basic {token}"

    def _page(self, path: str) -> tuple[bytes, str] | None:
        parts = [p for p in path.split("/") if p]
        projects = self.state.projects
        if len(parts) == 2 and parts[0] == "simple" and parts[1] in projects:
            wants_json = SIMPLE_JSON in self.headers.get("Accept", "")
            if wants_json and self.state.json_pages:
                return _rendered(_simple_json, parts[1], projects[parts[1]]), SIMPLE_JSON
            html_page = _rendered(_simple_html, parts[1], projects[parts[1]])
            return html_page, "text/html; charset=utf-8"
        if len(parts) == 3 and parts[0] == "pypi" and parts[2] == "json" and parts[1] in projects:
            return _rendered(_pypi_json, parts[1], projects[parts[1]]), "application/json"
        if len(parts) == 3 and parts[0] == "files" and parts[1] in projects:
            return _file(projects[parts[1]], parts[2])
        return None

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


def _file(files: list[IndexFile], wanted: str) -> tuple[bytes, str] | None:
    """A distribution file, or its PEP 658 metadata (`<file>.metadata`)."""
    for f in files:
        if f.filename == wanted:
            return f.data, "application/octet-stream"
        if f"{f.filename}.metadata" == wanted and f.filename.endswith(".whl"):
            return f.metadata, "application/octet-stream"
    return None


@functools.lru_cache(maxsize=2048)
def _render(
    kind: Callable[[str, list[IndexFile]], bytes], name: str, files: tuple[IndexFile, ...]
) -> bytes:
    return kind(name, list(files))


def _rendered(
    kind: Callable[[str, list[IndexFile]], bytes], name: str, files: list[IndexFile]
) -> bytes:
    # Rendered once per content, so the stand-in's own CPU does not dominate benchmarks.
    return _render(kind, name, tuple(files))


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else None


def _simple_html(name: str, files: list[IndexFile]) -> bytes:
    rows = []
    for f in files:
        attrs = f'href="../../files/{name}/{html.escape(f.filename)}#sha256={sha256(f.data)}"'
        if f.filename.endswith(".whl"):
            attrs += f' data-dist-info-metadata="sha256={sha256(f.metadata)}"'
            attrs += f' data-core-metadata="sha256={sha256(f.metadata)}"'
        if f.requires_python:
            attrs += f' data-requires-python="{html.escape(f.requires_python)}"'
        if f.yanked is not False:
            reason = f.yanked if isinstance(f.yanked, str) else ""
            attrs += f' data-yanked="{html.escape(reason)}"'
        rows.append(f"    <a {attrs}>{html.escape(f.filename)}</a><br/>")
    page = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html><head><meta name="pypi:repository-version" content="1.1">',
            f"<title>Links for {name}</title></head><body><h1>Links for {name}</h1>",
            *rows,
            "</body></html>",
        ]
    )
    return page.encode()


def _simple_json(name: str, files: list[IndexFile]) -> bytes:
    entries = []
    for f in files:
        entry: dict[str, object] = {
            "filename": f.filename,
            "url": f"../../files/{name}/{f.filename}",
            "hashes": {"sha256": sha256(f.data)},
            "requires-python": f.requires_python,
            "yanked": f.yanked,
        }
        if f.filename.endswith(".whl"):
            entry["core-metadata"] = entry["dist-info-metadata"] = {"sha256": sha256(f.metadata)}
        if f.upload_time:
            entry["upload-time"] = _iso(f.upload_time)
        entries.append(entry)
    return json.dumps({"meta": {"api-version": "1.1"}, "name": name, "files": entries}).encode()


def _pypi_json(name: str, files: list[IndexFile]) -> bytes:
    from packaging.utils import parse_sdist_filename, parse_wheel_filename

    releases: dict[str, list[dict[str, object]]] = {}
    for f in files:
        parse = parse_wheel_filename if f.filename.endswith(".whl") else parse_sdist_filename
        version = str(parse(f.filename)[1])
        releases.setdefault(version, []).append(
            {
                "filename": f.filename,
                "requires_python": f.requires_python,
                "yanked": f.yanked is not False,
                "yanked_reason": f.yanked if isinstance(f.yanked, str) else None,
                "upload_time": f.upload_time.strftime("%Y-%m-%dT%H:%M:%S")
                if f.upload_time
                else None,
                "upload_time_iso_8601": _iso(f.upload_time),
                "packagetype": "bdist_wheel" if f.filename.endswith(".whl") else "sdist",
            }
        )
    return json.dumps({"info": {"name": name}, "releases": releases}).encode()


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve `root` as `python -m http.server` does (directory listings as index pages)."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = _Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        yield f"http://{host!s}:{port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
