"""pip requirements files: nested -r/-c, hashes, markers, extras, continuations, URL/VCS/editable lines.

Hand-written over `packaging.requirements.Requirement`: pip-requirements-parser follows `-r` cycles
until Python's recursion limit and builds an optparse parser per line, which is slow for a daemon.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from depsentry.errors import InputError
from depsentry.inputs.common import entry_from_requirement, excerpt, pin_parts, url_reason
from depsentry.inputs.files import read_input
from depsentry.inputs.interface import InputReader
from depsentry.models import Dependency, SkipKind, Skipped, Source
from depsentry.names import canonical_name
from depsentry.paths import OUTSIDE, RealPaths, confined_text, relative

__all__ = [
    "MAX_INCLUDE_DEPTH",
    "RequirementsReader",
    "RequirementsTree",
    "logical_spans",
    "read_tree",
]

logger = logging.getLogger(__name__)

# pip's own comment rule (pip/_internal/req/req_file.py COMMENT_RE): '#' at the start or after space.
_COMMENT = re.compile(r"(^|\s+)#.*$")
_COMMENT_LINE = re.compile(r"\s*#")  # pip: COMMENT_RE.match, a line that is only a comment
MAX_INCLUDE_DEPTH = 32  # nested -r/-c files; pip-compile layouts use two or three
_OPTION = re.compile(r"(--[A-Za-z-]+|-[A-Za-z])(?:\s*=\s*|\s+)?(.*)")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_INCLUDE = {"-r": False, "--requirement": False, "-c": True, "--constraint": True}
_EDITABLE = ("-e", "--editable")
# Global options pip accepts in a requirements file; they do not name dependencies.
_IGNORED_OPTIONS = frozenset(
    (
        "-i",
        "--index-url",
        "--extra-index-url",
        "--no-index",
        "-f",
        "--find-links",
        "--pre",
        "--trusted-host",
        "--prefer-binary",
        "--require-hashes",
        "--only-binary",
        "--no-binary",
        "--use-feature",
    )
)
_PER_REQUIREMENT_OPTIONS = ("--hash", "--config-settings", "-C", "--global-option")
_ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar")


@dataclass(slots=True)
class RequirementsTree:
    """What one requirements file and everything it includes yield."""

    items: list[Dependency | Skipped] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every file read, the top one first
    constraint_files: list[Path] = field(default_factory=list)


class RequirementsReader(InputReader):
    """Reads `requirements*.txt` and `constraints*.txt` (and any file named directly)."""

    name = "requirements"

    def read(self, path: Path) -> Iterator[Dependency | Skipped]:
        yield from read_tree(path).items


def read_tree(
    path: Path,
    *,
    root: Path | None = None,
    relative_to: Path | None = None,
    real: RealPaths | None = None,
) -> RequirementsTree:
    """Read `path` with its -r/-c includes; raise InputError when nothing in it is readable.

    Includes must stay inside `root` (default: the file's directory) once symlinks are resolved:
    one that leaves it (`-r /proc/self/environ`, `-r ../../etc/shadow`) is never opened.
    `relative_to`: sources name their file relative to it (as `os.path.relpath`), not as read;
    `real`: the scan's path resolutions.
    """
    walker = _Walker(path.parent if root is None else root, relative_to, real)
    walker.walk(path, constraint=False, stack=())
    tree = walker.tree
    # Most trees pin something: `all` stops at the first pin, before `own` is looked for.
    if (
        not walker.options_read
        and all(
            isinstance(item, Skipped) and item.kind in (SkipKind.INVALID, SkipKind.UNREADABLE)
            for item in tree.items
        )
        and (own := [item for item in tree.items if item.source.path == walker.where(path)])
    ):
        first = own[0]
        assert isinstance(first, Skipped)
        raise InputError(
            f"nothing readable; first problem: {first.reason}", path, first.source.line
        )
    if walker.constraints:  # without any, every item stays as it is
        tree.items = [_apply_constraint(item, walker.constraints) for item in tree.items]
    return tree


class _Walker:
    def __init__(self, root: Path, relative_to: Path | None, real: RealPaths | None) -> None:
        self.root = root
        self.relative_to = relative_to
        self.real = RealPaths() if real is None else real
        self.tree = RequirementsTree()
        self.constraints: dict[str, list[Dependency]] = {}
        self.seen: set[str] = set()
        self.options_read = 0  # index/install options: readable lines that name no dependency
        self._where: dict[Path, str] = {}

    def where(self, path: Path) -> str:
        """The file as its entries' sources name it."""
        if self.relative_to is None:
            return str(path)
        known = self._where.get(path)
        if known is None:
            known = self._where[path] = relative(path, self.relative_to)
        return known

    def walk(
        self, path: Path, *, constraint: bool, stack: tuple[str, ...], key: str | None = None
    ) -> None:
        """`key`: the file resolved (an include's is); for the top file, resolved only once
        it names an include, before any is followed (it alone can meet `seen` or the stack)."""
        if key is not None:
            self.seen.add(key)
        text = read_input(path)
        (self.tree.constraint_files if constraint else self.tree.files).append(path)
        where = self.where(path)
        items = self.tree.items
        for number, line in _logical_lines(text):
            if line[0] == "-":
                if key is None:
                    key = self.real(path)
                    self.seen.add(key)
                self._option(path, line, Source(where, number), constraint, (*stack, key))
                continue
            item = _requirement(line, Source(where, number))
            if not constraint:
                items.append(item)  # bad lines too: project.py warns once the project is readable
            elif isinstance(item, Dependency):
                self.constraints.setdefault(item.name, []).append(item)
            elif item.kind is SkipKind.INVALID:
                items.append(item)

    def _add(self, item: Dependency | Skipped) -> None:
        self.tree.items.append(item)

    def _option(
        self, path: Path, line: str, source: Source, constraint: bool, stack: tuple[str, ...]
    ) -> None:
        match = _OPTION.fullmatch(line)
        option, value = (match.group(1), match.group(2).strip()) if match else (line, "")
        if option in _INCLUDE:
            if not value:
                self._add(_invalid(line, f"{option} needs a file name", source))
                return
            self._include(path, value, line, source, constraint or _INCLUDE[option], stack)
        elif option in _EDITABLE:
            self._add(
                Skipped(
                    requirement=excerpt(line, 200),
                    reason="editable requirement, not from a package index",
                    source=source,
                    kind=SkipKind.EDITABLE,
                    name=_name_from_location(value),
                )
            )
        elif option in _IGNORED_OPTIONS:
            self.options_read += 1
        else:
            self._add(_invalid(line, f"unknown option {excerpt(option)}", source))

    def _include(
        self,
        path: Path,
        value: str,
        line: str,
        source: Source,
        constraint: bool,
        stack: tuple[str, ...],
    ) -> None:
        shown = excerpt(value, 200)
        if "://" in value:
            self._add(_invalid(line, "remote requirement files are not fetched", source))
            return
        if len(stack) >= MAX_INCLUDE_DEPTH:
            reason = f"includes nested deeper than {MAX_INCLUDE_DEPTH} files; {shown} not read"
            self._add(_invalid(line, reason, source))
            return
        target = path.parent / value
        try:
            key = confined_text(
                target, [self.root], what="include", error=InputError, real=self.real
            )
        except InputError:
            reason = f"included file {shown} is {OUTSIDE}, not read"
            self._add(_unreadable(line, reason, source))
            return
        except (OSError, ValueError) as exc:
            reason = f"cannot read included file {shown}: {excerpt(str(exc), 100)}"
            self._add(_unreadable(line, reason, source))
            return
        if key in stack:
            chain = " -> ".join(os.path.basename(p) for p in (*stack, key))
            self._add(_invalid(line, f"include cycle ({chain}); not followed again", source))
            return
        if key in self.seen:
            return  # already read through another include (a diamond, not a cycle)
        try:
            self.walk(target, constraint=constraint, stack=stack, key=key)
        except InputError as exc:
            self._add(
                _unreadable(line, f"cannot read included file {shown}: {exc.message}", source)
            )


def logical_spans(lines: Sequence[str]) -> Iterator[tuple[int, int]]:
    """(first, last) 0-based indexes of each logical line, joined as pip joins them
    (req_file.join_lines): a line ending in a backslash continues unless it is a comment line.

    The one tokenizer of requirements files: the reader and the pin writer both use it.
    """
    start: int | None = None
    for index, raw in enumerate(lines):
        line = raw.rstrip("\r\n")
        if line.endswith("\\") and not _COMMENT_LINE.match(line):
            if start is None:
                start = index
            continue
        yield (index if start is None else start), index
        start = None
    if start is not None:
        yield start, len(lines) - 1


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each non-empty line, continuations joined, comments gone."""
    lines = text.splitlines()
    if "\\" not in text:  # no continuation: each line is its own span (most files)
        for number, line in enumerate(lines, 1):
            if "#" in line:
                line = _COMMENT.sub("", line)
            line = line.strip()
            if line:
                yield number, line
        return
    for first, last in logical_spans(lines):
        # Every line of a span but the last ends in a continuation backslash; the last may be a
        # comment line (which ends the span and adds nothing) or, at the end of the file, one
        # more continuation.
        tail = lines[last]
        if first != last and _COMMENT_LINE.match(tail):
            tail = ""
        elif tail.endswith("\\") and (first != last or not _COMMENT_LINE.match(tail)):
            tail = tail[:-1]
        line = "".join([raw[:-1] for raw in lines[first:last]] + [tail]) if first != last else tail
        if "#" in line:
            line = _COMMENT.sub("", line)
        line = line.strip()
        if line:
            yield first + 1, line


def _requirement(line: str, source: Source) -> Dependency | Skipped:
    parts = _cached_plain(line) if len(line) <= _CACHED_LINE else None
    if parts is not None:  # a plain pin, most lines: what the steps below make of it
        name, version, specifier = parts
        return Dependency(
            name=name, version=version, direct=True, source=source, specifier=specifier
        )
    requirement, hashes = _split_options(line)
    if _is_location(requirement):
        return Skipped(
            requirement=requirement,
            reason=_location_reason(requirement),
            source=source,
            kind=SkipKind.URL,
            name=_name_from_location(requirement),
        )
    return entry_from_requirement(requirement, source, hashes=hashes)


def _plain(line: str) -> tuple[str, str, str] | None:
    """`pin_parts` of a line `_requirement` would make a plain pin of: no option (`--hash`) and
    no archive suffix (`x==1.0+local.zip` is a location), so nothing else to look at."""
    if " -" in line or "\t-" in line or line.lower().endswith(_ARCHIVES):
        return None
    return pin_parts(line)


# The same pins recur across a scan's projects; a long line is not kept (nor is it a pin).
_CACHED_LINE = 256
_cached_plain = lru_cache(maxsize=1 << 14)(_plain)


def _split_options(line: str) -> tuple[str, tuple[str, ...]]:
    """Split `req --hash=sha256:x --hash sha256:y` like pip: the requirement ends at the first option."""
    if " -" not in line and "\t-" not in line:
        return line, ()
    tokens = line.split()
    # The line does not start with "-" (options lines are handled apart), so index >= 1.
    index = next(i for i, token in enumerate(tokens) if token.startswith("-"))
    requirement = " ".join(tokens[:index])
    hashes: list[str] = []
    rest = tokens[index:]
    for position, token in enumerate(rest):
        if token.startswith("--hash="):
            hashes.append(token[len("--hash=") :])
        elif token == "--hash" and position + 1 < len(rest):
            hashes.append(rest[position + 1])
    return requirement, tuple(hashes)


def _is_location(requirement: str) -> bool:
    head = requirement.split(";", 1)[0].strip()
    if "@" in head.split("://", 1)[0]:
        return False  # PEP 508 `name @ url`: packaging parses it
    lowered = head.lower()
    return (
        "://" in lowered
        or lowered.startswith(("file:", ".", "/", "~", "\\"))
        or (len(head) > 1 and head[1] == ":")
        or lowered.endswith(_ARCHIVES)
    )


def _location_reason(location: str) -> str:
    return url_reason(location if "://" in location or location.startswith("file:") else "")


def _name_from_location(location: str) -> str | None:
    egg = _EGG.search(location)
    if egg is not None:
        return canonical_name(egg.group(1))
    base = location.rstrip("/").rsplit("/", 1)[-1]
    if base.endswith(".whl") and "-" in base:
        return canonical_name(base.split("-", 1)[0])
    return None


def _apply_constraint(
    item: Dependency | Skipped, constraints: dict[str, list[Dependency]]
) -> Dependency | Skipped:
    """An unpinned requirement takes a -c pin's version, as pip does (when the range allows it):
    the first pin of its name whose markers hold for this interpreter, as pip ignores the rest."""
    if not isinstance(item, Skipped) or item.kind is not SkipKind.UNPINNED or item.name is None:
        return item
    pin = next((p for p in constraints.get(item.name, ()) if _applies(p.markers)), None)
    if pin is None:
        return item

    # Only -c files need it: packaging.specifiers (and markers) stay out of a plain scan.
    from packaging.specifiers import SpecifierSet

    # item.specifier is packaging's own rendering of a parsed SpecifierSet, so it parses again.
    if not SpecifierSet(item.specifier or "").contains(pin.version, prereleases=True):
        return dataclasses.replace(
            item,
            reason=f"{item.reason}; constraint {pin.version} at {pin.source} does not satisfy it",
        )
    return Dependency(
        name=item.name,
        version=pin.version,
        direct=item.direct,
        source=pin.source,
        markers=item.markers,
        hashes=pin.hashes,
        specifier=item.specifier,
    )


def _applies(markers: str | None) -> bool:
    if markers is None:
        return True
    from packaging.markers import Marker  # only constraint pins with markers need it

    # `markers` is packaging's own rendering of a parsed marker, so it parses again.
    return Marker(markers).evaluate()


def _invalid(line: str, reason: str, source: Source) -> Skipped:
    return Skipped(requirement=excerpt(line), reason=reason, source=source, kind=SkipKind.INVALID)


def _unreadable(line: str, reason: str, source: Source) -> Skipped:
    return Skipped(
        requirement=excerpt(line, 100), reason=reason, source=source, kind=SkipKind.UNREADABLE
    )
