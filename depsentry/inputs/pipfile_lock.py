"""Pipfile.lock (pipenv): exact pins in `default` and `develop` (pipfile-spec up to 6)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from depsentry.errors import InputError, reading
from depsentry.inputs.common import locked_entry, not_from_index, require_table, string_list
from depsentry.inputs.files import read_input
from depsentry.inputs.interface import InputReader
from depsentry.models import Dependency, SkipKind, Skipped, Source

__all__ = ["PipfileLockReader"]

_SECTIONS = ("default", "develop")
_LOCATIONS = ("git", "hg", "svn", "bzr", "path", "file")
_KNOWN_SPEC = 6


class PipfileLockReader(InputReader):
    """Reads Pipfile.lock; section `default` or `develop` becomes the dependency's group."""

    name = "pipfile-lock"
    is_lockfile = True

    def read(self, path: Path) -> Iterator[Dependency | Skipped]:
        text = read_input(path)
        with reading(path):
            data = json.loads(text)
        document = require_table(data, "Pipfile.lock", path)
        meta = document.get("_meta")
        spec = meta.get("pipfile-spec") if isinstance(meta, Mapping) else None
        if not isinstance(spec, int) or isinstance(spec, bool):
            raise InputError(
                f"not a Pipfile.lock: missing or malformed _meta.pipfile-spec ({spec!r})", path
            )
        if spec > _KNOWN_SPEC:
            raise InputError(
                f"unsupported pipfile-spec {spec} (this depsentry reads up to {_KNOWN_SPEC})", path
            )
        lines = text.split("\n")
        where = str(path)
        for section in _SECTIONS:
            if section not in document:
                continue
            packages = require_table(document[section], f'"{section}"', path)
            cursor = _find(lines, f'"{section}"', 1) or 1
            for raw_name, entry in packages.items():
                cursor = _find(lines, json.dumps(raw_name) + ":", cursor) or cursor
                yield _entry(raw_name, entry, Source(where, cursor), section)


def _entry(name: str, entry: object, source: Source, section: str) -> Dependency | Skipped:
    if not isinstance(entry, Mapping):
        return Skipped(name, "entry is not an object", source, SkipKind.INVALID)
    markers = entry.get("markers")
    location = next((key for key in _LOCATIONS if key in entry), None)
    if location is not None or entry.get("editable") is True:
        editable = entry.get("editable") is True
        target = entry.get(location) if location is not None else None
        return not_from_index(
            f"{name} ({location or 'editable'} {target!r})",
            name,
            source,
            origin="editable requirement" if editable else f"{location} requirement",
            editable=editable,
        )
    version = entry.get("version")
    if not isinstance(version, str) or not version.startswith("=="):
        return Skipped(
            requirement=f"{name} {version!r}",
            reason="no exact ==version in the lock",
            source=source,
            kind=SkipKind.INVALID if isinstance(version, str) else SkipKind.OTHER,
            name=locked_entry(name, None, source).name,
            direct=False,
        )
    return locked_entry(
        name,
        version[2:].lstrip("="),
        source,
        groups=(section,),
        markers=markers,
        hashes=string_list(entry.get("hashes")),
    )


def _find(lines: list[str], needle: str, start: int) -> int | None:
    for number in range(max(start, 1), len(lines) + 1):
        if needle in lines[number - 1]:
            return number
    return None
