"""Generic webhook: POST the event's JSON document (`Event.to_json()`, schema in event.schema.json).

With a secret, each POST carries `X-Depsentry-Timestamp: <unix seconds>` and
`X-Depsentry-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">`; receivers drop repeats
by the event `id`. Any 2xx is success; no redirects are followed.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .channels import valid_http_url
from .interface import DeliveryReceipt, Notifier, Payload, http_failure
from .secrets import redact

if TYPE_CHECKING:
    from depsentry.daemon.events import Event

    from .channels import Channel

__all__ = ["WebhookNotifier", "sign"]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Depsentry-Signature value for `body` sent at `timestamp`."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class WebhookNotifier(Notifier):
    kind = "webhook"
    secret_keys = frozenset({"url", "secret"})

    @classmethod
    def check(cls, channel: Channel, table: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        if channel.url is None:
            yield "", "give the receiver's URL (url, url_env, url_file or url_credential)"
        elif problem := valid_http_url(channel.url.get()):
            yield channel.url.source.split()[0], f"the webhook URL {problem}"

    def build(self, event: Event, channel: Channel) -> list[Payload]:
        title = f"{event.kind.value} event for {event.project}"
        return [Payload(channel, event.id, 1, 1, event.to_json().encode(), title)]

    async def send(self, payload: Payload) -> DeliveryReceipt:
        channel = payload.channel
        assert channel.url is not None
        document = payload.document()
        headers = {
            "X-Depsentry-Event": str(document.get("kind", "")),
            "X-Depsentry-Event-Id": payload.event_id,
        }
        if channel.secret is not None:
            timestamp = int(time.time())
            headers["X-Depsentry-Timestamp"] = str(timestamp)
            headers["X-Depsentry-Signature"] = sign(channel.secret.get(), timestamp, payload.body)
        response = await self.post(payload, channel.url.get(), payload.body, headers)
        if 200 <= response.status_code < 300:
            answer = redact(response.text.strip())[:200] or response.reason_phrase
            return DeliveryReceipt(
                channel.name, channel.kind, payload.event_id, 1, 1, response.status_code, answer
            )
        raise http_failure(
            payload, response.status_code, response.text, response.headers.get("Retry-After")
        )
