"""sd_notify over a real datagram socket, as systemd listens for it."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from depsentry.daemon.sdnotify import Notifier, watchdog_interval


@pytest.fixture
def listener(tmp_path: Path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify.sock"
    sock.bind(str(path))
    sock.settimeout(2)
    yield sock, str(path)
    sock.close()


def test_ready_reloading_stopping_watchdog(listener) -> None:
    sock, path = listener
    notifier = Notifier(path)
    assert notifier.ready("watching 3 project(s)")
    assert sock.recv(4096).decode().splitlines() == ["READY=1", "STATUS=watching 3 project(s)"]
    notifier.reloading()
    lines = sock.recv(4096).decode().splitlines()
    assert lines[0] == "RELOADING=1" and lines[1].startswith("MONOTONIC_USEC=")
    assert int(lines[1].split("=")[1]) > 0
    notifier.stopping()
    assert sock.recv(4096) == b"STOPPING=1"
    notifier.watchdog()
    assert sock.recv(4096) == b"WATCHDOG=1"


def test_abstract_socket_address() -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0depsentry-test-notify")
    sock.settimeout(2)
    try:
        assert Notifier("@depsentry-test-notify").ready()
        assert sock.recv(100) == b"READY=1"
    finally:
        sock.close()


def test_without_systemd_it_does_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert not Notifier().enabled and not Notifier().ready()
    assert not Notifier(str(tmp_path / "gone.sock")).ready()  # a dead socket is a warning only


def test_watchdog_interval_is_half_of_watchdog_usec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "10000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert watchdog_interval() == 5.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # meant for another process
    assert watchdog_interval() is None
    monkeypatch.delenv("WATCHDOG_USEC")
    assert watchdog_interval() is None
