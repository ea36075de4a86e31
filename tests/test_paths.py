"""paths.py: the state directory, and the confinement of paths a project names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from depsentry.errors import ConfigError, InputError
from depsentry.paths import confined, project_of, state_dir


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
