"""A loopback stand-in for the OpenAI HTTP API: chat (plain and SSE), completions, embeddings.

Replies follow the real API's shapes: the streaming chat sends a role chunk, one chunk per
word and a final chunk with an empty delta, then `data: [DONE]`. Model "rate-limited" gets a
429 and "no-such-model" a 400, each with the API's error body.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ERRORS = {
    "rate-limited": (429, "Rate limit reached for requests", "requests", "rate_limit_exceeded"),
    "no-such-model": (
        400,
        "The model `no-such-model` does not exist",
        "invalid_request_error",
        None,
    ),
}


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
        if self.headers.get("Authorization") != "Bearer sk-dummy":
            self._json(
                401,
                {
                    "error": {
                        "message": "bad key",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": "invalid_api_key",
                    }
                },
            )
            return
        model = body.get("model", "")
        if model in _ERRORS:
            status, message, kind, code = _ERRORS[model]
            # retry-after-ms keeps the v1 client's automatic retries of 429 instant
            headers = {"retry-after-ms": "1"} if status == 429 else {}
            self._json(
                status,
                {"error": {"message": message, "type": kind, "param": None, "code": code}},
                headers,
            )
            return
        if self.path == "/v1/chat/completions":
            if body.get("stream"):
                self._stream(body)
            else:
                text = _chat(body)
                self._json(
                    200,
                    {
                        "id": "chatcmpl-1",
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
                        "usage": {
                            "prompt_tokens": 3,
                            "completion_tokens": len(text.split()),
                            "total_tokens": 3 + len(text.split()),
                        },
                    },
                )
        elif self.path == "/v1/completions":
            text = f"completion of {body['prompt']!r}"
            self._json(
                200,
                {
                    "id": "cmpl-1",
                    "object": "text_completion",
                    "created": 1700000000,
                    "model": model,
                    "choices": [
                        {"index": 0, "text": text, "logprobs": None, "finish_reason": "length"}
                    ],
                    "usage": {"prompt_tokens": 2, "completion_tokens": 4, "total_tokens": 6},
                },
            )
        elif self.path == "/v1/embeddings":
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
        else:
            self._json(
                404,
                {
                    "error": {
                        "message": f"unknown path {self.path}",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": None,
                    }
                },
            )

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

    def _stream(self, body: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        base = {
            "id": "chatcmpl-2",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": body["model"],
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
    """Run the server on a free loopback port; yields its base URL ending in /v1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
