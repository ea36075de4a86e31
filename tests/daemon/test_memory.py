"""Memory given back between rounds: the matcher forgets its caches and still matches."""

from __future__ import annotations

import gc
import platform
import weakref

from depsentry.daemon.memory import _malloc_trim, release_memory, settle
from tests.advisories.osvdata import dep, memory_source, record


def test_released_caches_are_empty_and_matching_reloads_them() -> None:
    source = memory_source(
        record("PYSEC-1", "pkg", events=[{"introduced": "0"}, {"fixed": "2.0"}]),
        record(
            "GHSA-x", "pkg", events=[{"introduced": "0"}, {"fixed": "2.0"}], aliases=["PYSEC-1"]
        ),
    )
    first = source.match([dep("pkg", "1.0")])
    assert [v.id for v in first] == ["PYSEC-1"]
    assert source._packages and source._memo and source._found

    release_memory(source)

    assert not (source._packages or source._siblings or source._memo or source._found)
    assert not source._groups
    again = source.match([dep("pkg", "1.0"), dep("pkg", "3.0")])
    assert [(v.id, v.version) for v in again] == [("PYSEC-1", "1.0")]
    assert set(again[0].aliases) >= {"GHSA-x"}


def test_release_without_a_database_still_trims_the_heap() -> None:
    release_memory(None)  # the daemon may be idle before its first sync: nothing to drop
    if platform.libc_ver()[0] == "glibc":
        assert _malloc_trim() is not None


class _Node:
    loop: _Node


def test_what_start_up_froze_is_still_collected_between_rounds() -> None:
    """`settle` takes start-up's objects out of the collector's walks; a cycle among them that is
    dropped later (an old config after a reload) still goes at the next release."""
    node = _Node()
    node.loop = node
    gone = weakref.ref(node)
    try:
        settle()
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        assert gone() is not None  # frozen: a collection during a round leaves it alone
        release_memory(None)
        assert gone() is None
        assert gc.get_freeze_count() > 0  # and what is left is frozen again
    finally:
        gc.unfreeze()
