"""WeCom (企业微信) group robot: markdown content of at most 4,096 bytes, 20 a minute, `errcode`.

The robot has no signing: the `key` in its URL is the only secret, so it is handled as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from depsentry.errors import RateLimited, Rejected, Unreachable

from .channels import valid_http_url
from .interface import DeliveryReceipt, Notifier, Payload
from .markdown import MARKUP, answer_of, encode, receipt
from .render import bulleted, render
from .split import PART_PLACEHOLDER, Layout, pack, truncate, utf8_bytes

if TYPE_CHECKING:
    from depsentry.daemon.events import Event

    from .channels import Channel

__all__ = ["WeComNotifier"]

MAX_CONTENT = 4096  # bytes of markdown.content
TITLE_CHARS = 100
THROTTLE_SECONDS = 60.0
_REJECTIONS = {
    93000: "the webhook key is invalid: check the robot URL",
    93004: "the robot was disabled",
    93008: "the robot is no longer in the group",
    40058: "the message is too long (a depsentry bug)",
    44004: "the message is empty (a template override?)",
    40008: "WeCom does not accept this message type",
}


class WeComNotifier(Notifier):
    kind = "wecom"
    windows = ((20, 61.0),)  # counted on arrival: a second of margin for the trip
    secret_keys = frozenset({"url"})
    mention_keys = frozenset({"user_ids"})

    @classmethod
    def check(cls, channel: Channel, table: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        if channel.url is None:
            yield "", "give the robot's webhook URL (url, url_env, url_file or url_credential)"
            return
        key = channel.url.source.split()[0]
        if problem := valid_http_url(channel.url.get()):
            yield key, f"the WeCom robot URL {problem}"
        elif "key=" not in httpx.URL(channel.url.get()).query.decode():
            yield key, "the WeCom robot URL has no key query parameter"
        for name in ("secret", "secret_env", "secret_file", "secret_credential"):
            if name in table:
                yield name, "WeCom robots have no signing; remove it"

    def build(self, event: Event, channel: Channel) -> list[Payload]:
        mentions = " ".join(f"<@{u}>" for u in channel.mentions.user_ids)
        rendered = bulleted(render(event, channel, MARKUP, mentions), "- ")
        title = truncate(rendered.title, TITLE_CHARS, len)
        footer = truncate(rendered.footer, 1000, utf8_bytes)

        def content(heading: str, chunks: list[str]) -> str:
            return "\n\n".join([f"**{heading}**", *chunks, *([f"> {footer}"] if footer else [])])

        reserve = utf8_bytes(content(title + PART_PLACEHOLDER, []))
        layout = Layout(budget=MAX_CONTENT - reserve, cost=utf8_bytes, sep_cost=2)
        parts = pack(rendered, layout)
        payloads = []
        for number, chunks in enumerate(parts, 1):
            heading = title + (f" ({number}/{len(parts)})" if len(parts) > 1 else "")
            body = {"msgtype": "markdown", "markdown": {"content": content(heading, chunks)}}
            payloads.append(Payload(channel, event.id, number, len(parts), encode(body), heading))
        return payloads

    async def send(self, payload: Payload) -> DeliveryReceipt:
        size = utf8_bytes(payload.document()["markdown"]["content"])
        if size > MAX_CONTENT:
            raise Rejected(
                f"{payload.label}: {size} bytes of markdown is over WeCom's {MAX_CONTENT}; not sent"
            )
        limiter = await self.throttle(payload)
        assert payload.channel.url is not None
        response = await self.post(payload, payload.channel.url.get(), payload.body)
        code, message = answer_of(payload, response, "errcode")
        what = f"{payload.label}: WeCom errcode {code}: {message}"
        if code == 0:
            return receipt(payload, response, f"errcode 0: {message or 'ok'}")
        if code == 45009:
            limiter.pause(THROTTLE_SECONDS)
            raise RateLimited(what, THROTTLE_SECONDS, status=response.status_code, answer=message)
        if code in _REJECTIONS:
            raise Rejected(
                f"{what}: {_REJECTIONS[code]}", status=response.status_code, answer=message
            )
        raise Unreachable(what, status=response.status_code, answer=message)
