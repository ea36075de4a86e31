"""Severity: what each OSV record says (`Rating`), and the best rating of an alias group.

The group's rating is the highest CVSS v4 score of any of its records, else the highest v3, else
the highest GHSA `database_specific.severity`; else it is unrated. OSV `severity[]`
(ossf/osv-schema docs/schema.md) may sit at the top level or per `affected[]`; CVSS v2 and
distribution ratings (`Ubuntu`) are not used.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from depsentry.models import Severity

__all__ = [
    "Rating",
    "cvss_score",
    "group_rating",
    "id_rank",
    "is_malicious",
    "rate",
    "rate_record",
]

logger = logging.getLogger(__name__)

# GitHub's qualitative ratings (database_specific.severity); "MODERATE" is GitHub's "medium".
_GHSA_SEVERITY = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}


# A NamedTuple, not a frozen dataclass: about 5x cheaper to define, on every scan's start-up.
class Rating(NamedTuple):
    """What one record says: its highest CVSS v4 and v3 base scores and GHSA's rating."""

    cvss4: float | None = None
    cvss3: float | None = None
    ghsa: Severity | None = None

    @property
    def rated(self) -> bool:
        return self.cvss4 is not None or self.cvss3 is not None or self.ghsa is not None


UNRATED = Rating()


@lru_cache(maxsize=1 << 16)  # asked per finding per pin; bounded for the daemon
def id_rank(record_id: str) -> tuple[int, str]:
    """pip-audit's preference (PYSEC first), then GHSA, then CVE, then the rest; ties by id."""
    for rank, prefix in enumerate(("PYSEC-", "GHSA-", "CVE-")):
        if record_id.startswith(prefix):
            return rank, record_id
    return 3, record_id


def cvss_score(kind: str, vector: str) -> float | None:
    """The CVSS base score of one `severity[]` entry, or None when it is not a v3/v4 vector we can read."""
    from cvss import CVSS3, CVSS4  # only a sync parses vectors; a scan reads stored scores

    try:
        if kind == "CVSS_V3" or vector.startswith("CVSS:3"):
            return float(CVSS3(vector).scores()[0])
        if kind == "CVSS_V4" or vector.startswith("CVSS:4"):
            return float(CVSS4(vector).base_score)
    except Exception:  # cvss raises its own family plus ValueError/KeyError on junk vectors
        logger.debug("unreadable CVSS vector %r", vector[:200])
    return None


def _severity_entries(record: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    lists: list[object] = [record.get("severity")]
    affected = record.get("affected")
    if isinstance(affected, list):
        lists.extend(a.get("severity") for a in affected if isinstance(a, dict))
    for entries in lists:
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, dict):
                kind, score = entry.get("type"), entry.get("score")
                if isinstance(kind, str) and isinstance(score, str) and len(score) < 512:
                    yield kind, score


def is_malicious(record_id: str, aliases: tuple[str, ...] = ()) -> bool:
    """OSV `MAL-` records are known-malicious packages (ossf/malicious-packages)."""
    return any(i.startswith("MAL-") for i in (record_id, *aliases))


def rate_record(record: Mapping[str, Any]) -> Rating:
    """The `Rating` of one decoded OSV record."""
    v4: list[float] = []
    v3: list[float] = []
    for kind, vector in _severity_entries(record):
        score = cvss_score(kind, vector)
        if score is None:
            continue
        (v4 if kind == "CVSS_V4" or vector.startswith("CVSS:4") else v3).append(score)
    ghsa = None
    specific = record.get("database_specific")
    if isinstance(specific, dict):
        value = specific.get("severity")
        if isinstance(value, str):
            ghsa = _GHSA_SEVERITY.get(value.upper())
    return Rating(max(v4) if v4 else None, max(v3) if v3 else None, ghsa)


def group_rating(
    ratings: Iterable[tuple[str, Rating]], *, malicious: str | None = None
) -> tuple[Severity, float | None, str | None]:
    """(severity, CVSS score, id of the record it came from) for the records of one alias group.

    `malicious` is the id of a MAL- record in the group: a malicious package is critical.
    """
    ordered = sorted(ratings, key=lambda item: id_rank(item[0]))
    best: tuple[Severity, float | None, str | None] = (Severity.UNKNOWN, None, None)
    for field in ("cvss4", "cvss3"):
        scored = [(getattr(r, field), rid) for rid, r in ordered if getattr(r, field) is not None]
        if scored:
            score, rid = max(scored, key=lambda item: item[0])  # max keeps the first of a tie
            best = (Severity.from_score(score), score, rid)
            break
    else:
        levels = [(r.ghsa, rid) for rid, r in ordered if r.ghsa is not None]
        if levels:
            level, rid = max(levels, key=lambda item: item[0].rank)
            best = (level, None, rid)
    if malicious is not None:
        return Severity.CRITICAL, best[1], malicious
    return best


def rate(record: Mapping[str, Any]) -> tuple[Severity, float | None]:
    """(severity, CVSS score) of one record on its own."""
    record_id = record.get("id")
    aliases = record.get("aliases")
    alias_ids = tuple(a for a in aliases if isinstance(a, str)) if isinstance(aliases, list) else ()
    rid = record_id if isinstance(record_id, str) else ""
    mal = rid if rid and is_malicious(rid, alias_ids) else None
    severity, score, _ = group_rating([(rid, rate_record(record))], malicious=mal)
    return severity, score
