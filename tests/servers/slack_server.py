"""A loopback stand-in for Slack: incoming webhooks (`POST /services/…`) and `chat.postMessage`.

Webhooks answer as Slack does, in plain text: 200 `ok`, 400 `invalid_payload` / `no_text` /
`invalid_blocks`, 404 `no_service` for an unknown hook. The Web API answers JSON with `ok` and
`error` (`invalid_auth`, `channel_not_found`, `invalid_blocks`). Blocks are checked against
Slack's limits: 50 blocks, 150 characters a header (plain_text), 3,000 a section.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tests.servers.chat import Answer, ChatStandIn, Request

KNOWN_BLOCKS = {"header", "section", "context", "divider", "actions", "image", "rich_text"}


def blocks_problem(blocks: object) -> str | None:
    """Why Slack would answer invalid_blocks, or None."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "more than 50 blocks"
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in KNOWN_BLOCKS:
            return f"unknown block {kind!r}"
        text = block.get("text", {})
        if kind == "header" and (
            text.get("type") != "plain_text" or len(text.get("text", "")) > 150
        ):
            return "header over 150 characters or not plain_text"
        if kind == "section" and (not text.get("text") or len(text.get("text", "")) > 3000):
            return "section text empty or over 3000 characters"
        if kind == "context" and len(block.get("elements", [])) > 10:
            return "context over 10 elements"
    return None


class SlackStandIn(ChatStandIn):
    def __init__(
        self,
        *,
        hooks: Sequence[str] = (),
        tokens: Mapping[str, Sequence[str]] | None = None,  # token -> channel ids it may post to
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(clock=clock)
        self.hooks = set(hooks)
        self.tokens = {k: set(v) for k, v in (tokens or {}).items()}
        self.messages: list[dict[str, Any]] = []
        self._state = threading.Lock()
        self._ts = 0

    def url(self, hook: str) -> str:
        return f"{self.base_url}/services/{hook}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def answer(self, request: Request) -> Answer:
        if request.path.startswith("/api/"):
            return self._web_api(request)
        if request.path.removeprefix("/services/") not in self.hooks:
            return 404, "no_service", {}
        try:
            body = request.json()
        except ValueError:
            return 400, "invalid_payload", {}
        if not isinstance(body, dict):
            return 400, "invalid_payload", {}
        if not body.get("text") and not body.get("blocks"):
            return 400, "no_text", {}
        if "blocks" in body and blocks_problem(body["blocks"]):
            return 400, "invalid_blocks", {}
        with self._state:
            self.messages.append(body)
        return 200, "ok", {}

    def _web_api(self, request: Request) -> Answer:
        if request.path != "/api/chat.postMessage":
            return 404, {"ok": False, "error": "unknown_method"}, {}
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        body = json.loads(request.body or b"{}")
        if body.get("channel") not in self.tokens[token]:
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        if "blocks" in body and blocks_problem(body["blocks"]):
            return 200, {"ok": False, "error": "invalid_blocks"}, {}
        if not body.get("text") and not body.get("blocks"):
            return 200, {"ok": False, "error": "no_text"}, {}
        with self._state:
            self._ts += 1
            self.messages.append(body)
            ts = f"1700000000.{self._ts:06d}"
        return (
            200,
            {
                "ok": True,
                "channel": body["channel"],
                "ts": ts,
                "message": {"text": body.get("text")},
            },
            {},
        )
