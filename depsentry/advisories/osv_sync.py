"""`depsentry db sync`: import OSV records from a dump URL, a zip, or a directory into the store.

Incremental: every source file has a fingerprint (size+mtime for files, CRC+size for zip members);
only new or changed files are parsed, removed files are dropped, and an unchanged source writes
nothing. Atomic: changes go into a temp copy next to the database, which then replaces it with
`os.replace`, so an interrupted sync leaves the previous database as it was.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from depsentry.advisories.download import download
from depsentry.advisories.osv_record import load_text, parse_record
from depsentry.advisories.osv_store import OsvStore
from depsentry.errors import AdvisoryDbError, reading
from depsentry.httpkit import redact

__all__ = ["DEFAULT_URL", "Progress", "SyncResult", "sync"]

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"

Progress = Callable[[str, int, int | None], None]
"""progress(stage, done, total): called during long work; the CLI draws it, the core stays silent."""

_SUFFIXES = (".json", ".yaml", ".yml")


def _silent(stage: str, done: int, total: int | None) -> None:
    pass


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one sync did."""

    source: str
    records: int
    imported: int  # records (re)parsed from new or changed files
    removed: int
    warnings: int  # malformed parts skipped (counted, logged at debug level)
    unchanged: bool  # nothing new: the database was not rewritten


Entry = tuple[str, str, Callable[[], bytes]]  # (origin, fingerprint, read)


def _directory_entries(root: Path) -> Iterator[Entry]:
    # os.walk + scandir and plain strings, not Path.rglob: every scan with --osv-db DIR
    # fingerprints the whole tree to see whether it changed, so this is on the hot path.
    prefix = len(str(root)) + 1
    found: list[Entry] = []
    for directory, subdirs, _ in os.walk(root):
        subdirs[:] = [d for d in subdirs if not d.startswith(".")]
        with os.scandir(directory) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(".") or not name.endswith(_SUFFIXES) or not entry.is_file():
                    continue
                st = entry.stat()
                rel = entry.path[prefix:].replace(os.sep, "/")
                found.append(
                    (rel, f"{st.st_size}:{st.st_mtime_ns}", partial(_read_bytes, entry.path))
                )
    found.sort(key=lambda item: item[0])
    yield from found


def _yaml_error() -> type[Exception]:
    import yaml  # loaded only when records are actually parsed

    return yaml.YAMLError


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _zip_entries(archive: zipfile.ZipFile) -> Iterator[Entry]:
    def reader(name: str) -> Callable[[], bytes]:
        return lambda: archive.read(name)

    for info in archive.infolist():
        if info.is_dir() or not info.filename.endswith(_SUFFIXES):
            continue
        yield info.filename, f"{info.CRC:08x}:{info.file_size}", reader(info.filename)


def _import(
    db_path: Path,
    label: str,
    entries: list[Entry],
    extra_meta: dict[str, str | None],
    progress: Progress,
) -> SyncResult:
    old: OsvStore | None = None
    if db_path.is_file():
        with suppress(AdvisoryDbError):
            old = OsvStore.open(db_path)
    same_source = old is not None and old.meta().get("source") == label
    before = old.origins() if old is not None and same_source else {}
    current = {origin: fp for origin, fp, _ in entries}
    changed = [e for e in entries if before.get(e[0]) != e[1]]
    gone = [o for o in before if o not in current]
    if old is not None and same_source and not changed and not gone:
        records = old.count()
        old.close()
        logger.info("advisory database is up to date (%s, %d records)", label, records)
        return SyncResult(label, records, 0, 0, 0, True)
    if old is not None:
        old.close()

    db_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=db_path.parent, prefix=f".{db_path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if same_source:
            store = OsvStore.copy_of(db_path, tmp)
        else:
            tmp.unlink()
            store = OsvStore.create(tmp)
        try:
            removed = store.remove_origins([*gone, *(o for o, _, _ in changed)])
            imported = warnings = 0
            for done, (origin, fingerprint, read) in enumerate(changed, 1):
                with reading(f"{label}/{origin}", AdvisoryDbError):
                    data = read()
                try:
                    parsed, problems = parse_record(load_text(data, origin))
                except (ValueError, _yaml_error()) as exc:  # bad JSON/YAML/UTF-8: skip the file
                    parsed, problems = None, [f"unreadable record: {exc}"]
                for problem in problems:
                    logger.debug("%s: %s", origin, problem)
                warnings += len(problems)
                if parsed is not None:
                    store.add(parsed, origin)
                    imported += 1
                store.set_origin(origin, fingerprint)
                if done % 200 == 0 or done == len(changed):
                    progress("import", done, len(changed))
            store.set_meta(
                source=label, updated=datetime.now(UTC).isoformat(timespec="seconds"), **extra_meta
            )
            store.commit()
            records = store.count()
            store.set_meta(records=records)
            store.commit()
        finally:
            store.close()
        os.replace(tmp, db_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if warnings:
        logger.warning(
            "%s: skipped %d malformed part(s) of OSV records (see -v for each)", label, warnings
        )
    return SyncResult(label, records, imported, removed, warnings, False)


def _remove_stale(directory: Path) -> None:
    # Temp files of a sync that was killed; a live sync never runs for an hour.
    if not directory.is_dir():
        return
    cutoff = time.time() - 3600
    for path in [*directory.glob(".*.tmp"), *directory.glob(".osv-download.*.zip")]:
        with suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def sync(
    db_path: Path,
    source: str | Path | None = None,
    *,
    offline: bool = False,
    progress: Progress = _silent,
    connect_timeout: float = 5.0,
) -> SyncResult:
    """Bring the database at `db_path` up to date with `source` (default: the OSV PyPI dump)."""
    text = str(source) if source is not None else DEFAULT_URL
    _remove_stale(db_path.parent)
    if _is_url(text):
        url, text = text, redact(text)
        if offline:
            raise AdvisoryDbError(
                f"cannot download {text} with --offline; sync from a local path instead"
            )
        meta: dict[str, str] = {}
        if db_path.is_file():
            with suppress(AdvisoryDbError):
                old = OsvStore.open(db_path)
                meta = old.meta()
                old.close()
        same = meta.get("source") == text
        db_path.parent.mkdir(parents=True, exist_ok=True)
        fetched = download(
            url,
            db_path.parent,
            etag=meta.get("etag") if same else None,
            last_modified=meta.get("last_modified") if same else None,
            progress=progress,
            connect_timeout=connect_timeout,
        )
        if fetched is None:  # 304 Not Modified
            logger.info("%s not modified since the last sync", text)
            return SyncResult(text, int(meta.get("records", 0)), 0, 0, 0, True)
        try:
            with reading(text, AdvisoryDbError), zipfile.ZipFile(fetched.path) as archive:
                return _import(
                    db_path,
                    text,
                    list(_zip_entries(archive)),
                    {"etag": fetched.etag, "last_modified": fetched.last_modified},
                    progress,
                )
        except zipfile.BadZipFile as exc:
            raise AdvisoryDbError(f"not a zip file ({exc})", text) from exc
        finally:
            fetched.path.unlink(missing_ok=True)

    path = Path(text).expanduser().resolve()
    if path.is_dir():
        return _import(db_path, str(path), list(_directory_entries(path)), {}, progress)
    try:
        with reading(path, AdvisoryDbError), zipfile.ZipFile(path) as archive:
            return _import(db_path, str(path), list(_zip_entries(archive)), {}, progress)
    except zipfile.BadZipFile as exc:
        raise AdvisoryDbError("not a zip file or a directory of OSV records", path) from exc
