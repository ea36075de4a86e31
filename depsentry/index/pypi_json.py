"""Parse PyPI's JSON API (`/pypi/NAME/json`): every release with its files' upload times,
yanked flags and `requires_python` (https://docs.pypi.org/api/json/)."""

from __future__ import annotations

import json

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from depsentry.errors import PackageIndexError
from depsentry.index.simple import build_release, parse_upload_time
from depsentry.models.releases import DistFile, ProjectReleases, Release

__all__ = ["parse_pypi_json"]


def parse_pypi_json(name: str, body: bytes) -> ProjectReleases:
    """A `/pypi/NAME/json` document -> its releases.

    Releases without files are left out (nothing to install), and so are keys that are not
    PEP 440 versions (a few very old uploads).
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackageIndexError(f"invalid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("releases"), dict):
        raise PackageIndexError('JSON API document has no "releases" object')
    releases: list[Release] = []
    for key, entries in data["releases"].items():
        if not isinstance(entries, list):
            raise PackageIndexError(f'JSON API document: releases["{key}"] is not a list')
        try:
            version = str(Version(key))
        except InvalidVersion:
            continue
        files = [_dist_file(key, i, entry) for i, entry in enumerate(entries)]
        if files:
            releases.append(build_release(version, files))
    return ProjectReleases(name=canonicalize_name(name), releases=tuple(releases))


def _dist_file(key: str, index: int, entry: object) -> DistFile:
    if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
        raise PackageIndexError(f'JSON API document: releases["{key}"][{index}] has no "filename"')
    requires_python = entry.get("requires_python")
    digests = entry.get("digests")
    sha256 = digests.get("sha256") if isinstance(digests, dict) else None
    return DistFile(
        filename=entry["filename"],
        requires_python=requires_python
        if isinstance(requires_python, str) and requires_python
        else None,
        yanked=entry.get("yanked") is True,
        upload_time=parse_upload_time(
            entry.get("upload_time_iso_8601") or entry.get("upload_time")
        ),
        sha256=sha256 if isinstance(sha256, str) else None,
    )
