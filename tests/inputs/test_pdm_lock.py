"""pdm.lock: pins with groups and markers; git packages skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsentry.errors import InputError
from depsentry.inputs.pdm_lock import PdmLockReader
from depsentry.models import Dependency, SkipKind, Skipped, Source
from tests.inputs.lock_hashes import hashes_of, without_hashes
from tests.paths import INPUTS

DATA = INPUTS / "pdm_lock"


def read(path: Path) -> list[Dependency | Skipped]:
    return list(PdmLockReader().read(path))


def test_good_lock() -> None:
    path = DATA / "good" / "pdm.lock"
    src = str(path)
    assert without_hashes(read(path)) == [
        Dependency("idna", "3.4", False, Source(src, 14), specifier="==3.4", groups=("default",)),
        Dependency(
            "pytest",
            "7.4.0",
            False,
            Source(src, 24),
            markers='python_version >= "3.11"',
            specifier="==7.4.0",
            groups=("test",),
        ),
        Skipped(
            "mytool (git 'https://github.com/example/mytool.git')",
            "git source, not from a package index",
            Source(src, 36),
            SkipKind.URL,
            name="mytool",
            direct=False,
        ),
        Dependency(
            "flask", "2.2.5", False, Source(src, 44), specifier="==2.2.5", groups=("default",)
        ),
    ]


def test_editable_path_package(tmp_path: Path) -> None:
    path = tmp_path / "pdm.lock"
    path.write_text(
        '[metadata]\nlock_version = "4.4"\n\n[[package]]\nname = "mine"\nversion = "0.1"\npath = "./mine"\neditable = true\n',
        encoding="utf-8",
    )
    assert read(path) == [
        Skipped(
            "mine (path './mine')",
            "editable package, not from a package index",
            Source(str(path), 5),
            SkipKind.EDITABLE,
            name="mine",
            direct=False,
        )
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "pdm-future.lock",
            ": unsupported pdm.lock lock_version '5.0' (this depsentry reads major 3, 4)",
        ),
        ("pdm-broken.lock", ":5: invalid TOML: "),
    ],
)
def test_bad_lock_is_one_line_error(name: str, message: str) -> None:
    path = DATA / "bad" / name
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value).startswith(f"{path}{message}")
    assert "\n" not in str(info.value)


def test_file_hashes_are_read() -> None:
    """Hashes count for the policy's `pinning.hashes` rule, as they do in requirements files."""
    entries = read(DATA / "good" / "pdm.lock")
    assert hashes_of(entries, "idna") == (
        "sha256:90b77e79eaa3eba6de819a0c442c0b4ceefc341a7a2ab77d7562bf49f425c5c2",
    )
