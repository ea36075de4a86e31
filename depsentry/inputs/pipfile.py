"""Pipfile (pipenv): what `[packages]` and `[dev-packages]` declare (all direct)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from depsentry.inputs.common import (
    entry_from_requirement,
    excerpt,
    require_table,
    string_list,
    url_reason,
)
from depsentry.inputs.interface import InputReader
from depsentry.inputs.toml_lines import load_toml
from depsentry.models import Dependency, SkipKind, Skipped, Source
from depsentry.names import canonical_name

__all__ = ["PipfileReader"]

# Section -> group name, as Pipfile.lock names them.
_SECTIONS = {"packages": "default", "dev-packages": "develop"}
_LOCATIONS = ("git", "hg", "svn", "bzr", "path", "file")


class PipfileReader(InputReader):
    """Reads a Pipfile; `"*"` and ranges are `Skipped` UNPINNED, `"==1.2"` a `Dependency`."""

    name = "pipfile"

    def read(self, path: Path) -> Iterator[Dependency | Skipped]:
        data, lines = load_toml(path)
        where = str(path)
        for section, group in _SECTIONS.items():
            if section not in data:
                continue
            table = require_table(data[section], f"[{section}]", path)
            header = lines.table(section)
            keys = lines.keys(header)
            for name, spec in table.items():
                source = Source(where, keys.get(name) or lines.table(section, name) or header or 1)
                yield _entry(name, spec, source, group)


def _entry(name: str, spec: object, source: Source, group: str) -> Dependency | Skipped:
    extras: list[str] = []
    markers = None
    if isinstance(spec, Mapping):
        location = next((key for key in _LOCATIONS if key in spec), None)
        if location is not None:
            editable = spec.get("editable") is True
            return Skipped(
                requirement=f"{name} = {{{location} = {spec[location]!r}}}",
                reason="editable requirement, not from a package index"
                if editable
                else url_reason(
                    f"{location}+x://" if location in ("git", "hg", "svn", "bzr") else ""
                ),
                source=source,
                kind=SkipKind.EDITABLE if editable else SkipKind.URL,
                name=canonical_name(name),
            )
        version = spec.get("version", "*")
        extras = list(string_list(spec.get("extras")))
        markers = spec.get("markers") if isinstance(spec.get("markers"), str) else None
    else:
        version = spec
    if not isinstance(version, str):
        return Skipped(
            excerpt(f"{name} = {spec!r}"), "version is not a string", source, SkipKind.INVALID
        )
    version = version.strip()
    specifier = "" if version == "*" else version
    if specifier[:1].isdigit():
        specifier = f"=={specifier}"  # pipenv reads a bare version as an exact pin
    elif specifier and not specifier.startswith(("<", ">", "=", "!", "~")):
        # Else `demo = "latest"` would read as a requirement on a package named "demolatest".
        return Skipped(
            excerpt(f"{name} = {version!r}"),
            "version is not a version specifier",
            source,
            SkipKind.INVALID,
            canonical_name(name),
        )
    text = name + (f"[{','.join(extras)}]" if extras else "") + specifier
    if markers:
        text += f"; {markers}"
    return entry_from_requirement(text, source, groups=(group,))
