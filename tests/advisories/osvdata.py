"""Helpers shared by the OSV database tests: build records, stores and dependencies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from depsentry.advisories.osv_db import OsvDbSource
from depsentry.advisories.osv_record import parse_record
from depsentry.advisories.osv_store import OsvStore
from depsentry.models import Dependency, Source
from tests.paths import PYPA_DB

PYPA_REASON = f"real advisory snapshot not present at {PYPA_DB}"


def record(
    rid: str, package: str = "pkg", *, events: list[dict[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    """An OSV record with one ECOSYSTEM range (or only `extra['affected']` when given)."""
    raw: dict[str, Any] = {
        "id": rid,
        "modified": "2024-01-01T00:00:00Z",
        "summary": f"{rid} summary",
    }
    if events is not None:
        raw["affected"] = [
            {
                "package": {"ecosystem": "PyPI", "name": package},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ]
    raw.update(extra)
    return raw


def memory_source(*records: dict[str, Any]) -> OsvDbSource:
    store = OsvStore.create(":memory:")
    for raw in records:
        parsed, _ = parse_record(raw)
        assert parsed is not None, raw
        store.add(parsed, raw["id"])
    store.commit()
    return OsvDbSource(store, source="test")


def dep(name: str, version: str) -> Dependency:
    return Dependency(name, version, True, Source("requirements.txt", 1))


def write_records(directory: Path, *records: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for raw in records:
        (directory / f"{raw['id']}.json").write_text(json.dumps(raw))
