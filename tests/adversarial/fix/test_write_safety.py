"""`fix --write` loses nothing: a concurrent edit, a symlink, a hard link, owner and mode, a
read-only file, a malformed pyproject. Each test is a reproducer from issue 9."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from depsentry.cli import main
from depsentry.resolver import find_uv
from tests.commands.scenario import project
from tests.servers.index_server import IndexServer


@pytest.fixture
def index() -> Iterator[IndexServer]:
    from tests.commands.scenario import index_projects

    with IndexServer(index_projects()) as server:
        yield server


def fix(app: Path, osv: Path, index: IndexServer, *extra: str) -> int:
    return main(["fix", str(app), "--osv-db", str(osv), "--index-url", index.simple_url, *extra])


def test_an_edit_made_while_fix_runs_is_not_lost(
    tmp_path: Path,
    home: Path,
    osv: Path,
    index: IndexServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A colleague's editor saves requirements.txt while uv checks the plan (between the read
    # and the write): the write must not replace their edit with the planned text.
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    editor = tmp_path / "uv-and-an-editor"
    editor.write_text(
        f'#!/bin/sh\nprintf "calm==1.0\\n" >> {app / "requirements.txt"}\nexec {find_uv()} "$@"\n'
    )
    editor.chmod(0o755)
    monkeypatch.setenv("DEPSENTRY_UV", str(editor))
    assert fix(app, osv, index) == 2
    assert (app / "requirements.txt").read_text().startswith("demo==1.0\ncalm==1.0\n")
    err = capsys.readouterr().err
    assert "requirements.txt: changed since it was read" in err and "nothing written" in err


def test_a_symlink_inside_the_project_is_written_through(
    tmp_path: Path, home: Path, osv: Path, index: IndexServer
) -> None:
    app = project(tmp_path / "app", {})
    (app / "shared").mkdir()
    (app / "shared" / "base.txt").write_text("demo==1.0\n")
    (app / "requirements.txt").symlink_to("shared/base.txt")
    assert fix(app, osv, index) == 0
    assert (app / "requirements.txt").is_symlink()  # still the link
    assert (app / "shared" / "base.txt").read_text() == "demo==1.3\n"  # the shared target moved


def test_a_symlink_leaving_the_project_is_never_written(
    tmp_path: Path, home: Path, osv: Path, index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "elsewhere" / "requirements.txt"
    outside.parent.mkdir()
    outside.write_text("demo==1.0\n")
    app = project(tmp_path / "app", {"pyproject.toml": PYPROJECT})
    (app / "requirements.txt").symlink_to(outside)
    fix(app, osv, index)
    assert outside.read_text() == "demo==1.0\n"
    err = capsys.readouterr().err
    assert "Traceback" not in err
    # The scan may already skip the link (inputs); if it reads it, fix refuses to write there.
    if "demo" in err:
        assert "requirements.txt: is a symlink to" in err
        assert "outside the project; not edited" in err


PYPROJECT = '[project]\nname = "app"\nversion = "0"\ndependencies = ["high==1.0"]\n'


def test_hard_links_survive(tmp_path: Path, home: Path, osv: Path, index: IndexServer) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    twin = tmp_path / "twin.txt"
    os.link(app / "requirements.txt", twin)
    inode = (app / "requirements.txt").stat().st_ino
    assert fix(app, osv, index) == 0
    assert (app / "requirements.txt").stat().st_ino == inode
    assert twin.read_text() == "demo==1.3\n"


def test_mode_and_owner_are_kept(tmp_path: Path, home: Path, osv: Path, index: IndexServer) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    target = app / "requirements.txt"
    target.chmod(0o640)
    owner = (65534, 65534) if os.geteuid() == 0 else (os.geteuid(), os.getegid())
    if os.geteuid() == 0:
        os.chown(target, *owner)
    assert fix(app, osv, index) == 0
    info = target.stat()
    assert stat.S_IMODE(info.st_mode) == 0o640
    assert (info.st_uid, info.st_gid) == owner
    assert target.read_text() == "demo==1.3\n"


def test_read_only_files_are_refused_and_nothing_is_written(
    tmp_path: Path, home: Path, osv: Path, index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(
        tmp_path / "app", {"requirements.txt": "demo==1.0\n", "pyproject.toml": PYPROJECT}
    )
    (app / "requirements.txt").chmod(0o444)  # root too: the mode says read-only
    assert fix(app, osv, index) == 2
    assert (app / "requirements.txt").read_text() == "demo==1.0\n"
    assert (app / "pyproject.toml").read_text() == PYPROJECT  # all or nothing
    err = capsys.readouterr().err
    assert "requirements.txt: read-only; nothing written" in err
    assert "Traceback" not in err


def test_tool_5_in_pyproject_does_not_crash(
    tmp_path: Path, home: Path, osv: Path, index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    text = 'tool = 5\n[project]\nname = "a"\nversion = "1"\ndependencies = ["demo==1.0"]\n'
    app = project(tmp_path / "app", {"pyproject.toml": text})
    assert fix(app, osv, index) in (0, 1, 2)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert (app / "pyproject.toml").read_text() == text
    assert (
        "pyproject.toml: cannot edit this file (AttributeError); upgrade demo to 1.3 by hand" in err
    )


def test_line_endings_and_bom_are_kept(
    tmp_path: Path, home: Path, osv: Path, index: IndexServer
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "requirements.txt").write_bytes(b"\xef\xbb\xbf# pins\r\ndemo==1.0\r\ncalm==1.0\r\n")
    assert fix(app, osv, index) == 0
    assert (app / "requirements.txt").read_bytes() == (
        b"\xef\xbb\xbf# pins\r\ndemo==1.3\r\ncalm==1.0\r\n"
    )


def test_no_temporary_files_are_left_behind(
    tmp_path: Path, home: Path, osv: Path, index: IndexServer
) -> None:
    app = project(
        tmp_path / "app", {"requirements.txt": "demo==1.0\n", "pyproject.toml": PYPROJECT}
    )
    assert fix(app, osv, index) == 0
    assert sorted(p.name for p in app.iterdir()) == ["pyproject.toml", "requirements.txt"]
