"""A big offline JSON scan from the console script runs on two processes (`commands/halves.py`):
the report, the stderr lines and the exit code must be the serial scan's, whatever the child
does, and nothing may be left behind."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from depsentry import commands
from depsentry.cli import main
from depsentry.commands import halves
from depsentry.commands.scan import SPLIT_AT

SCRIPT = Path(sys.executable).parent / "depsentry"
PROJECTS = SPLIT_AT + 6


def _projects(root: Path, count: int = PROJECTS) -> list[str]:
    """Projects with findings, clean ones and unreadable ones, in both halves."""
    paths = []
    for n in range(count):
        folder = root / f"p{n:03d}"
        folder.mkdir(parents=True)
        if n % 9 == 4:
            os.mkfifo(folder / "requirements.txt")  # unreadable: an error line, exit 2
        else:
            pins = ["Crit==1.0" if n % 3 == 0 else "crit==2.0", f"high=={1 + n % 2}.0", "med==1.5"]
            (folder / "requirements.txt").write_text("\n".join(pins) + "\n")
        paths.append(str(folder))
    return paths


def _scan_args(osv: Path, out: Path, paths: list[str]) -> list[str]:
    return ["scan", "--osv-db", str(osv), "--offline", "--no-resolve", "-f", "json", "-o", str(out), *paths]  # fmt: skip


def _without_time(text: str) -> list[str]:
    return [line for line in text.splitlines() if '"generated_at"' not in line]


@pytest.fixture
def serial_state() -> Iterator[None]:
    """An in-process `main` that splits as the console script does (the gc state restored)."""
    enabled, thresholds = gc.isenabled(), gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


def _serial(
    osv: Path, out: Path, paths: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    code = main(_scan_args(osv, out, paths))
    report = out.read_text(encoding="utf-8") if out.exists() else ""
    return code, report, capsys.readouterr().err


@pytest.mark.parametrize("since", [False, True], ids=["plain", "since"])
def test_the_split_scan_is_the_serial_scan(
    home: Path, osv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], since: bool
) -> None:
    if not SCRIPT.exists():
        pytest.skip(f"{SCRIPT}: the console script is not installed in this environment")
    if len(os.sched_getaffinity(0)) < 2 or sys.platform != "linux":
        pytest.skip("one CPU, or not Linux: the console script scans serially here too")
    paths = _projects(tmp_path / "projects")
    extra = []
    if since:  # an earlier report, and no policy to use it: one warning, said once
        _serial(osv, tmp_path / "earlier.json", paths, capsys)
        extra = ["--since", str(tmp_path / "earlier.json")]
    code, report, err = _serial(osv, tmp_path / "serial.json", [*extra, *paths], capsys)
    assert ("--since has no effect" in err) is since
    split = tmp_path / "split.json"
    done = subprocess.run(
        [str(SCRIPT), *_scan_args(osv, split, [*extra, *paths])],
        env={**os.environ, "DEPSENTRY_HOME": str(home), "DEPSENTRY_LOG_LEVEL": "DEBUG"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    theirs = PROJECTS - PROJECTS * 11 // 20  # the child's share: it opens the database again
    assert f"the last {theirs} of {PROJECTS} paths scanned by process" in done.stderr
    # In-process, pytest owns logging: the lines compared are the command's own.
    logged = ("depsentry: debug:", "depsentry: info:")
    lines = [line for line in done.stderr.splitlines() if not line.startswith(logged)]
    assert (
        sum(
            line.startswith("depsentry: info: advisory database")
            for line in done.stderr.splitlines()
        )
        == 1
    )
    assert (done.returncode, lines) == (code, err.splitlines())
    assert code == 2 and sum("depsentry: error:" in line for line in lines) == 8
    assert _without_time(split.read_text(encoding="utf-8")) == _without_time(report)
    document = json.loads(report)
    assert [p["project"] for p in document["projects"]] == ["."] * PROJECTS
    assert [p["root"] for p in document["projects"]] == paths
    left = {"home", "osv", "projects", "serial.json", "split.json"} | ({"earlier.json"} if since else set())  # fmt: skip
    assert {p.name for p in tmp_path.iterdir()} == left


@pytest.mark.parametrize("failure", ["exit", "killed", "garbage"])
def test_a_failed_child_costs_time_never_the_result(
    home: Path,
    osv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    serial_state: None,
    failure: str,
) -> None:
    paths = _projects(tmp_path / "projects")
    expected = _serial(osv, tmp_path / "serial.json", paths, capsys)

    def child(options: object, part: object, pipe: int, code_of: object) -> None:
        if failure == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        if failure == "garbage":
            os.write(pipe, b"{not json")
        os._exit(1 if failure == "exit" else 0)

    monkeypatch.setattr(halves, "_child", child)
    monkeypatch.setattr(commands, "_process_ends_with_command", True)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    out = tmp_path / "split.json"
    code, report, err = _serial(osv, out, paths, capsys)
    assert (code, _without_time(report), err) == (
        expected[0],
        _without_time(expected[1]),
        expected[2],
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "osv", "projects", "serial.json", "split.json"]  # fmt: skip


def test_no_readable_project_writes_no_report_in_halves(
    home: Path,
    osv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    serial_state: None,
) -> None:
    paths = [str(tmp_path / f"missing-{n}") for n in range(PROJECTS)]
    out = tmp_path / "report.json"
    out.write_text("the last report\n")
    expected = _serial(osv, out, paths, capsys)
    assert expected[0] == 2 and expected[1] == "the last report\n"
    monkeypatch.setattr(commands, "_process_ends_with_command", True)
    forks = []
    real_fork = os.fork

    def fork() -> int:
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(os, "fork", fork)
    assert _serial(osv, out, paths, capsys) == expected
    assert forks == [1]  # split, and the child's part left nothing behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "osv", "report.json"]


def test_an_interrupted_parent_ends_its_child_and_removes_its_part(
    home: Path, osv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from depsentry.scan import ScanOptions

    paths = [Path(p) for p in _projects(tmp_path / "projects", 4)]
    children: list[int] = []

    def child(options: object, part: object, pipe: int, code_of: object) -> None:
        time.sleep(60)
        os._exit(0)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        children.append(pid)
        return pid

    kills: list[tuple[int, int]] = []
    real_kill = os.kill

    def kill(pid: int, sig: int) -> None:
        kills.append((pid, sig))
        real_kill(pid, sig)

    monkeypatch.setattr(halves, "_child", child)
    monkeypatch.setattr(halves, "run_scan", interrupted)
    monkeypatch.setattr(os, "fork", fork)
    monkeypatch.setattr(os, "kill", kill)
    options = ScanOptions(paths=paths, osv_db=osv, offline=True, resolve_unpinned=False)
    with pytest.raises(KeyboardInterrupt):
        halves.Halves(options, tmp_path / "report.json", lambda *a: None, lambda r: 0)
    [pid] = children
    assert kills == [(pid, signal.SIGKILL)]  # not waited for: it is a minute from done
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # killed and reaped: no zombie left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "osv", "projects"]


def test_a_child_whose_parent_died_leaves_no_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from depsentry.scan import ScanOptions

    part = tmp_path / ".report.json.0123.part"
    fd = os.open(part, os.O_CREAT | os.O_RDWR, 0o600)
    readable, writable = os.pipe()
    started, go = os.pipe()

    def orphaned(options: object, *args: object, **kwargs: object) -> None:
        os.write(go, b"!")  # the child knows its parent by now: the parent may die
        while os.getppid() == first_parent:
            time.sleep(0.01)
        raise RuntimeError("the scan goes on without its parent")

    monkeypatch.setattr(halves, "open_sources", lambda options: [])
    monkeypatch.setattr(halves, "run_scan", orphaned)
    options = ScanOptions(paths=[tmp_path], offline=True)
    middle = os.fork()
    if middle == 0:  # the parent that dies: its child is the scan's
        first_parent = os.getpid()
        if os.fork() == 0:
            halves._child(options, (fd, part), writable, lambda result: 0)
        os.read(started, 1)
        os._exit(0)
    os.close(fd)
    os.close(writable)
    os.close(go)
    os.waitpid(middle, 0)
    assert os.read(readable, 1) == b""  # the orphan ended without an answer...
    os.close(readable)
    os.close(started)
    assert not part.exists()  # ...and took its part with it
