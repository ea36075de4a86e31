"""Helpers every reader shares: a PEP 508 string or a locked (name, version) -> `Dependency` or
`Skipped`, and one-line errors for values of the wrong type."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from depsentry.errors import InputError
from depsentry.models import Dependency, SkipKind, Skipped, Source
from depsentry.names import canonical_name

if TYPE_CHECKING:
    from depsentry.inputs.toml_lines import TomlLines

__all__ = [
    "MAX_DIGITS",
    "MAX_NAME_LENGTH",
    "MAX_VERSION_LENGTH",
    "array_of_tables",
    "entry_from_requirement",
    "excerpt",
    "first_line",
    "lock_version",
    "locked_entry",
    "parsed_version",
    "pin_parts",
    "require_table",
    "string_list",
]

# `name==1.2.3` with nothing else: most lines of a pinned file; skips packaging's parser.
_FAST_PIN = re.compile(
    r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(===?)\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*"
)
_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
# The one cap on version text, in every format: packaging turns each release segment into an
# int, and Python refuses (ValueError) or slows down on numbers of thousands of digits.
MAX_VERSION_LENGTH = 128
MAX_DIGITS = 32
MAX_NAME_LENGTH = 200  # no index serves longer names; a longer one is noise, or an attack
_MAX_REQUIREMENT = 8000  # generous for markers; packaging's parser is slow on megabytes
_LONG_NUMBER = re.compile(rf"\d{{{MAX_DIGITS + 1}}}")
_EXCERPT = 40


def excerpt(text: str, limit: int = _EXCERPT) -> str:
    """At most `limit` characters of text from a scanned file, escaped as repr escapes them:
    a line that is not a requirement may hold a secret or terminal control codes."""
    shown = repr(text[:limit])[1:-1]
    return f"{shown}..." if len(text) > limit else shown


def version_problem(text: str) -> str | None:
    """Why `text` (a version, or a requirement with its versions and markers) is refused before
    packaging parses it, or None."""
    if _LONG_NUMBER.search(text):
        return f"a number longer than {MAX_DIGITS} digits"
    return None


def first_line(text: str) -> str:
    """The first line of a (possibly multi-line) parser message."""
    return text.strip().split("\n", 1)[0].strip()


@lru_cache(
    maxsize=1 << 14
)  # once per distinct string: 500 projects pin ~2,000 versions 20,000 times
def is_valid_version(version: str) -> bool:
    return parsed_version(version) is not None


@lru_cache(maxsize=8192)  # projects repeat the same few thousand versions
def parsed_version(version: str) -> Version | None:
    """`version` parsed as PEP 440, or None: invalid, or past the length and digit caps."""
    if len(version) > MAX_VERSION_LENGTH or version_problem(version):
        return None
    try:
        return Version(version)
    except (InvalidVersion, ValueError):
        return None


def _version_reason(version: str) -> str:
    if len(version) > MAX_VERSION_LENGTH:
        return (
            f"invalid version: longer than {MAX_VERSION_LENGTH} characters ({excerpt(version)!r})"
        )
    problem = version_problem(version)
    if problem:
        return f"invalid version: {problem} ({excerpt(version)!r})"
    return f"invalid version: {version!r}"


def url_reason(url: str) -> str:
    """Why a URL, VCS or path requirement is not audited, in a few words."""
    lowered = url.lower()
    if lowered.startswith(_VCS_PREFIXES):
        return f"VCS requirement ({url.split('+', 1)[0]}), not from a package index"
    if lowered.startswith("file:") or "://" not in lowered:
        return "local path requirement, not from a package index"
    return "direct URL requirement, not from a package index"


def entry_from_requirement(
    text: str,
    source: Source,
    *,
    direct: bool = True,
    groups: tuple[str, ...] = (),
    hashes: tuple[str, ...] = (),
) -> Dependency | Skipped:
    """A PEP 508 requirement string -> `Dependency` when pinned with ==/===, else `Skipped`."""
    parts = pin_parts(text)
    if parts is not None:
        name, version, specifier = parts
        return Dependency(
            name=name,
            version=version,
            direct=direct,
            source=source,
            hashes=hashes,
            specifier=specifier,
            groups=groups,
        )
    # Only here: packaging.requirements imports packaging.tags, subprocess and sysconfig.
    from packaging.requirements import InvalidRequirement, Requirement

    problem = version_problem(text)
    if problem is not None or len(text) > _MAX_REQUIREMENT:
        return Skipped(
            requirement=excerpt(text),
            reason=f"invalid requirement: {problem or 'too long'} in its versions or markers",
            source=source,
            kind=SkipKind.INVALID,
            direct=direct,
        )
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        return Skipped(
            requirement=excerpt(text),
            reason=f"invalid requirement: {first_line(str(exc))}",
            source=source,
            kind=SkipKind.INVALID,
            direct=direct,
        )
    if len(req.name) > MAX_NAME_LENGTH:
        return Skipped(
            requirement=excerpt(text),
            reason=f"invalid requirement: a name longer than {MAX_NAME_LENGTH} characters",
            source=source,
            kind=SkipKind.INVALID,
            direct=direct,
        )
    name = canonical_name(req.name)
    markers = str(req.marker) if req.marker is not None else None
    if req.url:
        return Skipped(
            requirement=text,
            reason=url_reason(req.url),
            source=source,
            kind=SkipKind.URL,
            name=name,
            direct=direct,
            markers=markers,
        )
    specifier = str(req.specifier)
    for spec in req.specifier:
        if spec.operator in ("==", "===") and not spec.version.endswith(".*"):
            if not is_valid_version(spec.version):
                return Skipped(
                    requirement=excerpt(text, 60),
                    reason=_version_reason(spec.version),
                    source=source,
                    kind=SkipKind.INVALID,
                    name=name,
                    direct=direct,
                    markers=markers,
                )
            return Dependency(
                name=name,
                version=spec.version,
                direct=direct,
                source=source,
                markers=markers,
                extras=tuple(sorted(req.extras)),
                hashes=hashes,
                specifier=specifier,
                groups=groups,
            )
    return Skipped(
        requirement=text,
        reason=f"not pinned to an exact version ({specifier})"
        if specifier
        else "no version specifier",
        source=source,
        kind=SkipKind.UNPINNED,
        name=name,
        specifier=specifier,
        direct=direct,
        markers=markers,
        groups=groups,
    )


def pin_parts(text: str) -> tuple[str, str, str] | None:
    """(canonical name, version, specifier) of `text` when it is `name==version` (or `===`)
    with nothing else and a valid version, without packaging's parser; else None."""
    fast = _FAST_PIN.fullmatch(text)
    if fast is None:
        return None
    name, operator, version = fast.groups()
    if len(name) > MAX_NAME_LENGTH or not is_valid_version(version):
        return None  # the full parser says why
    return canonical_name(name), version, f"{operator}{version}"


