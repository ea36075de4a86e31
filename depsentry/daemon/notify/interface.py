"""The Notifier interface: `build` an event into payloads (pure), `send` one (async, one attempt).

Every failure of `send` is a NotifyError (RateLimited, Rejected, Unreachable) whose message names
the service and channel, never the URL; the relay decides what to retry from the error type.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from depsentry import __version__
from depsentry.errors import NotifyError, RateLimited, Rejected, Unreachable

from .limits import Limiter, Limiters, Windows
from .secrets import install_filter, redact

if TYPE_CHECKING:
    from depsentry.daemon.events import Event

    from .channels import Channel

__all__ = ["DeliveryReceipt", "Notifier", "Payload"]

USER_AGENT = f"depsentry/{__version__}"


@dataclass(frozen=True, slots=True)
class Payload:
    """One message for one channel: `body` is the exact JSON sent, before per-request signing.

    `build` is deterministic, so the relay can re-build an event and resend only part `part`.
    """

    channel: Channel
    event_id: str
    part: int  # 1-based
    parts: int
    body: bytes = field(repr=False)
    title: str = ""  # plain text, for logs and previews

    def document(self) -> Any:
        return json.loads(self.body)

    @property
    def label(self) -> str:
        """How logs and errors name this payload: service, channel, part — never the URL."""
        part = f" part {self.part}/{self.parts}" if self.parts > 1 else ""
        return f"{self.channel.kind} channel {self.channel.name!r}{part}"


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """The service's confirmed answer to one payload."""

    channel: str
    kind: str
    event_id: str
    part: int
    parts: int
    status: int  # HTTP status
    answer: str  # the service's own words, e.g. "ok" or "errcode 0: ok"
    message_id: str | None = None  # Slack ts, when the service gives one

    def __str__(self) -> str:
        part = f" part {self.part}/{self.parts}" if self.parts > 1 else ""
        ident = f" (message {self.message_id})" if self.message_id else ""
        return f"{self.kind} {self.channel}{part}: HTTP {self.status} {self.answer}{ident}"


class Notifier(ABC):
    """One chat service. Shared by every channel of its kind; limiters are per destination."""

    kind: ClassVar[str]
    windows: ClassVar[Windows] = ()  # client-side rate limits per destination
    secret_keys: ClassVar[frozenset[str]] = frozenset({"url"})  # url / secret / token
    config_keys: ClassVar[frozenset[str]] = frozenset()  # keys beyond the common ones
    mention_keys: ClassVar[frozenset[str]] = frozenset()  # which Mentions fields apply

    def __init__(
        self,
        *,
        limiters: Limiters | None = None,
        http: httpx.AsyncClient | None = None,
        max_wait: float = 60.0,
        windows: Windows | None = None,
    ) -> None:
        install_filter()
        self._limiters = limiters or Limiters()
        self._http = http
        self._own_http = http is None
        self.max_wait = max_wait  # longer client-side waits raise RateLimited instead
        self._windows = self.windows if windows is None else windows

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    @classmethod
    def check(cls, channel: Channel, table: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        """Kind-specific problems of a parsed channel, as (key, message)."""
        return ()

    @abstractmethod
    def build(self, event: Event, channel: Channel) -> list[Payload]:
        """The messages for `event` on `channel`, each already within the service's limits."""

    @abstractmethod
    async def send(self, payload: Payload) -> DeliveryReceipt:
        """Deliver one payload; return the service's answer or raise a NotifyError."""

    async def aclose(self) -> None:
        if self._http is not None and self._own_http:
            await self._http.aclose()
            self._http = None

    # Helpers for the services that speak JSON over httpx.

    def limiter(self, channel: Channel) -> Limiter:
        return self._limiters.get(channel.destination, self._windows)

    async def throttle(self, payload: Payload) -> Limiter:
        limiter = self.limiter(payload.channel)
        await limiter.acquire(self.max_wait, payload.label)  # with no windows: only pauses
        return limiter

    def client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                headers={"User-Agent": USER_AGENT}, follow_redirects=False
            )
        return self._http

    async def post(
        self,
        payload: Payload,
        url: httpx.URL | str,
        content: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """POST and map transport failures to Unreachable (the URL never enters the message)."""
        try:
            return await self.client().post(
                url,
                content=content,
                headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
                timeout=payload.channel.timeout,
            )
        except httpx.TimeoutException as exc:
            raise Unreachable(
                f"{payload.label}: no answer within {payload.channel.timeout:g}s ({type(exc).__name__})"
            ) from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"{payload.label}: {transport_problem(exc)}") from None
        finally:
            self.limiter(payload.channel).settle()


def transport_problem(exc: BaseException) -> str:
    """A one-line, secret-free description of a connection failure."""
    detail = redact(str(exc)).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def http_failure(
    payload: Payload, status: int, answer: str, retry_after: str | None = None
) -> NotifyError:
    """The error for a non-success HTTP status whose body the service did not explain."""
    answer = redact(answer.strip())[:300]
    what = f"{payload.label}: HTTP {status}" + (f" {answer}" if answer else "")
    if status == 429:
        delay = parse_retry_after(retry_after, 60.0)
        return RateLimited(f"{what}; retry after {delay:g}s", delay, status=status, answer=answer)
    if status >= 500 or status in {408, 425}:
        return Unreachable(what, status=status, answer=answer)
    return Rejected(what, status=status, answer=answer)


def parse_retry_after(value: str | None, default: float) -> float:
    """Retry-After as seconds (delta-seconds form; Slack and most webhooks send that)."""
    try:
        seconds = float(value) if value is not None else default
    except ValueError:
        return default
    return min(max(seconds, 1.0), 3600.0)
