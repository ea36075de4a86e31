"""Secrets of channels (webhook URLs, tokens, signing keys): a wrapper that never prints its value,
and a logging filter that blanks known secrets out of library log lines (httpx logs request URLs).
"""

from __future__ import annotations

import logging
import threading
import urllib.parse

__all__ = ["REDACTED", "Secret", "SecretFilter", "redact"]

REDACTED = "***"

# Values registered by every Secret ever made; the filter blanks them in httpx/aiohttp log records.
_known: set[str] = set()
_lock = threading.Lock()


class Secret:
    """A secret value with the place it came from; repr and str show only the place."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source  # e.g. "url_env SLACK_WEBHOOK_URL"; safe to print
        _remember(value)

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"<secret from {self.source}>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _remember(value: str) -> None:
    if len(value) < 6:  # too short to blank out without mangling ordinary words
        return
    forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme and parsed.netloc and (parsed.path.strip("/") or parsed.query):
        # A webhook URL: its path and query are the secret, whatever the host prints before it.
        forms.add(parsed.path + ("?" + parsed.query if parsed.query else ""))
        forms.update(v for _, v in urllib.parse.parse_qsl(parsed.query) if len(v) >= 6)
    with _lock:
        _known.update(f for f in forms if len(f) >= 6)


def redact(text: str) -> str:
    """`text` with every known secret replaced by ***."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


class SecretFilter(logging.Filter):
    """Blanks known secrets in a record's message (and its formatted exception)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
        return True


_FILTERED = ("httpx", "httpcore", "aiohttp.client", "aiohttp.internal", "slack_sdk")
_installed = False


def install_filter() -> None:
    """Put the filter on the loggers of the HTTP libraries the notifiers use (once)."""
    global _installed
    if _installed:
        return
    for name in _FILTERED:
        logging.getLogger(name).addFilter(SecretFilter())
    _installed = True
