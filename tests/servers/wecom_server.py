"""A loopback stand-in for WeCom group robots (`POST /cgi-bin/webhook/send?key=…`).

Answers with `errcode`/`errmsg` as WeCom does: 93000 for an unknown key, 40058 for markdown
content over 4,096 bytes, 45009 over 20 messages a minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.servers.chat import Answer, ChatStandIn, Request, Window


@dataclass
class GroupRobot:
    key: str
    messages: list[dict[str, Any]] = field(default_factory=list)


class WeComStandIn(ChatStandIn):
    def __init__(
        self, robots: Sequence[GroupRobot], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(clock=clock)
        self.robots = {r.key: r for r in robots}
        self._windows = {r.key: Window(20, 60.0, clock) for r in robots}
        self._state = threading.Lock()

    def url(self, key: str) -> str:
        return f"{self.base_url}/cgi-bin/webhook/send?key={key}"

    def answer(self, request: Request) -> Answer:
        robot = self.robots.get(request.query.get("key", ""))
        if request.path != "/cgi-bin/webhook/send" or robot is None:
            return (
                200,
                {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1700000000_1_abc]"},
                {},
            )
        body = request.json()
        content = body.get("markdown", {}).get("content", "")
        if body.get("msgtype") != "markdown" or not content:
            return 200, {"errcode": 44004, "errmsg": "empty content"}, {}
        if len(content.encode()) > 4096:
            return 200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}, {}
        with self._state:
            if not self._windows[robot.key].hit():
                return 200, {"errcode": 45009, "errmsg": "api freq out of limit"}, {}
            robot.messages.append(body)
        return 200, {"errcode": 0, "errmsg": "ok"}, {}
