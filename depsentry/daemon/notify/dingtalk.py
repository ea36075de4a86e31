"""DingTalk custom robot (钉钉自定义机器人): markdown messages, 加签 signing, keyword, @mentions.

Signing is per request: HMAC-SHA256 keyed by the secret over "{timestamp_ms}\\n{secret}",
base64, as the `timestamp` and `sign` query parameters (httpx URL-encodes them once). Errors come
as HTTP 200 with `errcode`; 20 messages a minute per robot, bodies at most 20,000 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from depsentry.errors import RateLimited, Rejected, Unreachable

from .channels import valid_http_url
from .interface import DeliveryReceipt, Notifier, Payload
from .markdown import MARKUP, answer_of, encode, receipt, with_keyword
from .render import bulleted, render
from .split import PART_PLACEHOLDER, Layout, json_bytes, pack, truncate

if TYPE_CHECKING:
    from depsentry.daemon.events import Event

    from .channels import Channel

__all__ = ["DingTalkNotifier", "sign"]

MAX_BODY = 20_000
THROTTLE_SECONDS = 600  # "exceeding 20 a minute triggers a 10-minute rate limit"
TITLE_CHARS = 100
_MARGIN = 64  # room for anything our estimate of the body misses

# errcode 310000 is one code for four security checks; errmsg says which (and what to fix).
_SECURITY_HINTS = (
    (
        "keywords not in content",
        "the robot requires a custom keyword: set `keyword` to one of them",
    ),
    (
        "sign not match",
        "the signature does not match: check secret_env/secret_file (the SEC… secret of 加签)",
    ),
    (
        "invalid timestamp",
        "DingTalk refused the timestamp: check this host's clock (it must be within 1 hour)",
    ),
    ("not in whitelist", "this host's IP address is not in the robot's IP allowlist"),
)
_GONE = {
    300001: "the access_token does not exist: check the robot URL",
    300005: "the access_token does not exist (robots of external groups answer this too)",
    400013: "the group was dissolved",
    400102: "the robot is disabled",
    400106: "the robot does not exist",
    40035: "the request lacks a parameter (a depsentry bug)",
    43002: "the request must be a POST (a depsentry bug)",
}
_THROTTLED = {130101, 410100}


def sign(secret: str, timestamp_ms: int) -> str:
    """The 加签 signature (base64, not yet URL-encoded)."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkNotifier(Notifier):
    kind = "dingtalk"
    # 20 a minute, counted by DingTalk when requests arrive: a second of margin for the trip.
    windows = ((20, 61.0),)
    secret_keys = frozenset({"url", "secret"})
    config_keys = frozenset({"keyword"})
    mention_keys = frozenset({"mobiles", "user_ids", "all"})

    @classmethod
    def check(cls, channel: Channel, table: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        if channel.url is None:
            yield "", "give the robot's webhook URL (url, url_env, url_file or url_credential)"
            return
        key = channel.url.source.split()[0]
        if problem := valid_http_url(channel.url.get()):
            yield key, f"the DingTalk robot URL {problem}"
        elif "access_token=" not in httpx.URL(channel.url.get()).query.decode():
            yield key, "the DingTalk robot URL has no access_token query parameter"
        if channel.secret is not None and not channel.secret.get().startswith("SEC"):
            yield channel.secret.source.split()[0], "a DingTalk 加签 secret starts with SEC"

    def build(self, event: Event, channel: Channel) -> list[Payload]:
        rendered = bulleted(render(event, channel, MARKUP, _mention_text(channel)), "- ")
        title = truncate(with_keyword(rendered.title, channel.keyword, ""), TITLE_CHARS, len)
        at = _at(channel) if rendered.critical else None
        footer = truncate(rendered.footer, 2000, len)

        def body(number: int, total: int, text: str, heading: str) -> dict[str, Any]:
            out: dict[str, Any] = {
                "msgtype": "markdown",
                "markdown": {"title": heading, "text": text},
                # DingTalk drops a repeat with the same msgUuid: a retried send never shows twice.
                "msgUuid": str(
                    uuid.uuid5(uuid.NAMESPACE_URL, f"{event.id}/{channel.name}/{number}")
                ),
            }
            if at is not None and number == 1:
                out["at"] = at
            return out

        def text(heading: str, chunks: list[str]) -> str:
            return "\n\n".join([f"### {heading}", *chunks, *([f"> {footer}"] if footer else [])])

        reserve = len(
            encode(body(1, 1, text(title + PART_PLACEHOLDER, []), title + PART_PLACEHOLDER))
        )
        layout = Layout(
            budget=MAX_BODY - reserve - _MARGIN, cost=json_bytes, sep_cost=json_bytes("\n\n")
        )
        parts = pack(rendered, layout)
        payloads = []
        for number, chunks in enumerate(parts, 1):
            heading = title + (f" ({number}/{len(parts)})" if len(parts) > 1 else "")
            data = encode(body(number, len(parts), text(heading, chunks), heading))
            payloads.append(Payload(channel, event.id, number, len(parts), data, heading))
        return payloads

    async def send(self, payload: Payload) -> DeliveryReceipt:
        if len(payload.body) > MAX_BODY:
            raise Rejected(
                f"{payload.label}: {len(payload.body)} bytes is over DingTalk's {MAX_BODY}; not sent"
            )
        limiter = await self.throttle(payload)
        channel = payload.channel
        assert channel.url is not None
        url = httpx.URL(channel.url.get())
        if channel.secret is not None:
            timestamp = _now_ms()  # per request: DingTalk refuses one over an hour old
            url = url.copy_merge_params(
                {"timestamp": str(timestamp), "sign": sign(channel.secret.get(), timestamp)}
            )
        response = await self.post(payload, url, payload.body)
        code, message = answer_of(payload, response, "errcode")
        what = f"{payload.label}: DingTalk errcode {code}: {message}"
        if code == 0:
            return receipt(payload, response, f"errcode 0: {message or 'ok'}")
        if code in _THROTTLED:
            limiter.pause(THROTTLE_SECONDS)
            raise RateLimited(what, THROTTLE_SECONDS, status=response.status_code, answer=message)
        if code == 310000:
            hint = next((h for needle, h in _SECURITY_HINTS if needle in message), None)
            raise Rejected(
                f"{what}: {hint or 'a security setting (keyword, 加签 or IP allowlist) refused it'}",
                status=response.status_code,
                answer=message,
            )
        if code == 460101:
            raise Rejected(f"{what}: the message is too long (a depsentry bug)", answer=message)
        if code in _GONE:
            raise Rejected(f"{what}: {_GONE[code]}", status=response.status_code, answer=message)
        # -1 (system busy) and codes we do not know: not delivered, try again later.
        raise Unreachable(what, status=response.status_code, answer=message)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _mention_text(channel: Channel) -> str:
    # The @ marks must be in the text for DingTalk to render the mentions of the `at` field.
    m = channel.mentions
    return " ".join(
        [*(f"@{v}" for v in m.mobiles), *(f"@{v}" for v in m.user_ids)]
        or (["@所有人"] if m.all else [])
    )


def _at(channel: Channel) -> dict[str, Any] | None:
    m = channel.mentions
    if not m:
        return None
    return {"atMobiles": list(m.mobiles), "atUserIds": list(m.user_ids), "isAtAll": m.all}
