"""The OSV spec's evaluation walk ("Evaluation" in ossf/osv-schema docs/schema.md) with PEP 440
ordering, written as the spec's pseudo-code reads: the reference `PackageIndex` is checked
against (tests/advisories/test_package_index.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.version import Version

from depsentry.advisories.package_index import range_limits
from depsentry.advisories.versions import parse_version

_ZERO = Version("0")
_KIND_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}


@dataclass(frozen=True, slots=True)
class CompiledRange:
    """Events sorted by version (None = "0", before everything); `limits` None = no limit event.

    Each event keeps its version's text (str(Version)), so fixes need no re-formatting."""

    events: tuple[tuple[str, Version | None, str], ...]
    limits: tuple[Version, ...] | None


@dataclass(frozen=True, slots=True)
class CompiledEntry:
    """One affected entry ready for evaluation."""

    versions: frozenset[str]
    ranges: tuple[CompiledRange, ...]


def _compile_range(events: Sequence[Sequence[str]]) -> CompiledRange:
    keyed: list[tuple[tuple[int, Version, int], tuple[str, Version | None, str]]] = []
    for kind, value in events:
        if kind == "limit":
            continue  # range_limits
        version = None if (kind == "introduced" and value == "0") else parse_version(value)
        if version is None and not (kind == "introduced" and value == "0"):
            continue  # parse_record keeps only parsable versions; a stored row could be older
        rank = _KIND_ORDER.get(kind, 3)
        text = str(version) if version is not None else "0"
        keyed.append(
            ((0, _ZERO, rank) if version is None else (1, version, rank), (kind, version, text))
        )
    keyed.sort(key=lambda item: item[0])
    limits = range_limits(events)
    return CompiledRange(tuple(e for _, e in keyed), None if limits is None else tuple(limits))


def compile_entry(data: dict[str, Any]) -> CompiledEntry:
    """Compile the stored JSON form of an `AffectedEntry` (`{"v": [...], "r": [[[kind, v]...]]}`)."""
    return CompiledEntry(
        versions=frozenset(data.get("v", ())),
        ranges=tuple(_compile_range(r) for r in data.get("r", ())),
    )


def _in_range(rng: CompiledRange, v: Version) -> tuple[bool, tuple[Version, str] | None]:
    if rng.limits is not None and not any(v < limit for limit in rng.limits):
        return False, None
    # One pass: events are sorted, so none past the first one above `v` applies, and the
    # first fix above `v` is at or after it.
    events = rng.events
    vulnerable = False
    above = len(events)
    for index, (kind, at, _) in enumerate(events):
        if at is not None and at > v:
            above = index
            break
        if kind == "introduced":
            vulnerable = True
        elif at is not None and (kind == "fixed" or (kind == "last_affected" and v > at)):
            vulnerable = False
    if not vulnerable:
        return False, None
    fix = next(
        ((at, text) for kind, at, text in events[above:] if kind == "fixed" and at is not None),
        None,
    )
    return True, fix


def evaluate(
    entries: Iterable[CompiledEntry], version: Version | None, normalised: str
) -> tuple[bool, tuple[str, ...]]:
    """Is the version affected by any entry, and what are the first fixes above it?

    `version` is None when the installed version is not PEP 440: only `versions` lists can match.
    """
    affected = False
    fixes: dict[str, Version] = {}
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
                    fixes[fix[1]] = fix[0]
    return affected, tuple(sorted(fixes, key=fixes.__getitem__))
