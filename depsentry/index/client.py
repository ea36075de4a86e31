"""`PackageIndex`: fetch what an index knows about many projects at once, through the HTTP cache.

Reads PyPI's JSON API (preferred on pypi.org: upload times for every file) or any PEP 503/691
simple repository (devpi, Artifactory, Nexus, a directory served over HTTP). A failed lookup is
data (`IndexFailure`), never an exception, so one bad name or a down index spoils nothing else.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from netrc import NetrcParseError
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
from packaging.utils import canonicalize_name

from depsentry.errors import PackageIndexError
from depsentry.httpkit import RETRY_STATUS, redact, retry_delay, timeout
from depsentry.index.cache import CachedResponse, HttpCache
from depsentry.index.origins import confusion, tag
from depsentry.index.pypi_json import parse_pypi_json
from depsentry.index.simple import (
    SIMPLE_JSON,
    build_release,
    parse_simple_html,
    parse_simple_json,
)
from depsentry.models.releases import DistFile, ProjectReleases
from depsentry.paths import state_dir

__all__ = [
    "DEFAULT_INDEX_URL",
    "IndexFailure",
    "PackageIndex",
    "NOT_ON_INDEX",
    "credentialed_urls",
    "redact",
]

logger = logging.getLogger(__name__)

DEFAULT_INDEX_URL = "https://pypi.org/simple/"
_PYPI_HOSTS = frozenset({"pypi.org", "test.pypi.org"})
_SIMPLE_ACCEPT = f"{SIMPLE_JSON}, text/html;q=0.1"
_USER_AGENT = "depsentry (https://github.com/depsentry/depsentry)"

FailureKind = Literal["not-found", "unavailable"]

NOT_ON_INDEX = "private package, or a name that someone could register (dependency confusion)"


@dataclass(frozen=True, slots=True)
class IndexFailure:
    """Why the index could not tell us about `name` (the reason never holds credentials)."""

    name: str
    reason: str
    kind: FailureKind = "unavailable"


@dataclass(slots=True)
class _Index:
    url: str  # no userinfo, ends with "/"
    host: str
    auth: httpx.Auth | None
    json_api: str | None  # base of /pypi/NAME/json when used instead of the simple page
    down: str | None = field(default=None)  # set once the index proved unreachable this scan


class _Failed(Exception):
    def __init__(self, reason: str, kind: FailureKind = "unavailable", transport: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.transport = transport


class PackageIndex:
    """A client for one index plus extra indexes; every name is looked up at most once.

    Credentials are scoped to the index they were given for: the URL's own userinfo; for the
    main index (`index_url`) only, `DEPSENTRY_INDEX_USERNAME`/`DEPSENTRY_INDEX_PASSWORD` (never
    sent to pypi.org, nor to any extra index); else the netrc entry for that host ($NETRC or
    ~/.netrc). A redirect to another host drops them (httpx strips Authorization off-origin).
    """

    def __init__(
        self,
        index_url: str = DEFAULT_INDEX_URL,
        extra_index_urls: Iterable[str] = (),
        *,
        concurrency: int = 16,
        timeout: float = 15.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
        offline: bool = False,
        cache: HttpCache | None = None,
        use_cache: bool = True,
        json_api: bool | None = None,
        netrc_file: str | Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        netrc_auth = _netrc_auth(netrc_file, env)
        self._indexes = [
            _make_index(url, env if i == 0 else {}, netrc_auth, json_api if i == 0 else False)
            for i, url in enumerate([index_url, *extra_index_urls])
        ]
        if env.get("DEPSENTRY_INDEX_USERNAME") and self._indexes[0].host in _PYPI_HOSTS:
            logger.warning(
                "DEPSENTRY_INDEX_USERNAME is set but the main index is %s, which never gets it "
                "(nor does any extra index): put an extra index's credentials in its URL or netrc",
                self._indexes[0].host,
            )
        if cache is None and use_cache:
            cache = HttpCache(state_dir() / "http-cache")
        self.cache = cache
        self.offline = offline
        self.concurrency = concurrency
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self._timeout = timeout
        self._client: httpx.Client | None = None
        self._memo: dict[str, ProjectReleases | IndexFailure] = {}
        self._lock = threading.Lock()
        self.requests_sent = 0  # HTTP requests that reached the network (for benchmarks, logs)

    def __enter__(self) -> PackageIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def index_urls(self) -> list[str]:
        """The configured index URLs, credentials removed."""
        return [index.url for index in self._indexes]

    def fetch(self, name: str) -> ProjectReleases | IndexFailure:
        """What the indexes know about one project (see `fetch_many`)."""
        return self.fetch_many([name])[canonicalize_name(name)]

    def fetch_many(
        self,
        names: Iterable[str],
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, ProjectReleases | IndexFailure]:
        """Releases of each distinct project, keyed by PEP 503-normalised name.

        Runs up to `concurrency` lookups at a time; names already looked up by this instance are
        answered from memory. `progress(done, total)` is called from the calling thread.
        """
        wanted = list(dict.fromkeys(canonicalize_name(n) for n in names))
        todo = [n for n in wanted if n not in self._memo]
        total, done = len(wanted), len(wanted) - len(todo)
        if progress is not None:
            progress(done, total)
        if todo:
            with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
                futures = {pool.submit(self._lookup, name): name for name in todo}
                for future in as_completed(futures):
                    self._memo[futures[future]] = future.result()
                    done += 1
                    if progress is not None:
                        progress(done, total)
        return {name: self._memo[name] for name in wanted}

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=timeout(self._timeout),
                    follow_redirects=True,
                    headers={"User-Agent": _USER_AGENT},
                    limits=httpx.Limits(max_connections=max(1, self.concurrency)),
                )
            return self._client

    def _lookup(self, name: str) -> ProjectReleases | IndexFailure:
        """One project across all indexes; files found on several indexes are merged (as pip does)."""
        found: list[ProjectReleases] = []
        failures: list[_Failed] = []
        for index in self._indexes:
            try:
                found.append(self._lookup_one(index, name))
            except _Failed as exc:
                failures.append(exc)
            except Exception as exc:  # never let one name break the scan
                logger.exception("unexpected error looking up %s on %s", name, index.url)
                failures.append(_Failed(f"{index.url}: {type(exc).__name__}: {exc}"))
        if found:
            for failure in failures:
                if failure.kind != "not-found":
                    logger.warning("%s: partial answer, %s", name, failure.reason)
            if len(found) == 1:
                return found[0]
            merged = _merge(name, found)
            warning = confusion(merged)
            if warning is not None:
                logger.warning("%s", warning)
            return merged
        unavailable = [f for f in failures if f.kind == "unavailable"]
        if unavailable:
            return IndexFailure(name, "; ".join(f.reason for f in unavailable), "unavailable")
        hosts = ", ".join(dict.fromkeys(index.host for index in self._indexes))
        return IndexFailure(name, f"not on {hosts}: {NOT_ON_INDEX}", "not-found")

    def _lookup_one(self, index: _Index, name: str) -> ProjectReleases:
        if index.json_api is not None:
            url = f"{index.json_api}/pypi/{name}/json"
            entry = self._get(index, url, "application/json")
        else:
            url = f"{index.url}{name}/"
            entry = self._get(index, url, _SIMPLE_ACCEPT)
        try:
            if index.json_api is not None:
                parsed = parse_pypi_json(name, entry.body)
            elif entry.content_type.split(";")[0].strip().lower() == SIMPLE_JSON:
                parsed = parse_simple_json(name, entry.body)
            else:
                parsed = parse_simple_html(name, entry.body)
            return tag(parsed, index.url)
        except PackageIndexError as exc:
            raise _Failed(f"{redact(url)}: malformed page: {exc.message}") from exc

    def _get(self, index: _Index, url: str, accept: str) -> CachedResponse:
        """A 200 body for `url`: from the cache when fresh (or offline), else from the network."""
        cached = self.cache.get(url) if self.cache is not None else None
        if self.offline:
            if cached is None:
                raise _Failed("not in cache (offline)")
            return cached
        if cached is not None and self.cache is not None and cached.is_fresh(self.cache.clock()):
            return cached
        if index.down is not None:
            raise _Failed(index.down)
        try:
            return self._request(url, index, accept, cached)
        except _Failed as failed:
            if failed.transport:
                index.down = f"{index.host} unreachable: {failed.reason}"
            if cached is not None and failed.kind == "unavailable":
                logger.warning("%s; using the cached copy of %s", failed.reason, redact(url))
                return cached
            raise

    def _request(
        self, url: str, index: _Index, accept: str, cached: CachedResponse | None
    ) -> CachedResponse:
        headers = {"Accept": accept}
        if cached is not None:
            headers |= cached.conditional_headers()
        client = self._http()
        reason = ""
        retry_after: str | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self._delay(attempt, retry_after))
                retry_after = None
            with self._lock:
                self.requests_sent += 1
            try:
                response = client.get(
                    url, headers=headers, auth=index.auth or httpx.USE_CLIENT_DEFAULT
                )
            except httpx.TimeoutException:
                reason = f"{redact(url)}: timed out after {self._timeout:g}s"
                continue
            except httpx.TransportError as exc:
                raise _Failed(f"{redact(url)}: {_describe(exc)}", transport=True) from exc
            logger.debug("GET %s -> %d", redact(url), response.status_code)
            status = response.status_code
            if status == 304 and cached is not None and self.cache is not None:
                return self.cache.refresh(cached, response.headers)
            if status == 200:
                stored = (
                    self.cache.store(url, response.headers, response.content)
                    if self.cache
                    else None
                )
                return stored or CachedResponse(
                    url,
                    response.headers.get("content-type", ""),
                    None,
                    None,
                    0,
                    0.0,
                    response.content,
                )
            if status in (404, 410):
                raise _Failed(f"not found on {index.host}", kind="not-found")
            if status in RETRY_STATUS:
                retry_after = response.headers.get("retry-after")
                reason = f"{redact(url)}: HTTP {status} {response.reason_phrase}".rstrip()
                continue
            hint = " (check the index credentials)" if status in (401, 403) else ""
            raise _Failed(f"{redact(url)}: HTTP {status} {response.reason_phrase}{hint}")
        raise _Failed(
            f"{reason} (gave up after {self.retries + 1} attempts)", transport="timed out" in reason
        )

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        return retry_delay(attempt, retry_after, backoff=self.backoff, cap=self.max_retry_after)


def credentialed_urls(
    index_url: str, extra_index_urls: Iterable[str] = (), env: Mapping[str, str] | None = None
) -> list[str]:
    """The index URLs for another client (uv), credentials scoped as `PackageIndex` scopes them:
    the main index gets `DEPSENTRY_INDEX_USERNAME`/`PASSWORD` unless it is PyPI or names its own.
    These URLs hold secrets: pass them through an environment, never argv, logs or messages."""
    env = os.environ if env is None else env
    urls = [index_url, *extra_index_urls]
    user = env.get("DEPSENTRY_INDEX_USERNAME")
    parts = urlsplit(index_url)
    if user and parts.username is None and parts.hostname and parts.hostname not in _PYPI_HOSTS:
        from urllib.parse import quote

        secret = f"{quote(user, safe='')}:{quote(env.get('DEPSENTRY_INDEX_PASSWORD', ''), safe='')}"
        urls[0] = urlunsplit(parts._replace(netloc=f"{secret}@{parts.netloc}"))
    return urls


def _make_index(
    url: str, env: Mapping[str, str], netrc_auth: httpx.Auth | None, json_api: bool | None
) -> _Index:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PackageIndexError(f"index URL must be http(s)://host/...: {redact(url)}")
    host = parts.hostname
    netloc = parts.netloc.rsplit("@", 1)[-1]
    clean = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/", "", ""))
    auth: httpx.Auth | None
    if parts.username is not None:
        auth = httpx.BasicAuth(unquote(parts.username), unquote(parts.password or ""))
    elif env.get("DEPSENTRY_INDEX_USERNAME") and host not in _PYPI_HOSTS:
        auth = httpx.BasicAuth(
            env["DEPSENTRY_INDEX_USERNAME"], env.get("DEPSENTRY_INDEX_PASSWORD", "")
        )
    else:
        auth = netrc_auth
    use_json = host in _PYPI_HOSTS if json_api is None else json_api
    api_base = None
    if use_json:
        path = parts.path.rstrip("/")
        path = path.removesuffix("/simple")
        api_base = urlunsplit((parts.scheme, netloc, path, "", ""))
    return _Index(url=clean, host=host, auth=auth, json_api=api_base)


def _netrc_auth(netrc_file: str | Path | None, env: Mapping[str, str]) -> httpx.Auth | None:
    path = Path(netrc_file) if netrc_file is not None else None
    if path is None:
        path = Path(env["NETRC"]) if env.get("NETRC") else Path.home() / ".netrc"
    if not path.is_file():
        return None
    try:
        return httpx.NetRCAuth(str(path))
    except (OSError, NetrcParseError) as exc:
        # Name the file and line only: the parse error's text can quote the file's contents.
        line = getattr(exc, "lineno", None)
        logger.warning("ignoring unreadable netrc file %s%s", path, f":{line}" if line else "")
        return None


def _describe(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    return type(exc).__name__


def _merge(name: str, found: list[ProjectReleases]) -> ProjectReleases:
    # The same file on a mirror and on its upstream counts once.
    files: dict[str, dict[str, DistFile]] = {}
    for project in found:
        for release in project.releases:
            by_name = files.setdefault(release.version, {})
            for dist in release.files:
                by_name.setdefault(dist.filename, dist)
    origins: dict[str, dict[str, None]] = {}
    for project in found:
        for release in project.releases:
            origins.setdefault(release.version, {}).update(dict.fromkeys(release.indexes))
    releases = tuple(
        dataclasses.replace(build_release(v, list(fs.values())), indexes=tuple(origins[v]))
        for v, fs in files.items()
    )
    return ProjectReleases(name=name, releases=releases)
