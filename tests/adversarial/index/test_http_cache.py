"""The HTTP cache under attack and accident: one file per entry, written atomically; truncated,
corrupted, swapped or non-regular entries are misses, never crashes or hangs; Age counts."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

from depsentry.index import HttpCache

URL = "https://pypi.org/simple/demo/"


def entry_path(root: Path, url: str = URL) -> Path:
    return root / f"{hashlib.sha256(url.encode()).hexdigest()}.entry"


def test_one_file_per_entry(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    cache.store(URL, {"etag": '"a"', "cache-control": "max-age=60"}, b"body")
    assert [p.name for p in tmp_path.iterdir()] == [entry_path(tmp_path).name]


def test_truncated_or_corrupted_entries_are_misses(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    cache.store(URL, {"etag": '"a"', "cache-control": "max-age=60"}, b"x" * 1000)
    path = entry_path(tmp_path)
    data = path.read_bytes()
    for broken in (data[:-1], data[:10], data[:-5] + b"yyyyy", b"", b"\n" + data, b"\xff" * 50):
        path.write_bytes(broken)
        assert cache.get(URL) is None


def test_another_urls_entry_under_this_name_is_a_miss(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    cache.store("https://pypi.org/simple/other/", {"cache-control": "max-age=60"}, b"other")
    os.replace(entry_path(tmp_path, "https://pypi.org/simple/other/"), entry_path(tmp_path))
    assert cache.get(URL) is None


def test_a_fifo_or_directory_entry_is_a_miss_not_a_hang(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    os.mkfifo(entry_path(tmp_path))
    assert cache.get(URL) is None
    os.unlink(entry_path(tmp_path))
    entry_path(tmp_path).mkdir()
    assert cache.get(URL) is None
    assert cache.store(URL, {"cache-control": "max-age=60"}, b"b") is not None  # logged, no crash


def test_concurrent_writers_never_pair_a_body_with_another_etag(tmp_path: Path) -> None:
    """Two runs storing different answers for one URL at once: every read is one answer."""
    stop = threading.Event()
    bad: list[tuple[str | None, bytes]] = []

    def writer(tag: str) -> None:
        cache = HttpCache(tmp_path)
        while not stop.is_set():
            cache.store(
                URL, {"etag": f'"{tag}"', "cache-control": "max-age=60"}, tag.encode() * 5000
            )

    def reader() -> None:
        cache = HttpCache(tmp_path)
        while not stop.is_set():
            entry = cache.get(URL)
            if entry is not None and entry.body != (entry.etag or "").strip('"').encode() * 5000:
                bad.append((entry.etag, entry.body[:10]))

    threads = [threading.Thread(target=writer, args=(t,)) for t in "ab"]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join()
    assert bad == []


def test_age_shortens_freshness(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path, clock=lambda: 1000.0)
    entry = cache.store(URL, {"cache-control": "max-age=600", "age": "550"}, b"b")
    assert entry is not None
    assert entry.is_fresh(1049.0) and not entry.is_fresh(1051.0)
    stale = cache.store(URL, {"cache-control": "max-age=600", "age": "9999"}, b"b")
    assert stale is not None and not stale.is_fresh(1000.0)
    assert cache.get(URL) == stale


def test_age_after_a_304_counts_too(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path, clock=lambda: 1000.0)
    entry = cache.store(URL, {"cache-control": "max-age=600"}, b"b")
    assert entry is not None
    refreshed = cache.refresh(entry, {"cache-control": "max-age=100", "age": "90"})
    assert refreshed.is_fresh(1009.0) and not refreshed.is_fresh(1011.0)
    assert refreshed.body == b"b"


def test_bad_age_and_expires_values(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path, clock=lambda: 1000.0)
    for age in ("-5", "abc", "1e9", "9" * 5000):
        entry = cache.store(URL, {"cache-control": "max-age=60", "age": age}, b"b")
        assert entry is not None and entry.max_age == 60
    huge = cache.store(URL, {"cache-control": "max-age=" + "9" * 5000}, b"b")
    assert huge is not None and huge.max_age <= 10 * 365 * 86400
    expires = cache.store(
        URL,
        {"date": "Mon, 01 Jan 2024 00:00:00 GMT", "expires": "Mon, 01 Jan 2024 00:05:00 GMT"},
        b"b",
    )
    assert expires is not None and expires.max_age == 300
    invalid = cache.store(URL, {"expires": "0"}, b"b")
    assert invalid is not None and invalid.max_age == 0


def test_stale_temporary_files_of_killed_runs_are_swept(tmp_path: Path) -> None:
    old = tmp_path / ".tmp-killed"
    old.write_bytes(b"half an entry")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    recent = tmp_path / ".tmp-running"
    recent.write_bytes(b"another run, writing now")
    HttpCache(tmp_path).store(URL, {"cache-control": "max-age=60"}, b"b")
    assert not old.exists() and recent.exists()


def test_the_old_two_file_layout_is_ignored_and_cleaned(tmp_path: Path) -> None:
    key = hashlib.sha256(URL.encode()).hexdigest()
    (tmp_path / f"{key}.json").write_text(json.dumps({"url": URL}))
    (tmp_path / f"{key}.body").write_bytes(b"old")
    cache = HttpCache(tmp_path)
    assert cache.get(URL) is None
    cache.store(URL, {"cache-control": "max-age=60"}, b"new")
    assert not (tmp_path / f"{key}.json").exists() and not (tmp_path / f"{key}.body").exists()
