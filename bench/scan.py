"""Benchmark: depsentry scan of N synthetic projects, and one project against pip-audit and uv audit.

    .venv/bin/python bench/scan.py [--projects 500] [--pins 40] [--scaling 500,2000,5000]
                                   [--db ../shared/data/pypa-advisory-db]

Prints, in one run, as a table with wall and CPU seconds and the load average: `db sync` from
the snapshot and the cold `--osv-db` import; matching alone
(in-process CPU time over every pin, and how many distinct pins there are); the cold and warm
scan of all projects (JSON to a file, with peak memory); the warm scan at each `--scaling` size;
depsentry, pip-audit (`-s osv --osv-url`) and uv audit (`--service-url`) on one project, the
latter two against `depsentry db serve` on loopback, in interleaved rounds (best and median of
each; the ratios are medians of the rounds' paired ratios); and the floor under the one-project
scan: the interpreter importing every module from outside depsentry that the scan imports, with
no depsentry code and no work. Not run by CI.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml
from bytecode import compile_bytecode
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DB = ROOT.parent / "shared" / "data" / "pypa-advisory-db"


def _candidate_pins(db: Path) -> dict[str, list[str]]:
    """Package -> versions named by the advisories (affected and fixed), to draw realistic pins."""
    pins: dict[str, set[str]] = {}
    for path in sorted((db / "vulns").rglob("*.yaml")):
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
        for affected in record.get("affected") or []:
            name = (affected.get("package") or {}).get("name")
            if not name:
                continue
            versions = pins.setdefault(name.lower(), set())
            versions.update(str(v) for v in (affected.get("versions") or [])[-5:])
            for rng in affected.get("ranges") or []:
                for event in rng.get("events") or []:
                    if "fixed" in event:
                        versions.add(str(event["fixed"]))
    return {name: sorted(valid) for name, v in pins.items() if (valid := _valid(v))}


def _valid(versions: set[str]) -> set[str]:
    """Versions both PEP 440 and uv accept (the data holds some git hashes and legacy strings)."""
    valid = set()
    for text in versions:
        try:
            if str(Version(text)) == text:
                valid.add(text)
        except InvalidVersion:
            pass
    return valid


def _write_projects(
    root: Path, count: int, per_project: int, pins: dict[str, list[str]]
) -> list[Path]:
    rng = random.Random(42)
    names = sorted(pins)
    projects = []
    for i in range(count):
        project = root / f"project-{i:04d}"
        project.mkdir()
        chosen = rng.sample(names, min(per_project, len(names)))
        lines = [f"{name}=={rng.choice(pins[name])}\n" for name in chosen]
        (project / "requirements.txt").write_text("".join(lines), encoding="utf-8")
        projects.append(project)
    return projects


def _write_uv_project(project: Path, dest: Path) -> None:
    """A uv project with a hand-written uv.lock pinning the same versions (uv audit reads it)."""
    dest.mkdir()
    pins = dict(
        line.strip().split("==") for line in (project / "requirements.txt").read_text().splitlines()
    )
    deps = ", ".join(f'"{n}=={v}"' for n, v in pins.items())
    (dest / "pyproject.toml").write_text(
        f'[project]\nname = "bench"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = [{deps}]\n',
        encoding="utf-8",
    )
    zero = "0" * 64
    requires = "".join(f'    {{ name = "{n}", specifier = "=={v}" }},\n' for n, v in pins.items())
    lock = [
        'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n\n[[package]]\nname = "bench"\n'
        'version = "0.1.0"\nsource = { virtual = "." }\ndependencies = [\n'
        + "".join(f'    {{ name = "{n}" }},\n' for n in pins)
        + f"]\n\n[package.metadata]\nrequires-dist = [\n{requires}]\n"
    ]
    lock.extend(
        f'\n[[package]]\nname = "{n}"\nversion = "{v}"\nsource = {{ registry = "https://pypi.org/simple" }}\n'
        f'sdist = {{ url = "https://files.pythonhosted.org/packages/{n}-{v}.tar.gz", hash = "sha256:{zero}", size = 1 }}\n'
        for n, v in pins.items()
    )
    (dest / "uv.lock").write_text("".join(lock), encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(
    cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """(wall seconds, peak memory in MiB, CPU seconds: user + system) of `cmd`.

    CPU seconds are printed beside wall time: on a shared, loaded machine they move less; they
    count the process a scan forks too. The peak is the most the whole process tree held at
    once, from a second, sampled run (sampling takes CPU from the measured one)."""
    elapsed, cpu, largest = _once(cmd, cwd, env)
    _, _, tree = _once(cmd, cwd, env, sample=True)
    return elapsed, max(largest, tree) / 1024, cpu


def _once(
    cmd: list[str], cwd: Path | None, env: dict[str, str] | None, *, sample: bool = False
) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, KiB: the largest process's peak RSS, or with `sample` the
    process tree's most at once)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    sampled = [0]
    done = threading.Event()
    sampler = threading.Thread(target=_sample_tree, args=(proc.pid, sampled, done), daemon=True)
    if sample:
        sampler.start()
    err = proc.stderr.read()
    done.set()
    if sample:
        sampler.join()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({proc.returncode}): {err[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, sampled[0] if sample else usage.ru_maxrss


def _time(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    return _once(cmd, cwd, env)[0]


def _best(
    runs: int, cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """The run with the least wall time of `runs` (its CPU beside it), and the peak."""
    elapsed, cpu, largest = min(_once(cmd, cwd, env) for _ in range(runs))
    _, _, tree = _once(cmd, cwd, env, sample=True)
    return elapsed, max(largest, tree) / 1024, cpu


def _rounds(
    rounds: int, cases: dict[str, tuple[list[str], Path | None, dict[str, str]]]
) -> dict[str, list[float]]:
    """Wall seconds of each case, `rounds` times, the cases one after another in each round: a
    noisy host then slows every case of a round alike, and their ratios stay comparable. The
    order is shuffled each round and each run starts after a pause, so that no case always runs
    while the one before it still has the server or the page cache busy."""
    walls: dict[str, list[float]] = {name: [] for name in cases}
    order = random.Random(0)
    names = list(cases)
    for _ in range(rounds):
        order.shuffle(names)
        for name in names:
            cmd, cwd, env = cases[name]
            time.sleep(0.05)
            walls[name].append(_once(cmd, cwd, env)[0])
    return walls


def _paired(slower: list[float], faster: list[float]) -> float:
    """The median of the rounds' ratios slower / faster."""
    return statistics.median([a / b for a, b in zip(slower, faster, strict=True)])


