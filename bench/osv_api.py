"""Benchmark: `depsentry db serve` answering keep-alive clients (the Nagle + delayed-ACK check).

    .venv/bin/python bench/osv_api.py [--requests 400] [--db ../shared/data/pypa-advisory-db]

Starts `db serve` on loopback, then over one keep-alive connection sends `/v1/query` requests one
after another (as pip-audit does) and prints per-request latency (median, p90, p99, max) and the
rate; then one 1,000-query `/v1/querybatch` (as uv audit does). Two writes per answer used to
stall each keep-alive request ~40 ms; the figure to watch is the median. Not run by CI.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT.parent / "shared" / "data" / "pypa-advisory-db"
PACKAGES = [
    ("jinja2", "2.10"),
    ("requests", "2.19.0"),
    ("django", "2.2.0"),
    ("urllib3", "1.24.1"),
    ("pyyaml", "5.3"),
    ("pillow", "8.0.0"),
    ("flask", "0.12"),
    ("six", "1.16.0"),
]


def _start(db: Path, home: Path) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "depsentry.cli", "db", "serve", "--listen", "127.0.0.1:0"]
    env = dict(os.environ, DEPSENTRY_HOME=str(home))
    proc = subprocess.Popen([*cmd, "--osv-db", str(db)], env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = ""
    while line := proc.stderr.readline():  # warnings (malformed records) may come first
        if "Serving" in line:
            break
    if "Serving" not in line:
        proc.kill()
        raise SystemExit(f"db serve did not start: {line}{proc.stderr.read()}")
    return proc, line.rsplit(" on ", 1)[1].strip().removesuffix("/v1/query")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    args = parser.parse_args()
    if not (args.db / "vulns").is_dir():
        raise SystemExit(f"{args.db}: no OSV snapshot (expected a vulns/ directory)")
    with tempfile.TemporaryDirectory(prefix="depsentry-bench-") as tmp:
        proc, url = _start(args.db, Path(tmp) / "home")
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                for name, version in PACKAGES:  # warm the memo, as a second run of a tool would
                    client.post("/v1/query", json=_query(name, version))
                times = []
                for i in range(args.requests):
                    name, version = PACKAGES[i % len(PACKAGES)]
                    start = time.perf_counter()
                    resp = client.post("/v1/query", json=_query(name, version))
                    times.append(time.perf_counter() - start)
                    resp.raise_for_status()
                batch = {"queries": [_query(*PACKAGES[i % len(PACKAGES)]) for i in range(1000)]}
                start = time.perf_counter()
                client.post("/v1/querybatch", json=batch).raise_for_status()
                batch_time = time.perf_counter() - start
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    ms = sorted(t * 1000 for t in times)
    print(f"/v1/query over one keep-alive connection, {len(ms)} requests:")
    print(
        f"  median {statistics.median(ms):.2f} ms  p90 {ms[int(len(ms) * 0.9)]:.2f} ms  "
        f"p99 {ms[int(len(ms) * 0.99)]:.2f} ms  max {ms[-1]:.2f} ms  "
        f"({len(ms) / (sum(ms) / 1000):.0f} requests/s)"
    )
    print(f"/v1/querybatch with 1,000 queries: {batch_time * 1000:.1f} ms")
    print("target: median well under the 40 ms delayed-ACK stall (Nagle off, one write per answer)")
    print(f"load average: {Path('/proc/loadavg').read_text().strip()}")


def _query(name: str, version: str) -> dict[str, object]:
    return {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}


if __name__ == "__main__":
    main()
