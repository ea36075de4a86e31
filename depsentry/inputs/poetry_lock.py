"""poetry.lock: exact pins of every package Poetry resolved (lock-version 1.x and 2.x)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from depsentry.errors import InputError
from depsentry.inputs.common import (
    lock_hashes,
    lock_version,
    locked_entry,
    not_from_index,
    package_entries,
    require_table,
    string_list,
)
from depsentry.inputs.interface import InputReader
from depsentry.inputs.toml_lines import load_toml
from depsentry.models import Dependency, Skipped

__all__ = ["PoetryLockReader"]

_LOCAL_SOURCES = ("git", "directory", "file", "url")


class PoetryLockReader(InputReader):
    """Reads `[[package]]` entries of poetry.lock; `direct` is left to the project merge."""

    name = "poetry-lock"
    is_lockfile = True

    def read(self, path: Path) -> Iterator[Dependency | Skipped]:
        data, lines = load_toml(path)
        if "metadata" not in data:
            raise InputError("not a poetry.lock: no [metadata] table", path)
        metadata = require_table(data["metadata"], "[metadata]", path)
        lock_version(metadata.get("lock-version"), (1, 2), "poetry.lock lock-version", path)
        for source, package in package_entries(data, lines, "package", path):
            if isinstance(package, Skipped):
                yield package
                continue
            groups = string_list(package.get("groups")) or string_list(package.get("category"))
            origin = package.get("source")
            if isinstance(origin, Mapping) and origin.get("type") in _LOCAL_SOURCES:
                editable = package.get("develop") is True
                yield not_from_index(
                    f"{package.get('name')} ({origin.get('type')} {origin.get('url')})",
                    package.get("name"),
                    source,
                    origin="editable local package" if editable else f"{origin.get('type')} source",
                    editable=editable,
                )
                continue
            yield locked_entry(
                package.get("name"),
                package.get("version"),
                source,
                groups=groups,
                markers=package.get("markers"),
                hashes=lock_hashes(package),
            )
