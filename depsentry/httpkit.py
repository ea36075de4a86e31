"""What every HTTP client of depsentry shares: credential redaction, retry timing, timeouts.

The index client, the OSV dump download and the OSV API source use these, so a URL is redacted
the same way everywhere and a 429's Retry-After is honoured the same way everywhere.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    import httpx

__all__ = ["RETRY_STATUS", "redact", "retry_after_seconds", "retry_delay", "timeout"]

# Answers worth another try: throttled, or the server (or a proxy before it) failing.
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


def redact(url: str) -> str:
    """`url` fit for messages, logs and reports: userinfo and query string (tokens) removed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A Retry-After header (delta-seconds or an HTTP-date, RFC 9110 §10.2.3) in seconds."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - (now or datetime.now(UTC))).total_seconds()


def retry_delay(
    attempt: int, retry_after: str | None, *, backoff: float, cap: float, jitter: bool = True
) -> float:
    """Seconds to wait before retry `attempt` (1-based): the server's Retry-After when it gives
    one, else exponential backoff (with jitter, so clients that failed together do not retry
    together), never more than `cap`."""
    wait = retry_after_seconds(retry_after)
    if wait is None:
        wait = backoff * 2 ** (attempt - 1)
        if jitter:
            wait += random.uniform(0, backoff)
    return min(max(wait, 0.0), cap)


def timeout(read: float, *, connect: float = 5.0) -> httpx.Timeout:
    """An httpx timeout: `connect` to open a connection, `read` for each read, write and pool wait."""
    import httpx  # imported on use: `depsentry scan` on a synced database never needs httpx

    return httpx.Timeout(read, connect=connect)
