"""Alias groups through the committed-groups cache: answers from it must be what the database
would say, also when a set the cache cannot answer folds groups it did answer for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from depsentry.daemon.store import Store
from depsentry.daemon.store.aliases import GroupCache, resolve_groups
from depsentry.daemon.store.engine import writing

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 's.sqlite3'}")
    yield opened
    opened.close()


def resolve(store: Store, cache: GroupCache, *sets: tuple[str, set[str]]) -> list[int]:
    learning = cache.begin()
    with writing(store.engine) as conn:
        groups = resolve_groups(conn, [(p, frozenset(ids)) for p, ids in sets], NOW, learning)
    cache.keep(learning)
    return [g.id for g in groups]


def test_cached_sets_and_new_ones_resolve_together(store: Store) -> None:
    cache = GroupCache()
    (a,) = resolve(store, cache, ("GHSA-A", {"CVE-1"}))
    assert set(cache.groups) == {"GHSA-A", "CVE-1"}
    # one set the cache answers, one it cannot: only the second goes to the database
    first, second = resolve(store, cache, ("CVE-1", set()), ("GHSA-B", set()))
    assert first == a and second != a
    assert resolve(store, GroupCache(), ("CVE-1", set()), ("GHSA-B", set())) == [first, second]


def test_a_fold_by_an_uncached_set_moves_the_cached_answers_too(store: Store) -> None:
    cache = GroupCache()
    old, young = resolve(store, cache, ("GHSA-A", set()), ("GHSA-B", set()))
    assert old < young
    # GHSA-B is cached in the younger group; GHSA-C links both groups: the younger folds away
    answers = resolve(store, cache, ("GHSA-B", set()), ("GHSA-C", {"GHSA-A", "GHSA-B"}))
    assert answers == [old, old]
    assert resolve(store, GroupCache(), ("GHSA-B", set())) == [old]
    assert cache.groups == {}  # folded: nothing cached is trusted any more


def test_a_fold_empties_the_cache_before_its_transaction_commits(store: Store) -> None:
    """Writes sharing one transaction (group commit) learn apart; the fold must not leave the
    next of them a cached group that no longer exists."""
    cache = GroupCache()
    old, young = resolve(store, cache, ("GHSA-A", set()), ("GHSA-B", set()))
    with writing(store.engine) as conn:
        folding = cache.begin()
        resolve_groups(conn, [("GHSA-C", frozenset({"GHSA-A", "GHSA-B"}))], NOW, folding)
        later = cache.begin()  # the next write of the same batch
        (group,) = resolve_groups(conn, [("GHSA-B", frozenset())], NOW, later)
    assert group.id == old