def locked_entry(
    name: object,
    version: object,
    source: Source,
    *,
    direct: bool = False,
    groups: tuple[str, ...] = (),
    markers: object = None,
    hashes: tuple[str, ...] = (),
) -> Dependency | Skipped:
    """One lockfile package with an exact version -> `Dependency` (or `Skipped` INVALID)."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_LENGTH:
        return Skipped(
            requirement=excerpt(repr(name)),
            reason="package entry without a name"
            if not isinstance(name, str) or not name
            else f"a name longer than {MAX_NAME_LENGTH} characters",
            source=source,
            kind=SkipKind.INVALID,
            direct=direct,
        )
    canonical = canonical_name(name)
    marker_text = markers if isinstance(markers, str) and markers else None
    if not isinstance(version, str) or not version:
        return Skipped(
            requirement=name,
            reason="no version in the lock",
            source=source,
            kind=SkipKind.OTHER,
            name=canonical,
            direct=direct,
            markers=marker_text,
        )
    if not is_valid_version(version):
        return Skipped(
            requirement=excerpt(f"{name}=={version}", 60),
            reason=_version_reason(version),
            source=source,
            kind=SkipKind.INVALID,
            name=canonical,
            direct=direct,
            markers=marker_text,
        )
    return Dependency(
        name=canonical,
        version=version,
        direct=direct,
        source=source,
        markers=marker_text,
        hashes=hashes,
        specifier=f"=={version}",
        groups=groups,
    )


def string_list(value: object) -> tuple[str, ...]:
    """A string or list of strings as a tuple of strings (anything else: empty)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def require_table(value: object, what: str, path: Path) -> Mapping[str, Any]:
    """`value` as a table, or an InputError naming what should have been one."""
    if not isinstance(value, Mapping):
        raise InputError(f"{what} is not a table", path)
    return value


