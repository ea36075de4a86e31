"""An installed environment: every `*.dist-info` (and `*.egg-info`) in a venv or site-packages."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from depsentry.errors import InputError
from depsentry.inputs.common import excerpt, locked_entry
from depsentry.inputs.files import read_input
from depsentry.inputs.interface import InputReader
from depsentry.models import Dependency, SkipKind, Skipped, Source
from depsentry.names import canonical_name

if TYPE_CHECKING:
    from importlib.metadata import Distribution

__all__ = ["EnvironmentReader", "site_packages"]


class EnvironmentReader(InputReader):
    """Reads installed distributions; `direct` when the dist-info has a PEP 376 REQUESTED file.

    Never found by discovery: the user names the environment (`--environment PATH`).
    """

    name = "environment"
    is_lockfile = True  # what is installed is as exact as a lock

    def read(self, path: Path) -> Iterator[Dependency | Skipped]:
        # importlib.metadata pulls in the email package: only load it when an environment is read.
        from importlib.metadata import distributions

        found: list[tuple[str, Dependency | Skipped]] = []
        for directory in site_packages(path):
            for dist in distributions(path=[str(directory)]):
                try:
                    entry = _entry(dist, directory)
                except (OSError, ValueError) as exc:  # not UTF-8, unreadable, a FIFO, too long
                    entry = _broken(dist, directory, exc)
                found.append((entry.source.path, entry))
        found.sort(key=lambda pair: pair[0])
        for _, entry in found:
            yield entry


def site_packages(path: Path) -> list[Path]:
    """The site-packages directories of a venv root, or `path` itself when it holds dist-infos."""
    if not path.exists():
        raise InputError("no such environment", path)
    if not path.is_dir():
        raise InputError("an environment must be a directory (a venv root or site-packages)", path)
    if path.name in ("site-packages", "dist-packages") or any(path.glob("*.dist-info")):
        return [path]
    # lib64 is often a symlink to lib: keep each real directory once.
    by_real: dict[Path, Path] = {}
    for pattern in (
        "lib/python*/site-packages",
        "lib64/python*/site-packages",
        "Lib/site-packages",
    ):
        for candidate in sorted(path.glob(pattern)):
            by_real.setdefault(candidate.resolve(), candidate)
    found = list(by_real.values())
    if not found:
        raise InputError(
            "no site-packages found (expected a venv root or a site-packages directory)", path
        )
    return found


def _entry(dist: Distribution, directory: Path) -> Dependency | Skipped:
    info = Path(str(getattr(dist, "_path", directory)))
    metadata_name = "PKG-INFO" if info.suffix == ".egg-info" else "METADATA"
    text = _read(info / metadata_name) or ""
    source = Source(str(info / metadata_name), _header_line(text, "Version:"))
    name = _header_value(text, "Name:")
    if not name:
        return Skipped(
            info.name,
            "installed distribution without a Name in its metadata",
            source,
            SkipKind.INVALID,
        )
    direct_url = _direct_url(info)
    if direct_url is not None:
        dir_info = direct_url.get("dir_info")
        if isinstance(dir_info, dict) and dir_info.get("editable") is True:
            return Skipped(
                f"{name} (editable {direct_url.get('url')})",
                "editable install, not from a package index",
                source,
                SkipKind.EDITABLE,
                canonical_name(name),
            )
        if "vcs_info" in direct_url or dir_info is not None:
            return Skipped(
                f"{name} ({direct_url.get('url')})",
                "installed from a VCS or local directory, not from a package index",
                source,
                SkipKind.URL,
                canonical_name(name),
            )
    requested = os.path.lexists(info / "REQUESTED")
    return locked_entry(name, _header_value(text, "Version:"), source, direct=requested)


def _broken(dist: Distribution, directory: Path, exc: Exception) -> Skipped:
    info = Path(str(getattr(dist, "_path", directory)))
    return Skipped(
        info.name,
        f"installed distribution whose metadata cannot be read: {excerpt(str(exc), 100)}",
        Source(str(info), None),
        SkipKind.UNREADABLE,
    )


def _read(path: Path) -> str | None:
    """A metadata file's text (None when absent), read as every input is: a FIFO must not block."""
    if not os.path.lexists(path):
        return None
    try:
        return read_input(path)
    except InputError as exc:
        raise ValueError(exc.message) from exc


def _direct_url(info: Path) -> dict[str, object] | None:
    """PEP 610's record of where a distribution came from; None when absent or unusable (the
    version installed is what matters, so a broken record costs only the origin)."""
    try:
        text = _read(info / "direct_url.json")
    except ValueError:
        return None
    if not text:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # malformed, nested too deeply, a 5,000-digit number
        return None
    return value if isinstance(value, dict) else None


def _header_value(text: str, header: str) -> str | None:
    # Read here rather than via dist.metadata: a missing Name is a DeprecationWarning on 3.12+.
    for line in text.splitlines():
        if not line:
            break  # the headers end at the first blank line
        if line.startswith(header):
            return line[len(header) :].strip() or None
    return None


def _header_line(text: str, header: str) -> int | None:
    offset = text.find(f"\n{header}")
    if offset < 0:
        return 1 if text.startswith(header) else None
    return text.count("\n", 0, offset) + 2
