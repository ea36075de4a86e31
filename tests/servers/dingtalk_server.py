"""A loopback stand-in for DingTalk custom robots (`POST /robot/send?access_token=…`).

Answers as DingTalk does: always HTTP 200 with `errcode`/`errmsg`; 300001 for an unknown token,
310000 for each security check (keyword, 加签 signature, timestamp over an hour off), 460101 for
bodies over 20,000 bytes, 130101 over 20 messages a minute; a repeated `msgUuid` is accepted but
shown once. The signature is checked with its own implementation of DingTalk's sample code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.servers.chat import Answer, ChatStandIn, Request, Window


@dataclass
class Robot:
    token: str
    secret: str | None = None
    keywords: Sequence[str] = ()
    per_minute: int = 20
    window: float = 60.0
    messages: list[dict[str, Any]] = field(default_factory=list)  # shown in the group, in order


def expected_sign(secret: str, timestamp: str) -> str:
    # DingTalk's documented Python sample, verbatim in spirit (quote_plus applied by the client).
    string_to_sign = f"{timestamp}\n{secret}"
    code = hmac.new(
        secret.encode("utf-8"), string_to_sign.encode("utf-8"), digestmod=hashlib.sha256
    )
    return base64.b64encode(code.digest()).decode()


class DingTalkStandIn(ChatStandIn):
    def __init__(
        self, robots: Sequence[Robot], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(clock=clock)
        self.robots = {r.token: r for r in robots}
        self._windows = {r.token: Window(r.per_minute, r.window, clock) for r in robots}
        self._uuids: set[str] = set()
        self._state = threading.Lock()

    def url(self, token: str) -> str:
        return f"{self.base_url}/robot/send?access_token={token}"

    def answer(self, request: Request) -> Answer:
        robot = self.robots.get(request.query.get("access_token", ""))
        if request.path != "/robot/send" or robot is None:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}, {}
        if len(request.body) > 20000:
            return 200, {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}, {}
        body = request.json()
        if robot.secret is not None:
            timestamp = request.query.get("timestamp", "")
            if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3600_000:
                return 200, {"errcode": 310000, "errmsg": "invalid timestamp"}, {}
            if not hmac.compare_digest(
                request.query.get("sign", ""), expected_sign(robot.secret, timestamp)
            ):
                return (
                    200,
                    {
                        "errcode": 310000,
                        "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
                    },
                    {},
                )
        text = body.get("markdown", {}).get("text", "") + body.get("markdown", {}).get("title", "")
        if robot.keywords and not any(k in text for k in robot.keywords):
            return 200, {"errcode": 310000, "errmsg": "keywords not in content"}, {}
        with self._state:
            if not self._windows[robot.token].hit():
                return (
                    200,
                    {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
                    {},
                )
            uuid = body.get("msgUuid")
            if uuid is None or uuid not in self._uuids:
                if uuid is not None:
                    self._uuids.add(uuid)
                robot.messages.append(body)
        return 200, {"errcode": 0, "errmsg": "ok"}, {}
