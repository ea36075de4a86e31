"""Download a data file (the OSV dump, EPSS scores, the KEV catalogue) with a conditional GET
(ETag / Last-Modified), so an unchanged file is cheap, and a size cap, so a hostile or broken
server cannot fill the disk."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from depsentry.errors import AdvisoryDbError
from depsentry.httpkit import redact, timeout

__all__ = ["Fetched", "download"]


@dataclass(frozen=True, slots=True)
class Fetched:
    """A downloaded file (a temp file the caller removes) and its validators for the next sync."""

    path: Path
    etag: str | None
    last_modified: str | None


def download(
    url: str,
    directory: Path,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    progress: Callable[[str, int, int | None], None],
    connect_timeout: float = 5.0,
    max_bytes: int = 2 << 30,
    suffix: str = ".zip",
    what: str = "OSV sync",
) -> Fetched | None:
    """GET `url` into a temp file in `directory`; None when the server answers 304 Not Modified.

    More than `max_bytes` (announced or received) is an AdvisoryDbError; nothing is kept."""
    import httpx  # only a download needs it; scans that reuse a database start faster without

    headers = {"User-Agent": f"depsentry ({what})"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    fd, name = tempfile.mkstemp(dir=directory, prefix=".osv-download.", suffix=suffix)
    path = Path(name)
    try:
        with (
            os.fdopen(fd, "wb") as out,
            httpx.Client(
                timeout=timeout(60.0, connect=connect_timeout),
                follow_redirects=True,
                headers=headers,
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code == 304:
                path.unlink()
                return None
            if response.status_code != 200:
                raise AdvisoryDbError(f"download failed: HTTP {response.status_code}", redact(url))
            announced = response.headers.get("Content-Length", "")
            total = int(announced) if announced.isdigit() else None
            too_big = AdvisoryDbError(
                f"download failed: larger than {max_bytes >> 20} MiB", redact(url)
            )
            if total is not None and total > max_bytes:
                raise too_big
            done = 0
            for chunk in response.iter_bytes(1 << 16):  # decoded: the cap counts what is stored
                out.write(chunk)
                done += len(chunk)
                if done > max_bytes:
                    raise too_big
                progress("download", done, total)
            return Fetched(
                path, response.headers.get("ETag"), response.headers.get("Last-Modified")
            )
    except httpx.HTTPError as exc:
        path.unlink(missing_ok=True)
        # httpx messages can quote the URL; keep only the exception type and the redacted URL.
        raise AdvisoryDbError(
            f"download failed ({type(exc).__name__}); check the network, or sync from a local copy "
            "with `depsentry db sync --from PATH`",
            redact(url),
        ) from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise
