"""A loopback index holding a few projects, and a factory for clients that talk to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from depsentry.index import HttpCache, PackageIndex
from tests.index.helpers import Clock, demo_files
from tests.servers.index_server import IndexFile, IndexServer


@pytest.fixture
def server() -> Iterator[IndexServer]:
    with IndexServer({"demo": demo_files(), "other-pkg": [IndexFile("other_pkg-0.1.zip")]}) as srv:
        yield srv


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_index(tmp_path: Path, clock: Clock) -> Iterator[Callable[..., PackageIndex]]:
    """Build clients with a per-test cache, short timeouts and fast backoff; closed at teardown."""
    made: list[PackageIndex] = []

    def make(url: str, **kwargs: Any) -> PackageIndex:
        kwargs.setdefault("cache", HttpCache(tmp_path / "http-cache", clock=clock))
        kwargs.setdefault("timeout", 2.0)
        kwargs.setdefault("backoff", 0.01)
        kwargs.setdefault("netrc_file", tmp_path / "no-netrc")
        kwargs.setdefault("env", {})
        index = PackageIndex(url, **kwargs)
        made.append(index)
        return index

    yield make
    for index in made:
        index.close()
