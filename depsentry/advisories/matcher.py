"""What a match is made of (`RecordFacts`, `Hit`) and how matches become findings.

Which records affect a version is `package_index.py`'s. Hits that alias each other
(transitively) are one vulnerability: `group_hits` finds the groups, `group_facts` rates one
group from all its records (also those of the database that did not match) and joins EPSS/KEV.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from packaging.version import Version

from depsentry.advisories.severity import Rating, group_rating, id_rank
from depsentry.advisories.versions import parse_version
from depsentry.models import Dependency, Severity, Source, Vulnerability

__all__ = [
    "NO_PRIORITY",
    "GroupFacts",
    "Hit",
    "Priority",
    "RecordFacts",
    "group_facts",
    "group_hits",
    "merge_aliases",
    "parse_version",
    "vulnerability",
]

_ZERO = Version("0")


# NamedTuples, not frozen dataclasses: about 5x cheaper to define, on every scan's start-up.
class RecordFacts(NamedTuple):
    """What a `Vulnerability` needs from a record, besides the match itself."""

    id: str
    aliases: tuple[str, ...]
    rating: Rating
    summary: str
    published: str | None
    modified: str | None
    malicious: bool


class Hit(NamedTuple):
    """A record affecting one (package, version), with the fix versions of its affecting ranges."""

    facts: RecordFacts
    fixed: tuple[str, ...]


Priority = tuple[float | None, float | None, bool]
"""(EPSS score, EPSS percentile, in CISA KEV) of an alias group."""
NO_PRIORITY: Priority = (None, None, False)

Related = Callable[[frozenset[str]], Iterable[RecordFacts]]
"""The database's other records sharing an id or alias with the given ids."""
Prioritise = Callable[[frozenset[str]], Priority]


class GroupFacts(NamedTuple):
    """Everything about one alias group that does not depend on the version matched."""

    id: str
    aliases: tuple[str, ...]
    severity: Severity
    cvss: float | None
    severity_source: str | None
    summary: str
    published: datetime | None
    modified: datetime | None
    malicious: bool
    priority: Priority


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def group_hits(hits: Sequence[Hit]) -> list[list[Hit]]:
    """The hits that alias each other (transitively), in groups; each group's order kept."""
    if len(hits) == 1:
        return [list(hits)]
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for hit in hits:
        root = find(hit.facts.id)
        for alias in hit.facts.aliases:
            other = find(alias)
            if other != root:
                parent[other] = root
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(find(hit.facts.id), []).append(hit)
    return list(groups.values())


def group_facts(
    records: Sequence[RecordFacts],
    *,
    related: Related | None = None,
    prioritise: Prioritise | None = None,
) -> GroupFacts:
    """Rate and describe one alias group of matched records (`related` adds the database's
    other records of the group; `prioritise` joins EPSS/KEV through every id of it)."""
    ids = {r.id for r in records} | {a for r in records for a in r.aliases}
    primary = min(ids, key=id_rank)
    everyone = {r.id: r for r in records}
    if related is not None:
        for other in related(frozenset(ids)):
            everyone.setdefault(other.id, other)
    all_ids = ids | set(everyone) | {a for r in everyone.values() for a in r.aliases}
    malicious = next((rid for rid in sorted(all_ids) if rid.startswith("MAL-")), None)
    severity, cvss, source = group_rating(
        ((r.id, r.rating) for r in everyone.values()), malicious=malicious
    )
    lead = min(records, key=lambda r: id_rank(r.id))
    published = [d for r in records if (d := _date(r.published))]
    modified = [d for r in records if (d := _date(r.modified))]
    return GroupFacts(
        id=primary,
        aliases=tuple(sorted(all_ids - {primary}, key=id_rank)),
        severity=severity,
        cvss=cvss,
        severity_source=source,
        summary=lead.summary,
        published=min(published) if published else None,
        modified=max(modified) if modified else None,
        malicious=malicious is not None,
        priority=prioritise(frozenset(all_ids)) if prioritise is not None else NO_PRIORITY,
    )


def vulnerability(
    facts: GroupFacts, package: str, version: str, source: Source, fixed: Iterable[str]
) -> Vulnerability:
    """The finding of one group for one pin; `fixed` already in PEP 440 order."""
    epss, percentile, kev = facts.priority
    return Vulnerability(
        package, version, facts.id, facts.aliases, facts.severity, facts.cvss, tuple(fixed),
        facts.summary, source, ("osv",), facts.published, facts.modified, facts.malicious,
        facts.severity_source, epss, percentile, kev,
    )  # fmt: skip


def merged_fixes(group: Sequence[Hit]) -> tuple[str, ...]:
    """The union of a group's fix versions, in PEP 440 order."""
    if len(group) == 1:
        return group[0].fixed
    fixes = {f for h in group for f in h.fixed}
    return tuple(sorted(fixes, key=lambda f: parse_version(f) or _ZERO))


def merge_aliases(
    dep: Dependency,
    hits: Sequence[Hit],
    *,
    related: Related | None = None,
    prioritise: Prioritise | None = None,
) -> list[Vulnerability]:
    """Merge hits that alias each other (transitively) into one `Vulnerability` each."""
    out = [
        vulnerability(
            group_facts([h.facts for h in group], related=related, prioritise=prioritise),
            dep.name,
            dep.version,
            dep.source,
            merged_fixes(group),
        )
        for group in group_hits(hits)
    ]
    out.sort(key=lambda v: id_rank(v.id))
    return out
