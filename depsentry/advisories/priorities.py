"""Prioritisation data beside the advisories: FIRST EPSS scores and CISA KEV, keyed by CVE.

Kept in its own SQLite file (`priorities.sqlite3` in the state directory) so that it serves every
advisory database (synced, `--osv-db`, the snapshot) and survives a rebuild of `osv.sqlite3`.
Each import writes a new file that replaces the old one (atomic; a corrupted file is rebuilt).
At match time a finding takes the scores of its alias group's CVEs: the highest EPSS wins, and
it is KEV when any of them is listed (Dependency-Track ADR-022/030 do the same).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from contextlib import closing, suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from depsentry import paths
from depsentry.advisories.files import check_regular
from depsentry.errors import AdvisoryDbError
from depsentry.models import DataSetInfo, Vulnerability

if TYPE_CHECKING:  # the readers are for imports; a scan only looks up
    from depsentry.advisories.epss import EpssData
    from depsentry.advisories.kev import KevData

__all__ = [
    "PRIORITIES_NAME",
    "Prioritiser",
    "attach_priorities",
    "default_prioritiser",
    "import_epss",
    "import_kev",
    "priorities_path",
    "read_info",
    "stored_etag",
]

PRIORITIES_NAME = "priorities.sqlite3"
_BATCH = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS epss (cve TEXT PRIMARY KEY, epss REAL NOT NULL, percentile REAL);
CREATE TABLE IF NOT EXISTS kev (cve TEXT PRIMARY KEY, date_added TEXT, ransomware INTEGER NOT NULL);
"""

Priority = tuple[float | None, float | None, bool]
_NONE: Priority = (None, None, False)


def priorities_path(home: Path | None = None) -> Path:
    return (home or paths.state_dir()) / PRIORITIES_NAME


def _connect_ro(path: Path) -> sqlite3.Connection:
    check_regular(path, "EPSS/KEV database")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)


def _corrupted(path: Path, exc: Exception) -> AdvisoryDbError:
    return AdvisoryDbError(
        f"the EPSS/KEV database is unreadable ({exc}); import the files again "
        "(`depsentry db import-epss`, `depsentry db import-kev`)",
        path,
    )


def _dataset(meta: dict[str, str], name: str) -> DataSetInfo | None:
    if f"{name}_entries" not in meta:
        return None
    when = meta.get(f"{name}_date")
    return DataSetInfo(
        name=name,
        date=datetime.fromisoformat(when) if when else None,
        version=meta.get(f"{name}_version"),
        entries=int(meta[f"{name}_entries"]),
    )


def read_info(path: Path) -> tuple[DataSetInfo | None, DataSetInfo | None, dict[str, str]]:
    """(EPSS info, KEV info, raw meta) of the file at `path`; AdvisoryDbError when unreadable."""
    try:
        with closing(_connect_ro(path)) as conn:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError as exc:
        raise _corrupted(path, exc) from exc
    return _dataset(meta, "epss"), _dataset(meta, "kev"), meta


