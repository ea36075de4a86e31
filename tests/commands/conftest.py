"""Fixtures for the end-to-end command tests: an isolated state directory, advisory data, an index."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands.scenario import SNAPSHOT, index_projects, write_osv
from tests.servers.index_server import IndexServer


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DEPSENTRY_HOME in tmp_path, so no test sees a real synced database or HTTP cache."""
    state = tmp_path / "home"
    monkeypatch.setenv("DEPSENTRY_HOME", str(state))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))  # fix's uv checks
    monkeypatch.delenv("DEPSENTRY_LOG_LEVEL", raising=False)
    return state


@pytest.fixture
def osv(tmp_path: Path) -> Path:
    """The tiny OSV database of `scenario.RECORDS`."""
    return write_osv(tmp_path / "osv")


@pytest.fixture(scope="session")
def snapshot_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real OSV snapshot imported once per session; tests copy the import into their home."""
    if not SNAPSHOT.is_dir():
        pytest.skip(f"the OSV snapshot {SNAPSHOT} is not on this machine")
    from depsentry.advisories.resolve import open_advisories

    state = tmp_path_factory.mktemp("snapshot-home")
    open_advisories(osv_db=SNAPSHOT, offline=True, home=state).store.close()
    return state / "osv-db-cache"


@pytest.fixture
def snapshot(home: Path, snapshot_cache: Path) -> Path:
    """`--osv-db` value for the real snapshot, already imported into this test's home."""
    shutil.copytree(snapshot_cache, home / "osv-db-cache")
    return SNAPSHOT


@pytest.fixture
def index() -> Iterator[IndexServer]:
    """The loopback index of `scenario.index_projects()`."""
    with IndexServer(index_projects()) as server:
        yield server
