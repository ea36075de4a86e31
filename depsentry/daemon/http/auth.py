"""Bearer-token guard for everything but the health endpoints and the OSV API (pure ASGI middleware).

The OSV API serves public advisory data to clients that cannot send a token (pip-audit
`--osv-url`, `uv audit --service-url`), so it stays open like api.osv.dev.

The token is looked up on every request, so a reload that rotates the token file takes
effect at once; the comparison takes constant time.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

__all__ = ["OPEN_PATHS", "OPEN_PREFIXES", "BearerAuth"]

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/v1/query", "/v1/querybatch"})
OPEN_PREFIXES = ("/v1/vulns/",)

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


class BearerAuth:
    """Answer 401 unless `Authorization: Bearer TOKEN` matches `token()` (None: no token set)."""

    def __init__(self, app: Any, token: Callable[[], str | None]):
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        expected = self.token()
        if expected is None or _matches(scope, expected):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "missing or wrong bearer token"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="depsentry"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _matches(scope: Scope, expected: str) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, given = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                return hmac.compare_digest(given.strip().encode(), expected.encode())
    return False
