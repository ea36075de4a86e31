"""A loopback stand-in for the OpenAI HTTP API: chat (plain and SSE), completions, embeddings.

Replies follow the real API's shapes: the streaming chat sends a role chunk, one chunk per
word and a final chunk with an empty delta, then `data: [DONE]`. Routes: `/v1/...`, 0.x's
`/v1/engines/{engine}/...` (the engine is the model) and Azure's
`/openai/deployments/{deployment}/...?api-version=...` (key in `api-key`). A key starting with
`sk-` is accepted; each reply's `id` names the key and the `OpenAI-Organization` header it came
with, so programs can print which credentials a call used. Models that fail: "rate-limited"
(429), "no-such-model" (400), "gone" (404), "forbidden" (403), "broken" (500).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.servers.threads import ThreadingServer

_ERRORS = {
    "rate-limited": (429, "Rate limit reached for requests", "requests", "rate_limit_exceeded"),
    "no-such-model": (400, "The model `no-such-model` is invalid", "invalid_request_error", None),
    "gone": (404, "The model `gone` does not exist", "invalid_request_error", "model_not_found"),
    "forbidden": (403, "You may not use `forbidden`", "invalid_request_error", None),
    "broken": (500, "The server had an error", "server_error", None),
}
_ROUTE = re.compile(
    r"^(?:/v1|/v1/engines/(?P<engine>[^/]+)|/openai/deployments/(?P<deployment>[^/]+))"
    r"/(?P<kind>chat/completions|completions|embeddings)$"
)


def _chat(body: dict[str, Any]) -> str:
    last = body["messages"][-1]["content"]
    return f"echo: {last}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        url = urlsplit(self.path)
        route = _ROUTE.match(url.path)
        if route is None or (route["deployment"] and "api-version" not in parse_qs(url.query)):
            self._error(404, f"unknown path {self.path}", "invalid_request_error", None)
            return
        key = self._key(azure=bool(route["deployment"]))
        if key is None:
            self._error(401, "bad key", "invalid_request_error", "invalid_api_key")
            return
        model = route["engine"] or route["deployment"] or body.get("model", "")
        if model in _ERRORS:
            self._error(*_ERRORS[model])
            return
        org = self.headers.get("OpenAI-Organization", "none")
        ident = f"{key}-org:{org}"
        kind = route["kind"]
        if kind == "chat/completions" and body.get("stream"):
            self._stream(body, model, ident)
        elif kind == "chat/completions":
            text = _chat(body)
            usage = {"prompt_tokens": 3, "completion_tokens": len(text.split())}
            self._json(
                200,
                {
                    "id": f"chatcmpl-{ident}",
                    "object": "chat.completion",
                    "created": 1700000000,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {**usage, "total_tokens": 3 + len(text.split())},
                },
            )
        elif kind == "completions":
            text = f"completion of {body['prompt']!r}"
            self._json(
                200,
                {
                    "id": f"cmpl-{ident}",
                    "object": "text_completion",
                    "created": 1700000000,
                    "model": model,
                    "choices": [
                        {"index": 0, "text": text, "logprobs": None, "finish_reason": "length"}
                    ],
                    "usage": {"prompt_tokens": 2, "completion_tokens": 4, "total_tokens": 6},
                },
            )
        else:
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [
                {"object": "embedding", "index": i, "embedding": [float(len(text)), 0.5, -1.0]}
                for i, text in enumerate(inputs)
            ]
            self._json(
                200,
                {
                    "object": "list",
                    "data": data,
                    "model": model,
                    "usage": {"prompt_tokens": 2, "total_tokens": 2},
                },
            )

    def _key(self, azure: bool) -> str | None:
        if azure:
            key = self.headers.get("api-key", "")
        else:
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
        return key if key.startswith("sk-") else None

    def _error(self, status: int, message: str, kind: str, code: str | None) -> None:
        # retry-after-ms keeps the v1 client's automatic retries of 429 and 5xx instant
        headers = {"retry-after-ms": "1"} if status in (429, 500) else {}
        error = {"message": message, "type": kind, "param": None, "code": code}
        self._json(status, {"error": error}, headers)

    def _json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, body: dict[str, Any], model: str, ident: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        base = {
            "id": f"chatcmpl-{ident}",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": model,
        }
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        deltas += [{"content": word + " "} for word in _chat(body).split()]
        for delta in deltas:
            chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        final = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self.wfile.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
        self.wfile.flush()
        self.close_connection = True


@contextmanager
def serve() -> Iterator[str]:
    """Run the server on a free loopback port; yields its root URL (no trailing slash)."""
    server = ThreadingServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
