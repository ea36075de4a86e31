"""Severity of an OSV record: CVSS v3/v4 vectors first, then GHSA's rating, else unknown.

OSV `severity[]` (ossf/osv-schema docs/schema.md) may sit at the top level or per `affected[]`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from cvss import CVSS3, CVSS4

from depsentry.models import Severity

logger = logging.getLogger(__name__)

# GitHub's qualitative ratings (database_specific.severity); "MODERATE" is GitHub's "medium".
_GHSA_SEVERITY = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}


def cvss_score(kind: str, vector: str) -> float | None:
    """The CVSS base score of one `severity[]` entry, or None when it is not a v3/v4 vector we can read."""
    try:
        if kind == "CVSS_V3" or vector.startswith("CVSS:3"):
            return float(CVSS3(vector).scores()[0])
        if kind == "CVSS_V4" or vector.startswith("CVSS:4"):
            return float(CVSS4(vector).base_score)
    except Exception:  # cvss raises its own family plus ValueError/KeyError on junk vectors
        logger.debug("unreadable CVSS vector %r", vector)
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
                if isinstance(kind, str) and isinstance(score, str):
                    yield kind, score


def is_malicious(record_id: str, aliases: tuple[str, ...] = ()) -> bool:
    """OSV `MAL-` records are known-malicious packages (ossf/malicious-packages)."""
    return any(i.startswith("MAL-") for i in (record_id, *aliases))


def rate(record: Mapping[str, Any]) -> tuple[Severity, float | None]:
    """Return (severity, highest CVSS base score) for one OSV record."""
    record_id = record.get("id")
    aliases = record.get("aliases")
    alias_ids = tuple(a for a in aliases if isinstance(a, str)) if isinstance(aliases, list) else ()
    scores = [
        s for kind, vec in _severity_entries(record) if (s := cvss_score(kind, vec)) is not None
    ]
    best = max(scores) if scores else None
    if isinstance(record_id, str) and is_malicious(record_id, alias_ids):
        return Severity.CRITICAL, best
    if best is not None:
        return Severity.from_score(best), best
    specific = record.get("database_specific")
    if isinstance(specific, dict):
        rating = specific.get("severity")
        if isinstance(rating, str) and rating.upper() in _GHSA_SEVERITY:
            return _GHSA_SEVERITY[rating.upper()], None
    return Severity.UNKNOWN, None
