"""pylock.toml / pylock.*.toml (PEP 751, lock-version 1.x): exact pins of every locked package.

https://packaging.python.org/en/latest/specifications/pylock-toml/
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from depsentry.inputs.common import (
    lock_hashes,
    lock_version,
    locked_entry,
    not_from_index,
    package_entries,
)
from depsentry.inputs.interface import InputReader
from depsentry.inputs.toml_lines import load_toml
from depsentry.models import Dependency, Skipped

__all__ = ["PylockReader"]

_NOT_INDEX = ("vcs", "directory", "archive")


class PylockReader(InputReader):
    """Reads `[[packages]]` of a PEP 751 lock; a package without a version is `Skipped`."""

    name = "pylock"
    is_lockfile = True

    def read(self, path: Path) -> Iterator[Dependency | Skipped]:
        data, lines = load_toml(path)
        lock_version(data.get("lock-version"), (1,), "pylock lock-version", path)
        for source, package in package_entries(data, lines, "packages", path):
            if isinstance(package, Skipped):
                yield package
                continue
            name, marker = package.get("name"), package.get("marker")
            kind = next((key for key in _NOT_INDEX if key in package), None)
            if kind is not None:
                detail = package[kind]
                if (
                    kind == "directory"
                    and isinstance(detail, Mapping)
                    and detail.get("path") == "."
                ):
                    continue  # the project itself
                editable = (
                    kind == "directory"
                    and isinstance(detail, Mapping)
                    and detail.get("editable") is True
                )
                where_from = (
                    detail.get("url") or detail.get("path") if isinstance(detail, Mapping) else None
                )
                yield not_from_index(
                    f"{name} ({kind} {where_from!r})",
                    name,
                    source,
                    origin="editable directory" if editable else f"{kind} source",
                    editable=editable,
                    markers=marker,
                )
                continue
            yield locked_entry(
                name, package.get("version"), source, markers=marker, hashes=lock_hashes(package)
            )
