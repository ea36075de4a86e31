"""paths.RealPaths: os.path.realpath with a scan's directories resolved once, never weaker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from depsentry.errors import InputError
from depsentry.inputs.projects import read_projects
from depsentry.paths import RealPaths, confined_text, relative


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "root" / "sub").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (tmp_path / "root" / "a.txt").write_text("")
    (tmp_path / "out" / "b.txt").write_text("")
    (tmp_path / "root" / "link.txt").symlink_to(tmp_path / "out" / "b.txt")
    (tmp_path / "root" / "inner.txt").symlink_to("sub")
    (tmp_path / "root" / "dirlink").symlink_to(tmp_path / "out")
    (tmp_path / "root" / "loop").symlink_to("loop")
    return tmp_path


def test_matches_realpath_on_every_kind_of_path(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree)
    names = [
        "root/a.txt",
        "root/link.txt",
        "root/inner.txt",
        "root/dirlink/b.txt",
        "root/dirlink/../a.txt",
        "root/./a.txt",
        "root//a.txt",
        "root/sub/",
        "root/missing.txt",
        "root/loop",
        "root/loop/x",
        "root/a.txt/x",
        "./root/a.txt",
        "../x",
        "a",
        "",
        "/",
    ]
    real = RealPaths()
    for name in [*names, *(str(tree / n) for n in names)]:
        assert real(name) == os.path.realpath(name), name
        assert real(name) == os.path.realpath(name), name  # the second call, from the cache


def test_a_file_swapped_for_a_symlink_is_seen(tree: Path) -> None:
    real = RealPaths()
    file = tree / "root" / "a.txt"
    assert real.within(file, [tree / "root"]) == str(file)
    file.unlink()
    file.symlink_to(tree / "out" / "b.txt")
    assert real.within(file, [tree / "root"]) == ""  # only directories are remembered
    with pytest.raises(InputError, match=r"resolves to .*b.txt\) is outside the project"):
        confined_text(file, [tree / "root"], what="x", error=InputError, real=real)


def test_within_a_root_by_components_not_by_prefix(tree: Path) -> None:
    (tree / "rootx").mkdir()
    (tree / "rootx" / "c.txt").write_text("")
    real = RealPaths()
    assert real.within(tree / "rootx" / "c.txt", [tree / "root"]) == ""
    assert real.within(tree / "root", [tree / "root"]) == str(tree / "root")
    assert real.within(tree / "root" / "a.txt", ["/"]) == str(tree / "root" / "a.txt")


@pytest.mark.parametrize(
    ("path", "start"),
    [("/a/b/c.txt", "/a/b"), ("/a/b/../c.txt", "/a/b"), ("/a/b", "/a/b"), ("/a/bc/d", "/a/b")],
)
def test_relative_is_relpath(path: str, start: str) -> None:
    assert relative(path, start) == os.path.relpath(path, start)


def test_a_scan_still_refuses_what_leaves_the_tree(tree: Path) -> None:
    root = tree / "root"
    (root / "requirements.txt").write_text("calm==1.0\n-r ../out/b.txt\n")
    (root / "requirements-out.txt").symlink_to(tree / "out" / "b.txt")
    [(_, inputs)] = read_projects(root)
    assert not isinstance(inputs, InputError)
    assert [d.name for d in inputs.dependencies] == ["calm"]
    reasons = sorted(s.reason for s in inputs.skipped)
    assert reasons == [
        "a symlink to outside the project; refused, not read",
        "included file ../out/b.txt is outside the project; refused, not read",
    ]
