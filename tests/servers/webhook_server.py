"""A loopback receiver for depsentry's generic webhook: verifies the signature headers with its
own implementation, answers 401 when they are wrong, and keeps each event once by its `id`."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.servers.chat import Answer, ChatStandIn, Request


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookReceiver(ChatStandIn):
    def __init__(
        self, *, secret: str | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(clock=clock)
        self.secret = secret
        self.events: dict[str, dict[str, Any]] = {}
        self.duplicates = 0
        self._state = threading.Lock()

    @property
    def url(self) -> str:
        return f"{self.base_url}/depsentry"

    def answer(self, request: Request) -> Answer:
        if self.secret is not None:
            timestamp = request.headers.get("x-depsentry-timestamp", "")
            signature = request.headers.get("x-depsentry-signature", "")
            if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
                return 401, {"error": "stale or missing timestamp"}, {}
            if not hmac.compare_digest(
                signature, expected_signature(self.secret, timestamp, request.body)
            ):
                return 401, {"error": "bad signature"}, {}
        event = request.json()
        with self._state:
            if event["id"] in self.events:
                self.duplicates += 1
            else:
                self.events[event["id"]] = event
        return 202, {"accepted": event["id"]}, {}
