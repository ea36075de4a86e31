"""A loopback stand-in for Feishu/Lark custom bots (`POST /open-apis/bot/v2/hook/{token}`).

Answers with `code`/`msg` as Feishu does: 19021 for a bad signature or a timestamp over an hour
off, 19024 without the keyword, 9499 for bodies over 20 KB, 11232 over 5 a second or 100 a
minute. The signature is checked with its own implementation of the documented algorithm
(key "{timestamp}\\n{secret}", empty message).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.servers.chat import Answer, ChatStandIn, Request, Window

OK = {"code": 0, "msg": "success", "data": {}, "StatusCode": 0, "StatusMessage": "success"}


@dataclass
class Bot:
    token: str
    secret: str | None = None
    keywords: Sequence[str] = ()
    messages: list[dict[str, Any]] = field(default_factory=list)


def expected_sign(secret: str, timestamp: str) -> str:
    string_to_sign = f"{timestamp}\n{secret}"
    digest = hmac.new(string_to_sign.encode("utf-8"), digestmod=hashlib.sha256).digest()
    return base64.b64encode(digest).decode("utf-8")


class FeishuStandIn(ChatStandIn):
    def __init__(self, bots: Sequence[Bot], *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock=clock)
        self.bots = {b.token: b for b in bots}
        self._windows = {b.token: (Window(5, 1.0, clock), Window(100, 60.0, clock)) for b in bots}
        self._state = threading.Lock()

    def url(self, token: str) -> str:
        return f"{self.base_url}/open-apis/bot/v2/hook/{token}"

    def answer(self, request: Request) -> Answer:
        bot = self.bots.get(request.path.removeprefix("/open-apis/bot/v2/hook/"))
        if bot is None:
            return (
                200,
                {
                    "code": 19001,
                    "msg": "param invalid: incoming webhook access token invalid",
                    "data": {},
                },
                {},
            )
        if len(request.body) > 20000:
            return 200, {"code": 9499, "msg": "Bad Request", "data": {}}, {}
        body = request.json()
        if bot.secret is not None:
            timestamp = str(body.get("timestamp", ""))
            fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 3600
            if not fresh or not hmac.compare_digest(
                str(body.get("sign", "")), expected_sign(bot.secret, timestamp)
            ):
                return (
                    200,
                    {
                        "code": 19021,
                        "msg": "sign match fail or timestamp is not within one hour from current time",
                        "data": {},
                    },
                    {},
                )
        if bot.keywords and not any(
            k in json.dumps(body.get("card", {}), ensure_ascii=False) for k in bot.keywords
        ):
            return 200, {"code": 19024, "msg": "Key Words Not Found", "data": {}}, {}
        with self._state:
            second, minute = self._windows[bot.token]
            if not (second.hit() and minute.hit()):
                return (
                    200,
                    {
                        "code": 11232,
                        "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]",
                        "data": {},
                    },
                    {},
                )
            bot.messages.append(body)
        return 200, OK, {}
