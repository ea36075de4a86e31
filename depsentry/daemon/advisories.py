"""The advisory database the daemon matches against: `STATE_DIR/osv.sqlite3`, synced from
`[advisories] source` and swapped for the new one after a sync that changed it.

A scan holds the source it started with; the old database stays open until the last such scan
lets go of it (the connection closes with the object), so a swap never pulls it from under one.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from depsentry.advisories.osv_db import OsvDbSource
from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.resolve import DB_NAME
from depsentry.errors import AdvisoryDbError
from depsentry.models import AdvisoryDbInfo

__all__ = ["Advisories", "SyncOutcome"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    changed: bool  # the database in use is new: stored dependency sets need a re-match
    records: int
    imported: int = 0
    removed: int = 0
    packages: frozenset[str] | None = None  # the packages whose advisories changed (None: any)


def _changed_packages(old: OsvStore, new: OsvStore) -> set[str]:
    """Packages with a record added, removed or modified between two databases: only the
    projects depending on one of them can see a different match."""
    before, after = old.fingerprints(), new.fingerprints()
    added_or_modified = [i for i, modified in after.items() if before.get(i, "\0") != modified]
    removed = [i for i in before if i not in after]
    return new.packages_of(added_or_modified) | old.packages_of([*removed, *added_or_modified])


class Advisories:
    """Holds the current `OsvDbSource`; every method may run in a worker thread."""

    def __init__(self, state_dir: Path, source: str, *, offline: bool, embedded_fallback: bool):
        self.path = state_dir / DB_NAME
        self.source = source
        self.offline = offline
        self.embedded_fallback = embedded_fallback
        self.current: OsvDbSource | None = None
        self.embedded = False
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self.current is not None

    def info(self) -> AdvisoryDbInfo | None:
        current = self.current
        return current.info() if current is not None else None

    def updated(self) -> datetime | None:
        info = self.info()
        return info.updated if info is not None else None

    def open_existing(self) -> bool:
        """Use the database synced before, if there is a good one."""
        if not self.path.is_file():
            return False
        try:
            self._swap(OsvDbSource(OsvStore.open(self.path)), embedded=False)
        except AdvisoryDbError as exc:
            logger.warning("advisory database unusable, a sync will rebuild it: %s", exc,
                           extra={"action": "advisory_db_unusable"})  # fmt: skip
            return False
        return True

    def sync(self) -> SyncOutcome:
        """Sync from the configured source; AdvisoryDbError when that fails."""
        from depsentry.advisories.osv_sync import sync

        old = self.current if not self.embedded else None
        result = sync(self.path, self.source, offline=self.offline)
        changed = not result.unchanged or self.current is None or self.embedded
        packages = None
        if changed:
            new = OsvDbSource(OsvStore.open(self.path))
            if old is not None:
                packages = frozenset(_changed_packages(old.store, new.store))
            self._swap(new, embedded=False)
        return SyncOutcome(changed, result.records, result.imported, result.removed, packages)

    def use_embedded(self) -> bool:
        """Fall back to the snapshot shipped in the package (when allowed and nothing else is)."""
        if not self.embedded_fallback or self.current is not None:
            return False
        from depsentry.advisories.embedded import load_embedded

        store, header = load_embedded()
        warning = (
            f"using the embedded advisory snapshot of {header.get('data_date', '?')}: newer "
            "advisories are missing until a sync succeeds"
        )
        self._swap(OsvDbSource(store, warnings=(warning,)), embedded=True)
        logger.warning("%s", warning, extra={"action": "advisory_embedded"})
        return True

    def _swap(self, source: OsvDbSource, *, embedded: bool) -> None:
        with self._lock:
            self.current = source  # one assignment: a scan sees the old or the new, never half
            self.embedded = embedded
