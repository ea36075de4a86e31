"""Write a bumped pin back into a requirements file or a pyproject.toml, changing nothing else;
add new requirements to either (`add_requirements`, for the dependencies a codemod's rewrite needs).

Requirements files are edited as text: no library writes them back format-preserving (pip's
parser and pip-requirements-parser both lose comments and continuations), so we touch only the
version of the one logical line and its `--hash` options. pyproject.toml goes through tomlkit,
which keeps comments, order and quoting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from tomlkit.items import Array, InlineTable, String, Table

from depsentry.errors import InputError, reading
from depsentry.inputs.files import read_input
from depsentry.inputs.requirements import logical_spans

__all__ = ["AddResult", "BumpResult", "add_requirements", "bump_pyproject", "bump_requirements"]


@dataclass(frozen=True)
class BumpResult:
    """The new text of a file (unchanged when nothing matched) and warnings for the user."""

    text: str
    changed: bool
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddResult:
    """The new text of a file and the requirements that were not declared in it yet."""

    text: str
    added: tuple[str, ...]


def _name_pattern(name: str) -> str:
    # PEP 503: runs of -, _ and . are equivalent, and case does not matter.
    parts = re.split(r"[-_.]+", name)
    return r"[-_.]+".join(re.escape(p) for p in parts)


_HASH = re.compile(r"\s*--hash[=\s]\s*\S+")
_COMMENT = re.compile(r"(^|\s+)#.*$")  # pip's COMMENT_RE, as the reader uses it


def bump_requirements(
    path: Path,
    name: str,
    old: str,
    new: str,
    *,
    line: int | None = None,
    hashes: Sequence[str] | None = None,
    text: str | None = None,
) -> BumpResult:
    """Change `name==old` to `name==new` in a requirements file's text.

    `line` (1-based) picks the logical line when known; when earlier bumps moved it (a hash
    list that grew), the one logical line pinning `name==old` is used. Existing `--hash` options
    are replaced by `hashes` when given, else removed with a warning (stale hashes would fail
    every install); they go before an inline comment, where pip reads them. `text` is the current
    content when earlier bumps already changed it in memory.
    """
    if text is None:
        text = read_input(path)
    lines = text.splitlines(keepends=True)
    pin = re.compile(
        rf"^(?P<pre>\s*{_name_pattern(name)}\s*(\[[^\]]*\])?\s*===?\s*){re.escape(old)}(?=[\s;#\\,]|$)",
        re.IGNORECASE,
    )
    found = [
        (first, last, match)
        for first, last in logical_spans(lines)
        if (match := pin.match(lines[first])) is not None
    ]
    if line is not None:
        at_line = [f for f in found if f[0] <= line - 1 <= f[1]]
        found = at_line or (found if len(found) == 1 else [])
    for first, last, match in found[:1]:
        lines[first] = match.group("pre") + new + lines[first][match.end() :]
        warnings: list[str] = []
        span = lines[first : last + 1]
        if any("--hash" in part for part in span):
            span, warning = _replace_hashes(span, hashes, name)
            if warning:
                warnings.append(f"{path}: {warning}")
            lines[first : last + 1] = span
        return BumpResult("".join(lines), True, tuple(warnings))
    where = f" at line {line}" if line is not None else ""
    raise InputError(f"no pin {name}=={old}{where} to update", path, line)


def _replace_hashes(
    span: list[str], hashes: Sequence[str] | None, name: str
) -> tuple[list[str], str | None]:
    newline = "\r\n" if span[0].endswith("\r\n") else "\n"
    indent = "    "
    for part in span[1:]:
        if "--hash" in part:
            indent = part[: len(part) - len(part.lstrip())]
            break
    stripped = []
    comment = ""
    for part in span:
        body = part.rstrip("\r\n")
        body = body[:-1] if body.endswith("\\") else body
        if comment:
            body = ""  # pip reads nothing of a logical line after its comment
        elif (found := _COMMENT.search(body)) is not None:
            body, comment = body[: found.start()], body[found.start() :].strip()
        body = _HASH.sub("", body).rstrip()
        if body.strip():
            stripped.append(body)
    if hashes:
        stripped.extend(f"{indent}--hash=sha256:{digest}" for digest in hashes)
        warning = None
    else:
        warning = (
            f"removed the --hash options of {name}: regenerate them (or run fix with --hashes)"
        )
    if comment:
        stripped[-1] += f"  {comment}"
    joined = [body + " \\" + newline for body in stripped[:-1]] + [stripped[-1] + newline]
    return joined, warning


_POETRY_TABLES = ("dependencies", "dev-dependencies")


def bump_pyproject(
    path: Path, name: str, old: str, new: str, *, text: str | None = None
) -> BumpResult:
    """Change every exact pin of `name` at `old` to `new` in a pyproject.toml (tomlkit)."""
    with reading(path):
        if text is None:
            text = read_input(path)
        doc = tomlkit.parse(text)
    wanted = canonicalize_name(name)
    changed = False
    arrays: list[object] = []
    project = doc.get("project")
    if isinstance(project, Table):
        arrays.append(project.get("dependencies"))
        optional = project.get("optional-dependencies")
        if isinstance(optional, Table):
            arrays.extend(optional.values())
    groups = doc.get("dependency-groups")
    if isinstance(groups, Table):
        arrays.extend(groups.values())
    for array in arrays:
        if isinstance(array, Array):
            changed |= _bump_pep508_array(array, wanted, old, new)
    poetry = doc.get("tool", {}).get("poetry")
    if isinstance(poetry, Table):
        tables = [poetry.get(key) for key in _POETRY_TABLES]
        group = poetry.get("group")
        if isinstance(group, Table):
            tables.extend(g.get("dependencies") for g in group.values() if isinstance(g, Table))
        for table in tables:
            if isinstance(table, Table):
                changed |= _bump_poetry_table(table, wanted, old, new)
    if not changed:
        raise InputError(f"no exact pin {name}=={old} to update", path)
    return BumpResult(tomlkit.dumps(doc), True)


def _bump_pep508_array(array: Array, wanted: str, old: str, new: str) -> bool:
    changed = False
    for index, item in enumerate(array):
        if not isinstance(item, String):
            continue
        try:
            requirement = Requirement(str(item))
        except InvalidRequirement:
            continue
        specs = list(requirement.specifier)
        if canonicalize_name(requirement.name) != wanted or len(specs) != 1:
            continue
        if specs[0].operator not in ("==", "===") or specs[0].version != old:
            continue
        value = re.sub(rf"(===?\s*){re.escape(old)}", rf"\g<1>{new}", str(item), count=1)
        array[index] = tomlkit.string(value, literal=item.type.is_literal())
        changed = True
    return changed


def _bump_poetry_table(table: Table, wanted: str, old: str, new: str) -> bool:
    changed = False
    for key, value in list(table.items()):
        if canonicalize_name(str(key)) != wanted:
            continue
        if isinstance(value, String) and str(value).lstrip("=").strip() == old:
            prefix = "==" if str(value).startswith("==") else ""
            table[key] = tomlkit.string(prefix + new, literal=value.type.is_literal())
            changed = True
        elif isinstance(value, InlineTable | Table):
            version = value.get("version")
            if isinstance(version, String) and str(version).lstrip("=").strip() == old:
                prefix = "==" if str(version).startswith("==") else ""
                value["version"] = prefix + new
                changed = True
    return changed


_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def add_requirements(path: Path, names: Sequence[str], *, text: str | None = None) -> AddResult:
    """`names` added to a requirements file or a pyproject.toml, those already declared skipped.

    Requirements files get one line per name at the end; a pyproject.toml gets them in
    `[project].dependencies` (PEP 621), else `[tool.poetry.dependencies]` as `name = "*"`.
    """
    with reading(path):
        if text is None:
            text = path.read_text(encoding="utf-8")
        if path.name == "pyproject.toml":
            return _add_to_pyproject(path, tomlkit.parse(text), names)
    declared = set()
    for first, _ in logical_spans(text.splitlines(keepends=True)):
        match = _REQUIREMENT_NAME.match(text.splitlines()[first])
        if match:
            declared.add(canonicalize_name(match.group(1)))
    missing = [name for name in dict.fromkeys(names) if canonicalize_name(name) not in declared]
    if not missing:
        return AddResult(text, ())
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith(("\n", "\r")):
        text += newline
    return AddResult(text + "".join(name + newline for name in missing), tuple(missing))


def _add_to_pyproject(path: Path, doc: tomlkit.TOMLDocument, names: Sequence[str]) -> AddResult:
    project = doc.get("project")
    poetry = doc.get("tool", {}).get("poetry")
    if isinstance(project, Table) and "dependencies" not in project.get("dynamic", []):
        array = project.get("dependencies")
        if array is None:
            array = project["dependencies"] = tomlkit.array()
        if not isinstance(array, Array):
            raise InputError("[project].dependencies is not an array", path)
        declared = set()
        for item in array:
            try:
                declared.add(canonicalize_name(Requirement(str(item)).name))
            except InvalidRequirement:
                continue
        missing = [n for n in dict.fromkeys(names) if canonicalize_name(n) not in declared]
        multiline = "\n" in array.as_string()
        for name in missing:
            if multiline:
                array.add_line(name)
            else:
                array.append(name)
    elif isinstance(poetry, Table) and isinstance(poetry.get("dependencies"), Table):
        table = poetry["dependencies"]
        declared = {canonicalize_name(str(key)) for key in table}
        missing = [n for n in dict.fromkeys(names) if canonicalize_name(n) not in declared]
        for name in missing:
            table[name] = "*"
    else:
        raise InputError("no [project] or [tool.poetry.dependencies] to add requirements to", path)
    return AddResult(tomlkit.dumps(doc), tuple(missing))
