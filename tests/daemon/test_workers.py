"""Scans in worker processes, with the real daemon as a subprocess: a worker killed with
SIGKILL mid-scan costs neither findings nor a second run."""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands.scenario import index_projects, project
from tests.daemon.daemon_process import Daemon, advisories, config_text, local_project
from tests.servers.index_server import IndexServer

pytestmark = pytest.mark.slow


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def start(tmp_path: Path, state: Path, extra: str = "", session: bool = False) -> Iterator[Daemon]:
    slow = project(
        tmp_path / "slow", {"requirements.txt": "demo==1.0\ncalm==1.0\nopenai==0.28.1\n"}
    )
    with IndexServer(index_projects(), latency=1.5) as index:  # the scan waits in the worker
        config = tmp_path / "depsentry.toml"
        config.write_text(
            config_text(state, advisories(tmp_path / "osv"),
                        local_project("slow", slow, extra="outdated = true"),
                        extra=f"workers = 1\n{extra}")
            + f'\n[index]\nurl = "{index.simple_url}"\n',
            encoding="utf-8",
        )  # fmt: skip
        running = Daemon(config, session=session).start()
        yield running
        running.close()


@pytest.fixture
def daemon(tmp_path: Path, state: Path) -> Iterator[Daemon]:
    yield from start(tmp_path, state)


@pytest.fixture
def grouped(tmp_path: Path, state: Path) -> Iterator[Daemon]:
    yield from start(tmp_path, state, session=True)


@pytest.fixture
def hasty(tmp_path: Path, state: Path) -> Iterator[Daemon]:
    yield from start(tmp_path, state, 'scan_timeout = "1s"')


def runs(state: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(state / "depsentry.sqlite3") as conn:
        return conn.execute("SELECT trigger, result FROM runs ORDER BY id").fetchall()


def test_a_worker_killed_mid_scan_is_replaced_under_the_same_run(
    daemon: Daemon, state: Path
) -> None:
    daemon.ready()
    started = daemon.wait_for("worker_started", where=lambda e: e["project"] == "slow")[0]
    assert daemon.process is not None and started["pid"] != daemon.process.pid
    os.kill(started["pid"], signal.SIGKILL)  # while it imports the engine or waits on the index
    died = daemon.wait_for("worker_died", where=lambda e: e["project"] == "slow")[0]
    assert died["exitcode"] == -signal.SIGKILL
    finished = daemon.wait_for("scan_finished", where=lambda e: e["project"] == "slow", timeout=60)
    assert finished[0]["result"] == "ok"
    assert len(daemon.wait_for("worker_started", count=2)) == 2  # a fresh worker did the scan
    assert runs(state) == [("first", "ok")]  # one run, recorded once
    findings = daemon.get("/v1/findings?project=slow")["findings"]
    assert {f["kind"] for f in findings} == {"vulnerability", "update"}
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0


def test_a_scan_past_its_timeout_in_a_worker_fails_as_timed_out(hasty: Daemon, state: Path) -> None:
    hasty.ready()
    finished = hasty.wait_for("scan_finished", where=lambda e: e["project"] == "slow", timeout=30)
    assert finished[0]["result"] == "failed"
    assert "timed out after 1s (daemon.scan_timeout)" in finished[0]["error"]
    assert runs(state) == [("first", "failed")]
    hasty.signal(signal.SIGTERM)
    assert hasty.wait() == 0


def test_a_ctrl_c_to_the_process_group_lets_the_workers_finish_the_drain(
    grouped: Daemon, state: Path
) -> None:
    grouped.ready()
    grouped.wait_for("worker_started", where=lambda e: e["project"] == "slow")
    assert grouped.process is not None
    os.killpg(grouped.process.pid, signal.SIGINT)  # the daemon and its worker alike
    assert grouped.wait(60) == 0
    assert not [e for e in grouped.events if e.get("action") == "worker_died"]
    assert runs(state) == [("first", "ok")]  # drained: the worker's scan was recorded
