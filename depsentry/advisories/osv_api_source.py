"""Advisories from an OSV API (api.osv.dev or a mirror), queried the way `uv audit` does.

`POST /v1/querybatch` (ids only, at most 1,000 queries a request, per-query `next_page_token`),
then `GET /v1/vulns/{id}` concurrently, each id once (astral-sh/uv crates/uv-audit
src/service/osv.rs; google/osv.dev docs/api). Retries 429 and 5xx with backoff, like the official
Go client (google/osv.dev bindings/go/osvdev).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
from packaging.version import Version

from depsentry.advisories.interface import AdvisorySource, SourceOptions
from depsentry.advisories.matcher import Hit, RecordFacts, merge_aliases
from depsentry.advisories.osv_record import ParsedRecord, parse_record
from depsentry.advisories.package_index import PackageIndex
from depsentry.advisories.priorities import Prioritiser, default_prioritiser
from depsentry.advisories.versions import normalise_version, parse_version
from depsentry.errors import AdvisoryDbError
from depsentry.httpkit import RETRY_STATUS, redact, retry_delay, timeout
from depsentry.models import AdvisoryDbInfo, Dependency, Vulnerability

__all__ = ["DEFAULT_OSV_API", "MAX_BATCH", "OsvApiSource"]

logger = logging.getLogger(__name__)

DEFAULT_OSV_API = "https://api.osv.dev"
MAX_BATCH = 1000  # "1,001 ... receives 400 Too many queries" (astral-sh/uv PR #20398)

_MAX_PAGES = 1000  # a server repeating its next_page_token must not loop us forever
_Key = tuple[str, str]  # (name, version) as queried


class OsvApiSource(AdvisorySource):
    """Query an OSV-compatible API for many dependencies at once."""

    name = "osv-api"

    @classmethod
    def open(cls, options: SourceOptions) -> OsvApiSource:
        source = cls(options.osv_api_url or DEFAULT_OSV_API, offline=options.offline)
        source.priorities = default_prioritiser()
        return source

    def __init__(
        self,
        base_url: str = DEFAULT_OSV_API,
        *,
        offline: bool = False,
        concurrency: int = 16,
        timeout: float = 30.0,
        batch_size: int = MAX_BATCH,
        retries: int = 4,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
    ) -> None:
        if offline:
            raise AdvisoryDbError("--offline forbids the osv-api source")
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1..{MAX_BATCH}")
        self.base_url = base_url.rstrip("/")
        # Messages and info() leave out the userinfo: a mirror URL may carry credentials.
        self._shown = redact(self.base_url)
        self._where = f"OSV API {self._shown.partition('://')[2].partition('/')[0]}"
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.batch_size = batch_size
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self._records = 0
        self._updated: datetime | None = None
        self._warnings: list[str] = []
        self.priorities: Prioritiser | None = None  # EPSS/KEV joined through each alias group

    def info(self) -> AdvisoryDbInfo:
        """The API is live data: `updated` is when it was last asked, `records` how many it sent."""
        p = self.priorities
        return AdvisoryDbInfo(
            source=f"osv-api {self._shown}",
            records=self._records,
            updated=self._updated,
            warnings=tuple(self._warnings),
            epss=p.epss_info if p is not None else None,
            kev=p.kev_info if p is not None else None,
        )

    def match(self, dependencies: Sequence[Dependency]) -> list[Vulnerability]:
        """Ask the API which records affect each dependency, fetch each record once, merge aliases."""
        keys = list(dict.fromkeys((d.name, d.version) for d in dependencies))
        self._warnings = []
        if not keys:
            return []
        with (
            httpx.Client(
                timeout=timeout(self.timeout),
                limits=httpx.Limits(max_connections=self.concurrency),
                headers={"User-Agent": "depsentry"},
            ) as client,
            ThreadPoolExecutor(self.concurrency) as pool,
        ):
            ids_by_key = self._query_ids(client, pool, keys)
            wanted = list(dict.fromkeys(i for ids in ids_by_key.values() for i in ids))
            fetched = pool.map(lambda i: self._fetch(client, i), wanted)
            records = {i: r for i, r in zip(wanted, fetched, strict=True) if r is not None}
        self._records = len(records)
        self._updated = datetime.now(UTC)

        out: list[Vulnerability] = []
        for dep in dependencies:
            ids = ids_by_key.get((dep.name, dep.version), [])
            hits = [_hit(records[i], dep) for i in ids if i in records]
            merged = merge_aliases(dep, hits, prioritise=self.priorities)
            out.extend(dataclasses.replace(v, reported_by=(self.name,)) for v in merged)
        return out

    def _query_ids(
        self, client: httpx.Client, pool: ThreadPoolExecutor, keys: list[_Key]
    ) -> dict[_Key, list[str]]:
        found: dict[_Key, list[str]] = {k: [] for k in keys}
        pending: list[tuple[_Key, str | None]] = [(k, None) for k in keys]
        for _ in range(_MAX_PAGES):
            if not pending:
                break
            batches = [
                pending[i : i + self.batch_size] for i in range(0, len(pending), self.batch_size)
            ]
            answers = list(pool.map(lambda b: self._post_batch(client, b), batches))
            pending = []
            for batch, results in zip(batches, answers, strict=True):
                if len(results) != len(batch):
                    raise AdvisoryDbError(
                        f"{self._where}: querybatch answered {len(results)} results "
                        f"for {len(batch)} queries"
                    )
                for (key, _), result in zip(batch, results, strict=True):
                    found[key].extend(_ids(result))
                    token = result.get("next_page_token") if isinstance(result, dict) else None
                    if isinstance(token, str) and token:
                        pending.append((key, token))
        if pending:
            raise AdvisoryDbError(f"{self._where}: querybatch paging did not end")
        return {k: list(dict.fromkeys(v)) for k, v in found.items()}

    def _post_batch(
        self, client: httpx.Client, batch: Sequence[tuple[_Key, str | None]]
    ) -> list[Any]:
        queries: list[dict[str, Any]] = []
        for (name, version), token in batch:
            query: dict[str, Any] = {
                "package": {"name": name, "ecosystem": "PyPI"},
                "version": version,
            }
            if token:
                query["page_token"] = token
            queries.append(query)
        answer = self._request(client, "POST", "/v1/querybatch", {"queries": queries})
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise AdvisoryDbError(f"{self._where}: querybatch answer has no results list")
        return results

    def _fetch(self, client: httpx.Client, vuln_id: str) -> ParsedRecord | None:
        raw = self._request(client, "GET", f"/v1/vulns/{vuln_id}", None, missing_ok=True)
        if raw is None:
            self._warnings.append(f"{vuln_id}: listed by querybatch but not found")
            return None
        parsed, warnings = parse_record(raw)
        self._warnings.extend(warnings)
        return parsed

    def _request(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        body: object,
        *,
        missing_ok: bool = False,
    ) -> Any:
        url = self.base_url + path
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = client.request(method, url, json=body)
            except httpx.TransportError as exc:
                if last:
                    raise AdvisoryDbError(f"{self._where} unreachable: {exc}") from exc
                time.sleep(self._delay(attempt, None))
                continue
            status = response.status_code
            if status in RETRY_STATUS or status >= 500:
                if last:
                    raise AdvisoryDbError(
                        f"{self._where} answered HTTP {status} to {method} {path} "
                        f"after {self.retries + 1} tries"
                    )
                time.sleep(self._delay(attempt, response.headers.get("Retry-After")))
                continue
            if status == 404 and missing_ok:
                return None
            if status >= 400:
                raise AdvisoryDbError(
                    f"{self._where} rejected {method} {path}: HTTP {status} {_message(response)}"
                )
            try:
                return response.json()
            except ValueError as exc:
                raise AdvisoryDbError(f"{self._where}: {method} {path} answered non-JSON") from exc
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        # Exponential backoff with jitter, as google/osv.dev's bindings/go/osvdev does.
        return retry_delay(attempt + 1, retry_after, backoff=self.backoff, cap=self.max_retry_after)


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    message = body.get("message") if isinstance(body, dict) else None
    return str(message) if message else ""


def _ids(result: object) -> Iterable[str]:
    vulns = result.get("vulns") if isinstance(result, dict) else None
    if not isinstance(vulns, list):
        return ()
    return (v["id"] for v in vulns if isinstance(v, dict) and isinstance(v.get("id"), str))


def _hit(record: ParsedRecord, dep: Dependency) -> Hit:
    facts = RecordFacts(
        id=record.id,
        aliases=record.aliases,
        rating=record.rating,
        summary=record.summary,
        published=record.published,
        modified=record.modified,
        malicious=record.malicious,
    )
    entries = [e.to_json() for e in record.affected if e.package == dep.name]
    version = parse_version(dep.version)
    hits = PackageIndex([(facts, entries)]).hits(version, normalise_version(dep.version))
    fixed = hits[0].fixed if hits else ()
    if not hits:
        # The API matched it (it expands GIT ranges and fuzzy-matches versions), so report it;
        # offer every fix above the version from the record's ranges.
        fixes = {
            at
            for e in record.affected
            if e.package == dep.name
            for rng in e.ranges
            for kind, at in rng
            if kind == "fixed"
            and (version is None or ((p := parse_version(at)) is not None and p > version))
        }
        fixed = tuple(sorted(fixes, key=Version))  # parse_record kept only parsable versions
    return Hit(facts, fixed)
