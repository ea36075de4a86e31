"""`depsentry init` writes a commented config that validates, and never overwrites silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsentry.cli import main
from depsentry.daemon.config import load_settings
from tests.paths import EXAMPLE


def test_init_writes_a_valid_commented_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--project", str(EXAMPLE)]) == 0
    text = (tmp_path / "depsentry.toml").read_text(encoding="utf-8")
    assert text.count("#") > 30  # commented
    settings = load_settings(tmp_path / "depsentry.toml")
    (project,) = settings.projects
    assert project.name == "vulnerable-app" and project.path == EXAMPLE.resolve()
    assert settings.state_dir == tmp_path / ".depsentry"
    assert settings.listen == "127.0.0.1:8787"


def test_init_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "d.toml"
    config.write_text("keep me", encoding="utf-8")
    assert main(["init", str(config), "--project", str(tmp_path)]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert config.read_text(encoding="utf-8") == "keep me"
    assert (
        main(
            ["init", str(config), "--project", str(tmp_path), "--project", str(tmp_path), "--force"]
        )
        == 0
    )
    assert len(load_settings(config).projects) == 2  # same folder twice: two names
