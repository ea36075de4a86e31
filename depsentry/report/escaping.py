"""Text that any output can carry: file names that were not valid UTF-8 shown as `\\xff`.

Python decodes such names with `surrogateescape` (byte 0xff becomes U+DCFF); those lone
surrogates cannot be encoded as UTF-8, so writing them crashes, and JSON parsers reject them.
Every renderer passes its strings through here, so stdout, `-o` files and stderr stay valid.
"""

from __future__ import annotations

import re

__all__ = ["printable", "printable_json"]

# Any lone surrogate: U+DC80..U+DCFF are escaped bytes; the rest cannot come from a byte.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def _escape_json(match: re.Match[str]) -> str:
    return "\\" + _escape(match)  # inside a JSON string the backslash itself is escaped


def printable(text: str) -> str:
    """`text` with each undecodable byte as `\\xNN` (other lone surrogates as `\\uNNNN`)."""
    if text.isascii() or _encodes(text):  # the common cases cost one scan
        return text
    return _SURROGATE.sub(_escape, text)


def printable_json(text: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) whose strings say `\\xNN` instead
    of holding lone surrogates: they only ever occur inside string literals there."""
    if text.isascii() or _encodes(text):
        return text
    return _SURROGATE.sub(_escape_json, text)


def _encodes(text: str) -> bool:
    # Only a lone surrogate fails UTF-8: the C codec says so several times faster than a search.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
