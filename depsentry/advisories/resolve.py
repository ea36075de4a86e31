"""Choose the advisory database a scan uses: --osv-db, the synced one, a fresh sync, or the snapshot."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from depsentry import paths
from depsentry.advisories.embedded import load_embedded
from depsentry.advisories.osv_db import OsvDbSource
from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.osv_sync import sync
from depsentry.errors import AdvisoryDbError

__all__ = ["DB_NAME", "cache_path", "database_path", "open_advisories"]

logger = logging.getLogger(__name__)

DB_NAME = "osv.sqlite3"


def database_path(home: Path | None = None) -> Path:
    """Where `depsentry db sync` keeps the database."""
    return (home or paths.state_dir()) / DB_NAME


def cache_path(source: Path, home: Path | None = None) -> Path:
    """The imported copy of an `--osv-db` source, keyed by its absolute path."""
    key = hashlib.sha256(str(source.expanduser().resolve()).encode()).hexdigest()[:16]
    return (home or paths.state_dir()) / "osv-db-cache" / f"{key}.sqlite3"


def open_advisories(
    *, osv_db: Path | None, offline: bool, home: Path | None = None, allow_embedded: bool = True
) -> OsvDbSource:
    """Open the advisory database for a scan (see the README, "Getting an advisory database").

    Order: `osv_db` (imported into a cache, re-imported only where it changed); the synced
    database; a sync from the OSV dump unless `offline`; the embedded snapshot (with a warning)
    unless `allow_embedded` is False, in which case AdvisoryDbError says how to get a database.
    """
    if osv_db is not None:
        if not osv_db.exists():
            raise AdvisoryDbError("no such file or directory (--osv-db)", osv_db)
        cached = cache_path(osv_db, home)
        sync(cached, osv_db, offline=True)
        return OsvDbSource(OsvStore.open(cached), source=str(osv_db.expanduser().resolve()))
    synced = database_path(home)
    if synced.is_file():
        return OsvDbSource(OsvStore.open(synced))
    problem = "no advisory database has been synced"
    if not offline:
        try:
            sync(synced, None, connect_timeout=3.0)
            return OsvDbSource(OsvStore.open(synced))
        except AdvisoryDbError as exc:
            problem = f"could not download the OSV database ({exc})"
    if not allow_embedded:
        raise AdvisoryDbError(
            f"{problem}; run `depsentry db sync` (or `depsentry db sync --from PATH` offline), "
            "or pass --osv-db PATH to a clone of github.com/pypa/advisory-database"
        )
    store, header = load_embedded()
    warning = (
        f"{problem}: using the embedded advisory snapshot of {header.get('data_date', '?')} "
        f"({store.count()} records, {header.get('source', 'OSV data')}), which misses newer advisories; "
        "run `depsentry db sync` for current data"
    )
    # Shown by the caller (table, or stderr beside machine output); logged here for the daemon.
    logger.info("%s", warning)
    return OsvDbSource(store, warnings=(warning,))
