"""What `depsentry db status` reports: which advisory data scans use, and how current it is.

Dates are the data's own (the newest record's `modified`, EPSS `score_date`, KEV `dateReleased`),
not when it was imported; the import time is reported beside them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.priorities import priorities_path, read_info
from depsentry.advisories.resolve import database_path
from depsentry.models import DataSetInfo

__all__ = ["database_status"]


def _dataset(info: DataSetInfo | None, meta: dict[str, str]) -> dict[str, Any] | None:
    if info is None:
        return None
    return {
        "date": info.date.isoformat() if info.date else None,
        "version": info.version or None,
        "entries": info.entries,
        "source": meta.get(f"{info.name}_source") or None,
        "imported": meta.get(f"{info.name}_imported") or None,
    }


def _fallback() -> str:
    from depsentry.advisories.embedded import read_snapshot

    header = read_snapshot().get("header") or {}
    return (
        "no synced database: a scan first tries to sync from OSV, and offline (or with no "
        f"network) uses the embedded snapshot of {header.get('data_date', '?')} "
        f"({header.get('records', '?')} records), which misses newer advisories; "
        "`--no-embedded` makes that an error"
    )


def database_status(home: Path | None = None) -> dict[str, Any]:
    """The status as JSON-ready data; AdvisoryDbError (one line) for an unusable database."""
    path = database_path(home)
    info: dict[str, Any] = {"path": str(path)}
    if os.path.lexists(path):
        store = OsvStore.open(path)  # also: a directory, FIFO or corrupted file is an error
        try:
            meta, records, newest = store.meta(), store.count(), store.data_date()
        finally:
            store.close()
        info.update(
            source=meta.get("source"),
            records=records,
            updated=meta.get("updated") or newest,  # the data's own date: the newest record
            imported=meta.get("imported"),
            scans_use="this database",
        )
    else:
        info.update(source=None, records=0, updated=None, imported=None, scans_use=_fallback())
    prio = priorities_path(home)
    epss = kev = None
    prio_meta: dict[str, str] = {}
    if os.path.lexists(prio):
        epss, kev, prio_meta = read_info(prio)
    info["epss"] = _dataset(epss, prio_meta)
    info["kev"] = _dataset(kev, prio_meta)
    return info