def array_of_tables(data: Mapping[str, Any], key: str, path: Path) -> list[object]:
    """`data[key]` as a list (empty when absent), or an InputError."""
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InputError(f"{key} is not an array of tables", path)
    return value


def not_from_index(
    requirement: str,
    name: object,
    source: Source,
    *,
    origin: str,
    editable: bool,
    markers: object = None,
) -> Skipped:
    """A locked entry that does not come from a package index (VCS, URL, local path, editable);
    `origin` starts the reason, e.g. "git source" or "editable package"."""
    return Skipped(
        requirement=requirement,
        reason=f"{origin}, not from a package index",
        source=source,
        kind=SkipKind.EDITABLE if editable else SkipKind.URL,
        name=canonical_name(name) if isinstance(name, str) and name else None,
        direct=False,
        markers=markers if isinstance(markers, str) and markers else None,
    )


def lock_hashes(package: Mapping[str, Any]) -> tuple[str, ...]:
    """The file hashes a lockfile records for one package, as `sha256:<hex>` like pip's --hash.

    Covers uv.lock and poetry.lock 2 / pdm.lock (`hash = "sha256:..."` in `sdist`, `wheels` or
    `files`) and pylock.toml (`hashes = {sha256 = ...}`).
    """
    entries: list[object] = []
    for key in ("sdist", "wheels", "files"):
        value = package.get(key)
        entries.extend(value if isinstance(value, list) else [value])
    found: list[str] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        digest = entry.get("hash")
        if isinstance(digest, str) and digest.startswith("sha256:"):
            found.append(digest)
        digests = entry.get("hashes")
        if isinstance(digests, Mapping) and isinstance(digests.get("sha256"), str):
            found.append(f"sha256:{digests['sha256']}")
    return tuple(dict.fromkeys(found))


def package_entries(
    data: Mapping[str, Any], lines: TomlLines, key: str, path: Path
) -> Iterator[tuple[Source, Mapping[str, Any] | Skipped]]:
    """Each `[[key]]` entry of a lockfile with the line it starts on; a non-table one as Skipped."""
    item_lines = lines.array_item_lines(key)
    where = str(path)
    for index, package in enumerate(array_of_tables(data, key, path)):
        source = Source(where, item_lines[index] if index < len(item_lines) else 1)
        if isinstance(package, Mapping):
            yield source, package
        else:
            yield (
                source,
                Skipped(repr(package), f"[[{key}]] entry is not a table", source, SkipKind.INVALID),
            )


def lock_version(value: object, known_majors: tuple[int, ...], what: str, path: Path) -> None:
    """Raise InputError unless `value` ("2.1", 1, "4.5.0") has a major version we can read."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    major = text.split(".", 1)[0]
    if not major.isdigit() or version_problem(major):
        raise InputError(f"missing or malformed {what} ({excerpt(repr(value))})", path)
    if int(major) not in known_majors:
        known = ", ".join(str(m) for m in known_majors)
        raise InputError(f"unsupported {what} {value!r} (this depsentry reads major {known})", path)
