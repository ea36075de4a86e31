"""poetry.lock: pins with lines, git sources skipped, unknown lock versions refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsentry.errors import InputError
from depsentry.inputs.poetry_lock import PoetryLockReader
from depsentry.models import Dependency, SkipKind, Skipped, Source
from tests.inputs.lock_hashes import hashes_of, without_hashes
from tests.paths import INPUTS

DATA = INPUTS / "poetry_lock"


def read(path: Path) -> list[Dependency | Skipped]:
    return list(PoetryLockReader().read(path))


def test_good_lock() -> None:
    path = DATA / "good" / "poetry.lock"
    src = str(path)

    def pin(name: str, version: str, line: int) -> Dependency:
        return Dependency(name, version, False, Source(src, line), specifier=f"=={version}")

    assert without_hashes(read(path)) == [
        pin("black", "23.7.0", 4),
        pin("certifi", "2023.7.22", 14),
        pin("jinja2", "3.1.2", 24),
        pin("markupsafe", "2.1.3", 40),
        Skipped(
            "mylib (git https://github.com/example/mylib.git)",
            "git source, not from a package index",
            Source(src, 48),
            SkipKind.URL,
            name="mylib",
            direct=False,
        ),
        pin("requests", "2.31.0", 63),
        pin("pytest", "7.4.0", 74),
        pin("tomli", "2.0.1", 82),
    ]


def test_groups_and_category_and_develop_directory(tmp_path: Path) -> None:
    path = tmp_path / "poetry.lock"
    path.write_text(
        '[[package]]\nname = "a"\nversion = "1.0"\ngroups = ["main", "dev"]\nmarkers = "python_version < \\"3.12\\""\n\n'
        '[[package]]\nname = "b"\nversion = "2.0"\ncategory = "dev"\n\n'
        '[[package]]\nname = "c"\nversion = "0.1"\ndevelop = true\n\n[package.source]\ntype = "directory"\nurl = "../c"\n\n'
        '[metadata]\nlock-version = "1.1"\n',
        encoding="utf-8",
    )
    src = str(path)
    assert read(path) == [
        Dependency(
            "a",
            "1.0",
            False,
            Source(src, 2),
            markers='python_version < "3.12"',
            specifier="==1.0",
            groups=("main", "dev"),
        ),
        Dependency("b", "2.0", False, Source(src, 8), specifier="==2.0", groups=("dev",)),
        Skipped(
            "c (directory ../c)",
            "editable local package, not from a package index",
            Source(src, 13),
            SkipKind.EDITABLE,
            name="c",
            direct=False,
        ),
    ]


def test_bad_entries_are_skipped_invalid(tmp_path: Path) -> None:
    path = tmp_path / "poetry.lock"
    path.write_text(
        '[[package]]\nversion = "1.0"\n\n[[package]]\nname = "x"\nversion = "not a version"\n\n'
        '[metadata]\nlock-version = "2.1"\n',
        encoding="utf-8",
    )
    assert [(i.kind, i.source.line) for i in read(path) if isinstance(i, Skipped)] == [
        (SkipKind.INVALID, 1),
        (SkipKind.INVALID, 5),
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "poetry-future.lock",
            ": unsupported poetry.lock lock-version '3.0' (this depsentry reads major 1, 2)",
        ),
        ("poetry-broken.lock", ":3: invalid TOML: "),
    ],
)
def test_bad_lock_is_one_line_error(name: str, message: str) -> None:
    path = DATA / "bad" / name
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value).startswith(f"{path}{message}")
    assert "\n" not in str(info.value)


def test_no_metadata_is_not_a_poetry_lock(tmp_path: Path) -> None:
    path = tmp_path / "poetry.lock"
    path.write_text('[[package]]\nname = "a"\nversion = "1"\n', encoding="utf-8")
    with pytest.raises(InputError, match="not a poetry.lock: no \\[metadata\\] table"):
        read(path)


def test_file_hashes_are_read() -> None:
    """Hashes count for the policy's `pinning.hashes` rule, as they do in requirements files."""
    entries = read(DATA / "good" / "poetry.lock")
    assert hashes_of(entries, "black") == (
        "sha256:9fd59d418c60c0348505f2ddf9609c1e1de8e7493eab96198fc89d9f865e7a96",
    )
