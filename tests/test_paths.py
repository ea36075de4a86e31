"""paths.py: the state directory, the confinement of paths a project names, capped reads."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from depsentry.errors import ConfigError, InputError
from depsentry.paths import confined, project_of, read_up_to, state_dir


def test_state_dir_defaults_to_the_xdg_state_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEPSENTRY_HOME", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert state_dir() == tmp_path / "state" / "depsentry"
    assert state_dir().is_dir()


def test_state_dir_that_cannot_be_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may create it anywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    monkeypatch.setenv("DEPSENTRY_HOME", str(locked / "home"))
    with pytest.raises(ConfigError, match="cannot create it"):
        state_dir()


def test_confined_follows_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "inside.toml").write_text("")
    (root / "link.toml").symlink_to(tmp_path / "out.toml")
    assert confined(root / "inside.toml", [root], what="x") == (root / "inside.toml").resolve()
    with pytest.raises(ConfigError, match=r"x: .*link.toml \(resolves to .*out.toml\) is outside"):
        confined(root / "link.toml", [root], what="x")
    with pytest.raises(ConfigError, match="is outside the project"):
        confined(root / ".." / "out.toml", [root], what="x")


def test_project_of_lets_the_operator_name_paths_elsewhere(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "last.json").symlink_to(tmp_path / "elsewhere.json")
    assert project_of(tmp_path / "elsewhere.json", [root], what="--since") is None
    assert project_of(root / "own.json", [root], what="--since") == root
    with pytest.raises(InputError, match="--since: .*is outside the project"):
        project_of(root / "last.json", [root], what="--since", error=InputError)


@pytest.mark.parametrize(
    ("content", "size", "cap", "expected"),
    [
        (b"abc", 3, 10, b"abc"),  # as the fstat said
        (b"abcdef", 3, 10, b"abcdef"),  # grown since the fstat: all of it
        (b"abcdef", 0, 10, b"abcdef"),  # a size-0 /proc file
        (b"a" * 20, 3, 10, b"a" * 11),  # grown past the cap: cap + 1 says "too large"
        (b"a" * 20, 20, 10, b"a" * 11),
        (b"", 0, 10, b""),
    ],
)
def test_read_up_to_reads_what_the_file_holds_up_to_one_past_the_cap(
    content: bytes, size: int, cap: int, expected: bytes
) -> None:
    assert read_up_to(io.BytesIO(content), size, cap) == expected
