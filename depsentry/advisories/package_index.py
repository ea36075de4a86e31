"""`PackageIndex`: every record of one package compiled once for matching by bisection.

`matcher.evaluate` walks the spec's evaluation events of each range for every version asked.
Here every version a package's records name goes once on one sorted axis, each range's events
become axis positions with the range's state after each of them, and a version asked costs one
bisection of `Version`s; each range is then an integer bisection. The answers are the spec's:
`tests/advisories/test_package_index.py` compares both on generated records.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any, NamedTuple

from packaging.version import Version

from depsentry.advisories.matcher import Hit, RecordFacts, group_hits
from depsentry.advisories.versions import parse_version

__all__ = ["PackageIndex", "range_limits"]

_KIND_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2}
_ALWAYS = -1  # the axis position of `introduced: "0"`: before every version


class _Range(NamedTuple):
    """One range on its package's axis.

    `positions[k]` is the axis position of event k (events in version, then kind, order);
    `states[k]` whether a version is affected once events 0..k-1 apply, and `fixes[k]` the first
    fix at event k or later (text, axis position). A version equal to an event's version does not
    pass its `last_affected`: `at_equal` holds the state there for the positions that have one.
    `limit` is the position a version must be below (None: no limit; -1: none can be).
    """

    positions: list[int]
    states: list[bool]
    fixes: list[tuple[str, int] | None]
    at_equal: dict[int, bool]
    limit: int | None


class _Record(NamedTuple):
    facts: RecordFacts
    versions: frozenset[str]  # normalised versions listed outright, across the record's entries
    ranges: tuple[_Range, ...]


class PackageIndex:
    """The records affecting one package, from the store's rows (facts, stored affected entries
    `{"v": [...], "r": [[[kind, version], ...], ...]}`)."""

    __slots__ = ("_axis", "_component", "_records")

    def __init__(self, rows: Iterable[tuple[RecordFacts, Sequence[dict[str, Any]]]]) -> None:
        rows = list(rows)
        seen: set[Version] = set()
        for _, entries in rows:
            for entry in entries:
                for events in entry.get("r", ()):
                    seen.update(_versions(events))
        self._axis = sorted(seen)
        where = {v: i for i, v in enumerate(self._axis)}
        self._records = [
            _Record(
                facts,
                frozenset(chain.from_iterable(e.get("v", ()) for e in entries)),
                tuple(_range(events, where) for e in entries for events in e.get("r", ())),
            )
            for facts, entries in rows
        ]
        self._component = _components([facts for facts, _ in rows])

    def hits(self, version: Version | None, normalised: str) -> tuple[Hit, ...]:
        """The records affecting `version` (None: not PEP 440, so only listed versions match),
        each with the first fixes above it, in PEP 440 order; in the rows' order."""
        if version is None:
            return tuple(Hit(r.facts, ()) for r in self._records if normalised in r.versions)
        at = bisect_right(self._axis, version)  # axis entries at or below `version`
        equal = at - 1 if at and self._axis[at - 1] == version else None
        found = []
        for record in self._records:
            affected = normalised in record.versions
            fixes: dict[str, int] = {}
            for rng in record.ranges:
                if rng.limit is not None and rng.limit < at:
                    continue
                k = bisect_right(rng.positions, at - 1)
                if equal is not None and equal in rng.at_equal:
                    hit = rng.at_equal[equal]
                else:
                    hit = rng.states[k]
                if hit:
                    affected = True
                    fix = rng.fixes[k]
                    if fix is not None:
                        fixes[fix[0]] = fix[1]
            if affected:
                found.append(Hit(record.facts, tuple(sorted(fixes, key=fixes.__getitem__))))
        return tuple(found)

    def grouped(self, hits: Sequence[Hit]) -> list[list[Hit]]:
        """`matcher.group_hits` of this package's `hits`: hits that share no alias, even through
        records that did not match, are never one group, so only the rest need its search."""
        if len(hits) < 2:
            return [list(hits)] if hits else []
        buckets: dict[int, list[Hit]] = {}
        for hit in hits:
            buckets.setdefault(self._component[hit.facts.id], []).append(hit)
        if len(buckets) == len(hits):
            return [[hit] for hit in hits]
        return [g for bucket in buckets.values() for g in group_hits(bucket)]


def _components(records: Sequence[RecordFacts]) -> dict[str, int]:
    """Record id -> its connected component, records linked by a shared id or alias."""
    groups = group_hits([Hit(facts, ()) for facts in records])
    return {hit.facts.id: n for n, group in enumerate(groups) for hit in group}


def range_limits(events: Sequence[Sequence[str]]) -> list[Version] | None:
    """The versions a range's `limit` events put it below; None when it has no limit (none, or
    `*`, infinity); an empty list when no limit parses, so no version is in the range."""
    limits: list[Version] | None = None
    for kind, value in events:
        if kind == "limit":
            if value == "*":  # infinity: every version is before it
                return None
            limits = limits if limits is not None else []
            if (at := parse_version(value)) is not None:
                limits.append(at)
    return limits


@lru_cache(maxsize=1 << 16)  # a fix's text, once per distinct string (str(Version) is slow)
def _text(value: str) -> str:
    return str(parse_version(value))


def _versions(events: Iterable[Sequence[str]]) -> Iterable[Version]:
    for kind, value in events:
        if kind == "introduced" and value == "0":
            continue
        if kind in _KIND_ORDER or (kind == "limit" and value != "*"):
            parsed = parse_version(value)
            if parsed is not None:
                yield parsed


def _range(events: Sequence[Sequence[str]], where: dict[Version, int]) -> _Range:
    placed: list[tuple[int, int, str, str]] = []  # (position, kind order, kind, text)
    for kind, value in events:
        if kind not in _KIND_ORDER:
            continue  # a limit: range_limits; an unknown event changes nothing in the spec's walk
        if kind == "introduced" and value == "0":
            placed.append((_ALWAYS, 0, kind, "0"))
        elif (version := parse_version(value)) is not None:
            placed.append((where[version], _KIND_ORDER[kind], kind, _text(value)))
    placed.sort(key=lambda e: (e[0], e[1]))
    states = [False]  # a fix, or a `last_affected` the version is above, ends the range
    states.extend(kind == "introduced" for _, _, kind, _ in placed)
    fixes: list[tuple[str, int] | None] = [None] * (len(placed) + 1)
    for k in range(len(placed) - 1, -1, -1):
        position, _, kind, text = placed[k]
        fixes[k] = (text, position) if kind == "fixed" else fixes[k + 1]
    at_equal: dict[int, bool] = {}
    for k, (position, _, kind, _) in enumerate(placed):
        if kind == "last_affected" and position not in at_equal:
            # Events before this position apply, those at it except `last_affected`.
            state = states[k]
            for other_position, _, other_kind, _ in placed[k:]:
                if other_position != position:
                    break
                if other_kind == "introduced":
                    state = True
                elif other_kind == "fixed":
                    state = False
            at_equal[position] = state
    limits = range_limits(events)
    limit = None if limits is None else max((where[v] for v in limits), default=-1)
    return _Range([p for p, _, _, _ in placed], states, fixes, at_equal, limit)
