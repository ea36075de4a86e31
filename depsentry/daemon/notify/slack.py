"""Slack: an incoming webhook (`AsyncWebhookClient`) or a bot token (`AsyncWebClient.chat_postMessage`).

Block Kit within Slack's limits (50 blocks a message, 3,000 characters a section, 150 a header),
the title as plain-text fallback, long lists split across messages, 429 honoured with Retry-After.
The SDK's retry handlers are off (the relay retries) and it logs to a quiet logger of its own,
because at DEBUG it would print the webhook URL.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from depsentry.errors import NotifyError, RateLimited, Rejected, Unreachable

from .channels import valid_http_url
from .interface import USER_AGENT, DeliveryReceipt, Notifier, Payload, parse_retry_after
from .render import Markup, bulleted, render
from .secrets import redact
from .split import PART_PLACEHOLDER, Layout, pack, truncate

if TYPE_CHECKING:
    from depsentry.daemon.events import Event

    from .channels import Channel

__all__ = ["SlackNotifier"]

MAX_BLOCKS = 50
SECTION_CHARS = 3000
HEADER_CHARS = 150
CONTEXT_CHARS = 2000
MESSAGE_CHARS = 12000  # all sections of one message: about a screen, before Slack folds it

_SDK_LOGGER = logging.getLogger("depsentry.daemon.notify.slack_sdk")
_SDK_LOGGER.setLevel(logging.WARNING)  # the SDK checks this level itself before logging URLs

# What each Slack error means for us; anything not listed is Rejected (4xx) or Unreachable (5xx).
_HINTS = {
    "invalid_payload": "Slack could not parse the message (a depsentry bug or a template override)",
    "invalid_blocks": "Slack rejected the blocks (a depsentry bug or a template override)",
    "no_text": "the message has no text",
    "no_service": "the webhook was revoked or removed: create a new incoming webhook",
    "no_team": "the webhook's workspace is gone",
    "team_disabled": "the webhook's workspace is disabled",
    "channel_not_found": "the channel was removed, or the bot cannot see it",
    "channel_is_archived": "the channel is archived",
    "is_archived": "the channel is archived",
    "not_in_channel": "invite the bot to the channel (/invite @your-app)",
    "action_prohibited": "a workspace admin restricted posting through this webhook",
    "invalid_auth": "the token is invalid: check token_env/token_file",
    "not_authed": "no token was sent: check token_env/token_file",
    "token_revoked": "the token was revoked: install the app again",
    "account_inactive": "the token's user or bot was deactivated",
    "missing_scope": "the token lacks the chat:write scope",
    "msg_too_long": "the message is too long (a depsentry bug)",
    "user_not_found": "a mentioned user does not exist",
}
_TRANSIENT = {
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "rollup_error",
}


def _escape(text: str) -> str:
    # Slack's mrkdwn needs only these three escaped (docs: "Escaping text").
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


MARKUP = Markup(
    escape=_escape,
    bold=lambda s: f"*{s}*" if s else "",
    code=lambda s: f"`{s}`" if s else "",
    link=lambda url, text: f"<{url}|{text}>" if url else text,
)


class SlackNotifier(Notifier):
    kind = "slack"
    windows = ((5, 5.0),)  # ~1 message a second per channel, short bursts allowed
    secret_keys = frozenset({"url", "token"})
    config_keys = frozenset({"slack_channel", "api_url"})
    mention_keys = frozenset({"user_ids", "user_groups", "all"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def check(cls, channel: Channel, table: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        if (channel.url is None) == (channel.token is None):
            yield (
                "",
                "give a webhook (url, url_env, url_file or url_credential) or a bot token (token_env, …), not both",
            )
        elif channel.url is not None:
            if problem := valid_http_url(channel.url.get()):
                yield channel.url.source.split()[0], f"the Slack webhook URL {problem}"
            if channel.slack_channel:
                yield (
                    "slack_channel",
                    "a webhook posts to its own channel; slack_channel needs a bot token",
                )
        elif not channel.slack_channel:
            yield "slack_channel", "a bot token needs the channel id to post to (e.g. C0123456789)"
        if channel.api_url and valid_http_url(channel.api_url):
            yield "api_url", "is not an http(s) URL"

    def build(self, event: Event, channel: Channel) -> list[Payload]:
        rendered = bulleted(render(event, channel, MARKUP, _mentions(channel)), "• ")
        layout = Layout(
            budget=MESSAGE_CHARS,
            cost=len,
            chunk_limit=SECTION_CHARS,
            max_chunks=MAX_BLOCKS - 2,  # the header and the footer's context block
        )
        parts = pack(rendered, layout)
        title = truncate(rendered.title, HEADER_CHARS - len(PART_PLACEHOLDER), len)
        footer = truncate(rendered.footer, CONTEXT_CHARS, len)
        payloads = []
        for number, chunks in enumerate(parts, 1):
            heading = title + (f" ({number}/{len(parts)})" if len(parts) > 1 else "")
            blocks: list[dict[str, Any]] = [
                {"type": "header", "text": {"type": "plain_text", "text": heading, "emoji": True}}
            ]
            blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks]
            if footer:
                blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
            body = {"text": heading, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}
            payloads.append(Payload(channel, event.id, number, len(parts), _encode(body), heading))
        return payloads

    async def send(self, payload: Payload) -> DeliveryReceipt:
        limiter = await self.throttle(payload)
        channel = payload.channel
        try:
            async with asyncio.timeout(channel.timeout):
                if channel.token is not None:
                    return await self._post_message(payload)
                return await self._post_webhook(payload)
        except NotifyError as error:
            if isinstance(error, RateLimited):
                limiter.pause(error.retry_after)
            raise
        except TimeoutError:
            raise Unreachable(f"{payload.label}: no answer within {channel.timeout:g}s") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise Unreachable(
                f"{payload.label}: {type(exc).__name__}: {redact(str(exc))}"
            ) from None

    async def _post_webhook(self, payload: Payload) -> DeliveryReceipt:
        assert payload.channel.url is not None
        client = AsyncWebhookClient(
            payload.channel.url.get(),
            session=self._client_session(),
            logger=_SDK_LOGGER,
            retry_handlers=[],
            user_agent_prefix=USER_AGENT,
        )
        response = await client.send_dict(payload.document())
        body = (response.body or "").strip()
        if response.status_code == 200:
            return _receipt(payload, 200, body or "ok")
        raise _error(payload, response.status_code, body, response.headers.get("Retry-After"))

    async def _post_message(self, payload: Payload) -> DeliveryReceipt:
        channel = payload.channel
        assert channel.token is not None and channel.slack_channel is not None
        kwargs: dict[str, Any] = {}
        if channel.api_url:
            kwargs["base_url"] = channel.api_url
        client = AsyncWebClient(
            token=channel.token.get(),
            session=self._client_session(),
            logger=_SDK_LOGGER,
            retry_handlers=[],
            user_agent_prefix=USER_AGENT,
            **kwargs,
        )
        document = payload.document()
        try:
            response = await client.chat_postMessage(channel=channel.slack_channel, **document)
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            code = str(data.get("error") or "")
            retry_after = exc.response.headers.get("Retry-After")
            raise _error(payload, exc.response.status_code, code, retry_after) from None
        ts = response.get("ts")
        return _receipt(payload, response.status_code, "ok", str(ts) if ts else None)

    def _client_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(trust_env=True)
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        await super().aclose()


def _mentions(channel: Channel) -> str:
    m = channel.mentions
    marks = [f"<!subteam^{_escape(g)}>" for g in m.user_groups]
    marks += [f"<@{_escape(u)}>" for u in m.user_ids]
    if m.all:
        marks.append("<!channel>")
    return " ".join(marks)


def _encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _receipt(
    payload: Payload, status: int, answer: str, message_id: str | None = None
) -> DeliveryReceipt:
    return DeliveryReceipt(
        payload.channel.name,
        payload.channel.kind,
        payload.event_id,
        payload.part,
        payload.parts,
        status,
        answer,
        message_id,
    )


def _error(payload: Payload, status: int, code: str, retry_after: str | None) -> NotifyError:
    code = redact(code)[:200]
    what = f"{payload.label}: Slack answered HTTP {status}" + (f" {code}" if code else "")
    if status == 429 or code == "ratelimited":
        delay = parse_retry_after(retry_after, 1.0)
        return RateLimited(f"{what}; retry after {delay:g}s", delay, status=status, answer=code)
    if status >= 500 or code in _TRANSIENT:
        return Unreachable(what, status=status, answer=code)
    hint = _HINTS.get(code)
    return Rejected(f"{what}: {hint}" if hint else what, status=status, answer=code)
