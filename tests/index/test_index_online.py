"""One look at the real PyPI; skipped (not failed) when it cannot be reached."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from depsentry.index import HttpCache, IndexFailure, PackageIndex
from depsentry.models.releases import ProjectReleases


@pytest.mark.online
def test_pypi_json_api_answers_for_packaging(tmp_path: Path) -> None:
    try:
        httpx.head("https://pypi.org/simple/", timeout=3.0).close()
    except httpx.HTTPError as exc:
        pytest.skip(f"pypi.org unreachable: {type(exc).__name__}")
    with PackageIndex(cache=HttpCache(tmp_path), timeout=5.0, retries=0, env={}) as index:
        result = index.fetch("packaging")
    if isinstance(result, IndexFailure) and result.kind == "unavailable":
        pytest.skip(f"pypi.org unavailable: {result.reason}")
    assert isinstance(result, ProjectReleases)
    versions = {r.version: r for r in result.releases}
    assert "24.0" in versions and versions["24.0"].upload_time is not None
    assert versions["24.0"].requires_python == ">=3.7"
