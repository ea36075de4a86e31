"""The SQLite file behind the local OSV database: full records (compressed) plus a per-package index.

Tables: `vulns` (one row per record: facts for listing and rating, the original JSON
zlib-compressed, and the `origin` file it was taken from), `affected` (package -> record,
compact ranges), `aliases` (alias -> record), `carriers` (which source files carry which id:
the same id may sit in two files), `origins` (source file -> fingerprint, for incremental sync)
and `meta` (source, ETag, data date, counts). Every SQLite error becomes one AdvisoryDbError.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from depsentry.advisories.files import check_regular as _check
from depsentry.advisories.matcher import RecordFacts
from depsentry.advisories.severity import Rating
from depsentry.errors import AdvisoryDbError
from depsentry.models import Severity

if TYPE_CHECKING:  # a scan only reads: the record parser is for syncs
    from depsentry.advisories.osv_record import ParsedRecord

__all__ = [
    "REMEDY",
    "SCHEMA_VERSION",
    "OsvStore",
    "check_regular",
    "record_blob",
    "remove_stamp",
    "write_stamp",
]

SCHEMA_VERSION = "2"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE vulns (
  id TEXT PRIMARY KEY, origin TEXT NOT NULL, modified TEXT, published TEXT, aliases TEXT NOT NULL,
  cvss4 REAL, cvss3 REAL, ghsa TEXT, summary TEXT NOT NULL, malicious INTEGER NOT NULL,
  record BLOB NOT NULL);
CREATE INDEX vulns_origin ON vulns (origin);
CREATE TABLE affected (package TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX affected_package ON affected (package);
CREATE INDEX affected_id ON affected (id);
CREATE TABLE aliases (alias TEXT NOT NULL, id TEXT NOT NULL);
CREATE INDEX aliases_alias ON aliases (alias);
CREATE INDEX aliases_id ON aliases (id);
CREATE TABLE carriers (origin TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (origin, id));
CREATE INDEX carriers_id ON carriers (id);
CREATE TABLE origins (origin TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);
"""

_BATCH = 500  # below SQLite's default limit on bound parameters
_FACTS = (
    "v.id, v.aliases, v.cvss4, v.cvss3, v.ghsa, v.summary, v.published, v.modified, v.malicious"
)

REMEDY = "run `depsentry db sync` to rebuild it"


def _json_default(value: object) -> str:
    # Records from elsewhere (the snapshot, tests) may hold datetimes: serve RFC 3339 "...Z".
    from depsentry.advisories.osv_record import iso

    return iso(value) or str(value)


def check_regular(path: Path) -> None:
    """AdvisoryDbError unless `path` is a regular file that could be a database."""
    try:
        _check(path, "advisory database", missing="; run `depsentry db sync`")
    except AdvisoryDbError as exc:
        if "is a directory" in exc.message:
            raise AdvisoryDbError(f"{exc.message}; remove it and {REMEDY}", path) from None
        raise


def _facts(row: Sequence[Any]) -> RecordFacts:
    rid, aliases, cvss4, cvss3, ghsa, summary, published, modified, malicious = row
    rating = Rating(cvss4, cvss3, Severity(ghsa) if ghsa else None)
    return RecordFacts(
        rid, tuple(json.loads(aliases)), rating, summary, published, modified, bool(malicious)
    )


def _stamp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.checked")


def _fingerprint(path: Path) -> str:
    st = path.stat()
    # ctime too: unlike mtime, no one can set it back after writing to the file.
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def record_blob(record: object) -> bytes:
    """The stored form of a whole record (compressed JSON)."""
    return zlib.compress(json.dumps(record, default=_json_default).encode(), 1)


