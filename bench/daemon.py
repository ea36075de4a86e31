"""Benchmark: the daemon watching 1,000 local projects (40 pins each) on one schedule.

    .venv/bin/python bench/daemon.py [--projects 1000] [--pins 40] [--concurrency 4]

Runs the real `depsentry daemon run` as a child process against the real OSV snapshot and
prints: the time to scan every project once after the database is loaded; peak RSS; RSS and
CPU time while idle between rounds (after the first and after the second round, to see growth);
and the re-match of every stored dependency set after a sync that brings a new advisory.
Targets (2 cores): all projects < 30 s, re-match < 5 s, idle RSS < 120 MB, idle CPU ~0. Not run
by CI.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bytecode import compile_bytecode  # noqa: E402
from scan import DEFAULT_DB, _candidate_pins  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _proc(pid: int) -> tuple[float, float, float]:
    """(RSS MiB, peak RSS MiB, CPU seconds) of `pid`."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = {
        line.split(":")[0]: line.split(":")[1].strip()
        for line in status.splitlines()
        if ":" in line
    }
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / TICK
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024, cpu


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return out


def _workers(pid: int) -> tuple[float, float, int]:
    """(RSS MiB of the live children, CPU seconds of every child ever: the live ones plus those
    already reaped, which /proc counts in the parent's cutime/cstime, how many are live)."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(stat[13]) + int(stat[14])) / TICK
    rss, live = 0.0, 0
    for child in _children(pid):
        try:
            child_rss, _, child_cpu = _proc(child)
        except (OSError, KeyError):
            continue
        rss, cpu, live = rss + child_rss, cpu + child_cpu, live + 1
    return rss, cpu, live


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


class Child:
    def __init__(self, config: Path):
        env = {**os.environ, "DEPSENTRY_LOG_LEVEL": "info"}
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "depsentry"), "daemon", "run", "-c", str(config)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )  # fmt: skip
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            event["_at"] = time.monotonic()
            with self.lock:
                self.events.append(event)

    def count(self, action: str) -> int:
        with self.lock:
            return sum(1 for e in self.events if e.get("action") == action)

    def wait(self, action: str, n: int = 1, timeout: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [e for e in self.events if e.get("action") == action]
            if len(found) >= n:
                return found[n - 1]
            if self.process.poll() is not None:
                raise SystemExit(f"daemon exited with {self.process.returncode}")
            time.sleep(0.05)
        raise SystemExit(f"timed out waiting for {n} x {action}")


def idle(pid: int, seconds: float, label: str) -> float:
    """Print the daemon's and its workers' RSS at the end of `seconds` of idling, and the CPU
    seconds each used over it and over its second half; return the daemon's RSS."""
    _, _, cpu0 = _proc(pid)
    _, wcpu0, _ = _workers(pid)
    time.sleep(seconds / 2)
    _, _, cpu_half = _proc(pid)
    _, wcpu_half, _ = _workers(pid)
    time.sleep(seconds / 2)
    rss, _, cpu1 = _proc(pid)
    wrss, wcpu1, live = _workers(pid)
    print(f"idle after {label}: daemon RSS {rss:.0f} MiB  [target < 120 MB], "
          f"CPU {cpu1 - cpu0:.2f} s over {seconds:.0f} s ({cpu1 - cpu_half:.2f} s in the second "
          f"half); children: {live} live, RSS {wrss:.0f} MiB, CPU {wcpu1 - wcpu0:.2f} s "
          f"({wcpu1 - wcpu_half:.2f} s in the second half); {_load()}")  # fmt: skip
    return rss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--pins", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--idle", type=float, default=15.0, help="seconds of idle measurement")
    parser.add_argument("--workers", type=int, default=None, help="daemon.workers (default: its)")
    args = parser.parse_args()
    compile_bytecode()
    if not (args.db / "vulns").is_dir():
        raise SystemExit(f"no OSV snapshot at {args.db}")

    work = Path(tempfile.mkdtemp(prefix="depsentry-bench-daemon-"))
    try:
        osv = work / "osv"
        shutil.copytree(args.db / "vulns", osv)
        pins = _candidate_pins(args.db)
        names = sorted(pins)
        rng = random.Random(7)
        period = 3600  # one schedule for all; round two is asked for on demand below
        lines = []
        common = "jinja2"  # pinned by every project: a new advisory for it re-matches them all
        for i in range(args.projects):
            root = work / "projects" / f"p{i:04d}"
            root.mkdir(parents=True)
            chosen = [common, *rng.sample([n for n in names if n != common], args.pins - 1)]
            root.joinpath("requirements.txt").write_text(
                "".join(f"{n}=={rng.choice(pins[n])}\n" for n in chosen), encoding="utf-8"
            )
            lines.append(f'[[project]]\nname = "p{i:04d}"\npath = "{root}"\n')
        config = work / "depsentry.toml"
        config.write_text(
            f'[daemon]\nstate_dir = "{work / "state"}"\nlisten = "127.0.0.1:0"\n'
            f'concurrency = {args.concurrency}\nlog_format = "json"\n'
            + (f"workers = {args.workers}\n" if args.workers is not None else "")
            + f'[advisories]\nsource = "{osv}"\nsync = "every 20s"\nembedded_fallback = false\n'
            f'[defaults]\nschedule = "every {period}s"\njitter = 0\noutdated = false\n'
            + "".join(lines),
            encoding="utf-8",
        )
        workers = "default" if args.workers is None else args.workers
        print(f"{args.projects} projects x {args.pins} pins, concurrency {args.concurrency}, "
              f"workers {workers}, snapshot {args.db}; {_load()}")  # fmt: skip
        child = Child(config)
        pid = child.process.pid
        child.wait("ready", timeout=120)
        loaded = child.wait("advisory_loaded", timeout=300)
        cpu_loaded, wcpu_loaded = _proc(pid)[2], _workers(pid)[1]
        first = child.wait("scan_finished", args.projects)
        cpu_round, wcpu_round = _proc(pid)[2] - cpu_loaded, _workers(pid)[1] - wcpu_loaded
        scan_all = first["_at"] - loaded["_at"]
        ok = sum(
            1
            for e in child.events
            if e.get("action") == "scan_finished" and e.get("result") == "ok"
        )
        _, peak, _ = _proc(pid)
        print(f"scan all (after the database loaded): {scan_all:.1f} s "
              f"({args.projects / scan_all:.0f} projects/s, {ok} ok)  [target < 30 s]; CPU: "
              f"daemon {cpu_round:.1f} s, workers {wcpu_round:.1f} s; {_load()}")  # fmt: skip
        print(f"peak RSS after round one: daemon {peak:.0f} MiB")
        rss1 = idle(pid, args.idle, "round one")

        # A new advisory for the package every project pins: the next sync re-matches them all.
        record = {
            "id": "PYSEC-2099-9999", "modified": "2026-12-01T00:00:00Z",
            "published": "2026-12-01T00:00:00Z", "summary": "bench",
            "affected": [{"package": {"name": common, "ecosystem": "PyPI"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}],
        }  # fmt: skip
        (osv / "PYSEC-2099-9999.json").write_text(json.dumps(record), encoding="utf-8")
        before = child.count("sync_done")
        synced = child.wait("sync_done", before + 1, timeout=120)
        while not synced.get("rematched"):
            before += 1
            synced = child.wait("sync_done", before + 1, timeout=120)
        print(f"re-match of {synced['rematched']} stored dependency sets after a sync: "
              f"{synced['rematch_seconds']:.2f} s, {synced['changes']} change(s)  [target < 5 s]; "
              f"{_load()}")  # fmt: skip

        import httpx

        url = child.wait("http_listening")["url"]
        began = time.monotonic()
        with httpx.Client() as http:
            for i in range(args.projects):
                http.post(f"{url}/v1/projects/p{i:04d}/scan")
        child.wait("scan_finished", 2 * args.projects, timeout=1800)
        print(f"round two (on demand, findings mostly unchanged): {time.monotonic() - began:.1f} s; "
              f"{_load()}")  # fmt: skip
        rss2 = idle(pid, args.idle, "round two")
        _, peak2, _ = _proc(pid)
        print(f"daemon RSS growth over round two {rss2 - rss1:+.0f} MiB; peak RSS {peak2:.0f} MiB")
        child.process.send_signal(signal.SIGTERM)
        child.process.wait(60)
        print(f"loadavg: {Path('/proc/loadavg').read_text().strip()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
