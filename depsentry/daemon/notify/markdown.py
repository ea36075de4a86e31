"""The markdown the Chinese robots read (DingTalk, Feishu card markdown, WeCom), and the JSON
answers they share: HTTP 200 with an error code in the body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from .interface import DeliveryReceipt, Payload, http_failure
from .render import Markup
from .secrets import redact

__all__ = ["MARKUP", "answer_of", "encode", "receipt"]

# Outside text must not open links, mentions (<at …>, <@…>) or code spans: swap the characters
# that would for full-width look-alikes, which read the same in a chat.
_INERT = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "`": "'"})


def _escape(text: str) -> str:
    return text.translate(_INERT)


MARKUP = Markup(
    escape=_escape,
    bold=lambda s: f"**{s}**" if s else "",
    code=lambda s: f"`{s}`" if s else "",
    link=lambda url, text: f"[{text}]({url})" if url else text,
)


def encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def answer_of(payload: Payload, response: httpx.Response, *code_keys: str) -> tuple[int, str]:
    """The (code, message) of a robot's JSON answer (first of `code_keys` present); code -1 for
    an answer without one; a non-200 answer without one raises the HTTP status's error."""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    code_key = next((k for k in code_keys if isinstance(data, dict) and k in data), None)
    if not isinstance(data, dict) or code_key is None:
        if response.status_code == 200:
            # A proxy's page, or the service changed: do not count it as delivered.
            return -1, redact(response.text.strip())[:200] or "an empty answer"
        raise http_failure(
            payload, response.status_code, response.text, response.headers.get("Retry-After")
        )
    try:
        code = int(data[code_key])
    except (TypeError, ValueError):
        code = -1
    message = next((data[k] for k in ("errmsg", "msg", "StatusMessage") if k in data), "")
    return code, redact(str(message or ""))[:300]


def receipt(payload: Payload, response: httpx.Response, answer: str) -> DeliveryReceipt:
    return DeliveryReceipt(
        payload.channel.name,
        payload.channel.kind,
        payload.event_id,
        payload.part,
        payload.parts,
        response.status_code,
        answer,
    )


def with_keyword(text: str, keyword: str | None, prefix: str) -> str:
    """`text` with the robot's custom keyword in it (robots drop messages without it)."""
    if not keyword or keyword in text:
        return text
    return f"{prefix}{keyword} {text}" if prefix else f"{keyword} {text}"
