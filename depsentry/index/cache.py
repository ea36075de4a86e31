"""An on-disk HTTP cache for index pages: body plus validators, freshness from Cache-Control
max-age (else Expires), less the Age the response already had.

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
import stat
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from email.utils import parsedate_to_datetime
from pathlib import Path

__all__ = ["CachedResponse", "HttpCache"]

logger = logging.getLogger(__name__)

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)
_NO_STORE = re.compile(r"(?:^|,)\s*no-store\b", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*no-cache\b", re.IGNORECASE)
_SUFFIX = ".entry"
_TMP_PREFIX = ".tmp-"
_STALE_TMP = 3600.0  # seconds: a temporary file this old was left by a killed run
_MAX_ENTRY = 512 * 1024 * 1024  # larger is not an index page: a miss, never read into memory
_MAX_SECONDS = 10 * 365 * 86400  # ages and lifetimes beyond ten years are nonsense or attacks


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A stored 200 response: what to parse, and what to revalidate with."""

    url: str
    content_type: str
    etag: str | None
    last_modified: str | None
    max_age: int  # seconds; 0 means always revalidate
    stored_at: float  # when the response was generated, by the cache's clock (its Age removed)
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

    One file per entry, `<sha256 of the URL>.entry`: a JSON line of metadata (with the body's
    size and sha256), then the body. It is written to a temporary file and renamed, so a reader
    sees a whole entry or none, and a body is never paired with another response's validators;
    an entry that does not check out (truncated, corrupted, foreign) is a miss.
    """

    def __init__(self, root: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.root = root
        self.clock = clock
        self._swept = False

    def _path(self, url: str) -> Path:
        return self.root / f"{hashlib.sha256(url.encode()).hexdigest()}{_SUFFIX}"

    def get(self, url: str) -> CachedResponse | None:
        """The stored entry for `url`, fresh or stale; None when absent or unusable."""
        try:
            data = _read_regular(self._path(url))
            head, newline, body = data.partition(b"\n")
            meta = json.loads(head)
            if not newline or not isinstance(meta, dict):
                return None
            size, digest = meta.pop("size"), meta.pop("sha256")
            if size != len(body) or digest != hashlib.sha256(body).hexdigest():
                return None  # truncated or corrupted
            entry = CachedResponse(body=body, **meta)
        except (OSError, ValueError, TypeError, KeyError):
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
            max_age=_lifetime(headers),
            stored_at=self.clock() - _age(headers),
            body=body,
        )
        self._write(entry)
        return entry

    def refresh(self, entry: CachedResponse, headers: Mapping[str, str]) -> CachedResponse:
        """After a 304: keep the body, take the new validators and lifetime, restart the clock."""
        has_lifetime = "cache-control" in headers or "expires" in headers
        updated = replace(
            entry,
            etag=headers.get("etag", entry.etag),
            last_modified=headers.get("last-modified", entry.last_modified),
            max_age=_lifetime(headers) if has_lifetime else entry.max_age,
            stored_at=self.clock() - _age(headers),
        )
        self._write(updated)
        return updated

    def _write(self, entry: CachedResponse) -> None:
        meta = asdict(entry)
        del meta["body"]
        meta["size"] = len(entry.body)
        meta["sha256"] = hashlib.sha256(entry.body).hexdigest()
        data = json.dumps(meta).encode() + b"\n" + entry.body
        path = self._path(entry.url)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._sweep()
            _atomic_write(path, data)
            for old in (path.with_suffix(".json"), path.with_suffix(".body")):
                old.unlink(missing_ok=True)  # the two-file layout of earlier versions
        except OSError as exc:
            # A cache that cannot be written costs speed, not correctness.
            logger.warning("cannot write HTTP cache in %s: %s", self.root, exc.strerror or exc)

    def _sweep(self) -> None:
        """Remove temporary files that runs killed mid-write left behind (once per instance)."""
        if self._swept:
            return
        self._swept = True
        cutoff = time.time() - _STALE_TMP
        with contextlib.suppress(OSError):
            for item in os.scandir(self.root):
                with contextlib.suppress(OSError):
                    if item.name.startswith(_TMP_PREFIX) and item.stat().st_mtime < cutoff:
                        os.unlink(item.path)


def _read_regular(path: Path) -> bytes:
    """The bytes of `path` if it is a regular file of sane size (a FIFO would block a read)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_ENTRY:
            raise ValueError("not a cache entry")
        return handle.read()


def _lifetime(headers: Mapping[str, str]) -> int:
    """Freshness lifetime (RFC 9111 §4.2.1): max-age, else Expires - Date; 0 with no-cache."""
    cache_control = headers.get("cache-control", "")
    if _NO_CACHE.search(cache_control):
        return 0
    match = _MAX_AGE.search(cache_control)
    if match:
        return min(int(match.group(1)[:12]), _MAX_SECONDS)
    expires, date = _http_date(headers.get("expires")), _http_date(headers.get("date"))
    if expires is None:
        return 0  # an invalid Expires (often "0") means already expired
    base = date if date is not None else time.time()
    return int(min(max(expires - base, 0), _MAX_SECONDS))


def _age(headers: Mapping[str, str]) -> float:
    """The Age header (RFC 9111 §5.1): how long the response sat in caches before us."""
    value = headers.get("age", "").strip()
    if not value.isdigit():
        return 0.0
    return float(min(int(value[:12]), _MAX_SECONDS))


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
