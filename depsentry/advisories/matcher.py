"""Decide whether a version is affected (the OSV evaluation algorithm) and merge alias groups.

Ranges are compiled once per package (`compile_entry`); `evaluate()` follows the spec pseudo-code
of ossf/osv-schema docs/schema.md "Evaluation" with PEP 440 ordering.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from packaging.version import InvalidVersion, Version

from depsentry.models import Dependency, Severity, Vulnerability

__all__ = [
    "CompiledEntry",
    "Hit",
    "RecordFacts",
    "compile_entry",
    "evaluate",
    "merge_aliases",
    "parse_version",
]

_ZERO = Version("0")
_KIND_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}


@dataclass(frozen=True, slots=True)
class CompiledRange:
    """Events sorted by version (None = "0", before everything); `limits` None = no limit event."""

    events: tuple[tuple[str, Version | None], ...]
    limits: tuple[Version, ...] | None


@dataclass(frozen=True, slots=True)
class CompiledEntry:
    """One affected entry ready for evaluation."""

    versions: frozenset[str]
    ranges: tuple[CompiledRange, ...]


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What a `Vulnerability` needs from a record, besides the match itself."""

    id: str
    aliases: tuple[str, ...]
    severity: Severity
    cvss: float | None
    summary: str
    published: str | None
    modified: str | None
    malicious: bool


@dataclass(frozen=True, slots=True)
class Hit:
    """A record affecting one (package, version), with the fix versions of its affecting ranges."""

    facts: RecordFacts
    fixed: tuple[str, ...]


def parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _compile_range(events: Iterable[Sequence[str]]) -> CompiledRange:
    keyed: list[tuple[tuple[int, Version, int], tuple[str, Version | None]]] = []
    limits: list[Version] | None = None
    unbounded = False
    for kind, value in events:
        if kind == "limit":
            limits = limits if limits is not None else []
            if value == "*":  # infinity: every version is before it
                unbounded = True
            else:
                limits.append(Version(value))
            continue
        version = None if (kind == "introduced" and value == "0") else Version(value)
        rank = _KIND_ORDER[kind]
        keyed.append(((0, _ZERO, rank) if version is None else (1, version, rank), (kind, version)))
    keyed.sort(key=lambda item: item[0])
    final_limits = None if unbounded or limits is None else tuple(limits)
    return CompiledRange(tuple(e for _, e in keyed), final_limits)


def compile_entry(data: dict[str, Any]) -> CompiledEntry:
    """Compile the stored JSON form of an `AffectedEntry` (`{"v": [...], "r": [[[kind, v]...]]}`)."""
    return CompiledEntry(
        versions=frozenset(data.get("v", ())),
        ranges=tuple(_compile_range(r) for r in data.get("r", ())),
    )


def _in_range(rng: CompiledRange, v: Version) -> tuple[bool, Version | None]:
    if rng.limits is not None and not any(v < limit for limit in rng.limits):
        return False, None
    vulnerable = False
    for kind, at in rng.events:
        if kind == "introduced" and (at is None or v >= at):
            vulnerable = True
        elif at is not None and (
            (kind == "fixed" and v >= at) or (kind == "last_affected" and v > at)
        ):
            vulnerable = False
    if not vulnerable:
        return False, None
    fix = next(
        (at for kind, at in rng.events if kind == "fixed" and at is not None and at > v), None
    )
    return True, fix


def evaluate(
    entries: Iterable[CompiledEntry], version: Version | None, normalised: str
) -> tuple[bool, tuple[str, ...]]:
    """Is the version affected by any entry, and what are the first fixes above it?

    `version` is None when the installed version is not PEP 440: only `versions` lists can match.
    """
    affected = False
    fixes: set[Version] = set()
    for entry in entries:
        if normalised in entry.versions:
            affected = True
        if version is None:
            continue
        for rng in entry.ranges:
            hit, fix = _in_range(rng, version)
            if hit:
                affected = True
                if fix is not None:
                    fixes.add(fix)
    return affected, tuple(str(v) for v in sorted(fixes))


def _id_rank(record_id: str) -> tuple[int, str]:
    # pip-audit's preference (PYSEC first), with GHSA before CVE as the brief asks.
    for rank, prefix in enumerate(("PYSEC-", "GHSA-", "CVE-")):
        if record_id.startswith(prefix):
            return rank, record_id
    return 3, record_id


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def merge_aliases(dep: Dependency, hits: Sequence[Hit]) -> list[Vulnerability]:
    """Merge hits that alias each other (transitively) into one `Vulnerability` each."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for hit in hits:
        for alias in hit.facts.aliases:
            parent[find(alias)] = find(hit.facts.id)
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(find(hit.facts.id), []).append(hit)
    out: list[Vulnerability] = []
    for group in groups.values():
        ids = {h.facts.id for h in group} | {a for h in group for a in h.facts.aliases}
        primary = min(ids, key=_id_rank)
        lead = min(group, key=lambda h: _id_rank(h.facts.id)).facts
        fixes = {f for h in group for f in h.fixed}
        scores = [h.facts.cvss for h in group if h.facts.cvss is not None]
        published = [d for h in group if (d := _date(h.facts.published))]
        modified = [d for h in group if (d := _date(h.facts.modified))]
        out.append(
            Vulnerability(
                package=dep.name,
                version=dep.version,
                id=primary,
                aliases=tuple(sorted(ids - {primary}, key=_id_rank)),
                severity=max(h.facts.severity for h in group),
                cvss=max(scores) if scores else None,
                fixed_in=tuple(sorted(fixes, key=lambda f: parse_version(f) or Version("0"))),
                summary=lead.summary,
                source=dep.source,
                published=min(published) if published else None,
                modified=max(modified) if modified else None,
                malicious=any(h.facts.malicious for h in group),
            )
        )
    out.sort(key=lambda v: _id_rank(v.id))
    return out
