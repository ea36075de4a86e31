"""pylock.toml (PEP 751, exported by uv 0.13, wheels trimmed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsentry.errors import InputError
from depsentry.inputs.pylock import PylockReader
from depsentry.models import Dependency, SkipKind, Skipped, Source
from tests.inputs.lock_hashes import hashes_of, without_hashes
from tests.paths import INPUTS

DATA = INPUTS / "pylock"


def read(path: Path) -> list[Dependency | Skipped]:
    return list(PylockReader().read(path))


def test_good_lock() -> None:
    path = DATA / "good" / "pylock.toml"
    src = str(path)

    def pin(name: str, version: str, line: int) -> Dependency:
        return Dependency(name, version, False, Source(src, line), specifier=f"=={version}")

    assert without_hashes(read(path)) == [
        pin("certifi", "2026.10.18", 8),
        pin("charset-normalizer", "3.5.2", 15),
        pin("click", "8.5.1", 24),
        pin("idna", "3.20", 35),
        pin("iniconfig", "2.0.0", 42),
        pin("requests", "2.31.0", 49),
        pin("urllib3", "2.8.0", 56),
    ]


def test_vcs_archive_directory_and_versionless(tmp_path: Path) -> None:
    path = tmp_path / "pylock.dev.toml"
    path.write_text(
        'lock-version = "1.0"\ncreated-by = "test"\n\n'
        '[[packages]]\nname = "a"\nvcs = { type = "git", url = "https://x/a.git", commit-id = "abc" }\n\n'
        '[[packages]]\nname = "b"\nversion = "1.0"\narchive = { url = "https://x/b-1.0.tar.gz", hashes = {sha256 = "00"} }\n\n'
        '[[packages]]\nname = "c"\ndirectory = { path = "../c", editable = true }\n\n'
        '[[packages]]\nname = "d"\nmarker = "sys_platform == \'win32\'"\n',
        encoding="utf-8",
    )
    src = str(path)
    assert read(path) == [
        Skipped(
            "a (vcs 'https://x/a.git')",
            "vcs source, not from a package index",
            Source(src, 5),
            SkipKind.URL,
            "a",
            direct=False,
        ),
        Skipped(
            "b (archive 'https://x/b-1.0.tar.gz')",
            "archive source, not from a package index",
            Source(src, 9),
            SkipKind.URL,
            "b",
            direct=False,
        ),
        Skipped(
            "c (directory '../c')",
            "editable directory, not from a package index",
            Source(src, 14),
            SkipKind.EDITABLE,
            "c",
            direct=False,
        ),
        Skipped(
            "d",
            "no version in the lock",
            Source(src, 18),
            SkipKind.OTHER,
            "d",
            direct=False,
            markers="sys_platform == 'win32'",
        ),
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "pylock.future.toml",
            ": unsupported pylock lock-version '2.0' (this depsentry reads major 1)",
        ),
        ("pylock.notarray.toml", ": packages is not an array of tables"),
    ],
)
def test_bad_lock_is_one_line_error(name: str, message: str) -> None:
    path = DATA / "bad" / name
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value) == f"{path}{message}"


def test_file_hashes_are_read() -> None:
    """Hashes count for the policy's `pinning.hashes` rule, as they do in requirements files."""
    entries = read(DATA / "good" / "pylock.toml")
    assert hashes_of(entries, "certifi") == (
        "sha256:b9995d97b64d0431a5af837d8ca8cd6238104d1f319f04bd93ea43124d6c861e",
        "sha256:73191c47aaa79da394e8fee2dbc2ec827432cab56311122c9e47abf79e390f62",
    )
