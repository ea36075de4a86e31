"""Choose the advisory database a scan uses: --osv-db, the synced one, a fresh sync, or the snapshot."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from depsentry import paths
from depsentry.advisories.osv_db import OsvDbSource
from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.priorities import default_prioritiser
from depsentry.errors import AdvisoryDbError

__all__ = ["DB_NAME", "cache_path", "database_path", "open_advisories"]

logger = logging.getLogger(__name__)

DB_NAME = "osv.sqlite3"


def database_path(home: Path | None = None) -> Path:
    """Where `depsentry db sync` keeps the database."""
    return (home or paths.state_dir()) / DB_NAME


def cache_path(source: Path, home: Path | None = None) -> Path:
    """The imported copy of an `--osv-db` source, keyed by its absolute path."""
    import hashlib  # only --osv-db needs it

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
        _check_osv_db(osv_db)
        from depsentry.advisories.osv_sync import sync  # a scan of a synced database skips it

        cached = cache_path(osv_db, home)
        sync(cached, osv_db, offline=True)
        return _source(OsvStore.open(cached), home, source=str(osv_db.expanduser().resolve()))
    synced = database_path(home)
    if os.path.lexists(synced):  # a directory or FIFO there is an error, not "nothing synced"
        return _source(OsvStore.open(synced), home)
    problem = "no advisory database has been synced"
    if not offline:
        from depsentry.advisories.osv_sync import sync

        try:
            sync(synced, None, connect_timeout=3.0)
            return _source(OsvStore.open(synced), home)
        except AdvisoryDbError as exc:
            problem = f"could not download the OSV database ({exc})"
    if not allow_embedded:
        raise AdvisoryDbError(
            f"{problem}; run `depsentry db sync` (or `depsentry db sync --from PATH` offline), "
            "or pass --osv-db PATH to a clone of github.com/pypa/advisory-database"
        )
    from depsentry.advisories.embedded import load_embedded

    store, header = load_embedded()
    warning = (
        f"{problem}: using the embedded advisory snapshot of {header.get('data_date', '?')} "
        f"({store.count()} records, {header.get('source', 'OSV data')}), which misses newer advisories; "
        "run `depsentry db sync` for current data"
    )
    # Shown by the caller (table, or stderr beside machine output); logged here for the daemon.
    logger.info("%s", warning)
    return _source(store, home, warnings=(warning,))


def _source(
    store: OsvStore, home: Path | None, *, source: str | None = None, warnings: tuple[str, ...] = ()
) -> OsvDbSource:
    try:
        priorities = default_prioritiser(home)
    except BaseException:
        store.close()
        raise
    return OsvDbSource(store, source=source, warnings=warnings, priorities=priorities)


def _check_osv_db(path: Path) -> None:
    """Only a directory or a regular file (a zip): `--osv-db /dev/zero` must not hang."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise AdvisoryDbError("no such file or directory (--osv-db)", path) from None
    except OSError as exc:
        raise AdvisoryDbError(f"cannot read it (--osv-db): {exc.strerror or exc}", path) from exc
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise AdvisoryDbError(
            "not a regular file or directory (a FIFO, device or socket); --osv-db takes a "
            "directory of OSV records or a zip",
            path,
        )
