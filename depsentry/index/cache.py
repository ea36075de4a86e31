"""An on-disk HTTP cache for index pages: body plus validators, freshness from Cache-Control max-age.

Hand-written rather than hishel: hishel 2.0's RFC 9111 engine has no `only-if-cached` or
`max-stale` handling, so offline scans would have to read its SQLite entries by a private key scheme.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

__all__ = ["CachedResponse", "HttpCache"]

logger = logging.getLogger(__name__)

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)
_NO_STORE = re.compile(r"(?:^|,)\s*no-store\b", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*no-cache\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A stored 200 response: what to parse, and what to revalidate with."""

    url: str
    content_type: str
    etag: str | None
    last_modified: str | None
    max_age: int  # seconds; 0 means always revalidate
    stored_at: float  # seconds since the epoch, by the cache's clock
    body: bytes

    def is_fresh(self, now: float) -> bool:
        return now - self.stored_at < self.max_age

    def conditional_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class HttpCache:
    """Cached responses keyed by URL (credentials are never part of the URL handed in).

    Each entry is two files named by the URL's SHA-256: `<key>.json` (metadata) and `<key>.body`,
    written to a temporary file and renamed, so concurrent scans never read half an entry.
    """

    def __init__(self, root: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.root = root
        self.clock = clock

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode()).hexdigest()
        return self.root / f"{key}.json", self.root / f"{key}.body"

    def get(self, url: str) -> CachedResponse | None:
        """The stored entry for `url`, fresh or stale; None when absent or unreadable."""
        meta_path, body_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            body = body_path.read_bytes()
            entry = CachedResponse(body=body, **meta)
        except (OSError, ValueError, TypeError):
            return None
        if entry.url != url:  # a hash collision or a foreign file: treat as a miss
            return None
        return entry

    def store(self, url: str, headers: Mapping[str, str], body: bytes) -> CachedResponse | None:
        """Store a 200 response unless it says no-store; returns the entry stored."""
        cache_control = headers.get("cache-control", "")
        if _NO_STORE.search(cache_control):
            return None
        entry = CachedResponse(
            url=url,
            content_type=headers.get("content-type", ""),
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            max_age=_max_age(cache_control),
            stored_at=self.clock(),
            body=body,
        )
        self._write(entry)
        return entry

    def refresh(self, entry: CachedResponse, headers: Mapping[str, str]) -> CachedResponse:
        """After a 304: keep the body, take the new validators and max-age, restart the clock."""
        cache_control = headers.get("cache-control")
        updated = replace(
            entry,
            etag=headers.get("etag", entry.etag),
            last_modified=headers.get("last-modified", entry.last_modified),
            max_age=_max_age(cache_control) if cache_control is not None else entry.max_age,
            stored_at=self.clock(),
        )
        self._write(updated, body_changed=False)
        return updated

    def _write(self, entry: CachedResponse, *, body_changed: bool = True) -> None:
        meta_path, body_path = self._paths(entry.url)
        meta = asdict(entry)
        del meta["body"]
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if body_changed:
                _atomic_write(body_path, entry.body)
            _atomic_write(meta_path, json.dumps(meta).encode())
        except OSError as exc:
            # A cache that cannot be written costs speed, not correctness.
            logger.warning("cannot write HTTP cache in %s: %s", self.root, exc.strerror)


def _max_age(cache_control: str) -> int:
    if _NO_CACHE.search(cache_control):
        return 0
    match = _MAX_AGE.search(cache_control)
    return int(match.group(1)) if match else 0


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
