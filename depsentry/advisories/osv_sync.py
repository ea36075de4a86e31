"""`depsentry db sync`: import OSV records from a dump URL, a zip, or a directory into the store.

Incremental: every source file has a fingerprint (size+mtime for files, CRC+size for zip members);
only new or changed files are parsed, removed files are dropped (an id that another file also
carries is re-read from that file), and an unchanged source writes nothing. Atomic: changes go
into a temp copy next to the database, which then replaces it with `os.replace`, so an
interrupted sync leaves the previous database as it was. One sync at a time per directory (a
lock), so leftovers of a killed one are removed at once; a corrupted database is rebuilt.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import time
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from depsentry.advisories.osv_record import (
    MAX_RECORD_BYTES,
    ParsedRecord,
    RecordError,
    load_text,
    parse_record,
)
from depsentry.advisories.osv_store import (
    OsvStore,
    check_regular,
    record_blob,
    remove_stamp,
    write_stamp,
)
from depsentry.errors import AdvisoryDbError, reading
from depsentry.httpkit import redact
from depsentry.paths import read_up_to

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

__all__ = ["DEFAULT_URL", "Progress", "SyncResult", "sync"]

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
MAX_DUMP_BYTES = 2 << 30  # the PyPI dump is ~30 MB; a download past this is not an OSV dump

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
    warnings: int  # malformed records and parts skipped (counted, logged at debug level)
    unchanged: bool  # nothing new: the database was not rewritten
    malformed: int = 0  # record files that could not be used at all (of `warnings`)
    rebuilt: bool = False  # the old database was unreadable and was replaced from scratch


Entry = tuple[str, str, Callable[[], bytes]]  # (origin, fingerprint, read)


def _read_regular(path: str) -> bytes:
    # O_NONBLOCK and fstat: a FIFO swapped in after the directory walk must not block the sync.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RecordError("not a regular file")
        data = read_up_to(handle, info.st_size, MAX_RECORD_BYTES)
    if len(data) > MAX_RECORD_BYTES:
        raise RecordError(f"record larger than {MAX_RECORD_BYTES >> 20} MiB")
    return data


def _too_large() -> bytes:
    raise RecordError(f"record larger than {MAX_RECORD_BYTES >> 20} MiB")


def _directory_entries(root: Path) -> Iterator[Entry]:
    # One scandir per directory and plain strings, not os.walk (which lists each directory
    # once more) or Path.rglob: every scan with --osv-db DIR fingerprints the whole tree to see
    # whether it changed, so this is on the hot path.
    prefix = len(str(root)) + 1
    inside = str(root) + os.sep
    found: list[Entry] = []
    pending = [str(root)]
    while pending:
        directory = pending.pop()
        try:
            listing = os.scandir(directory)
        except OSError as exc:
            logger.warning("%s: %s", directory, exc.strerror or exc)
            continue
        with listing as entries:
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):  # as os.walk: no symlinked folders
                        pending.append(entry.path)
                        continue
                    if not name.endswith(_SUFFIXES) or not entry.is_file():
                        continue
                    if entry.is_symlink() and not os.path.realpath(entry.path).startswith(inside):
                        logger.debug("%s: a symlink out of %s, ignored", entry.path, root)
                        continue
                    st = entry.stat()
                except OSError as exc:  # a symlink loop, a file gone since the listing
                    logger.warning("%s: %s", entry.path, exc.strerror or exc)
                    continue
                rel = entry.path[prefix:].replace(os.sep, "/")
                read = (
                    _too_large
                    if st.st_size > MAX_RECORD_BYTES
                    else partial(_read_regular, entry.path)
                )
                found.append((rel, f"{st.st_size}:{st.st_mtime_ns}", read))
    found.sort(key=lambda item: item[0])
    yield from found


def _zip_entries(archive: zipfile.ZipFile) -> Iterator[Entry]:
    def reader(info: zipfile.ZipInfo) -> Callable[[], bytes]:
        if info.file_size > MAX_RECORD_BYTES:
            return _too_large
        return lambda: archive.read(info)  # zipfile stops at the declared size

    for info in archive.infolist():
        if info.is_dir() or not info.filename.endswith(_SUFFIXES):
            continue
        yield info.filename, f"{info.CRC:08x}:{info.file_size}", reader(info)


def _decode_errors() -> tuple[type[Exception], ...]:
    import zlib

    import yaml  # loaded only when records are actually parsed

    # ValueError covers bad JSON and UTF-8 and RecordError; the zip ones a damaged member.
    return (
        ValueError, RecursionError, yaml.YAMLError, zipfile.BadZipFile, zlib.error, EOFError,
        NotImplementedError,
    )  # fmt: skip


# (record or None, problems, 1 when the file could not be used at all, its stored form if made)
Outcome = tuple[ParsedRecord | None, list[str], int, bytes | None]

POOL_MIN_FILES = 400  # below this a worker pool's start-up costs more than it saves
_BATCH = 64  # files per task sent to a worker


def _parse_data(origin: str, data: bytes, errors: tuple[type[Exception], ...]) -> Outcome:
    try:
        parsed, problems = parse_record(load_text(data, origin))
    except errors as exc:  # bad JSON/YAML/UTF-8, hostile text: skip the file
        return None, [f"unreadable record: {str(exc)[:200]}"], 1, None
    return parsed, problems, 0, None


def _parse_batch(batch: list[tuple[str, bytes]]) -> list[Outcome]:
    """A worker's task: parse each (origin, file content); the record travels back as its
    stored form (compressed JSON: smaller to send, and no work left for the parent)."""
    errors = _decode_errors()
    out: list[Outcome] = []
    for origin, data in batch:
        parsed, problems, unusable, _ = _parse_data(origin, data, errors)
        blob = None
        if parsed is not None:
            try:
                blob = record_blob(parsed.record)
            except (ValueError, RecursionError):  # unstorable: the parent says so on add()
                pass
            else:
                parsed = replace(parsed, record={})
        out.append((parsed, problems, unusable, blob))
    return out


def _read_entry(
    origin: str, read: Callable[[], bytes], label: str, errors: tuple[type[Exception], ...]
) -> bytes | Outcome:
    try:
        return read()
    except errors as exc:  # too large, not a regular file, a damaged zip member
        return None, [f"unreadable record: {str(exc)[:200]}"], 1, None
    except OSError as exc:  # one unreadable file costs that record only
        logger.warning("%s/%s: %s", label, origin, exc.strerror or exc)
        return None, [f"unreadable file: {exc.strerror or exc}"], 1, None


def _workers(files: int) -> int:
    if files < POOL_MIN_FILES:
        return 0
    from depsentry.cpus import usable_cpus

    cpus = usable_cpus()
    return min(cpus, 4) if cpus > 1 else 0


def _parsed(todo: list[Entry], label: str) -> Iterator[tuple[str, str, Outcome]]:
    """(origin, fingerprint, outcome) of every entry, in order. Reading stays here (zip members
    cannot travel); parsing, most of a big sync (YAML), goes to a process pool when it pays."""
    errors = _decode_errors()
    workers = _workers(len(todo))
    pool = _pool(workers) if workers else None
    if pool is None:
        for origin, fingerprint, read in todo:
            data = _read_entry(origin, read, label, errors)
            done = data if isinstance(data, tuple) else _parse_data(origin, data, errors)
            yield origin, fingerprint, done
        return
    # A few batches in flight per worker: the pool stays busy and memory stays bounded.
    flight: deque[tuple[list[tuple[str, str, bytes | Outcome]], Future[list[Outcome]]]] = deque()
    with pool:
        for start in range(0, len(todo), _BATCH):
            batch = [
                (o, fp, _read_entry(o, read, label, errors))
                for o, fp, read in todo[start : start + _BATCH]
            ]
            readable = [(o, d) for o, _, d in batch if isinstance(d, bytes)]
            flight.append((batch, pool.submit(_parse_batch, readable)))
            if len(flight) > 2 * workers:
                yield from _placed(*flight.popleft())
        while flight:
            yield from _placed(*flight.popleft())


def _placed(
    batch: list[tuple[str, str, bytes | Outcome]], future: Future[list[Outcome]]
) -> Iterator[tuple[str, str, Outcome]]:
    results = iter(future.result())
    for origin, fingerprint, data in batch:
        yield origin, fingerprint, data if isinstance(data, tuple) else next(results)


def _pool(workers: int) -> ProcessPoolExecutor | None:
    # fork: the workers start with everything loaded, and they only parse bytes into records
    # (no I/O, no logging, no SQLite), so the locks a fork copies from other threads stay unused.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import cvss  # noqa: F401  # rate_record's lazy import, done before the fork

    try:
        context = multiprocessing.get_context("fork")
        return ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_worker_signals
        )
    except (OSError, ValueError) as exc:  # no fork (or no semaphores) here: one process
        logger.debug("no worker pool (%s): parsing in one process", exc)
        return None


def _worker_signals() -> None:
    # A worker is forked from whatever runs the sync (the daemon's SIGTERM handler, say): Ctrl-C
    # or a stop ends it at once, and the parent drops its half-written copy as it always does.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _open_old(db_path: Path) -> tuple[OsvStore | None, bool]:
    """The current database, if usable; and whether one was there but unreadable."""
    if not os.path.lexists(db_path):
        return None, False
    check_regular(db_path)  # a directory or FIFO in its place is the operator's to remove
    try:
        return OsvStore.open(db_path), False
    except AdvisoryDbError as exc:
        if "another depsentry version" in exc.message:
            return None, False
        logger.warning("%s; rebuilding it from scratch", exc)
        return None, True


def _import(
    db_path: Path,
    label: str,
    entries: list[Entry],
    extra_meta: dict[str, str | None],
    progress: Progress,
) -> SyncResult:
    old, broken = _open_old(db_path)
    same_source = old is not None and old.meta().get("source") == label
    before = old.origins() if old is not None and same_source else {}
    current = {origin: (fp, read) for origin, fp, read in entries}
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
            touched = set(gone) | {o for o, _, _ in changed}
            # An id that a touched file carried may also be in an untouched file: re-read
            # those too, or removing one copy would drop the record until the other changes.
            also = {
                o
                for carriers in store.carried_by(touched).values()
                for o in carriers
                if o not in touched and o in current
            }
            removed = len(store.remove_origins([*touched, *also]))
            todo = [*changed, *((o, current[o][0], current[o][1]) for o in sorted(also))]
            imported = warnings = malformed = 0
            for done, (origin, fingerprint, outcome) in enumerate(_parsed(todo, label), 1):
                parsed, problems, unusable, blob = outcome
                for problem in problems:
                    logger.debug("%s: %s", origin, problem)
                warnings += len(problems)
                malformed += unusable
                if parsed is not None:
                    try:
                        store.add(parsed, origin, blob)
                        imported += 1
                    except (ValueError, RecursionError) as exc:  # e.g. nested past json's limit
                        logger.debug("%s: unstorable record: %s", origin, exc)
                        warnings += 1
                        malformed += 1
                store.set_origin(origin, fingerprint)
                if done % 200 == 0 or done == len(todo):
                    progress("import", done, len(todo))
            records = store.count()
            store.set_meta(
                source=label,
                updated=store.data_date(),
                imported=datetime.now(UTC).isoformat(timespec="seconds"),
                records=records,
                **extra_meta,
            )
            store.commit()
        finally:
            store.close()
        remove_stamp(db_path)
        os.replace(tmp, db_path)
        write_stamp(db_path)  # just written whole: the next open needs no quick_check
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if warnings:
        logger.warning(
            "%s: skipped %d malformed record(s) or part(s) of OSV records (see -v for each)",
            label,
            warnings,
        )
    return SyncResult(
        label, records, imported, removed, warnings, False, malformed=malformed, rebuilt=broken
    )


@contextmanager
def _exclusive(directory: Path) -> Iterator[None]:
    """One sync at a time in `directory` (a lock on the directory itself: no lock file to leak)."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; concurrent syncs there only waste work
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _remove_stale(db_path: Path) -> None:
    # Under the lock no other sync of this database runs: its temp files (and their SQLite
    # journals) are leftovers of a killed one. Downloads may belong to any database here.
    directory = db_path.parent
    for path in directory.glob(f".{db_path.name}.*.tmp*"):
        with suppress(OSError):
            path.unlink()
    cutoff = time.time() - 3600
    for path in directory.glob(".osv-download.*"):
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
    if os.path.lexists(db_path):
        check_regular(db_path)
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AdvisoryDbError(
            f"cannot create the database directory ({exc.strerror or exc})", db_path.parent
        ) from exc
    with _exclusive(db_path.parent):
        _remove_stale(db_path)
        if _is_url(text):
            return _sync_url(db_path, text, offline, progress, connect_timeout)
        return _sync_path(db_path, Path(text).expanduser().resolve(), progress)


