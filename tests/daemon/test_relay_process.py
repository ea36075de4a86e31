"""The relay inside the real daemon: kill -9 while a message is on the wire, restart with the
receiver down for a while: every message arrives, in order per channel, at most one twice."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon.daemon_process import Daemon, advisories, config_text, demo_tree, local_project
from tests.servers.chat import Answer, Fault, Request
from tests.servers.webhook_server import WebhookReceiver

pytestmark = pytest.mark.slow

SECRET = "relay-process-secret-31"


class StallingReceiver(WebhookReceiver):
    """Keeps each event (once, by id) as it arrives, and answers only when `release` is set
    while `stall` is: the sender is left waiting with its message already delivered."""

    def __init__(self) -> None:
        super().__init__(secret=SECRET)
        self.stall = threading.Event()
        self.release = threading.Event()
        self.order: list[str] = []  # every event id in arrival order, repeats included

    def answer(self, request: Request) -> Answer:
        answer = super().answer(request)
        self.order.append(request.json()["id"])
        if self.stall.is_set():
            self.release.wait(60)
        return answer


@pytest.fixture
def receiver() -> Iterator[StallingReceiver]:
    with StallingReceiver() as hook:
        yield hook
        hook.release.set()


def wait_until(what: str, check: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_kill_9_mid_send_then_a_receiver_outage_loses_nothing(
    tmp_path: Path, receiver: StallingReceiver
) -> None:
    osv = advisories(tmp_path / "osv")
    state = tmp_path / "state"
    projects = "".join(
        local_project(f"p{i}", demo_tree(tmp_path / f"p{i}"), "daily 02:00") for i in range(4)
    )
    channel = (
        f'[[channel]]\nname = "hook"\nkind = "webhook"\nurl = "{receiver.url}"\n'
        'secret_env = "HOOK_SECRET"\ntimeout = 30\n'
        '[alerts]\nbackoff_initial = "1s"\nbackoff_max = "2s"\npoll = "1s"\n'
    )
    config = tmp_path / "depsentry.toml"
    config.write_text(config_text(state, osv, projects + channel), encoding="utf-8")
    env = {"HOOK_SECRET": SECRET}

    receiver.stall.set()  # the first message arrives and is never confirmed
    first = Daemon(config, env=env).start().ready()
    try:
        wait_until("the first message", lambda: len(receiver.order) >= 1)
        first.kill()  # kill -9 between the send and its confirmation
    finally:
        first.close()
    receiver.stall.clear()
    receiver.release.set()
    receiver.fail(Fault(status=503, body={"error": "maintenance"}, times=5))  # down a while

    second = Daemon(config, env=env).start().ready()
    try:
        wait_until("all four baselines", lambda: len(receiver.events) == 4, timeout=60)
        second.wait_for("alert_sent", count=4, timeout=30)
        retries = [e for e in second.events if e.get("action") == "alert_retry"]
        assert retries, "the outage was seen and retried"
    finally:
        second.close()

    kinds = {e["kind"] for e in receiver.events.values()}
    assert kinds == {"baseline"}
    assert sorted(e["project"] for e in receiver.events.values()) == ["p0", "p1", "p2", "p3"]
    accepted = [r for r in receiver.received if r.status == 202]
    assert len(accepted) - len(receiver.events) <= 1  # at most the one in flight, twice
    assert receiver.duplicates <= 1
    # Order per channel: first arrivals follow the outbox.
    with sqlite3.connect(state / "depsentry.sqlite3") as conn:
        outbox = [row[0] for row in conn.execute("SELECT id FROM outbox ORDER BY seq")]
        states = conn.execute("SELECT DISTINCT state FROM deliveries").fetchall()
    assert list(dict.fromkeys(receiver.order)) == outbox
    assert states == [("sent",)]
    logs = "".join(first.raw + second.raw)
    assert SECRET not in logs
