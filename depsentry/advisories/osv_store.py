"""The SQLite file behind the local OSV database: full records (compressed) plus a per-package index.

Tables: `vulns` (one row per record: facts for listing, the original JSON zlib-compressed, and the
`origin` file it came from), `affected` (package -> record, compact ranges for matching), `origins`
(source file -> fingerprint, for incremental sync) and `meta` (source, ETag, update time, counts).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from depsentry.advisories.matcher import RecordFacts
from depsentry.advisories.osv_record import ParsedRecord, iso
from depsentry.errors import AdvisoryDbError
from depsentry.models import Severity

__all__ = ["SCHEMA_VERSION", "OsvStore"]

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE vulns (
  id TEXT PRIMARY KEY, origin TEXT NOT NULL, modified TEXT, published TEXT, aliases TEXT NOT NULL,
  severity TEXT NOT NULL, cvss REAL, summary TEXT NOT NULL, malicious INTEGER NOT NULL,
  record BLOB NOT NULL);
CREATE INDEX vulns_origin ON vulns (origin);
CREATE TABLE affected (package TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX affected_package ON affected (package);
CREATE INDEX affected_id ON affected (id);
CREATE TABLE origins (origin TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);
"""

_BATCH = 500  # below SQLite's default limit on bound parameters


def _json_default(value: object) -> str:
    # Unquoted YAML timestamps load as datetime; serve them as OSV's RFC 3339 "...Z" strings.
    return iso(value) or str(value)


class OsvStore:
    """One open database. Thread-safe (one lock) so the API server's threads can share it."""

    def __init__(self, conn: sqlite3.Connection, label: str):
        self._conn = conn
        self._lock = threading.Lock()
        self.label = label

    @classmethod
    def open(cls, path: Path) -> OsvStore:
        """Open an existing database read-only; AdvisoryDbError if it is missing or not ours."""
        if not path.is_file():
            raise AdvisoryDbError("no advisory database here; run `depsentry db sync`", path)
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            version = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise AdvisoryDbError(f"not a depsentry advisory database ({exc})", path) from exc
        if not version or version[0] != SCHEMA_VERSION:
            conn.close()
            raise AdvisoryDbError(
                "advisory database from another depsentry version; run `depsentry db sync`", path
            )
        return cls(conn, str(path))

    @classmethod
    def create(cls, path: Path | str) -> OsvStore:
        """Create an empty database at `path` (":memory:" for an in-memory one)."""
        conn = sqlite3.connect(str(path), check_same_thread=False)
        conn.executescript(_SCHEMA)
        conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        return cls(conn, str(path))

    @classmethod
    def copy_of(cls, source: Path, target: Path) -> OsvStore:
        """A writable copy of the database at `source`, written to `target` (for incremental sync)."""
        with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as src:
            conn = sqlite3.connect(str(target), check_same_thread=False)
            src.backup(conn)
        return cls(conn, str(target))

    def close(self) -> None:
        self._conn.close()

    # -- writing (sync) -------------------------------------------------------------------

    def add(self, parsed: ParsedRecord, origin: str) -> None:
        """Insert or replace one record."""
        blob = zlib.compress(json.dumps(parsed.record, default=_json_default).encode(), 6)
        c = self._conn
        c.execute("DELETE FROM affected WHERE id = ?", (parsed.id,))
        c.execute(
            "INSERT OR REPLACE INTO vulns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                parsed.id, origin, parsed.modified, parsed.published, json.dumps(parsed.aliases),
                parsed.severity.value, parsed.cvss, parsed.summary, int(parsed.malicious), blob,
            ),
        )  # fmt: skip
        by_package: dict[str, list[dict[str, Any]]] = {}
        for entry in parsed.affected:
            by_package.setdefault(entry.package, []).append(entry.to_json())
        c.executemany(
            "INSERT INTO affected VALUES (?, ?, ?)",
            [(pkg, parsed.id, json.dumps(entries)) for pkg, entries in by_package.items()],
        )

    def remove_origins(self, origins: Iterable[str]) -> int:
        """Remove the records that came from these source files; return how many."""
        removed = 0
        for origin in origins:
            ids = [
                r[0] for r in self._conn.execute("SELECT id FROM vulns WHERE origin = ?", (origin,))
            ]
            for record_id in ids:
                self._conn.execute("DELETE FROM affected WHERE id = ?", (record_id,))
            self._conn.execute("DELETE FROM vulns WHERE origin = ?", (origin,))
            self._conn.execute("DELETE FROM origins WHERE origin = ?", (origin,))
            removed += len(ids)
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
        with self._lock:
            return dict(self._conn.execute("SELECT key, value FROM meta").fetchall())

    def origins(self) -> dict[str, str]:
        with self._lock:
            return dict(self._conn.execute("SELECT origin, fingerprint FROM origins").fetchall())

    def count(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT count(*) FROM vulns").fetchone()
        return int(row[0])

    def affected_rows(
        self, packages: Sequence[str]
    ) -> Iterator[tuple[str, RecordFacts, list[dict[str, Any]]]]:
        """(package, facts, affected entries) for every record naming one of `packages`."""
        for start in range(0, len(packages), _BATCH):
            chunk = list(packages[start : start + _BATCH])
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._conn.execute(
                    "SELECT a.package, a.data, v.id, v.aliases, v.severity, v.cvss, v.summary,"
                    " v.published, v.modified, v.malicious FROM affected a JOIN vulns v ON v.id = a.id"
                    f" WHERE a.package IN ({marks})",
                    chunk,
                ).fetchall()
            for package, data, *facts in rows:
                rid, aliases, severity, cvss, summary, published, modified, malicious = facts
                yield (
                    package,
                    RecordFacts(
                        rid, tuple(json.loads(aliases)), Severity(severity), cvss, summary,
                        published, modified, bool(malicious),
                    ),
                    json.loads(data),
                )  # fmt: skip

    def records(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The full original records for `ids` (missing ids are absent from the result)."""
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = list(ids[start : start + _BATCH])
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._conn.execute(
                    f"SELECT id, record FROM vulns WHERE id IN ({marks})", chunk
                ).fetchall()
            out.update((rid, json.loads(zlib.decompress(blob))) for rid, blob in rows)
        return out

    def ids_with_alias(self, alias: str) -> list[str]:
        """Ids of the records that list `alias` among their aliases, sorted."""
        needle = json.dumps(alias)  # as `aliases` was written; instr() narrows, json decides
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, aliases FROM vulns WHERE instr(aliases, ?) > 0", (needle,)
            ).fetchall()
        return sorted(rid for rid, aliases in rows if alias in json.loads(aliases))

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
            with self._lock:
                out.update(
                    self._conn.execute(
                        f"SELECT id, modified FROM vulns WHERE id IN ({marks})", chunk
                    ).fetchall()
                )
        return out
