"""The real daemon as a subprocess: readiness, scheduled scans, metrics, a sync that matches
new advisories without a re-scan, SIGHUP with good and bad configs, SIGTERM, kill -9 during a
scan and the restart after it, --once, and sd_notify on a fake NOTIFY_SOCKET."""

from __future__ import annotations

import re
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.commands.scenario import index_projects, project
from tests.daemon.daemon_process import (
    Daemon,
    NotifySocket,
    add_advisory,
    advisories,
    config_text,
    demo_tree,
    local_project,
)
from tests.servers.index_server import IndexServer

pytestmark = pytest.mark.slow

Spawn = Callable[..., Daemon]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    started: list[Daemon] = []

    def start(config: Path, **kwargs: object) -> Daemon:
        daemon = Daemon(config, **kwargs).start()  # type: ignore[arg-type]
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.close()


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifySocket]:
    sock = NotifySocket(tmp_path / "notify.sock")
    yield sock
    sock.close()


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} not in metrics"
    return float(match.group(1))


def runs(state: Path, project_name: str) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(state / "depsentry.sqlite3") as conn:
        return conn.execute(
            "SELECT trigger, result, error FROM runs WHERE project = ? ORDER BY id", (project_name,)
        ).fetchall()


def test_ready_scheduled_scans_metrics_watchdog_and_sigterm(
    tmp_path: Path, spawn: Spawn, notify: NotifySocket
) -> None:
    app = demo_tree(tmp_path / "app")
    config = tmp_path / "depsentry.toml"
    config.write_text(config_text(tmp_path / "state", advisories(tmp_path / "osv"),
                                  local_project("app", app, "every 2s")), encoding="utf-8")  # fmt: skip
    daemon = spawn(config, env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"}).ready()
    scans = daemon.wait_for("scan_finished", count=3, timeout=30)
    assert [s["result"] for s in scans] == ["ok"] * 3
    assert scans[0]["trigger"] == "first" and scans[2]["trigger"] == "schedule"
    assert daemon.http("GET", "/readyz").status_code == 200
    text = daemon.http("GET", "/metrics").text
    assert metric(text, 'depsentry_scans_total{result="ok"}') >= 3
    assert metric(text, 'depsentry_findings{kind="vulnerability",severity="high"}') == 1
    assert metric(text, "depsentry_last_successful_scan_timestamp_seconds") > time.time() - 60
    assert metric(text, "depsentry_last_successful_sync_timestamp_seconds") > 0
    status = daemon.get("/v1/status")
    assert status["ready"] and status["projects"][0]["open_by_severity"]["high"] == 1
    assert "READY=1" in notify.lines() and "WATCHDOG=1" in notify.lines()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    assert "STOPPING=1" in notify.lines()
    assert not (tmp_path / "state" / "daemon.json").exists()
    assert all(result != "running" for _, result, _ in runs(tmp_path / "state", "app"))


def test_a_new_advisory_in_a_sync_matches_without_a_rescan(tmp_path: Path, spawn: Spawn) -> None:
    app = demo_tree(tmp_path / "app")
    osv = advisories(tmp_path / "osv")
    config = tmp_path / "depsentry.toml"
    config.write_text(config_text(tmp_path / "state", osv, local_project("app", app), sync="every 2s"),
                      encoding="utf-8")  # fmt: skip
    daemon = spawn(config).ready()
    daemon.wait_for("scan_finished")
    before = daemon.get("/v1/findings?kind=vulnerability")["findings"]
    assert [f["package"] for f in before] == ["demo"]
    add_advisory(osv, "PYSEC-2099-77", "calm", "1.1", "CRITICAL")
    sync = daemon.wait_for("sync_done", where=lambda e: e.get("changes", 0) > 0, timeout=30)[0]
    assert sync["rematched"] == 1
    after = daemon.get("/v1/findings?kind=vulnerability")["findings"]
    assert sorted(f["package"] for f in after) == ["calm", "demo"]
    assert len(runs(tmp_path / "state", "app")) == 1  # no scan ran: the stored set was matched
    with sqlite3.connect(tmp_path / "state" / "depsentry.sqlite3") as conn:
        kinds = [r[0] for r in conn.execute("SELECT kind FROM outbox ORDER BY seq")]
    assert kinds == ["baseline", "scan"]
    assert (
        'depsentry_findings{kind="vulnerability",severity="critical"} 1.0'
        in daemon.http("GET", "/metrics").text
    )
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0


def test_sighup_with_a_good_and_a_bad_config(
    tmp_path: Path, spawn: Spawn, notify: NotifySocket
) -> None:
    a, b = demo_tree(tmp_path / "a"), demo_tree(tmp_path / "b", "calm==1.0\n")
    osv = advisories(tmp_path / "osv")
    config = tmp_path / "depsentry.toml"
    good = config_text(tmp_path / "state", osv, local_project("a", a))
    config.write_text(good, encoding="utf-8")
    daemon = spawn(config, env={"NOTIFY_SOCKET": notify.path}).ready()
    daemon.wait_for("scan_finished")
    config.write_text(
        good.replace("concurrency = 2", "concurrency = 0") + "\n[oops]\n", encoding="utf-8"
    )
    daemon.signal(signal.SIGHUP)
    rejected = daemon.wait_for("reload_rejected", count=2)
    assert any("daemon.concurrency" in e["message"] for e in rejected)
    assert any("oops: unknown table" in e["message"] for e in rejected)
    assert [p["name"] for p in daemon.get("/v1/projects")["projects"]] == [
        "a"
    ]  # the old one runs on
    assert daemon.http("GET", "/readyz").status_code == 200
    config.write_text(good + local_project("b", b), encoding="utf-8")
    daemon.signal(signal.SIGHUP)
    daemon.wait_for("reloaded")
    daemon.wait_for("scan_finished", where=lambda e: e["project"] == "b")
    assert [p["name"] for p in daemon.get("/v1/projects")["projects"]] == ["a", "b"]
    assert len(daemon.scans("a")) == 1  # a reload drops no state and re-runs nothing
    lines = notify.lines()
    assert lines.count("RELOADING=1") == 2
    assert any(line.startswith("MONOTONIC_USEC=") for line in lines)
    assert sum(1 for line in lines if line == "READY=1") == 3
    text = daemon.http("GET", "/metrics").text
    assert metric(text, 'depsentry_reloads_total{result="error"}') == 1
    assert metric(text, 'depsentry_reloads_total{result="ok"}') == 1
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0


def test_watch_reloads_when_the_file_changes(tmp_path: Path, spawn: Spawn) -> None:
    a, b = demo_tree(tmp_path / "a"), demo_tree(tmp_path / "b")
    config = tmp_path / "depsentry.toml"
    text = config_text(tmp_path / "state", advisories(tmp_path / "osv"), local_project("a", a),
                       extra="watch = true")  # fmt: skip
    config.write_text(text, encoding="utf-8")
    daemon = spawn(config).ready()
    daemon.wait_for("scan_finished")
    config.write_text(text + local_project("b", b), encoding="utf-8")
    daemon.wait_for("config_changed", timeout=10)
    daemon.wait_for("reloaded")
    daemon.wait_for("scan_finished", where=lambda e: e["project"] == "b")
    daemon.signal(signal.SIGINT)
    assert daemon.wait() == 0


def test_kill_9_during_a_scan_then_restart(tmp_path: Path, spawn: Spawn) -> None:
    """Nothing lost, no duplicate runs, the interrupted scan and the missed run caught up."""
    slow = project(
        tmp_path / "slow", {"requirements.txt": "demo==1.0\ncalm==1.0\nopenai==0.28.1\n"}
    )
    fast = demo_tree(tmp_path / "fast")
    osv = advisories(tmp_path / "osv")
    state = tmp_path / "state"
    with IndexServer(index_projects(), latency=1.5) as index:
        config = tmp_path / "depsentry.toml"
        config.write_text(
            config_text(state, osv, local_project("fast", fast, "every 3s")
                        + local_project("slow", slow, "daily 02:00", "outdated = true"),
                        extra="") + f'\n[index]\nurl = "{index.simple_url}"\n',
            encoding="utf-8",
        )  # fmt: skip
        daemon = spawn(config).ready()
        daemon.wait_for("scan_finished", where=lambda e: e["project"] == "fast")
        deadline = time.monotonic() + 10
        while not any(
            p["running"] for p in daemon.get("/v1/projects")["projects"] if p["name"] == "slow"
        ):
            assert time.monotonic() < deadline, daemon.log()
            time.sleep(0.05)
        fast_findings = daemon.get("/v1/findings?project=fast")["findings"]
        daemon.kill()  # SIGKILL in the middle of slow's scan
        assert runs(state, "slow") == [("first", "running", None)]
        time.sleep(3.5)  # fast's every-3s run falls due while the daemon is down

        again = spawn(config).ready()
        interrupted = again.wait_for("runs_interrupted")[0]
        assert interrupted["projects"] == ["slow"]
        again.wait_for("scan_finished", where=lambda e: e["project"] == "slow", timeout=30)
        first_fast = again.wait_for("scan_finished", where=lambda e: e["project"] == "fast")[0]
        assert first_fast["trigger"] == "catch-up"
        slow_runs = runs(state, "slow")
        assert [(t, r) for t, r, _ in slow_runs] == [("first", "interrupted"), ("catch-up", "ok")]
        assert "found at start-up" in (slow_runs[0][2] or "")
        assert [r for _, r, _ in runs(state, "fast")].count("running") == 0
        # What fast had before the kill is still there, under the same ids.
        assert [f["id"] for f in again.get("/v1/findings?project=fast")["findings"]] == [
            f["id"] for f in fast_findings
        ]
        assert again.get("/v1/findings?project=slow&kind=update")[
            "findings"
        ]  # the slow scan completed
        again.signal(signal.SIGTERM)
        assert again.wait() == 0


def test_sigterm_during_a_scan_waits_then_marks_it_interrupted(
    tmp_path: Path, spawn: Spawn
) -> None:
    slow = project(tmp_path / "slow", {"requirements.txt": "demo==1.0\n"})
    state = tmp_path / "state"
    with IndexServer(index_projects(), latency=6) as index:
        config = tmp_path / "depsentry.toml"
        config.write_text(
            config_text(state, advisories(tmp_path / "osv"),
                        local_project("slow", slow, extra="outdated = true"), extra="")
            .replace('drain_timeout = "10s"', 'drain_timeout = "1s"') + f'\n[index]\nurl = "{index.simple_url}"\n',
            encoding="utf-8",
        )  # fmt: skip
        daemon = spawn(config).ready()
        deadline = time.monotonic() + 10
        while runs(state, "slow") != [("first", "running", None)]:
            assert time.monotonic() < deadline, daemon.log()
            time.sleep(0.05)
        started = time.monotonic()
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
        assert time.monotonic() - started < 15
        daemon.wait_for("drain_timeout")
        assert [(t, r) for t, r, _ in runs(state, "slow")] == [("first", "interrupted")]


def test_once_runs_what_is_due_and_exits(tmp_path: Path, spawn: Spawn) -> None:
    from tests.daemon.gitrepo import Repo

    repo = Repo(tmp_path / "origin")
    repo.commit({"requirements.txt": "demo==1.0\n", "docs/readme.md": "x"})
    app = demo_tree(tmp_path / "app", "calm==1.0\n")
    # One configured project is one project: a sub-directory's pins are part of it, and the
    # repository's own [tool.depsentry] exclude does not hide them (the operator's excludes do).
    project(app / "tests" / "fixtures" / "x", {"requirements.txt": "demo==1.0\n"})
    (app / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\n[tool.depsentry]\nexclude = ["tests/"]\n',
        encoding="utf-8",
    )
    state = tmp_path / "state"
    config = tmp_path / "depsentry.toml"
    config.write_text(
        config_text(state, advisories(tmp_path / "osv"),
                    local_project("app", app) + local_project("gone", tmp_path / "nowhere")
                    + f'\n[[project]]\nname = "remote"\ngit = "{repo.url}"\nbranch = "main"\n'),
        encoding="utf-8",
    )  # fmt: skip
    first = spawn(config, args=("--once",))
    assert first.wait(60) == 0, first.log()
    assert {e["project"]: e["result"] for e in first.scans()} == {
        "app": "ok",
        "gone": "failed",
        "remote": "ok",
    }
    assert "no such file or directory" in runs(state, "gone")[0][2]
    with sqlite3.connect(state / "depsentry.sqlite3") as conn:
        found = conn.execute("SELECT package FROM findings WHERE project = 'app'").fetchall()
    assert found == [("demo",)]
    assert (state / "clones" / "remote" / "requirements.txt").is_file()
    assert not (state / "clones" / "remote" / "docs").exists()  # sparse: dependency files only
    second = spawn(config, args=("--once",))
    assert second.wait(60) == 0
    assert second.scans() == []  # nothing fell due since
    assert len(runs(state, "app")) == 1


def test_cli_scan_and_findings_against_the_running_daemon(tmp_path: Path, spawn: Spawn) -> None:
    import json
    import os
    import subprocess
    import sys

    app = demo_tree(tmp_path / "app")
    token = tmp_path / "token"
    token.write_text("s3cret-token\n", encoding="utf-8")
    config = tmp_path / "depsentry.toml"
    config.write_text(config_text(tmp_path / "state", advisories(tmp_path / "osv"), local_project("app", app),
                                  extra=f'token_file = "{token}"'), encoding="utf-8")  # fmt: skip
    daemon = spawn(config).ready()
    daemon.token = "s3cret-token"
    daemon.wait_for("scan_finished")
    import httpx

    assert httpx.get(daemon.url + "/v1/status").status_code == 401
    assert httpx.get(daemon.url + "/healthz").status_code == 200

    def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "depsentry.cli", *args], capture_output=True, text=True,
                              env={**os.environ, **(env or {})}, timeout=60, check=False)  # fmt: skip

    scanned = cli("daemon", "scan", "app", "-c", str(config))
    assert scanned.returncode == 0, scanned.stderr
    assert "app: ok in" in scanned.stdout
    assert daemon.scans("app")[-1]["trigger"] == "on-demand"
    listed = cli("findings", "list", "-c", str(config), "--format", "json")
    (finding,) = json.loads(listed.stdout)["findings"]
    assert finding["package"] == "demo"
    denied = cli(
        "findings", "dismiss", str(finding["id"]), "--reason", "not_used", "--url", daemon.url
    )
    assert denied.returncode == 2 and "bearer token" in denied.stderr
    dismissed = cli("findings", "dismiss", str(finding["id"]), "--reason", "not_used", "--comment", "unused",
                    "--url", daemon.url, "--token-file", str(token), "--by", "ana")  # fmt: skip
    assert dismissed.returncode == 0, dismissed.stderr
    shown = cli("findings", "show", str(finding["id"]), "-c", str(config))
    assert "dismiss  by ana" in shown.stdout
    assert cli("findings", "list", "-c", str(config), "--format", "json").stdout.count('"id"') == 0
    unknown = cli("daemon", "scan", "nope", "-c", str(config))
    assert unknown.returncode == 2 and "no project 'nope'" in unknown.stderr
    local = cli("daemon", "scan", "app", "--local", "-c", str(config))
    assert local.returncode == 0 and "app: ok" in local.stdout, local.stderr
    assert "s3cret-token" not in "".join(daemon.raw)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0


def test_the_readme_one_liner_with_the_example_project(tmp_path: Path, spawn: Spawn) -> None:
    """`depsentry init` then `daemon run`: offline, it falls back to the shipped snapshot."""
    import subprocess
    import sys

    from tests.paths import EXAMPLE

    done = subprocess.run([sys.executable, "-m", "depsentry.cli", "init", "--project", str(EXAMPLE)],
                          cwd=tmp_path, capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    config = tmp_path / "depsentry.toml"
    text = config.read_text(encoding="utf-8")
    # A free port, no index and a source that fails fast: the offline path of the same config.
    text = text.replace('listen = "127.0.0.1:8787"', 'listen = "127.0.0.1:0"')
    text = text.replace("outdated = true", "outdated = false")
    text = re.sub(
        r"^source = .*$", f'source = "{tmp_path / "no-such-dump.zip"}"', text, flags=re.MULTILINE
    )
    config.write_text(text, encoding="utf-8")
    daemon = spawn(config).ready()
    daemon.wait_for("advisory_embedded")
    scan = daemon.wait_for("scan_finished", timeout=30)[0]
    assert scan["result"] == "ok" and scan["findings"] > 0
    assert (tmp_path / ".depsentry" / "depsentry.sqlite3").is_file()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
