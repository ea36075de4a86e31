"""Soak: the alert relay under a fleet's churn, with one receiver that flaps.

200 projects with 10 vulnerability findings each (2,000) change over 20 rounds: each round a
random half of the projects get a scan event (new findings, resolved ones, raised severities),
written to the real store's outbox while the real relay runs. Two loopback webhook receivers take
every project: "steady" always answers 202; "flappy" is down (503, or a reset connection) for
`--down` seconds out of every `--period`. At the end it prints, per receiver: messages expected
(deliveries routed), received (distinct event ids), missing, duplicates, and the median, p95 and
max delay from the outbox write to the first arrival.

    .venv/bin/python bench/alerts_soak.py [--projects 200] [--findings 10] [--rounds 20]
        [--round-seconds 0.5] [--period 3] [--down 1.5] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import multiprocessing.connection
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.servers

from depsentry.daemon.config import load_settings  # noqa: E402
from depsentry.daemon.events import Change, ChangeKind, Event, EventKind, FindingView  # noqa: E402
from depsentry.daemon.relay import Relay  # noqa: E402
from depsentry.daemon.settings import AlertSettings  # noqa: E402
from depsentry.daemon.store import Store  # noqa: E402
from depsentry.daemon.store.engine import writing  # noqa: E402
from depsentry.daemon.store.outbox import add_event, uuid7  # noqa: E402
from tests.servers.chat import Answer, Fault, Request  # noqa: E402
from tests.servers.webhook_server import WebhookReceiver  # noqa: E402

SEVERITIES = ("low", "medium", "high", "critical")


class Receiver(WebhookReceiver):
    """Records the first arrival time of each event id; down `down` s of every `period` s."""

    def __init__(self, name: str, period: float = 0.0, down: float = 0.0) -> None:
        super().__init__()
        self.nodelay = True  # no 40 ms Nagle/delayed-ACK stall per answer: measure the relay
        self.name, self.period, self.down = name, period, down
        self.start = time.monotonic()
        self.first: dict[str, float] = {}
        self.refused = 0
        self._seen = threading.Lock()

    def is_down(self) -> bool:
        return self.period > 0 and (time.monotonic() - self.start) % self.period < self.down

    def answer(self, request: Request) -> Answer:
        if self.is_down():
            self.refused += 1
            return 503, {"error": "down"}, {}
        answer = super().answer(request)
        with self._seen:
            self.first.setdefault(request.json()["id"], time.time())
        return answer


class FlakyReceiver(Receiver):
    def __init__(self, name: str, period: float, down: float, rng: random.Random) -> None:
        super().__init__(name, period, down)
        self.rng = rng

    def take_fault(self) -> Fault | None:
        # A third of the refusals while down are connection resets rather than 503s.
        if self.is_down() and self.rng.random() < 0.33:
            self.refused += 1
            return Fault(reset=True)
        return super().take_fault()


def serve(
    conn: multiprocessing.connection.Connection, period: float, down: float, seed: int
) -> None:
    """The child process: both receivers (so they never share the relay's GIL), until the
    parent asks for their figures."""
    with (
        Receiver("steady") as steady,
        FlakyReceiver("flappy", period, down, random.Random(seed)) as flappy,
    ):
        conn.send({"steady": steady.url, "flappy": flappy.url})
        conn.recv()  # "stop"
        conn.send({
            r.name: {"first": dict(r.first), "events": len(r.events),
                     "duplicates": r.duplicates, "refused": r.refused}
            for r in (steady, flappy)
        })  # fmt: skip


def finding(project: str, n: int, severity: str) -> FindingView:
    return FindingView(
        key=f"vuln:{project}:pkg{n}:GHSA-{n:04d}", kind="vulnerability", package=f"pkg{n}",
        version="1.0", advisory_id=f"GHSA-soak-{n:04d}", severity=severity, fixed_in=("2.0",),
        summary=f"soak advisory {n}", fix_command=f"depsentry fix . --package pkg{n}",
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--findings", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--round-seconds", type=float, default=0.5)
    parser.add_argument("--period", type=float, default=3.0)
    parser.add_argument("--down", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(
        target=serve, args=(child, args.period, args.down, args.seed), daemon=True
    )
    server.start()
    urls = parent.recv()
    with tempfile.TemporaryDirectory(prefix="depsentry-soak-") as tmp:
        root = Path(tmp)
        (root / "p").mkdir()
        projects = [f"proj{i:03d}" for i in range(args.projects)]
        config = root / "depsentry.toml"
        config.write_text(
            f'[daemon]\nstate_dir = "{root / "state"}"\n'
            + "".join(f'[[project]]\nname = "{p}"\npath = "{root / "p"}"\n' for p in projects)
            + "".join(
                f'[[channel]]\nname = "{name}"\nkind = "webhook"\nurl = "{url}"\ntimeout = 2\n'
                for name, url in urls.items()
            ),
            encoding="utf-8",
        )
        settings = load_settings(config)
        settings = replace(
            settings,
            alerts=replace(AlertSettings(), backoff_initial=0.2, backoff_max=2.0, poll=0.5),
        )
        store = Store.open(f"sqlite:///{root / 'soak.sqlite3'}")
        written: dict[str, float] = {}
        state = {p: {n: rng.choice(SEVERITIES) for n in range(args.findings)} for p in projects}
        next_n = dict.fromkeys(projects, args.findings)

        def write(events: list[Event]) -> None:
            with writing(store.engine) as conn:
                for event in events:
                    add_event(conn, event, datetime.now(UTC))
            now = time.time()
            for event in events:
                written[event.id] = now

        def event(project: str, kind: EventKind, changes: list[Change]) -> Event:
            return Event(
                id=uuid7(), kind=kind, project=project,
                created_at=datetime.now(UTC).isoformat(), changes=tuple(changes),
            )  # fmt: skip

        def churn(project: str) -> list[Change]:
            findings, changes = state[project], []
            for n, severity in list(findings.items()):
                roll = rng.random()
                if roll < 0.1:
                    changes.append(Change(ChangeKind.RESOLVED, finding(project, n, severity)))
                    del findings[n]
                elif roll < 0.15 and severity != "critical":
                    raised = SEVERITIES[SEVERITIES.index(severity) + 1]
                    findings[n] = raised
                    changes.append(Change(ChangeKind.SEVERITY_RAISED, finding(project, n, raised),
                                          previous=severity))  # fmt: skip
            for _ in range(len(changes) or 1):  # keep about as many findings as there were
                n = next_n[project]
                next_n[project] += 1
                findings[n] = rng.choice(SEVERITIES)
                changes.append(Change(ChangeKind.NEW, finding(project, n, findings[n])))
            return changes

        async def run() -> tuple[Relay, float]:
            relay = Relay(store, lambda: settings)
            task = asyncio.create_task(relay.run())
            started = time.monotonic()
            await asyncio.to_thread(write, [
                event(p, EventKind.BASELINE, [Change(ChangeKind.NEW, finding(p, n, s))
                                              for n, s in state[p].items()])
                for p in projects
            ])  # fmt: skip
            relay.wake()
            for _ in range(1, args.rounds):
                await asyncio.sleep(args.round_seconds)
                batch = [event(p, EventKind.SCAN, churn(p)) for p in projects if rng.random() < 0.5]
                await asyncio.to_thread(write, batch)
                relay.wake()
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                counts = await asyncio.to_thread(store.delivery_counts)
                pending = sum(c.get("pending", 0) for c in counts.values())
                if pending == 0 and await asyncio.to_thread(store.outbox_depth) == 0:
                    break
                await asyncio.sleep(0.5)
            elapsed = time.monotonic() - started
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return relay, elapsed

        _, elapsed = asyncio.run(run())
        counts = store.delivery_counts()
        print(f"projects {args.projects}, findings {args.projects * args.findings}, "
              f"rounds {args.rounds}, events written {len(written)}, "
              f"flappy down {args.down:g}s of every {args.period:g}s; {elapsed:.1f}s in all")  # fmt: skip
        header = ("receiver", "expected", "received", "missing", "duplicates", "refused",
                  "failed", "median s", "p95 s", "max s")  # fmt: skip
        print("  ".join(f"{h:>10}" for h in header))
        parent.send("stop")
        figures = parent.recv()
        server.join(10)
        for name, got in figures.items():
            expected = sum(counts.get(name, {}).values())
            delays = sorted(at - written[eid] for eid, at in got["first"].items() if eid in written)
            p95 = delays[int(0.95 * (len(delays) - 1))] if delays else 0.0
            row = (
                name, expected, got["events"], expected - got["events"], got["duplicates"],
                got["refused"], counts.get(name, {}).get("failed", 0),
                f"{statistics.median(delays):.2f}" if delays else "-",
                f"{p95:.2f}", f"{delays[-1]:.2f}" if delays else "-",
            )  # fmt: skip
            print("  ".join(f"{v!s:>10}" for v in row))
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
