"""pyproject.toml: PEP 621 dependencies and extras, PEP 735 dependency groups, Poetry tables."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from depsentry.errors import InputError
from depsentry.inputs.common import entry_from_requirement, excerpt, require_table, string_list
from depsentry.inputs.interface import InputReader
from depsentry.inputs.poetry_constraint import to_pep440
from depsentry.inputs.toml_lines import TomlLines, load_toml
from depsentry.models import Dependency, SkipKind, Skipped, Source
from depsentry.names import canonical_name

__all__ = ["PyprojectReader"]

Entry = Dependency | Skipped


class PyprojectReader(InputReader):
    """Reads what a pyproject.toml declares (all direct; ranges are `Skipped` UNPINNED)."""

    name = "pyproject"

    def read(self, path: Path) -> Iterator[Entry]:
        data, lines = load_toml(path)
        where = str(path)
        yield from _pep621(data, lines, path, where)
        yield from _dependency_groups(data, lines, path, where)
        tool = data.get("tool")
        if isinstance(tool, Mapping) and "poetry" in tool:
            yield from _poetry(
                require_table(tool["poetry"], "[tool.poetry]", path), lines, path, where
            )


def _strings(
    items: object,
    what: str,
    path: Path,
    lines: TomlLines,
    start: int,
    where: str,
    groups: tuple[str, ...],
) -> Iterator[Entry]:
    if not isinstance(items, list):
        raise InputError(f"{what} is not an array", path, start)
    cursor = start
    for item in items:
        if isinstance(item, str):
            cursor = lines.find_string(item, cursor) or cursor
            yield entry_from_requirement(item, Source(where, cursor), groups=groups)
        else:
            yield Skipped(
                requirement=repr(item),
                reason=f"{what} entry is not a string",
                source=Source(where, cursor),
                kind=SkipKind.INVALID,
            )


def _pep621(data: Mapping[str, Any], lines: TomlLines, path: Path, where: str) -> Iterator[Entry]:
    if "project" not in data:
        return
    project = require_table(data["project"], "[project]", path)
    header = lines.table("project") or 1
    keys = lines.keys(lines.table("project"))
    if "dependencies" in project:
        start = keys.get("dependencies", header)
        yield from _strings(
            project["dependencies"], "[project].dependencies", path, lines, start, where, ()
        )
    elif "dependencies" in string_list(project.get("dynamic")):
        yield Skipped(
            requirement="[project].dependencies",
            reason="declared dynamic; the build backend computes them, not read",
            source=Source(where, keys.get("dynamic", header)),
            kind=SkipKind.OTHER,
        )
    if "optional-dependencies" in project:
        extras = require_table(
            project["optional-dependencies"], "[project.optional-dependencies]", path
        )
        extras_header = lines.table("project", "optional-dependencies")
        extra_keys = lines.keys(extras_header)
        fallback = extras_header or keys.get("optional-dependencies", header)
        for extra, items in extras.items():
            start = extra_keys.get(extra, fallback)
            what = f"[project.optional-dependencies].{extra}"
            yield from _strings(items, what, path, lines, start, where, (extra,))


def _dependency_groups(
    data: Mapping[str, Any], lines: TomlLines, path: Path, where: str
) -> Iterator[Entry]:
    if "dependency-groups" not in data:
        return
    groups = require_table(data["dependency-groups"], "[dependency-groups]", path)
    header = lines.table("dependency-groups") or 1
    keys = lines.keys(lines.table("dependency-groups"))
    for group, items in groups.items():
        start = keys.get(group, header)
        if not isinstance(items, list):
            raise InputError(f"[dependency-groups].{group} is not an array", path, start)
        cursor = start
        for item in items:
            if isinstance(item, Mapping) and "include-group" in item:
                # The included group is read on its own; only a dangling name is worth saying.
                target = item["include-group"]
                if not isinstance(target, str) or target not in groups:
                    what = "unknown dependency group" if isinstance(target, str) else "a non-string"
                    yield Skipped(
                        requirement=excerpt(f"{{include-group = {target!r}}}", 100),
                        reason=f"includes {what} {excerpt(repr(target))}",
                        source=Source(where, cursor),
                        kind=SkipKind.INVALID,
                    )
                continue
            if isinstance(item, str):
                cursor = lines.find_string(item, cursor) or cursor
                yield entry_from_requirement(item, Source(where, cursor), groups=(group,))
            else:
                yield Skipped(
                    requirement=repr(item),
                    reason=f"[dependency-groups].{group} entry is neither a string nor an include-group",
                    source=Source(where, cursor),
                    kind=SkipKind.INVALID,
                )


def _poetry(poetry: Mapping[str, Any], lines: TomlLines, path: Path, where: str) -> Iterator[Entry]:
    tables: list[tuple[tuple[str, ...], object, tuple[str, ...]]] = []
    if "dependencies" in poetry:
        tables.append((("tool", "poetry", "dependencies"), poetry["dependencies"], ()))
    if "dev-dependencies" in poetry:
        tables.append(
            (("tool", "poetry", "dev-dependencies"), poetry["dev-dependencies"], ("dev",))
        )
    if "group" in poetry:
        for group, body in require_table(poetry["group"], "[tool.poetry.group]", path).items():
            table = require_table(body, f"[tool.poetry.group.{group}]", path)
            if "dependencies" in table:
                key: tuple[str, ...] = ("tool", "poetry", "group", group, "dependencies")
                tables.append((key, table["dependencies"], (group,)))
    for key, body, groups in tables:
        what = "[" + ".".join(key) + "]"
        table = require_table(body, what, path)
        header = lines.table(*key)
        keys = lines.keys(header)
        fallback = header or lines.table("tool", "poetry") or 1
        for name, spec in table.items():
            if name.lower() == "python":
                continue
            line = keys.get(name) or lines.table(*key, name) or fallback
            specs = spec if isinstance(spec, list) else [spec]
            for one in specs:
                yield _poetry_entry(name, one, Source(where, line), groups)


def _poetry_entry(name: str, spec: object, source: Source, groups: tuple[str, ...]) -> Entry:
    extras: list[str] = []
    markers = None
    if isinstance(spec, str):
        constraint = spec
    elif isinstance(spec, Mapping):
        for location in ("git", "path", "url"):
            if location in spec:
                editable = location == "path" and spec.get("develop") is True
                return Skipped(
                    requirement=f"{name} = {{{location} = {spec[location]!r}}}",
                    reason=(
                        "editable path dependency, not from a package index"
                        if editable
                        else f"{location} dependency, not from a package index"
                    ),
                    source=source,
                    kind=SkipKind.EDITABLE if editable else SkipKind.URL,
                    name=canonical_name(name),
                )
        constraint = spec.get("version", "*")
        extras = list(string_list(spec.get("extras")))
        markers = spec.get("markers") if isinstance(spec.get("markers"), str) else None
    else:
        constraint = None
    if not isinstance(constraint, str):
        return Skipped(
            requirement=f"{name} = {spec!r}",
            reason="Poetry dependency is neither a version string nor a table with a version",
            source=source,
            kind=SkipKind.INVALID,
        )
    specifier = to_pep440(constraint)
    if specifier is None:
        return Skipped(
            requirement=f"{name} = {constraint!r}",
            reason=f"Poetry constraint {constraint!r} has no PEP 440 equivalent; not pinned",
            source=source,
            kind=SkipKind.UNPINNED,
            name=canonical_name(name),
            markers=markers,
        )
    text = name + (f"[{','.join(extras)}]" if extras else "") + specifier
    if markers:
        text += f"; {markers}"
    entry = entry_from_requirement(text, source, groups=groups)
    if (
        isinstance(entry, Skipped)
        and entry.kind is SkipKind.UNPINNED
        and constraint.strip() not in ("", "*")
    ):
        return Skipped(
            requirement=entry.requirement,
            reason=f"not pinned to an exact version ({constraint.strip()})",
            source=source,
            kind=SkipKind.UNPINNED,
            name=entry.name,
            specifier=entry.specifier,
            markers=entry.markers,
            groups=entry.groups,
        )
    return entry
