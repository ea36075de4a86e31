"""The CLI's one error catch: a bug exits 3 with one line and a saved traceback, never 1; -v/-q
after the subcommand; one `depsentry: level:` prefix for every stderr line."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from depsentry.cli import main
from tests.commands.scenario import project, write_osv

CRASH = (
    "import sys, depsentry.scan\n"
    "def boom(*args, **kwargs):\n"
    "    raise RuntimeError('injected crash')\n"
    "depsentry.scan.run_scan = boom\n"
    "from depsentry.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def run_crashing(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEPSENTRY_HOME": str(home)}
    env.pop("DEPSENTRY_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-c", CRASH, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )


def crash_file(line: str) -> Path:
    assert "the traceback is in " in line, line
    return Path(line.rsplit("the traceback is in ", 1)[1])


@pytest.mark.parametrize("command", [["scan"], ["policy", "check"]])
def test_a_crash_exits_3_with_one_line_and_a_saved_traceback(
    tmp_path: Path, home: Path, command: list[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    done = run_crashing(*command, str(app), "--offline", home=home, cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert lines[0].startswith("depsentry: error: internal error (a bug in depsentry): ")
    assert "RuntimeError: injected crash" in lines[0]
    saved = crash_file(lines[0])
    assert saved.parent == home / "crashes"
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("Traceback") and "injected crash" in text and "boom" in text


def test_verbose_after_the_subcommand_prints_the_traceback(tmp_path: Path, home: Path) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    done = run_crashing("scan", str(app), "--offline", "-v", home=home, cwd=tmp_path)
    assert done.returncode == 3
    assert "Traceback (most recent call last)" in done.stderr
    assert "RuntimeError: injected crash" in done.stderr


def test_an_unusable_state_directory_saves_the_traceback_in_the_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "home-is-a-file"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("DEPSENTRY_HOME", str(blocked))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("x")

    monkeypatch.setattr("depsentry.commands.scan.run_scan", boom)
    assert main(["scan", str(tmp_path), "--offline"]) == 3
    line = capsys.readouterr().err.strip()
    assert "KeyError: 'x'" in line
    assert crash_file(line).parent == tmp_path / "tmp"


def test_no_place_for_the_traceback_still_exits_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("depsentry.cli._write_traceback", lambda text: None)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError

    monkeypatch.setattr("depsentry.commands.scan.run_scan", boom)
    assert main(["scan", str(tmp_path), "--offline"]) == 3
    err = capsys.readouterr().err
    assert err == (
        "depsentry: error: internal error (a bug in depsentry): RuntimeError; "
        "the traceback could not be saved\n"
    )


def test_known_errors_stay_exit_2_one_liners(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing-here.txt"
    assert main(["scan", str(missing), "--offline"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("depsentry: error: ")


def test_undecodable_names_in_errors_are_escaped(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = Path(os.fsdecode(str(tmp_path).encode() + b"/caf\xe9.txt"))
    assert main(["scan", str(missing), "--offline"]) == 2
    err = capsys.readouterr().err
    assert "caf\\xe9.txt" in err
    err.encode("utf-8")


LEVEL = (
    "import logging, sys\n"
    "from depsentry.cli import main\n"
    "main(sys.argv[1:])\n"
    "print(logging.getLogger().level)\n"
    "logging.getLogger('depsentry.test').warning('careful')\n"
)


def run_level(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEPSENTRY_HOME": str(home)}
    env.pop("DEPSENTRY_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-c", LEVEL, *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "level"),
    [
        (["-v", "policy", "show"], logging.INFO),
        (["policy", "show", "-v"], logging.INFO),
        (["policy", "-v", "show"], logging.INFO),
        (["-v", "policy", "show", "-v"], logging.DEBUG),
        (["policy", "show", "-q"], logging.ERROR),
        (["policy", "show"], logging.WARNING),
    ],
)
def test_verbosity_is_accepted_before_and_after_the_subcommand(
    home: Path, args: list[str], level: int
) -> None:
    done = run_level(*args, home=home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == str(level)


def test_log_lines_share_the_cli_prefix(home: Path) -> None:
    done = run_level("policy", "show", home=home)
    assert done.stderr.endswith("depsentry: warning: careful\n")
    assert run_level("policy", "show", "-q", home=home).stderr == ""


def test_logging_set_up_by_someone_else_is_left_alone(home: Path) -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    assert main(["policy", "show", "-vv"]) == 0  # pytest's handlers are on the root logger
    assert (list(root.handlers), root.level) == before


@pytest.mark.parametrize("value", ["3", "4"])
def test_python_without_a_minor_version_is_refused(
    home: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    assert main(["scan", ".", "--offline", "--python", value]) == 2
    err = capsys.readouterr().err
    assert f"'{value}' names no minor version; give X.Y (3.12)" in err


@pytest.mark.parametrize("value", ["3.12", "3.12.1", ">=3.9,<4"])
def test_python_versions_and_ranges_are_accepted(value: str) -> None:
    from depsentry.commands.scan import _check_python

    assert _check_python(None, None, value) == value  # type: ignore[arg-type]


def test_since_without_a_policy_warns(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.3\n"})
    first = tmp_path / "first.json"
    args = ["scan", str(app), "--osv-db", str(osv), "--offline"]
    assert main([*args, "-f", "json", "-o", str(first)]) == 0
    capsys.readouterr()
    assert main([*args, "--since", str(first)]) == 0
    assert "depsentry: warning: --since has no effect without a policy" in capsys.readouterr().err
    assert main([*args, "--since", str(first), "--policy", "monthly"]) == 0
    assert "--since has no effect" not in capsys.readouterr().err


def test_warnings_go_to_stderr_in_table_mode_too(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    import depsentry.commands.scan as commands_scan

    real = commands_scan.run_scan

    def warned(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        result.advisory_db = replace(result.advisory_db, warnings=("using the snapshot",))
        return result

    monkeypatch.setattr(commands_scan, "run_scan", warned)
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.3\n"})
    osv = write_osv(tmp_path / "osv")
    assert main(["scan", str(app), "--osv-db", str(osv), "--offline"]) == 0
    captured = capsys.readouterr()
    assert "using the snapshot" not in captured.out
    assert "depsentry: warning: using the snapshot" in captured.err


def test_an_unwritable_crashes_folder_falls_back_to_the_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "crashes").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("DEPSENTRY_HOME", str(home))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("x")

    monkeypatch.setattr("depsentry.commands.scan.run_scan", boom)
    assert main(["scan", str(tmp_path), "--offline"]) == 3
    assert crash_file(capsys.readouterr().err.strip()).parent == tmp_path / "tmp"


def test_a_crashing_reader_is_never_exit_1(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(self: object, path: Path) -> object:
        raise RuntimeError("reader bug")

    monkeypatch.setattr(
        "depsentry.inputs.project.read_tree", lambda path, **kwargs: broken(None, path)
    )
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    osv = write_osv(tmp_path / "osv")
    code = main(["scan", str(app), "--osv-db", str(osv), "--offline", "--fail-on", "none"])
    err = capsys.readouterr().err
    # Either the scan reports the project unreadable (2) or the bug line (3): never 0 or 1.
    assert code in (2, 3), err
    assert "Traceback" not in err and "reader bug" in err
