"""The redis-py version a project pins, read from its requirements files or pyproject.toml.

Codemods may not use the engine's manifest parsers (an import-linter contract keeps them apart),
so this reads the two common manifests with packaging and tomllib, and only for `redis`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

__all__ = ["pre3_pinned"]

_LATER = ("3.0.0", "3.5.3", "4.0.0", "5.0.0", "6.0.0", "7.0.0", "8.0.0", "9.0.0")
_EARLIER = ("2.0.0", "2.9.0", "2.10.0", "2.10.6")


def pre3_pinned(filename: str | None) -> bool:
    """Whether the project around `filename` pins redis to a 2.x release (no 3.0+ allowed)."""
    if not filename:
        return False
    return _pre3(Path(filename).resolve().parent)


@lru_cache(maxsize=64)
def _pre3(directory: Path) -> bool:
    for folder in (directory, *directory.parents):
        manifests = [folder / "pyproject.toml", *sorted(folder.glob("requirements*.txt"))]
        present = [path for path in manifests if path.is_file()]
        if present:
            return any(_is_pre3(spec) for path in present for spec in _redis_specs(path))
        if (folder / ".git").exists():
            break  # the project's root: a manifest above it belongs to something else
    return False


def _is_pre3(spec: SpecifierSet) -> bool:
    if not str(spec):
        return False
    allowed = [version for version in _EARLIER if spec.contains(version)]
    return bool(allowed) and not any(spec.contains(version) for version in _LATER)


def _redis_specs(path: Path) -> Iterator[SpecifierSet]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    lines = _pyproject_requirements(text) if path.suffix == ".toml" else text.splitlines()
    for line in lines:
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.name.lower() == "redis":
            yield requirement.specifier


def _pyproject_requirements(text: str) -> list[str]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []
    project = data.get("project", {})
    found = [item for item in project.get("dependencies", []) if isinstance(item, str)]
    for group in project.get("optional-dependencies", {}).values():
        found.extend(item for item in group if isinstance(item, str))
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
    version = poetry.get("redis") if isinstance(poetry, dict) else None
    if isinstance(version, dict):
        version = version.get("version")
    if isinstance(version, str) and version.strip() not in ("", "*"):
        # Poetry's ^ and ~ are not PEP 440: ^2.10 and ~2.10 both stay below 3.
        found.append("redis" + _poetry(version.strip()))
    return found


def _poetry(version: str) -> str:
    if version[0] in "^~" and not version.startswith("~="):
        major = version[1:].split(".")[0]
        return f">={version[1:]},<{int(major) + 1}" if major.isdigit() else ""
    return version if version[0] in "<>=!~" else f"=={version}"