def _replace_table(
    path: Path, table: str, rows: Sequence[tuple[object, ...]], meta: dict[str, str]
) -> None:
    """Write a new file holding `rows` in `table` (and the other table as it was), then swap it in."""
    import tempfile  # only an import writes

    if os.path.lexists(path):
        check_regular(path, "EPSS/KEV database")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        with closing(sqlite3.connect(tmp)) as conn:
            conn.executescript(_SCHEMA)
            other = "kev" if table == "epss" else "epss"
            if path.exists():
                try:
                    conn.execute("ATTACH DATABASE ? AS old", (str(path),))
                    conn.execute(f"INSERT INTO {other} SELECT * FROM old.{other}")
                    conn.execute(
                        "INSERT INTO meta SELECT key, value FROM old.meta WHERE key LIKE ?",
                        (f"{other}_%",),
                    )
                    conn.commit()
                    conn.execute("DETACH DATABASE old")
                except sqlite3.DatabaseError:
                    conn.rollback()  # unreadable: start afresh, the other data set is re-imported
                    with suppress(sqlite3.DatabaseError):
                        conn.execute("DETACH DATABASE old")
            marks = ",".join("?" * len(rows[0])) if rows else "?"
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(meta.items()))
            conn.commit()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def import_epss(
    data: EpssData, source: str, home: Path | None = None, *, etag: str | None = None
) -> Path:
    """Replace the EPSS scores with `data` (from the file or URL `source`)."""
    path = priorities_path(home)
    _replace_table(
        path,
        "epss",
        data.rows,
        {
            "epss_entries": str(len(data.rows)),
            "epss_date": data.score_date.isoformat() if data.score_date else "",
            "epss_version": data.model or "",
            "epss_source": source,
            "epss_etag": etag or "",
            "epss_imported": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    return path


def import_kev(
    data: KevData, source: str, home: Path | None = None, *, etag: str | None = None
) -> Path:
    """Replace the KEV catalogue with `data` (from the file or URL `source`)."""
    path = priorities_path(home)
    rows = [(cve, added, int(ransom)) for cve, added, ransom in data.entries]
    _replace_table(
        path,
        "kev",
        rows,
        {
            "kev_entries": str(len(rows)),
            "kev_date": data.released.isoformat() if data.released else "",
            "kev_version": data.version or "",
            "kev_source": source,
            "kev_etag": etag or "",
            "kev_imported": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    return path


def stored_etag(kind: str, home: Path | None = None) -> str | None:
    """The ETag of the last `--download` of `kind` ("epss", "kev"), for a conditional GET."""
    path = priorities_path(home)
    if not path.is_file():
        return None
    try:
        return read_info(path)[2].get(f"{kind}_etag") or None
    except AdvisoryDbError:
        return None  # unreadable: the import rebuilds it


class Prioritiser:
    """Looks up an alias group's EPSS and KEV data, memoised per CVE for the whole run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = _connect_ro(path)
        self._lock = threading.Lock()
        self._known: dict[str, Priority] = {}
        try:
            meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise _corrupted(path, exc) from exc
        self.epss_info = _dataset(meta, "epss")
        self.kev_info = _dataset(meta, "kev")

    def close(self) -> None:
        self._conn.close()

    def prefetch(self, ids: Iterable[str]) -> None:
        """Load the data of every CVE among `ids` in a few queries (before many look-ups)."""
        cves = sorted({i for i in ids if i.startswith("CVE-")} - self._known.keys())
        if not cves:
            return
        found: dict[str, list[object]] = {c: [None, None, False] for c in cves}
        with self._lock:
            try:
                for start in range(0, len(cves), _BATCH):
                    chunk = cves[start : start + _BATCH]
                    marks = ",".join("?" * len(chunk))
                    for cve, score, pct in self._conn.execute(
                        f"SELECT cve, epss, percentile FROM epss WHERE cve IN ({marks})", chunk
                    ):
                        found[cve][0:2] = [score, pct]
                    for (cve,) in self._conn.execute(
                        f"SELECT cve FROM kev WHERE cve IN ({marks})", chunk
                    ):
                        found[cve][2] = True
            except sqlite3.DatabaseError as exc:
                raise _corrupted(self.path, exc) from exc
        for cve, (score, pct, kev) in found.items():
            self._known[cve] = (score, pct, bool(kev))  # type: ignore[assignment]

    def __call__(self, ids: Iterable[str]) -> Priority:
        """(highest EPSS, its percentile, any CVE in KEV) over the CVEs among `ids`."""
        cves = [i for i in ids if i.startswith("CVE-")]
        if not cves:
            return _NONE
        self.prefetch(cves)
        scores = [self._known[c] for c in cves]
        rated = [s for s in scores if s[0] is not None]
        best = max(rated, key=lambda s: s[0] or 0.0) if rated else _NONE
        return best[0], best[1], any(s[2] for s in scores)


def default_prioritiser(home: Path | None = None) -> Prioritiser | None:
    """The state directory's EPSS/KEV data, or None when nothing was imported."""
    path = priorities_path(home)
    return Prioritiser(path) if os.path.lexists(path) else None


def attach_priorities(
    vulns: list[Vulnerability], prioritiser: Prioritiser | None
) -> list[Vulnerability]:
    """`vulns` with the EPSS/KEV data of their alias groups (for sources that do not join it)."""
    if prioritiser is None or not vulns:
        return vulns
    prioritiser.prefetch(i for v in vulns for i in (v.id, *v.aliases))
    out = []
    for v in vulns:
        epss, pct, kev = prioritiser((v.id, *v.aliases))
        if (epss, pct, kev) != (v.epss, v.epss_percentile, v.kev):
            v = replace(v, epss=epss, epss_percentile=pct, kev=kev)
        out.append(v)
    return out
