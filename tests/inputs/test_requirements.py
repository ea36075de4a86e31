"""requirements files: pins, hashes, continuations, markers, extras, -r/-c, skipped kinds, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsentry.errors import InputError
from depsentry.inputs import read_project
from depsentry.inputs.requirements import RequirementsReader, read_tree
from depsentry.models import Dependency, SkipKind, Skipped, Source
from tests.paths import INPUTS

DATA = INPUTS / "requirements"


def read(path: Path) -> list[Dependency | Skipped]:
    return list(RequirementsReader().read(path))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_good_fixture_every_line(caplog: pytest.LogCaptureFixture) -> None:
    top = DATA / "good" / "requirements.txt"
    base = DATA / "good" / "sub" / "base.txt"
    constraints = DATA / "good" / "constraints.txt"
    src = str(top)
    *items, invalid = read(top)
    # The wording after "invalid requirement:" is packaging's own.
    assert isinstance(invalid, Skipped)
    assert (invalid.requirement, invalid.source, invalid.kind) == (
        "not a requirement!",
        Source(src, 18),
        SkipKind.INVALID,
    )
    assert invalid.reason.startswith("invalid requirement: ")
    assert items == [
        Dependency(
            "django",
            "4.2.1",
            True,
            Source(src, 5),
            hashes=("sha256:aaaa", "sha256:bbbb"),
            specifier="==4.2.1",
        ),
        Dependency(
            "requests",
            "2.31.0",
            True,
            Source(src, 8),
            markers='python_version >= "3.8"',
            extras=("socks",),
            specifier="==2.31.0",
        ),
        # unpinned, pinned by the -c file: the version (and line) come from the constraint
        Dependency("flask", "2.3.2", True, Source(str(constraints), 1), specifier=">=2.0"),
        Dependency("urllib3", "2.0.7", True, Source(str(constraints), 2), specifier=""),
        Skipped(
            "numpy==1.*",
            "not pinned to an exact version (==1.*)",
            Source(src, 11),
            SkipKind.UNPINNED,
            name="numpy",
            specifier="==1.*",
        ),
        Dependency("six", "1.16.0", True, Source(str(base), 1), specifier="==1.16.0"),
        Skipped(
            "-r ../requirements.txt",
            "include cycle (requirements.txt -> base.txt -> requirements.txt); not followed again",
            Source(str(base), 2),
            SkipKind.INVALID,
        ),
        Skipped(
            "-e git+https://github.com/example/y.git#egg=yproj",
            "editable requirement, not from a package index",
            Source(src, 14),
            SkipKind.EDITABLE,
            name="yproj",
        ),
        Skipped(
            "git+https://github.com/example/b.git@v1#egg=bproj",
            "VCS requirement (git), not from a package index",
            Source(src, 15),
            SkipKind.URL,
            name="bproj",
        ),
        Skipped(
            "./vendor/localpkg",
            "local path requirement, not from a package index",
            Source(src, 16),
            SkipKind.URL,
        ),
        Skipped(
            "https://example.com/wheels/pkg-1.0-py3-none-any.whl",
            "direct URL requirement, not from a package index",
            Source(src, 17),
            SkipKind.URL,
            name="pkg",
        ),
    ]
    # The reader only reports; read_project warns once it knows the project is readable.
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    read_project(top)
    logged = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("requirements.txt:18: invalid requirement" in m for m in logged)


def test_tree_lists_every_file_read() -> None:
    tree = read_tree(DATA / "good" / "requirements.txt")
    assert tree.files == [DATA / "good" / "requirements.txt", DATA / "good" / "sub" / "base.txt"]
    assert tree.constraint_files == [DATA / "good" / "constraints.txt"]


def test_continuation_keeps_first_line_and_drops_trailing_comment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "requirements.txt",
        "# header \\\nattrs==23.1.0 \\\n    --hash=sha256:x \\\n    # trailing comment\nidna==3.4\n",
    )
    assert read(path) == [
        Dependency(
            "attrs",
            "23.1.0",
            True,
            Source(str(path), 2),
            hashes=("sha256:x",),
            specifier="==23.1.0",
        ),
        Dependency("idna", "3.4", True, Source(str(path), 5), specifier="==3.4"),
    ]


def test_hash_option_with_space_and_url_fragment_is_not_a_comment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "requirements.txt",
        "idna==3.4 --hash sha256:abc\nfoo @ https://example.com/foo-1.0.tar.gz#sha256=00\n",
    )
    items = read(path)
    assert items[0] == Dependency(
        "idna", "3.4", True, Source(str(path), 1), hashes=("sha256:abc",), specifier="==3.4"
    )
    assert isinstance(items[1], Skipped)
    assert items[1].requirement == "foo @ https://example.com/foo-1.0.tar.gz#sha256=00"
    assert items[1].kind is SkipKind.URL


def test_triple_equals_and_names_normalised(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "Zope.Interface===6.0\nPy_YAML == 6.0.1\n")
    assert read(path) == [
        Dependency("zope-interface", "6.0", True, Source(str(path), 1), specifier="===6.0"),
        Dependency("py-yaml", "6.0.1", True, Source(str(path), 2), specifier="==6.0.1"),
    ]


def test_invalid_version_in_pin_is_skipped_invalid(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "idna==3.4\nfoo===not-a-version\n")
    items = read(path)
    assert isinstance(items[1], Skipped)
    assert items[1].kind is SkipKind.INVALID
    assert items[1].reason == "invalid version: 'not-a-version'"


def test_unpinned_kinds(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "a>=1\nb~=2.0\nc\nd==1.*\ne>1,<2\n")
    items = read(path)
    assert [(i.kind, i.name, i.specifier) for i in items if isinstance(i, Skipped)] == [
        (SkipKind.UNPINNED, "a", ">=1"),
        (SkipKind.UNPINNED, "b", "~=2.0"),
        (SkipKind.UNPINNED, "c", ""),
        (SkipKind.UNPINNED, "d", "==1.*"),
        (SkipKind.UNPINNED, "e", "<2,>1"),
    ]


def test_constraint_that_does_not_satisfy_the_range_leaves_it_unpinned(tmp_path: Path) -> None:
    write(tmp_path, "c.txt", "flask==1.0\n")
    path = write(tmp_path, "requirements.txt", "-c c.txt\nflask>=2\n")
    (item,) = read(path)
    assert isinstance(item, Skipped)
    assert item.kind is SkipKind.UNPINNED
    assert "constraint 1.0" in item.reason


def test_constraints_do_not_add_dependencies(tmp_path: Path) -> None:
    write(tmp_path, "c.txt", "flask==2.0\nclick==8.0\n")
    path = write(tmp_path, "requirements.txt", "--constraint=c.txt\nflask\n")
    assert read(path) == [
        Dependency("flask", "2.0", True, Source(str(tmp_path / "c.txt"), 1), specifier="")
    ]


def test_includes_are_relative_to_the_including_file(tmp_path: Path) -> None:
    write(tmp_path, "reqs/common/base.txt", "idna==3.4\n")
    write(tmp_path, "reqs/prod.txt", "-rcommon/base.txt\n")
    path = write(tmp_path, "requirements.txt", "--requirement reqs/prod.txt\n")
    assert read(path) == [
        Dependency(
            "idna",
            "3.4",
            True,
            Source(str(tmp_path / "reqs" / "common" / "base.txt"), 1),
            specifier="==3.4",
        )
    ]


def test_diamond_include_is_read_once_without_cycle_warning(tmp_path: Path) -> None:
    write(tmp_path, "base.txt", "idna==3.4\n")
    write(tmp_path, "a.txt", "-r base.txt\n")
    write(tmp_path, "b.txt", "-r base.txt\n")
    path = write(tmp_path, "requirements.txt", "-r a.txt\n-r b.txt\n")
    assert [i.name for i in read(path)] == ["idna"]


def test_self_include_is_a_cycle(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "idna==3.4\n-r requirements.txt\n")
    items = read(path)
    assert isinstance(items[1], Skipped)
    assert items[1].kind is SkipKind.INVALID
    assert "include cycle" in items[1].reason


def test_missing_include_is_unreadable_skip_not_fatal(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "idna==3.4\n-r nope.txt\n")
    items = read(path)
    assert items[1] == Skipped(
        "-r nope.txt",
        "cannot read included file nope.txt: no such file",
        Source(str(path), 2),
        SkipKind.UNREADABLE,
    )


def test_options_are_ignored_but_unknown_options_are_invalid(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "requirements.txt",
        "-i https://x/simple\n--extra-index-url https://y\n--pre\n-f ./wheels\n--bogus\n",
    )
    assert read(path) == [
        Skipped("--bogus", "unknown option --bogus", Source(str(path), 5), SkipKind.INVALID)
    ]


def test_empty_and_comment_only_files_yield_nothing(tmp_path: Path) -> None:
    assert read(write(tmp_path, "requirements.txt", "")) == []
    assert read(write(tmp_path, "requirements-2.txt", "# only a comment\n\n   \n")) == []


def test_file_with_nothing_readable_raises_one_line() -> None:
    path = DATA / "bad" / "requirements.txt"
    with pytest.raises(InputError) as info:
        read(path)
    message = str(info.value)
    assert message.startswith(f"{path}:1: nothing readable; first problem: invalid requirement")
    assert "\n" not in message


def test_binary_file_raises_one_line() -> None:
    path = DATA / "bad" / "requirements-binary.txt"
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value).startswith(
        f"{path}: not UTF-16-LE text"
    )  # an FF FE mark, as pip reads it
    assert "\n" not in str(info.value)


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read(tmp_path / "requirements.txt")


def test_remote_include_is_not_fetched(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "idna==3.4\n-r https://example.com/r.txt\n")
    items = read(path)
    assert isinstance(items[1], Skipped)
    assert items[1].reason == "remote requirement files are not fetched"


def test_file_ending_in_a_continuation(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "idna==3.4 \\\n    --hash=sha256:x \\")
    assert read(path) == [
        Dependency(
            "idna", "3.4", True, Source(str(path), 1), hashes=("sha256:x",), specifier="==3.4"
        )
    ]


def test_include_with_a_nul_byte_is_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "idna==3.4\n-r bad\x00name.txt\n")
    items = read(path)
    assert isinstance(items[1], Skipped)
    assert items[1].kind is SkipKind.UNREADABLE
    assert items[1].reason.startswith("cannot read included file bad\\x00name.txt: ")  # escaped
