"""Daemon logging: one JSON object per line on stdout (for journald, Loki and friends), or
readable lines when stdout is a terminal. Each event carries a stable `action` name.

The JSON formatter is a dozen lines of `json.dumps`; python-json-logger would add a
dependency for the same.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

__all__ = ["HumanFormatter", "JsonFormatter", "configure"]

# Attributes every LogRecord has; anything else came in through `extra=`.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's terminal-coloured copy of the message
}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """{"ts", "level", "logger", "message", "action", ...extras} on one line."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        document.update(_extras(record))
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str, ensure_ascii=False)


class HumanFormatter(logging.Formatter):
    """`12:00:01 INFO  message  key=value ...` for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        extras = _extras(record)
        extras.pop("action", None)
        tail = "  " + " ".join(f"{k}={v}" for k, v in extras.items()) if extras else ""
        line = f"{when} {record.levelname:<7} {record.getMessage()}{tail}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure(
    log_format: str = "auto", level: int | None = None, stream: TextIO | None = None
) -> None:
    """Send every log record to `stream` (stdout) in the chosen format, replacing other handlers."""
    stream = stream or sys.stdout
    use_json = log_format == "json" or (log_format == "auto" and not stream.isatty())
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if use_json else HumanFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    if level is None:
        name = os.environ.get("DEPSENTRY_LOG_LEVEL", "info").upper()
        resolved = logging.getLevelName(name)
        level = resolved if isinstance(resolved, int) else logging.INFO
    root.setLevel(level)
    # Third-party chatter stays at warning unless asked for.
    for noisy in ("apscheduler", "uvicorn.access", "httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
