"""The real daemon as a subprocess: a temp config, its JSON log lines read as they come, its
HTTP API, a fake NOTIFY_SOCKET, and real signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.commands.scenario import osv_record, project, write_osv

Event = dict[str, Any]


def config_text(
    state: Path, source: Path, projects: str, extra: str = "", sync: str = "every 1h"
) -> str:
    return (
        f'[daemon]\nstate_dir = "{state}"\nlisten = "127.0.0.1:0"\nconcurrency = 2\n'
        f'drain_timeout = "10s"\nlog_format = "json"\n{extra}\n'
        f'[advisories]\nsource = "{source}"\nsync = "{sync}"\nembedded_fallback = false\n'
        f"[defaults]\noutdated = false\njitter = 0\n{projects}"
    )


def local_project(name: str, path: Path, schedule: str = "daily 02:00", extra: str = "") -> str:
    return f'\n[[project]]\nname = "{name}"\npath = "{path}"\nschedule = "{schedule}"\n{extra}'


def demo_tree(root: Path, requirements: str = "demo==1.0\ncalm==1.0\n") -> Path:
    return project(root, {"requirements.txt": requirements})


def advisories(root: Path) -> Path:
    """The tiny OSV database (demo 1.0 has PYSEC-2099-7, high); calm has nothing yet."""
    return write_osv(root)


def add_advisory(root: Path, vuln_id: str, package: str, fixed: str | None, severity: str) -> None:
    record = osv_record(vuln_id, package, fixed, severity)
    (root / f"{vuln_id}.json").write_text(json.dumps(record), encoding="utf-8")


class NotifySocket:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET; collects what arrives."""

    def __init__(self, path: Path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.messages: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue
            except OSError:
                return

    def lines(self) -> list[str]:
        return [line for message in list(self.messages) for line in message.splitlines()]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


class Daemon:
    """`depsentry daemon run -c CONFIG` in a child process."""

    def __init__(
        self, config: Path, *, env: dict[str, str] | None = None, args: tuple[str, ...] = (),
        session: bool = False,
    ):  # fmt: skip
        self.config, self.args, self.session = config, args, session
        self.env = {**os.environ, **(env or {})}
        self.env.pop("DEPSENTRY_LOG_LEVEL", None)
        self.events: list[Event] = []
        self.raw: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.token: str | None = None

    def start(self) -> Daemon:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "depsentry.cli", "daemon", "run", "-c", str(self.config), *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env,
            start_new_session=self.session,  # its own process group, for a Ctrl-C to all of it
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.raw.append(line)
            try:
                self.events.append(json.loads(line))
            except ValueError:
                self.events.append({"message": line.rstrip(), "action": "raw"})

    def wait_for(self, action: str, timeout: float = 20.0, where: Callable[[Event], bool] = lambda e: True,
                 count: int = 1) -> list[Event]:  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in list(self.events) if e.get("action") == action and where(e)]
            if len(found) >= count:
                return found
            if self.process is not None and self.process.poll() is not None:
                time.sleep(0.2)  # let the reader catch the last lines
                found = [e for e in list(self.events) if e.get("action") == action and where(e)]
                if len(found) >= count:
                    return found
                raise AssertionError(
                    f"daemon exited ({self.process.returncode}) before {action}:\n{self.log()}"
                )
            time.sleep(0.05)
        raise AssertionError(f"no {count} x {action} within {timeout}s:\n{self.log()}")

    def ready(self, timeout: float = 30.0) -> Daemon:
        self.url = self.wait_for("http_listening", timeout)[0]["url"]
        self.wait_for("ready", timeout)
        return self

    def scans(self, project: str | None = None) -> list[Event]:
        return [e for e in list(self.events) if e.get("action") == "scan_finished"
                and (project is None or e.get("project") == project)]  # fmt: skip

    def http(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.request(method, self.url + path, headers=headers, timeout=10, **kwargs)

    def get(self, path: str) -> Any:
        answer = self.http("GET", path)
        answer.raise_for_status()
        return answer.json()

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, timeout: float = 20.0) -> int:
        assert self.process is not None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            # Where it is stuck: the daemon prints every thread's stack on SIGUSR1.
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(1.0)
            raise AssertionError(f"daemon still running {timeout}s later:\n{self.log()}") from None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def close(self) -> None:
        """Kill it if it still runs, and release its pipe."""
        self.kill()
        if self.process is not None and self.process.stdout is not None:
            self._reader.join(5)
            self.process.stdout.close()

    def log(self) -> str:
        return "".join(self.raw[-60:])
