"""The console script ends a scan without the interpreter's teardown (`cli.run`): everything
written must still arrive whole, through a pipe as through `-o`, with the scan's exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from depsentry.cli import main

SCRIPT = Path(sys.executable).parent / "depsentry"
PINS = 3_000  # far past a pipe's 64 KiB and the 8 KiB stdout buffer


@pytest.fixture
def project(home: Path, osv: Path, tmp_path: Path) -> Path:
    assert main(["db", "sync", "--from", str(osv)]) == 0
    folder = tmp_path / "project"
    folder.mkdir()
    lines = [f"quiet-package-{n}==1.{n}" for n in range(PINS)]
    (folder / "requirements.txt").write_text("\n".join(["Crit==1.0", *lines]) + "\n")
    return folder


def _scan(command: list[str], home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    if not SCRIPT.exists():
        pytest.skip(f"{SCRIPT}: the console script is not installed in this environment")
    return subprocess.run(
        [*command, "scan", "--offline", "--no-resolve", "--format", "json", *args],
        env={**os.environ, "DEPSENTRY_HOME": str(home)},
        capture_output=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "command", [[str(SCRIPT)], [sys.executable, "-m", "depsentry.cli"]], ids=["script", "module"]
)
def test_piped_json_arrives_whole_with_the_exit_code(
    project: Path, home: Path, command: list[str]
) -> None:
    done = _scan(command, home, str(project))
    assert done.returncode == 1, done.stderr  # Crit 1.0 is vulnerable
    document = json.loads(done.stdout)
    [scanned] = document["projects"]
    assert len(scanned["dependencies"]) == PINS + 1
    assert [v["package"] for v in scanned["vulnerabilities"]] == ["crit"]
    assert done.stderr.decode().strip().splitlines()[-1].startswith("Found 1 vulnerability")


def test_a_report_file_is_whole_and_a_clean_scan_exits_0(
    project: Path, home: Path, tmp_path: Path
) -> None:
    requirements = project / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("Crit==1.0\n", ""))
    out = tmp_path / "report.json"
    done = _scan([str(SCRIPT)], home, "--output", str(out), str(project))
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""
    assert len(json.loads(out.read_text())["projects"][0]["dependencies"]) == PINS


@pytest.mark.parametrize(
    ("offline", "console_script", "paused"),
    [(True, True, True), (False, True, False), (True, False, False)],
)
def test_the_collector_pauses_only_for_an_offline_scan_ending_the_process(
    monkeypatch: pytest.MonkeyPatch, offline: bool, console_script: bool, paused: bool
) -> None:
    import gc

    from depsentry import commands
    from depsentry.commands.scan import collect_less

    monkeypatch.setattr(commands, "_process_ends_with_command", console_script)
    monkeypatch.setattr(commands, "_exit_without_teardown", False)
    enabled, thresholds = gc.isenabled(), gc.get_threshold()
    gc.enable()
    try:
        collect_less(offline)
        assert gc.isenabled() is not paused
        if not paused:  # online (httpx responses are cycles) or in-process: it still runs
            assert gc.get_threshold()[0] == 200_000
        assert commands.teardown_skipped()
    finally:
        gc.set_threshold(*thresholds)
        (gc.enable if enabled else gc.disable)()