class OsvStore:
    """One open database. Thread-safe (one lock) so the API server's threads can share it."""

    def __init__(self, conn: sqlite3.Connection, label: str):
        self._conn = conn
        self._lock = threading.Lock()
        self.label = label

    @classmethod
    def open(cls, path: Path, *, verify: bool = True) -> OsvStore:
        """Open an existing database read-only; AdvisoryDbError if it is missing, not ours, or
        corrupted. `verify` runs `PRAGMA quick_check` unless the file is unchanged since the
        last check that passed (a stamp beside it), so a scan pays for it once per sync."""
        check_regular(path)
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise AdvisoryDbError(f"cannot open the advisory database ({exc})", path) from exc
        try:
            version = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise AdvisoryDbError(
                f"not a depsentry advisory database, or corrupted ({exc}); {REMEDY}", path
            ) from exc
        if not version or version[0] != SCHEMA_VERSION:
            conn.close()
            raise AdvisoryDbError(
                "advisory database from another depsentry version; run `depsentry db sync`", path
            )
        store = cls(conn, str(path))
        if verify:
            try:
                store._verify(path)
            except BaseException:
                conn.close()
                raise
        return store

    def _verify(self, path: Path) -> None:
        stamp = _stamp_path(path)
        try:
            if stamp.read_text(encoding="ascii") == _fingerprint(path):
                return
        except (OSError, ValueError):
            pass
        with self._guard():
            problems = [row[0] for row in self._conn.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise AdvisoryDbError(
                f"the advisory database is corrupted ({'; '.join(problems)[:200]}); {REMEDY}",
                path,
            )
        with suppress(OSError):  # best effort: a read-only state directory checks every time
            stamp.write_text(_fingerprint(path), encoding="ascii")

    @classmethod
    def create(cls, path: Path | str) -> OsvStore:
        """Create an empty database at `path` (":memory:" for an in-memory one)."""
        conn = sqlite3.connect(str(path), check_same_thread=False)
        # A sync writes a temp file that replaces the database only when complete: no journal
        # is needed for atomicity, and writing one doubles the I/O.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.executescript(_SCHEMA)
        conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        return cls(conn, str(path))

    @classmethod
    def copy_of(cls, source: Path, target: Path) -> OsvStore:
        """A writable copy of the database at `source`, written to `target` (for incremental sync)."""
        try:
            with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as src:
                conn = sqlite3.connect(str(target), check_same_thread=False)
                src.backup(conn)
        except sqlite3.DatabaseError as exc:
            raise AdvisoryDbError(f"the advisory database is corrupted ({exc})", source) from exc
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        return cls(conn, str(target))

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise AdvisoryDbError(
                f"the advisory database is corrupted ({exc}); {REMEDY}", self.label
            ) from exc

    # -- writing (sync) -------------------------------------------------------------------

    def add(self, parsed: ParsedRecord, origin: str, blob: bytes | None = None) -> bool:
        """Insert one record carried by `origin`; when another file already gave this id, the
        newer `modified` wins (then the first origin in name order), so the result does not
        depend on the order files are read in. True when this copy was stored. `blob` is
        `record_blob(parsed.record)` when a sync worker made it already."""
        c = self._conn
        c.execute("INSERT OR IGNORE INTO carriers VALUES (?, ?)", (origin, parsed.id))
        row = c.execute("SELECT origin, modified FROM vulns WHERE id = ?", (parsed.id,)).fetchone()
        if row is not None and not _newer(parsed.modified or "", origin, row[1] or "", row[0]):
            return False
        if blob is None:
            blob = record_blob(parsed.record)
        if row is not None:
            self._delete_ids([parsed.id])
        rating = parsed.rating
        c.execute(
            "INSERT INTO vulns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                parsed.id, origin, parsed.modified, parsed.published, json.dumps(parsed.aliases),
                rating.cvss4, rating.cvss3, rating.ghsa.value if rating.ghsa else None,
                parsed.summary, int(parsed.malicious), blob,
            ),
        )  # fmt: skip
        by_package: dict[str, list[dict[str, Any]]] = {}
        for entry in parsed.affected:
            by_package.setdefault(entry.package, []).append(entry.to_json())
        c.executemany(
            "INSERT INTO affected VALUES (?, ?, ?)",
            [(pkg, parsed.id, json.dumps(entries)) for pkg, entries in by_package.items()],
        )
        c.executemany(
            "INSERT INTO aliases VALUES (?, ?)", [(alias, parsed.id) for alias in parsed.aliases]
        )
        return True

    def _delete_ids(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), _BATCH):
            chunk = list(ids[start : start + _BATCH])
            marks = ",".join("?" * len(chunk))
            for table in ("vulns", "affected", "aliases"):
                self._conn.execute(f"DELETE FROM {table} WHERE id IN ({marks})", chunk)

    def carried_by(self, origins: Iterable[str]) -> dict[str, set[str]]:
        """For the ids these files carry: every file that carries each (also other files)."""
        ids: set[str] = set()
        for origin in origins:
            ids.update(r[0] for r in self._conn.execute(
                "SELECT id FROM carriers WHERE origin = ?", (origin,)
            ))  # fmt: skip
        out: dict[str, set[str]] = {}
        listed = sorted(ids)
        for start in range(0, len(listed), _BATCH):
            chunk = listed[start : start + _BATCH]
            marks = ",".join("?" * len(chunk))
            for rid, origin in self._conn.execute(
                f"SELECT id, origin FROM carriers WHERE id IN ({marks})", chunk
            ):
                out.setdefault(rid, set()).add(origin)
        return out

    def remove_origins(self, origins: Iterable[str]) -> list[str]:
        """Forget these files and every record taken from them; return the ids removed."""
        targets = list(dict.fromkeys(origins))
        removed: list[str] = []
        for origin in targets:
            removed.extend(
                r[0] for r in self._conn.execute("SELECT id FROM vulns WHERE origin = ?", (origin,))
            )
            self._conn.execute("DELETE FROM carriers WHERE origin = ?", (origin,))
            self._conn.execute("DELETE FROM origins WHERE origin = ?", (origin,))
        self._delete_ids(removed)
        return removed

    def set_origin(self, origin: str, fingerprint: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO origins VALUES (?, ?)", (origin, fingerprint))

    def set_meta(self, **values: str | int | None) -> None:
        for key, value in values.items():
            if value is None:
                self._conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(value)))

    def commit(self) -> None:
        self._conn.commit()

    # -- reading ---------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        with self._lock, self._guard():
            return dict(self._conn.execute("SELECT key, value FROM meta").fetchall())

    def origins(self) -> dict[str, str]:
        with self._lock, self._guard():
            return dict(self._conn.execute("SELECT origin, fingerprint FROM origins").fetchall())

    def count(self) -> int:
        with self._lock, self._guard():
            row = self._conn.execute("SELECT count(*) FROM vulns").fetchone()
        return int(row[0])

    def data_date(self) -> str | None:
        """The newest `modified` of any record: how current the data itself is."""
        with self._lock, self._guard():
            row = self._conn.execute("SELECT max(modified) FROM vulns").fetchone()
        return str(row[0]) if row and row[0] else None

    def affected_rows(
        self, packages: Sequence[str]
    ) -> Iterator[tuple[str, RecordFacts, list[dict[str, Any]]]]:
        """(package, facts, affected entries) for every record naming one of `packages`."""
        for start in range(0, len(packages), _BATCH):
            chunk = list(packages[start : start + _BATCH])
            marks = ",".join("?" * len(chunk))
            with self._lock, self._guard():
                rows = self._conn.execute(
                    f"SELECT a.package, a.data, {_FACTS} FROM affected a JOIN vulns v ON v.id = a.id"
                    f" WHERE a.package IN ({marks})",
                    chunk,
                ).fetchall()
            for package, data, *facts in rows:
                yield package, _facts(facts), json.loads(data)

    def related(
        self, ids: Iterable[str], known: Mapping[str, RecordFacts] | None = None
    ) -> list[RecordFacts]:
        """Records whose id is one of `ids` or that list one of them as an alias; those in
        `known` (already loaded by the caller) are not read again."""
        wanted = sorted(set(ids))
        known = known or {}
        found = {i for i in wanted if i in known}
        # Ids the caller knows are records: only the others need looking up as one.
        unknown = [i for i in wanted if i not in known]
        found.update(r[0] for r in self._select_in("SELECT id FROM vulns WHERE id IN", unknown))
        found.update(
            r[0] for r in self._select_in("SELECT DISTINCT id FROM aliases WHERE alias IN", wanted)
        )
        out = {k: known[k] for k in found if k in known}
        missing = sorted(found.difference(known))
        rows = self._select_in(f"SELECT {_FACTS} FROM vulns v WHERE v.id IN", missing)
        out.update((row[0], _facts(row)) for row in rows)
        return [out[k] for k in sorted(out)]

    def _select_in(self, sql: str, keys: Sequence[str]) -> list[tuple[Any, ...]]:
        """The rows of `sql` followed by `(?, ?, ...)`, over `keys` in batches."""
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(keys), _BATCH):
            chunk = keys[start : start + _BATCH]
            with self._lock, self._guard():
                found = self._conn.execute(f"{sql} ({','.join('?' * len(chunk))})", chunk)
                rows.extend(found.fetchall())
        return rows

    def records(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The full original records for `ids` (missing ids are absent from the result)."""
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = list(ids[start : start + _BATCH])
            marks = ",".join("?" * len(chunk))
            with self._lock, self._guard():
                rows = self._conn.execute(
                    f"SELECT id, record FROM vulns WHERE id IN ({marks})", chunk
                ).fetchall()
            out.update((rid, json.loads(zlib.decompress(blob))) for rid, blob in rows)
        return out

    def ids_with_alias(self, alias: str) -> list[str]:
        """Ids of the records that list `alias` among their aliases, sorted."""
        with self._lock, self._guard():
            rows = self._conn.execute(
                "SELECT DISTINCT id FROM aliases WHERE alias = ? ORDER BY id", (alias,)
            ).fetchall()
        return [r[0] for r in rows]

    def fingerprints(self) -> dict[str, str | None]:
        """Every record id with its `modified` (what changed between two databases)."""
        with self._lock:
            return dict(self._conn.execute("SELECT id, modified FROM vulns").fetchall())

    def packages_of(self, ids: Sequence[str]) -> set[str]:
        """The packages that records `ids` affect."""
        found: set[str] = set()
        for start in range(0, len(ids), _BATCH):
            chunk = list(ids[start : start + _BATCH])
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._conn.execute(
                    f"SELECT DISTINCT package FROM affected WHERE id IN ({marks})", chunk
                ).fetchall()
            found.update(r[0] for r in rows)
        return found

    def modified_of(self, ids: Sequence[str]) -> dict[str, str | None]:
        """`modified` of each record in `ids`."""
        out: dict[str, str | None] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = list(ids[start : start + _BATCH])
            marks = ",".join("?" * len(chunk))
            with self._lock, self._guard():
                out.update(
                    self._conn.execute(
                        f"SELECT id, modified FROM vulns WHERE id IN ({marks})", chunk
                    ).fetchall()
                )
        return out


def _newer(modified: str, origin: str, old_modified: str, old_origin: str) -> bool:
    return modified > old_modified or (modified == old_modified and origin < old_origin)


def write_stamp(path: Path) -> None:
    """Record that `path` is whole as it is now (a sync just wrote it)."""
    with suppress(OSError):
        _stamp_path(path).write_text(_fingerprint(path), encoding="ascii")


def remove_stamp(path: Path) -> None:
    """Forget that `path` passed its check (it is about to be replaced)."""
    with suppress(OSError):
        os.unlink(_stamp_path(path))