def _sync_path(db_path: Path, path: Path, progress: Progress) -> SyncResult:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise AdvisoryDbError(
            "no such file or directory" if isinstance(exc, FileNotFoundError) else str(exc), path
        ) from exc
    if stat.S_ISDIR(mode):
        return _import(db_path, str(path), list(_directory_entries(path)), {}, progress)
    if not stat.S_ISREG(mode):
        raise AdvisoryDbError(
            "not a regular file or directory (a FIFO, device or socket); expected a zip or a "
            "directory of OSV records",
            path,
        )
    try:
        with reading(path, AdvisoryDbError), zipfile.ZipFile(path) as archive:
            return _import(db_path, str(path), list(_zip_entries(archive)), {}, progress)
    except zipfile.BadZipFile as exc:
        raise AdvisoryDbError("not a zip file or a directory of OSV records", path) from exc


def _sync_url(
    db_path: Path, url: str, offline: bool, progress: Progress, connect_timeout: float
) -> SyncResult:
    from depsentry.advisories.download import download

    text = redact(url)
    if offline:
        raise AdvisoryDbError(
            f"cannot download {text} with --offline; sync from a local path instead"
        )
    meta: dict[str, str] = {}
    old, _ = _open_old(db_path)
    if old is not None:
        meta = old.meta()
        old.close()
    same = meta.get("source") == text
    fetched = download(
        url,
        db_path.parent,
        etag=meta.get("etag") if same else None,
        last_modified=meta.get("last_modified") if same else None,
        progress=progress,
        connect_timeout=connect_timeout,
        max_bytes=MAX_DUMP_BYTES,
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
