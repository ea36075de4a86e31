"""pdm.lock: exact pins of every package PDM resolved (lock_version 3.x and 4.x).

https://pdm-project.org/en/latest/usage/lockfile/
"""

from __future__ import annotations

from collections.abc import Iterator
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

__all__ = ["PdmLockReader"]

_NOT_INDEX = ("git", "url", "path")


class PdmLockReader(InputReader):
    """Reads `[[package]]` of pdm.lock; its `groups` become the dependency's groups."""

    name = "pdm-lock"
    is_lockfile = True

    def read(self, path: Path) -> Iterator[Dependency | Skipped]:
        data, lines = load_toml(path)
        if "metadata" not in data:
            raise InputError("not a pdm.lock: no [metadata] table", path)
        metadata = require_table(data["metadata"], "[metadata]", path)
        lock_version(metadata.get("lock_version"), (3, 4), "pdm.lock lock_version", path)
        for source, package in package_entries(data, lines, "package", path):
            if isinstance(package, Skipped):
                yield package
                continue
            name, marker = package.get("name"), package.get("marker")
            editable = package.get("editable") is True
            kind = next((key for key in _NOT_INDEX if key in package), None)
            if kind is not None or editable:
                yield not_from_index(
                    f"{name} ({kind or 'editable'} {package.get(kind or 'path')!r})",
                    name,
                    source,
                    origin="editable package" if editable else f"{kind} source",
                    editable=editable,
                    markers=marker,
                )
                continue
            yield locked_entry(
                name,
                package.get("version"),
                source,
                groups=string_list(package.get("groups")),
                markers=marker,
                hashes=lock_hashes(package),
            )
