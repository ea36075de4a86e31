"""`OsvDbSource`: match dependencies against the local OSV database.

Speed comes from loading only the packages asked for (one SQL query per batch), compiling each
package's ranges once, and memoising (name, version) results across the whole run.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from packaging.utils import canonicalize_name

from depsentry.advisories.interface import AdvisorySource, SourceOptions
from depsentry.advisories.matcher import (
    CompiledEntry,
    Hit,
    RecordFacts,
    compile_entry,
    evaluate,
    merge_aliases,
    parse_version,
)
from depsentry.advisories.osv_record import normalise_version
from depsentry.advisories.osv_store import OsvStore
from depsentry.models import AdvisoryDbInfo, Dependency, Vulnerability

__all__ = ["OsvDbSource"]

_Candidates = list[tuple[RecordFacts, tuple[CompiledEntry, ...]]]


class OsvDbSource(AdvisorySource):
    """An `AdvisorySource` over an `OsvStore` (a synced file, an `--osv-db` cache or the snapshot)."""

    name = "osv"

    def __init__(self, store: OsvStore, *, source: str | None = None, warnings: Sequence[str] = ()):
        self.store = store
        meta = store.meta()
        self._source = source or meta.get("source", store.label)
        self._updated = meta.get("updated")
        self._warnings = tuple(warnings)
        self._packages: dict[str, _Candidates] = {}
        self._memo: dict[tuple[str, str], tuple[Hit, ...]] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(cls, options: SourceOptions) -> OsvDbSource:
        # resolve.py imports this module: the database choice is made there.
        from depsentry.advisories.resolve import open_advisories

        return open_advisories(
            osv_db=options.osv_db, offline=options.offline, allow_embedded=options.allow_embedded
        )

    def close(self) -> None:
        self.store.close()

    def info(self) -> AdvisoryDbInfo:
        updated = None
        if self._updated:
            try:
                updated = datetime.fromisoformat(self._updated.replace("Z", "+00:00"))
            except ValueError:
                updated = None
        return AdvisoryDbInfo(self._source, self.store.count(), updated, self._warnings)

    def _load(self, names: Sequence[str]) -> None:
        missing = [n for n in dict.fromkeys(names) if n not in self._packages]
        if not missing:
            return
        loaded: dict[str, _Candidates] = {n: [] for n in missing}
        for package, facts, entries in self.store.affected_rows(missing):
            loaded[package].append((facts, tuple(compile_entry(e) for e in entries)))
        self._packages.update(loaded)

    def hits(self, name: str, version: str) -> tuple[Hit, ...]:
        """Every record affecting (name, version), unmerged (what the OSV API returns)."""
        name = canonicalize_name(name)
        key = (name, version)
        with self._lock:
            cached = self._memo.get(key)
            if cached is not None:
                return cached
            self._load([name])
            parsed = parse_version(version)
            normalised = normalise_version(version)
            found = []
            for facts, entries in self._packages[name]:
                affected, fixed = evaluate(entries, parsed, normalised)
                if affected:
                    found.append(Hit(facts, fixed))
            result = tuple(found)
            self._memo[key] = result
            return result

    def match(self, dependencies: Sequence[Dependency]) -> list[Vulnerability]:
        """One `Vulnerability` per (dependency, alias group)."""
        with self._lock:
            self._load([canonicalize_name(d.name) for d in dependencies])
        out: list[Vulnerability] = []
        for dep in dependencies:
            hits = self.hits(dep.name, dep.version)
            if hits:
                out.extend(merge_aliases(dep, hits))
        return out

    def records(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Full original records by id (for the OSV API)."""
        return self.store.records(ids)
