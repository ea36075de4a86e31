"""Benchmark: depsentry scan of N synthetic projects, and one project against pip-audit and uv audit.

    .venv/bin/python bench/scan.py [--projects 500] [--pins 40] [--db ../shared/data/pypa-advisory-db]

Prints, in one run: the cold and warm scan of all projects; depsentry, pip-audit
(`-s osv --osv-url`) and uv audit (`--service-url`) on one project, the latter two against
`depsentry db serve` on loopback; and the ratios. Not run by CI.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
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


def _time(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed


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
    parser.add_argument("--repeat", type=int, default=3, help="runs of each single-project tool")
    args = parser.parse_args()
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
            os.devnull,
        ]
        cold = _time([*scan, *map(str, projects)], env=env)
        warm = min(_time([*scan, *map(str, projects)], env=env) for _ in range(2))
        print(
            f"projects: {len(projects)} x {args.pins} pins ({len(pins)} packages in the snapshot)"
        )
        print(
            f"depsentry scan, all projects: cold {cold:.2f} s (includes the import), warm {warm:.2f} s"
        )

        one = projects[0]
        single = min(_time([*scan, str(one)], env=env) for _ in range(args.repeat))

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
            pa = min(_time(pip_audit, env=env) for _ in range(args.repeat))
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
            uv = min(_time(uv_audit, cwd=uv_project, env=uv_env) for _ in range(args.repeat))
        finally:
            server.terminate()
            server.wait()
        print(f"one project ({args.pins} pins), best of {args.repeat}:")
        print(f"  depsentry scan      {single:.3f} s")
        print(f"  pip-audit (osv-url) {pa:.3f} s   ratio pip-audit/depsentry = {pa / single:.1f}x")
        print(f"  uv audit            {uv:.3f} s   ratio uv/depsentry = {uv / single:.2f}x")
        print("targets: all projects warm < 10 s; pip-audit/depsentry >= 10x; uv/depsentry >= 1x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
