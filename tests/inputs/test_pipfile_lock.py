"""Pipfile.lock and Pipfile: default/develop groups, hashes, editable and git entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsentry.errors import InputError
from depsentry.inputs.pipfile import PipfileReader
from depsentry.inputs.pipfile_lock import PipfileLockReader
from depsentry.models import Dependency, SkipKind, Skipped, Source
from tests.paths import INPUTS

DATA = INPUTS


def test_good_lock() -> None:
    path = DATA / "pipfile_lock" / "good" / "Pipfile.lock"
    src = str(path)
    assert list(PipfileLockReader().read(path)) == [
        Dependency(
            "django",
            "4.2.1",
            False,
            Source(src, 19),
            markers="python_version >= '3.8'",
            hashes=("sha256:aaaa", "sha256:bbbb"),
            specifier="==4.2.1",
            groups=("default",),
        ),
        Dependency(
            "sqlparse",
            "0.4.4",
            False,
            Source(src, 28),
            hashes=("sha256:cccc",),
            specifier="==0.4.4",
            groups=("default",),
        ),
        Skipped(
            "mylib (path './mylib')",
            "editable requirement, not from a package index",
            Source(src, 34),
            SkipKind.EDITABLE,
            name="mylib",
            direct=False,
        ),
        Skipped(
            "tool (git 'https://github.com/example/tool.git')",
            "git requirement, not from a package index",
            Source(src, 38),
            SkipKind.URL,
            name="tool",
            direct=False,
        ),
        Dependency(
            "pytest", "7.4.0", False, Source(src, 44), specifier="==7.4.0", groups=("develop",)
        ),
    ]


def test_good_pipfile() -> None:
    path = DATA / "pipfile" / "good" / "Pipfile"
    src = str(path)
    assert list(PipfileReader().read(path)) == [
        Dependency(
            "django", "4.2.1", True, Source(src, 7), specifier="==4.2.1", groups=("default",)
        ),
        Skipped(
            "mylib = {path = './mylib'}",
            "editable requirement, not from a package index",
            Source(src, 8),
            SkipKind.EDITABLE,
            name="mylib",
        ),
        Skipped(
            "tool = {git = 'https://github.com/example/tool.git'}",
            "VCS requirement (git), not from a package index",
            Source(src, 9),
            SkipKind.URL,
            name="tool",
        ),
        Skipped(
            "pytest",
            "no version specifier",
            Source(src, 12),
            SkipKind.UNPINNED,
            name="pytest",
            specifier="",
        ),
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "Pipfile-broken.lock",
            ":5: invalid JSON: Expecting property name enclosed in double quotes",
        ),
        ("Pipfile-future.lock", ": unsupported pipfile-spec 7 (this depsentry reads up to 6)"),
    ],
)
def test_bad_lock_is_one_line_error(name: str, message: str) -> None:
    path = DATA / "pipfile_lock" / "bad" / name
    with pytest.raises(InputError) as info:
        list(PipfileLockReader().read(path))
    assert str(info.value) == f"{path}{message}"


def test_lock_without_meta_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "Pipfile.lock"
    path.write_text('["not", "an", "object"]', encoding="utf-8")
    with pytest.raises(InputError, match="Pipfile.lock is not a table"):
        list(PipfileLockReader().read(path))
    path.write_text('{"default": {}}', encoding="utf-8")
    with pytest.raises(InputError, match="missing or malformed _meta.pipfile-spec"):
        list(PipfileLockReader().read(path))


def test_bad_pipfile_is_one_line_error() -> None:
    path = DATA / "pipfile" / "bad" / "Pipfile"
    with pytest.raises(InputError) as info:
        list(PipfileReader().read(path))
    assert str(info.value).startswith(f"{path}:3: invalid TOML")
