"""uv.lock: exact pins of every package uv resolved (lock `version = 1`).

https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from depsentry.inputs.common import (
    array_of_tables,
    lock_hashes,
    lock_version,
    locked_entry,
    package_entries,
)
from depsentry.inputs.interface import InputReader
from depsentry.inputs.toml_lines import load_toml
from depsentry.models import Dependency, SkipKind, Skipped
from depsentry.names import canonical_name

__all__ = ["UvLockReader"]

_REMOTE_SOURCES = ("git", "url", "path", "directory")
_LOCAL_SOURCES = ("editable", "virtual")


class UvLockReader(InputReader):
    """Reads uv.lock; the project's own package is left out, its requirements are `direct`."""

    name = "uv-lock"
    is_lockfile = True

    def read(self, path: Path) -> Iterator[Dependency | Skipped]:
        data, lines = load_toml(path)
        lock_version(data.get("version"), (1,), "uv.lock version", path)
        packages = array_of_tables(data, "package", path)
        direct = _direct_groups(packages)
        for source, package in package_entries(data, lines, "package", path):
            if isinstance(package, Skipped):
                yield package
                continue
            name = package.get("name")
            canonical = canonical_name(name) if isinstance(name, str) else None
            is_direct = canonical in direct
            origin = package.get("source")
            origin = origin if isinstance(origin, Mapping) else {}
            local = next((key for key in _LOCAL_SOURCES if key in origin), None)
            if local is not None:
                if origin[local] == ".":
                    continue  # the project itself
                yield Skipped(
                    requirement=f"{name} ({local} = {origin[local]!r})",
                    reason=f"local {local} workspace package, not from a package index",
                    source=source,
                    kind=SkipKind.EDITABLE if local == "editable" else SkipKind.OTHER,
                    name=canonical,
                    direct=is_direct,
                )
                continue
            remote = next((key for key in _REMOTE_SOURCES if key in origin), None)
            if remote is not None:
                yield Skipped(
                    requirement=f"{name} ({remote} = {origin[remote]!r})",
                    reason=f"{remote} source, not from a package index",
                    source=source,
                    kind=SkipKind.URL,
                    name=canonical,
                    direct=is_direct,
                )
                continue
            yield locked_entry(
                name,
                package.get("version"),
                source,
                direct=is_direct,
                groups=tuple(sorted(direct.get(canonical or "", ()))),
                hashes=lock_hashes(package),
            )


def _direct_groups(packages: list[object]) -> dict[str, set[str]]:
    """Names the local (editable/virtual) packages require -> the extras/groups naming them."""
    direct: dict[str, set[str]] = {}
    for package in packages:
        if not isinstance(package, Mapping):
            continue
        origin = package.get("source")
        if not (isinstance(origin, Mapping) and any(key in origin for key in _LOCAL_SOURCES)):
            continue
        _add(direct, package.get("dependencies"), None)
        for key in ("optional-dependencies", "dev-dependencies"):
            table = package.get(key)
            if isinstance(table, Mapping):
                for group, items in table.items():
                    _add(direct, items, group)
    return direct


def _add(direct: dict[str, set[str]], items: Any, group: str | None) -> None:
    if not isinstance(items, list):
        return
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            groups = direct.setdefault(canonical_name(item["name"]), set())
            if group is not None:
                groups.add(group)