def _floor_command(scan: list[str], env: dict[str, str]) -> list[str]:
    """A command importing what the scan imports from outside depsentry (the standard library,
    click, packaging), and nothing else: the start-up that depsentry's own modules do not add."""
    probe = f"""
import sys
before = set(sys.modules)
sys.argv = ["depsentry", *{scan[1:]!r}]
from depsentry.cli import main
main(sys.argv[1:])
print(" ".join(sorted(m for m in set(sys.modules) - before
                      if m != "depsentry" and not m.startswith("depsentry."))))
"""
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False
    ).stdout.split()
    imports = f"import importlib\nfor name in {found!r}:\n    importlib.import_module(name)"
    return [sys.executable, "-c", imports]


def _sample_tree(pid: int, peak: list[int], done: threading.Event) -> None:
    """The most memory (KiB) `pid` and its children held at once, every 10 ms: the sum of their
    proportional set sizes, so that pages a fork still shares are counted once."""
    while not done.wait(0.01):
        total = 0
        for member in (pid, *_children(pid)):
            try:
                rollup = Path(f"/proc/{member}/smaps_rollup").read_text()
            except OSError:
                continue
            total += next(
                (int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")),
                0,
            )
        peak[0] = max(peak[0], total)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _load() -> str:
    return Path("/proc/loadavg").read_text().strip()


def _matching(db: Path, projects: list[Path], home: Path) -> tuple[float, int, int]:
    """CPU seconds to match every project's pins against a cold source; (seconds, pins, distinct)."""
    code = f"""
import os, sys, time
os.environ["DEPSENTRY_HOME"] = {str(home)!r}
from pathlib import Path
from depsentry.inputs import read_project
from depsentry.advisories.resolve import open_advisories
deps = [read_project(Path(p)).dependencies for p in {[str(p) for p in projects]!r}]
pins = sum(map(len, deps)); distinct = len({{(d.name, d.version) for ds in deps for d in ds}})
best = 1e9
for _ in range(3):
    source = open_advisories(osv_db=Path({str(db)!r}), offline=True)
    start = time.process_time()
    for project in deps:
        source.match(project)
    best = min(best, time.process_time() - start)
    source.close()
print(best, pins, distinct)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def _wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise SystemExit("depsentry db serve exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("depsentry db serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--pins", type=int, default=40)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each sync and import")
    parser.add_argument(
        "--rounds", type=int, default=15, help="interleaved rounds of the one-project tools"
    )
    parser.add_argument(
        "--scaling", default="500,2000,5000", help="project counts for the scaling rows ('' = none)"
    )
    args = parser.parse_args()
    compile_bytecode()
    if not (args.db / "vulns").is_dir():
        raise SystemExit(f"{args.db}: no OSV snapshot (expected a vulns/ directory)")

    depsentry = str(BIN / "depsentry")
    work = Path(tempfile.mkdtemp(prefix="depsentry-bench-"))
    env = dict(os.environ, DEPSENTRY_HOME=str(work / "home"))
    try:
        pins = _candidate_pins(args.db)
        (work / "projects").mkdir(parents=True)
        projects = _write_projects(work / "projects", args.projects, args.pins, pins)
        scan = [
            depsentry,
            "scan",
            "--osv-db",
            str(args.db),
            "--offline",
            "--no-resolve",
            "-f",
            "json",
            "-o",
            str(work / "report.json"),
        ]
        print(f"load average at start: {_load()}")
        sync_home = work / "sync-home"
        syncs = []
        for _ in range(args.repeat):
            shutil.rmtree(sync_home, ignore_errors=True)
            sync_env = dict(env, DEPSENTRY_HOME=str(sync_home))
            # Wall time only: the worker processes are not this process's children to count.
            syncs.append(
                _time([depsentry, "db", "sync", "--from", str(args.db / "vulns")], env=sync_env)
            )
        imports = []
        for i in range(args.repeat):
            import_env = dict(env, DEPSENTRY_HOME=str(work / f"import-home-{i}"))
            imports.append(_time([*scan, str(projects[0])], env=import_env))
        seconds, pin_count, distinct = _matching(args.db, projects, work / "home")
        cold = _once([*scan, *map(str, projects)], None, env)  # its peak: the largest process's
        warm = _best(5, [*scan, *map(str, projects)], env=env)  # the best of 5: the host is noisy
        scaling = []
        for count in [int(n) for n in args.scaling.split(",") if n.strip()]:
            root = work / f"scaling-{count}"
            root.mkdir()
            many = _write_projects(root, count, args.pins, pins)
            _once([*scan, *map(str, many)], None, env)  # the file cache warm
            scaling.append((count, _run([*scan, *map(str, many)], env=env)))
            shutil.rmtree(root)

        one = projects[0]
        # "Synced db": the database `db sync` wrote above, no --osv-db tree to fingerprint.
        synced = [
            depsentry,
            "scan",
            "--offline",
            "--no-resolve",
            "-f",
            "json",
            "-o",
            str(work / "one.json"),
        ]
        one_env = dict(env, DEPSENTRY_HOME=str(sync_home))
        port = _free_port()
        server = subprocess.Popen(
            [depsentry, "db", "serve", "--listen", f"127.0.0.1:{port}", "--osv-db", str(args.db)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(port, server)
            pip_audit = [
                str(BIN / "pip-audit"),
                "-s",
                "osv",
                "--osv-url",
                f"http://127.0.0.1:{port}/v1/query",
                "-r",
                str(one / "requirements.txt"),
                "--no-deps",
                "--disable-pip",
                "-f",
                "json",
                "--cache-dir",
                str(work / "pip-audit-cache"),
            ]
            uv_project = work / "uv-project"
            _write_uv_project(one, uv_project)
            uv_audit = [
                str(BIN / "uv"),
                "audit",
                "--frozen",
                "--service-url",
                f"http://127.0.0.1:{port}",
            ]
            uv_env = dict(env, UV_CACHE_DIR=str(work / "uv-cache"))
            cases = {
                "depsentry": ([*synced, str(one)], None, one_env),
                "floor": (_floor_command([*synced, str(one)], one_env), None, one_env),
                "pip-audit": (pip_audit, None, env),
                "uv": (uv_audit, uv_project, uv_env),
            }
            for cmd, cwd, case_env in cases.values():
                _once(cmd, cwd, case_env)  # caches warm: pip-audit's, uv's, the page cache
            walls = _rounds(args.rounds, cases)
            peaks = {
                name: _once(cmd, cwd, case_env, sample=True)[2] / 1024
                for name, (cmd, cwd, case_env) in cases.items()
            }
        finally:
            server.terminate()
            server.wait()

        print(
            f"projects: {len(projects)} x {args.pins} pins ({len(pins)} packages in the snapshot)"
        )
        print(
            f"matching alone: {pin_count} pins ({distinct} distinct), {seconds:.3f} s CPU (best of 3)"
        )
        print()
        print("| case | wall | CPU | peak | target |")
        print("|---|---|---|---|---|")
        print(f"| `db sync --from` the pypa clone | {min(syncs):.2f} s | | | <= 1.0 s |")
        print(f"| `--osv-db` cold import + one scan | {min(imports):.2f} s | | | <= 1.0 s |")
        n = len(projects)
        print(f"| {n} projects `-f json -o FILE`, cold | {cold[0]:.2f} s | {cold[1]:.2f} s | | |")
        print(
            f"| {n} projects `-f json -o FILE`, warm | {warm[0]:.2f} s | {warm[2]:.2f} s | {warm[1]:.0f} MiB | <= 1.0 s, <= 150 MiB |"
        )
        for count, (took, rss, cpu) in scaling:
            print(
                f"| scaling: {count} projects, warm | {took:.2f} s ({took / count * 1000:.2f} ms "
                f"per project) | {cpu:.2f} s | {rss:.0f} MiB | linear |"
            )
        mine = walls["depsentry"]
        rows = (
            ("depsentry", f"one project ({args.pins} pins), synced db: depsentry scan", ""),
            (
                "floor",
                "floor: the interpreter importing what that scan imports from outside depsentry",
                f"10x pip-audit needs <= {statistics.median(walls['pip-audit']) / 10 * 1000:.0f} ms",
            ),
            (
                "pip-audit",
                "pip-audit `--osv-url` (db serve)",
                f"{_paired(walls['pip-audit'], mine):.1f}x depsentry's wall time (>= 10x)",
            ),
            (
                "uv",
                "uv audit `--service-url` (db serve)",
                f"{_paired(walls['uv'], mine):.2f}x depsentry's wall time (>= 2x)",
            ),
        )
        print()
        print(
            f"one project, {args.rounds} interleaved rounds (ratios: medians of the rounds' ratios)"
        )
        print()
        print("| case | best | median | peak | target |")
        print("|---|---|---|---|---|")
        for name, label, target in rows:
            print(
                f"| {label} | {min(walls[name]) * 1000:.0f} ms | {statistics.median(walls[name]) * 1000:.0f} ms "
                f"| {peaks[name]:.0f} MiB | {target} |"
            )
        print()
        print(f"load average at the end: {_load()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
