"""`OsvDbSource`: match dependencies against the local OSV database.

Speed comes from loading only the packages asked for (one SQL query per batch), compiling each
package's ranges once, matching and merging once per distinct (name, version) (a scan's whole set
package by package, `prepare`) and rating each alias group once per run; a pin then costs one
small object (`Vulnerability.at`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from depsentry.advisories.interface import AdvisorySource, SourceOptions
from depsentry.advisories.matcher import (
    GroupFacts,
    Hit,
    RecordFacts,
    group_facts,
    merged_fixes,
    vulnerability,
)
from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.package_index import PackageIndex
from depsentry.advisories.priorities import Prioritiser
from depsentry.advisories.severity import id_rank
from depsentry.advisories.versions import normalise_version, parse_version
from depsentry.models import AdvisoryDbInfo, Dependency, Source, Vulnerability
from depsentry.names import canonical_name

__all__ = ["OsvDbSource"]


class OsvDbSource(AdvisorySource):
    """An `AdvisorySource` over an `OsvStore` (a synced file, an `--osv-db` cache or the snapshot)."""

    name = "osv"

    def __init__(
        self,
        store: OsvStore,
        *,
        source: str | None = None,
        warnings: Sequence[str] = (),
        priorities: Prioritiser | None = None,
    ):
        self.store = store
        meta = store.meta()
        self._source = source or meta.get("source", store.label)
        self._updated = meta.get("updated")
        self._warnings = tuple(warnings)
        self._priorities = priorities
        self._packages: dict[str, PackageIndex] = {}
        self._siblings: dict[str, list[RecordFacts]] = {}  # id or alias -> records naming it
        self._memo: dict[tuple[str, str], tuple[Hit, ...]] = {}
        self._found: dict[tuple[str, str], tuple[Vulnerability, ...]] = {}
        self._groups: dict[str | frozenset[str], GroupFacts] = {}  # by the group's record ids
        self._lock = threading.RLock()

    @classmethod
    def open(cls, options: SourceOptions) -> OsvDbSource:
        # resolve.py imports this module: the database choice is made there.
        from depsentry.advisories.resolve import open_advisories

        return open_advisories(
            osv_db=options.osv_db, offline=options.offline, allow_embedded=options.allow_embedded
        )

    def close(self) -> None:
        self.store.close()
        if self._priorities is not None:
            self._priorities.close()

    def info(self) -> AdvisoryDbInfo:
        updated = None
        if self._updated:
            try:
                updated = datetime.fromisoformat(self._updated.replace("Z", "+00:00"))
            except ValueError:
                updated = None
        p = self._priorities
        return AdvisoryDbInfo(
            self._source,
            self.store.count(),
            updated,
            self._warnings,
            epss=p.epss_info if p is not None else None,
            kev=p.kev_info if p is not None else None,
        )

    def _load(self, names: Iterable[str]) -> None:
        missing = [n for n in dict.fromkeys(names) if n not in self._packages]
        if not missing:
            return
        loaded: dict[str, list[tuple[RecordFacts, list[dict[str, Any]]]]] = {n: [] for n in missing}
        ids: set[str] = set()
        known: dict[str, RecordFacts] = {}
        for package, facts, entries in self.store.affected_rows(missing):
            loaded[package].append((facts, entries))
            known[facts.id] = facts
            ids.add(facts.id)
            ids.update(facts.aliases)
        if ids:
            # The other records of each alias group (a GHSA beside a PYSEC) rate it too.
            for other in self.store.related(ids, known):
                for key in (other.id, *other.aliases):
                    group = self._siblings.setdefault(key, [])
                    if all(o.id != other.id for o in group):
                        group.append(other)
                ids.update(other.aliases)
            if self._priorities is not None:
                self._priorities.prefetch(ids)
        self._packages.update((name, PackageIndex(rows)) for name, rows in loaded.items())

    def forget(self) -> None:
        """Drop every cache (a long-running process calls this when idle; matching reloads)."""
        with self._lock:
            self._packages.clear()
            self._siblings.clear()
            self._memo.clear()
            self._found.clear()
            self._groups.clear()

    def _related(self, ids: frozenset[str]) -> list[RecordFacts]:
        return [r for i in sorted(ids) for r in self._siblings.get(i, ())]

    def hits(self, name: str, version: str) -> tuple[Hit, ...]:
        """Every record affecting (name, version), unmerged (what the OSV API returns)."""
        name = canonical_name(name)
        key = (name, version)
        with self._lock:
            cached = self._memo.get(key)
            if cached is not None:
                return cached
            self._load([name])
            result = self._packages[name].hits(parse_version(version), normalise_version(version))
            self._memo[key] = result
            return result

    def _group(self, hits: list[Hit]) -> GroupFacts:
        # Most groups are one record: its id is the key, without a frozenset per pin.
        key = hits[0].facts.id if len(hits) == 1 else frozenset(h.facts.id for h in hits)
        facts = self._groups.get(key)
        if facts is None:
            facts = group_facts(
                [h.facts for h in hits], related=self._related, prioritise=self._priorities
            )
            self._groups[key] = facts
        return facts

    def _vulnerabilities(
        self, spelled: str, name: str, version: str, source: Source
    ) -> tuple[Vulnerability, ...]:
        """The findings of (name, version), under the package name as the pin spells it."""
        key = (spelled, version)
        found = self._found.get(key)
        if found is None:
            if spelled != name:  # "Django" for "django": its own findings, once per spelling
                from dataclasses import replace

                canonical = self._vulnerabilities(name, name, version, source)
                found = tuple(replace(v, package=spelled, source=source) for v in canonical)
            else:
                hits = self.hits(name, version)  # loads the package
                made = [
                    vulnerability(self._group(group), name, version, source, merged_fixes(group))
                    for group in self._packages[name].grouped(hits)
                ]
                made.sort(key=lambda v: id_rank(v.id))
                found = tuple(made)
            self._found[key] = found
        return found

    def prepare(self, dependencies: Sequence[Dependency]) -> None:
        """Work out the findings of every distinct pin, package by package: a package's records
        are then looked at together, not once per project that pins it."""
        names = {dep.name: canonical_name(dep.name) for dep in dependencies}
        # Each key's findings are made at its first pin, which then needs no copy of them; the
        # canonical spelling first, so that another spelling's findings do not make them.
        first: dict[tuple[str, bool, str, str], Source] = {}
        for d in dependencies:
            name = names[d.name]
            first.setdefault((name, d.name != name, d.name, d.version), d.source)
        with self._lock:
            self._load(names.values())
            for key in sorted(first):
                name, _, spelled, version = key
                self._vulnerabilities(spelled, name, version, first[key])

    def match(self, dependencies: Sequence[Dependency]) -> list[Vulnerability]:
        """One `Vulnerability` per (dependency, alias group), in dependency order; matched and
        merged once per distinct (name, version), then placed at each pin (`Vulnerability.at`)."""
        names = {dep.name: canonical_name(dep.name) for dep in dependencies}
        out: list[Vulnerability] = []
        with self._lock:
            self._load(names.values())
            for dep in dependencies:
                found = self._vulnerabilities(dep.name, names[dep.name], dep.version, dep.source)
                if found:
                    source = dep.source
                    out += [v.at(source) for v in found]
        return out

    def records(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Full original records by id (for the OSV API)."""
        return self.store.records(ids)
