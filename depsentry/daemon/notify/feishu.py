"""Feishu / Lark custom bot: interactive cards, signing in the body, `code`/`msg` answers.

Signature: timestamp in seconds; HMAC-SHA256 keyed by "{timestamp}\\n{secret}" over an empty
message, base64, sent as `timestamp` and `sign` in the JSON body. 5 a second and 100 a minute per
bot; bodies at most 20 KB.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from depsentry.errors import RateLimited, Rejected, Unreachable

from .channels import valid_http_url
from .interface import DeliveryReceipt, Notifier, Payload
from .markdown import MARKUP, answer_of, encode, receipt, with_keyword
from .render import bulleted, render
from .split import PART_PLACEHOLDER, Layout, json_bytes, pack, truncate

if TYPE_CHECKING:
    from depsentry.daemon.events import Event

    from .channels import Channel

__all__ = ["FeishuNotifier", "sign"]

MAX_BODY = 20_000
TITLE_CHARS = 100
THROTTLE_SECONDS = 60.0
_SIGNATURE_ROOM = 96  # "timestamp" and "sign" keys and values added at send time
_MARGIN = 64
_COLOURS = {
    "critical": "red",
    "high": "orange",
    "medium": "yellow",
    "low": "blue",
    "unknown": "grey",
}
_REJECTIONS = {
    19021: "the signature or timestamp was refused: check secret_env/secret_file and this host's clock",
    19022: "this host's IP address is not in the bot's allowlist",
    19024: "the bot requires a keyword: set `keyword` to one of its keywords",
    19007: "the bot is not enabled in the group",
    9499: "Feishu could not use the request (a depsentry bug or a template override)",
}


def sign(secret: str, timestamp: int) -> str:
    """The custom bot signature: the key is "{timestamp}\\n{secret}", the message empty."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class FeishuNotifier(Notifier):
    kind = "feishu"
    windows = ((5, 1.2), (100, 61.0))  # counted on arrival: a margin for the trip
    secret_keys = frozenset({"url", "secret"})
    config_keys = frozenset({"keyword"})
    mention_keys = frozenset({"user_ids", "all"})

    @classmethod
    def check(cls, channel: Channel, table: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        if channel.url is None:
            yield "", "give the bot's webhook URL (url, url_env, url_file or url_credential)"
        elif problem := valid_http_url(channel.url.get()):
            yield channel.url.source.split()[0], f"the Feishu webhook URL {problem}"

    def build(self, event: Event, channel: Channel) -> list[Payload]:
        rendered = bulleted(render(event, channel, MARKUP, _mention_text(channel)), "- ")
        title = truncate(with_keyword(rendered.title, channel.keyword, ""), TITLE_CHARS, len)
        colour = _COLOURS.get(rendered.highest, "green" if not rendered.highest else "blue")
        footer = truncate(rendered.footer, 2000, len)

        def body(heading: str, text: str) -> dict[str, Any]:
            elements: list[dict[str, Any]] = [{"tag": "markdown", "content": text}]
            if footer:
                elements += [
                    {"tag": "hr"},
                    {"tag": "note", "elements": [{"tag": "lark_md", "content": footer}]},
                ]
            return {
                "msg_type": "interactive",
                "card": {
                    "config": {"wide_screen_mode": True},
                    "header": {
                        "template": colour,
                        "title": {"tag": "plain_text", "content": heading},
                    },
                    "elements": elements,
                },
            }

        reserve = len(encode(body(title + PART_PLACEHOLDER, ""))) + _SIGNATURE_ROOM
        layout = Layout(
            budget=MAX_BODY - reserve - _MARGIN, cost=json_bytes, sep_cost=json_bytes("\n\n")
        )
        parts = pack(rendered, layout)
        payloads = []
        for number, chunks in enumerate(parts, 1):
            heading = title + (f" ({number}/{len(parts)})" if len(parts) > 1 else "")
            data = encode(body(heading, "\n\n".join(chunks)))
            payloads.append(Payload(channel, event.id, number, len(parts), data, heading))
        return payloads

    async def send(self, payload: Payload) -> DeliveryReceipt:
        limiter = await self.throttle(payload)
        channel = payload.channel
        assert channel.url is not None
        document = payload.document()
        if channel.secret is not None:
            timestamp = int(time.time())
            document = {
                "timestamp": str(timestamp),
                "sign": sign(channel.secret.get(), timestamp),
                **document,
            }
        data = encode(document)
        if len(data) > MAX_BODY:
            raise Rejected(
                f"{payload.label}: {len(data)} bytes is over Feishu's {MAX_BODY}; not sent"
            )
        response = await self.post(payload, channel.url.get(), data)
        code, message = answer_of(payload, response, "code", "StatusCode")
        what = f"{payload.label}: Feishu code {code}: {message}"
        if code == 0:
            return receipt(payload, response, f"code 0: {message or 'success'}")
        if code == 11232 or (code == 9499 and "too many" in message.lower()):
            limiter.pause(THROTTLE_SECONDS)
            raise RateLimited(what, THROTTLE_SECONDS, status=response.status_code, answer=message)
        if code in _REJECTIONS:
            raise Rejected(
                f"{what}: {_REJECTIONS[code]}", status=response.status_code, answer=message
            )
        if response.status_code >= 500 or code == -1:
            raise Unreachable(what, status=response.status_code, answer=message)
        if 400 <= response.status_code < 500:
            raise Rejected(what, status=response.status_code, answer=message)
        raise Unreachable(what, status=response.status_code, answer=message)


def _mention_text(channel: Channel) -> str:
    m = channel.mentions
    marks = [f"<at id={u}></at>" for u in m.user_ids]  # ids are checked when parsed
    if m.all:
        marks.append("<at id=all></at>")
    return " ".join(marks)
