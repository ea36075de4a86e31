"""A loopback static file server with ETags, as FIRST's and CISA's download hosts answer.

`files` maps a path to its body; a conditional GET with the current ETag gets 304. `endless`
paths stream zeros without a Content-Length (a hostile or broken mirror). Requests are recorded.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler
from types import TracebackType

from tests.servers.threads import ThreadingServer


class FileServer(ThreadingServer):
    daemon_threads = True

    def __init__(self, files: dict[str, bytes], *, endless: tuple[str, ...] = ()) -> None:
        self.files = dict(files)
        self.endless = endless
        self.seen: list[tuple[str, str | None]] = []  # (path, If-None-Match)
        super().__init__(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()


class _Handler(BaseHTTPRequestHandler):
    server: FileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("If-None-Match")))
        if self.path in self.server.endless:
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"\0" * 65536)
            except OSError:
                return
        body = self.server.files.get(self.path)
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
