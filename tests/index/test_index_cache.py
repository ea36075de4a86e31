"""The on-disk HTTP cache, counted at the loopback server: fresh, stale, offline, stale-if-error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from depsentry.index import HttpCache, IndexFailure, PackageIndex
from depsentry.models.releases import ProjectReleases
from tests.index.helpers import Clock
from tests.servers.index_server import Fault, IndexServer

MakeIndex = Callable[..., PackageIndex]


def test_fresh_entry_makes_no_request(server: IndexServer, make_index: MakeIndex) -> None:
    first = make_index(server.simple_url).fetch_many(["demo", "other-pkg"])
    second = make_index(server.simple_url).fetch_many(["demo", "other-pkg"])
    assert server.count() == 2
    assert first == second


def test_stale_entry_is_revalidated_with_a_conditional_request(
    server: IndexServer, make_index: MakeIndex, clock: Clock
) -> None:
    first = make_index(server.simple_url).fetch("demo")
    clock.now += server.max_age + 1
    second = make_index(server.simple_url).fetch("demo")
    assert second == first
    assert server.count(conditional=True) == 1
    assert server.seen[-1].headers["if-none-match"].startswith('"')
    # The 304 restarted the entry's max-age: a third scan asks nothing.
    make_index(server.simple_url).fetch("demo")
    assert server.count() == 2


def test_changed_page_replaces_the_entry(
    server: IndexServer, make_index: MakeIndex, clock: Clock
) -> None:
    from tests.servers.index_server import IndexFile

    make_index(server.simple_url).fetch("demo")
    server.projects["demo"].append(IndexFile("demo-9.0.tar.gz"))
    clock.now += server.max_age + 1
    result = make_index(server.simple_url).fetch("demo")
    assert isinstance(result, ProjectReleases)
    assert "9.0" in {r.version for r in result.releases}


def test_offline_uses_the_cache_only_even_when_stale(
    server: IndexServer, make_index: MakeIndex, clock: Clock
) -> None:
    online = make_index(server.simple_url).fetch("demo")
    clock.now += 10 * server.max_age
    offline = make_index(server.simple_url, offline=True)
    results = offline.fetch_many(["demo", "other-pkg"])
    assert results["demo"] == online
    assert results["other-pkg"] == IndexFailure(
        "other-pkg", "not in cache (offline)", "unavailable"
    )
    assert server.count() == 1


def test_stale_copy_is_used_when_the_index_fails(
    server: IndexServer, make_index: MakeIndex, clock: Clock
) -> None:
    cached = make_index(server.simple_url).fetch("demo")
    clock.now += server.max_age + 1
    server.add_fault("/simple/demo/", *[Fault(status=503)] * 4)
    assert make_index(server.simple_url).fetch("demo") == cached


def test_no_store_and_no_cache(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path, clock=lambda: 100.0)
    assert cache.store("http://x/a/", {"cache-control": "no-store"}, b"a") is None
    assert cache.get("http://x/a/") is None
    entry = cache.store("http://x/b/", {"cache-control": "no-cache, max-age=60"}, b"b")
    assert entry is not None and not entry.is_fresh(100.0)
    entry = cache.store("http://x/c/", {"cache-control": "public, max-age=60", "etag": '"e"'}, b"c")
    assert entry is not None and entry.is_fresh(159.0) and not entry.is_fresh(160.0)
    assert cache.get("http://x/c/") == entry


def test_corrupt_entry_is_a_miss(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path)
    cache.store("http://x/a/", {"cache-control": "max-age=60"}, b"a")
    [entry] = tmp_path.glob("*.entry")
    entry.write_text("{not json")
    assert cache.get("http://x/a/") is None


def test_unwritable_cache_still_answers(server: IndexServer, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with PackageIndex(
        server.simple_url, cache=HttpCache(blocker / "cache"), env={}, netrc_file=tmp_path / "x"
    ) as index:
        assert isinstance(index.fetch("demo"), ProjectReleases)
