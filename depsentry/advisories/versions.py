"""PEP 440 versions as the advisory code parses them: once per distinct string, never raising.

`packaging` raises ValueError (not InvalidVersion) for a release number past Python's 4,300-digit
int limit, so a hostile record or pin could crash a sync or a scan; here anything longer than
`MAX_VERSION` characters is simply not a version.
"""

from __future__ import annotations

from functools import lru_cache

from packaging.version import InvalidVersion, Version

__all__ = ["MAX_VERSION", "normalise_version", "parse_version"]

MAX_VERSION = 256  # characters; the longest version on PyPI is far shorter


@lru_cache(maxsize=1 << 16)
def parse_version(text: str) -> Version | None:
    """`Version(text)`, or None when it is not a PEP 440 version (or absurdly long)."""
    if len(text) > MAX_VERSION:
        return None
    try:
        return Version(text)
    except (InvalidVersion, ValueError):
        return None


@lru_cache(maxsize=1 << 16)
def normalise_version(text: str) -> str:
    """A string equal for PEP 440-equal versions ("1.0" and "1.0.0"); `text` itself when unparsable."""
    if text.isdigit() and len(text) < 20:  # the common "3" / "10" needs no parser
        return str(int(text))
    v = parse_version(text)
    if v is None:
        return text
    release = list(v.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    out = (f"{v.epoch}!" if v.epoch else "") + ".".join(map(str, release))
    if v.pre is not None:
        out += f"{v.pre[0]}{v.pre[1]}"
    if v.post is not None:
        out += f".post{v.post}"
    if v.dev is not None:
        out += f".dev{v.dev}"
    return out + (f"+{v.local}" if v.local else "")
