"""Merge findings that several sources (or one source's aliased records) report for one problem.

Two findings are the same problem when they concern the same (package, version) at the same
declaration (`source`) and share an id or alias; OSV aliases are "symmetric and transitive" (ossf/osv-schema docs/schema.md), so the
groups are connected components. The primary id follows pip-audit's preference, extended with
GHSA: PYSEC > GHSA > CVE > anything else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from packaging.version import InvalidVersion, Version

from depsentry.models import Source, Vulnerability

__all__ = ["merge_vulnerabilities", "primary_id"]

_PREFERENCE = ("PYSEC-", "GHSA-", "CVE-")


def _id_rank(vuln_id: str) -> int:
    for rank, prefix in enumerate(_PREFERENCE):
        if vuln_id.upper().startswith(prefix):
            return rank
    return len(_PREFERENCE)


def primary_id(ids: Iterable[str]) -> str:
    """The id to show for a group of aliases: PYSEC > GHSA > CVE > others, then the first seen."""
    ordered = list(dict.fromkeys(ids))
    if not ordered:
        raise ValueError("no ids")
    return min(ordered, key=lambda i: (_id_rank(i), ordered.index(i)))


def _version_key(version: str) -> tuple[int, Version | str]:
    try:
        return (0, Version(version))
    except InvalidVersion:
        return (1, version)


def _best_rated(group: Sequence[Vulnerability]) -> Vulnerability:
    # As within one source (severity.group_rating): the highest CVSS score, else the highest
    # bare level; unknown only when nobody rated it (UNKNOWN ranks lowest).
    scored = [v for v in group if v.cvss is not None]
    if scored:
        return max(scored, key=lambda v: v.cvss or 0.0)
    return max(group, key=lambda v: v.severity.rank)


def _combine(group: Sequence[Vulnerability]) -> Vulnerability:
    first = group[0]
    if len(group) == 1:
        return first
    all_ids = [i for v in group for i in (v.id, *v.aliases)]
    main = primary_id(all_ids)
    rated = _best_rated(group)
    scores = [(v.epss, v.epss_percentile) for v in group if v.epss is not None]
    epss, percentile = max(scores, key=lambda s: s[0] or 0.0) if scores else (None, None)
    published = [v.published for v in group if v.published is not None]
    modified = [v.modified for v in group if v.modified is not None]
    fixed = {f for v in group for f in v.fixed_in}
    return dataclasses.replace(
        first,
        id=main,
        aliases=tuple(sorted(set(all_ids) - {main})),
        severity=rated.severity,
        cvss=rated.cvss,
        severity_source=rated.severity_source,
        epss=epss,
        epss_percentile=percentile,
        kev=any(v.kev for v in group),
        fixed_in=tuple(sorted(fixed, key=_version_key)),
        summary=next((v.summary for v in group if v.summary.strip()), ""),
        reported_by=tuple(dict.fromkeys(s for v in group for s in v.reported_by)),
        published=min(published) if published else None,
        modified=max(modified) if modified else None,
        malicious=any(v.malicious for v in group),
    )


def merge_vulnerabilities(lists: Sequence[Sequence[Vulnerability]]) -> list[Vulnerability]:
    """Union the findings of several sources so each problem is reported once per dependency.

    Findings merge when they have the same (package, version, source) and overlapping
    ids/aliases (transitively); the same pin declared in two files stays two findings. The
    result keeps the order in which each problem was first seen; within a merged finding,
    `reported_by` is the union of sources, the rating (severity, CVSS, its source) that of the
    highest-rated finding, EPSS the highest, KEV when any says so, `fixed_in` the union, and
    the summary the first non-empty one.
    """
    flat = [v for vulns in lists for v in vulns]
    parent = list(range(len(flat)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple[str, str, Source, str], int] = {}
    for index, vuln in enumerate(flat):
        for vuln_id in (vuln.id, *vuln.aliases):
            key = (vuln.package, vuln.version, vuln.source, vuln_id.upper())
            other = owner.setdefault(key, index)
            root_a, root_b = find(index), find(other)
            if root_a != root_b:
                parent[max(root_a, root_b)] = min(root_a, root_b)

    groups: dict[int, list[Vulnerability]] = {}
    for index, vuln in enumerate(flat):
        groups.setdefault(find(index), []).append(vuln)
    return [_combine(groups[root]) for root in sorted(groups)]
