"""Parse a project page of a simple repository: PEP 503 HTML or PEP 691 JSON, with PEP 592 yanks,
PEP 700 upload times and `requires-python`.

Versions come from file names (PEP 427 wheels, PEP 625 sdists), as pip does; files whose names
do not parse (eggs, installers, stray listing entries) are skipped.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from depsentry.errors import PackageIndexError
from depsentry.models.releases import DistFile, ProjectReleases, Release

__all__ = [
    "SIMPLE_JSON",
    "build_release",
    "parse_simple_html",
    "parse_simple_json",
    "parse_upload_time",
    "releases_from_files",
    "version_of",
]

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def parse_simple_html(name: str, body: bytes) -> ProjectReleases:
    """A PEP 503 project page (also a plain directory listing) -> its releases."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackageIndexError(f"HTML page is not UTF-8 (byte {exc.start})") from exc
    parser = _AnchorParser()
    parser.feed(text)
    parser.close()
    if not parser.saw_tag:
        raise PackageIndexError("not an HTML page (no tags)")
    return releases_from_files(name, parser.files)


def parse_simple_json(name: str, body: bytes) -> ProjectReleases:
    """A PEP 691 project page -> its releases."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackageIndexError(f"invalid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise PackageIndexError('JSON page has no "files" list')
    files = []
    for index, entry in enumerate(data["files"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
            raise PackageIndexError(f'JSON page: files[{index}] has no "filename"')
        requires_python = entry.get("requires-python")
        yanked = entry.get("yanked", False)
        hashes = entry.get("hashes")
        sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
        files.append(
            DistFile(
                filename=entry["filename"],
                requires_python=requires_python if isinstance(requires_python, str) else None,
                # PEP 691: a string is the reason and means yanked; "" is falsy but still a yank.
                yanked=isinstance(yanked, str) or yanked is True,
                upload_time=parse_upload_time(entry.get("upload-time")),
                sha256=sha256 if isinstance(sha256, str) else None,
            )
        )
    return releases_from_files(name, files)


def version_of(filename: str) -> Version | None:
    """The version in a wheel or sdist file name, or None if the name is neither."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        if len(parts) not in (5, 6) or not all(parts[-3:]):
            return None
        return _wheel_version("-".join(parts[:-3]))
    try:
        return parse_sdist_filename(filename)[1]
    except InvalidSdistFilename:
        return None


@functools.lru_cache(maxsize=4096)
def _wheel_version(name_version_build: str) -> Version | None:
    # packaging also expands every tag triple, most of the parse time when a release has dozens
    # of wheels; we need only name, version and build, which all wheels of a release share.
    try:
        return parse_wheel_filename(f"{name_version_build}-py3-none-any.whl")[1]
    except InvalidWheelFilename:
        return None


def releases_from_files(name: str, files: Iterable[DistFile]) -> ProjectReleases:
    """Group files by the version in their names (equal versions, like 1.0 and 1.0.0, are one release)."""
    by_version: defaultdict[Version, list[DistFile]] = defaultdict(list)
    for dist in files:
        version = version_of(dist.filename)
        if version is not None:
            by_version[version].append(dist)
    releases = tuple(build_release(str(v), fs) for v, fs in by_version.items())
    return ProjectReleases(name=canonicalize_name(name), releases=releases)


def build_release(version: str, files: Sequence[DistFile]) -> Release:
    """One release from its files: yanked when every file is (PEP 592), earliest upload time,
    and `requires_python` when the files agree on it."""
    times = [f.upload_time for f in files if f.upload_time is not None]
    requires = {f.requires_python or None for f in files}
    return Release(
        version=version,
        upload_time=min(times) if times else None,
        yanked=bool(files) and all(f.yanked for f in files),
        requires_python=requires.pop() if len(requires) == 1 else None,
        files=tuple(files),
    )


def parse_upload_time(value: object) -> datetime | None:
    """An ISO 8601 upload time (PEP 700, PyPI JSON) -> aware datetime; None if absent or bad."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _AnchorParser(HTMLParser):
    # The stdlib parser is enough: PEP 503 pages are anchors with a few data- attributes.
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.files: list[DistFile] = []
        self.saw_tag = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.saw_tag = True
        if tag != "a":
            return
        attributes = dict(attrs)
        href = attributes.get("href")
        if not href:
            return
        parts = urlsplit(href)
        filename = unquote(parts.path.rsplit("/", 1)[-1])
        if not filename:
            return
        algorithm, _, digest = parts.fragment.partition("=")
        self.files.append(
            DistFile(
                filename=filename,
                requires_python=attributes.get("data-requires-python") or None,
                yanked="data-yanked" in attributes,
                upload_time=None,
                sha256=digest if algorithm == "sha256" and digest else None,
            )
        )

    def handle_decl(self, decl: str) -> None:
        self.saw_tag = True
