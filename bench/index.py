"""Benchmark: the outdated scan of 500 projects sharing 300 packages, against a loopback index
with 20 ms added latency per request: cold cache, warm cache, and warm with max-age expired.

    .venv/bin/python bench/index.py [--projects 500] [--packages 300] [--latency 0.02]

Prints the wall time, requests the index saw (and how many were conditional) for each run.
Targets: each package fetched at most once per scan; warm <= one conditional request per package
and under 3 s.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.servers

import httpx  # noqa: E402

from depsentry.index import HttpCache, PackageIndex  # noqa: E402
from depsentry.models import Dependency, Source  # noqa: E402
from depsentry.outdated import find_outdated  # noqa: E402
from tests.servers.index_server import IndexFile, IndexServer  # noqa: E402

PLATFORMS = ("manylinux_2_17_x86_64", "macosx_11_0_arm64", "win_amd64")


def make_packages(count: int, rng: random.Random) -> dict[str, list[IndexFile]]:
    """Release histories like real ones: 5-80 versions over ~8 years, sdist plus 0-9 wheels."""
    packages: dict[str, list[IndexFile]] = {}
    start = datetime(2017, 1, 1, tzinfo=UTC)
    for i in range(count):
        name = f"pkg-{i:03d}"
        stem = name.replace("-", "_")
        major, minor, patch = 0, 1, 0
        when = start + timedelta(days=rng.randint(0, 900))
        files: list[IndexFile] = []
        binary = rng.random() < 0.4
        for _ in range(rng.randint(5, 80)):
            roll = rng.random()
            if roll < 0.05:
                major, minor, patch = major + 1, 0, 0
            elif roll < 0.35:
                minor, patch = minor + 1, 0
            else:
                patch += 1
            version = f"{major}.{minor}.{patch}"
            when += timedelta(days=rng.randint(3, 60))
            rp = ">=3.8" if when.year >= 2022 else ">=3.6"
            yanked = rng.random() < 0.02
            files.append(IndexFile(f"{stem}-{version}.tar.gz", rp, yanked, when))
            if binary:
                for py in (10, 11, 12):
                    for platform in PLATFORMS:
                        tag = f"cp3{py}-cp3{py}-{platform}"
                        files.append(IndexFile(f"{stem}-{version}-{tag}.whl", rp, yanked, when))
            else:
                files.append(IndexFile(f"{stem}-{version}-py3-none-any.whl", rp, yanked, when))
        packages[name] = files
    return packages


def make_projects(
    count: int, packages: dict[str, list[IndexFile]], rng: random.Random
) -> list[list[Dependency]]:
    """Each project pins 15-60 packages (popular ones more often) at some older version."""
    names = list(packages)
    weights = [1 / (rank + 1) ** 0.6 for rank in range(len(names))]
    versions = {
        name: sorted({f.filename.split("-")[1].removesuffix(".tar.gz") for f in files})
        for name, files in packages.items()
    }
    projects = []
    for p in range(count):
        chosen = set(rng.choices(names, weights, k=rng.randint(15, 60)))
        deps = [
            Dependency(name, rng.choice(versions[name]), True, Source(f"proj{p}/requirements.txt"))
            for name in sorted(chosen)
        ]
        projects.append(deps)
    return projects


def scan(index: PackageIndex, projects: list[list[Dependency]]) -> tuple[int, float, float]:
    """fetch_many for every distinct name, then find_outdated per project."""
    names = {d.name for deps in projects for d in deps}
    started = time.perf_counter()
    answers = index.fetch_many(names)
    fetched = time.perf_counter() - started
    findings = 0
    libyears = 0.0
    for deps in projects:
        result = find_outdated(deps, answers, python="3.11")
        findings += len(result.outdated)
        libyears += result.project_libyears
    return findings, libyears, fetched


def run(
    label: str,
    seen: Callable[[], list[list[object]]],
    index: PackageIndex,
    projects: list[list[Dependency]],
) -> None:
    before = len(seen())
    started = time.perf_counter()
    with index:
        findings, libyears, fetched = scan(index, projects)
    elapsed = time.perf_counter() - started
    asked = seen()[before:]
    per_path = Counter(str(path) for path, _ in asked)
    conditional = sum(1 for _, is_conditional in asked if is_conditional)
    most = max(per_path.values(), default=0)
    print(
        f"{label:<24} {elapsed:5.2f} s (fetch {fetched:4.2f} s)  requests {len(asked):4d}  conditional {conditional:4d}  "
        f"max per package {most}  findings {findings}  libyears {libyears:.1f}"
    )


def serve(packages: int, latency: float, seed: int) -> None:
    """Child process: run the index until stdin closes (its own process, so its own GIL)."""
    with IndexServer(make_packages(packages, random.Random(seed)), latency=latency) as server:
        print(server.url, flush=True)
        sys.stdin.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--packages", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--json-api", action="store_true", help="use /pypi/NAME/json pages")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.packages, args.latency, args.seed)
    rng = random.Random(args.seed)
    packages = make_packages(args.packages, rng)
    projects = make_projects(args.projects, packages, rng)
    distinct = len({d.name for deps in projects for d in deps})
    files = sum(len(f) for f in packages.values())
    print(
        f"{args.projects} projects, {sum(map(len, projects))} pins, {distinct} distinct packages, "
        f"{files} files on the index, {args.latency * 1000:.0f} ms latency"
    )
    command = [sys.executable, __file__, "--serve", "--packages", str(args.packages)]
    command += ["--latency", str(args.latency), "--seed", str(args.seed)]
    with (
        tempfile.TemporaryDirectory() as tmp,
        subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        ) as child,
    ):
        assert child.stdout is not None and child.stdin is not None
        url = child.stdout.readline().strip()
        offset = 0.0

        def seen() -> list[list[object]]:
            result: list[list[object]] = json.loads(httpx.get(f"{url}/_seen").content)
            return result

        def client() -> PackageIndex:
            cache = HttpCache(Path(tmp) / "http-cache", clock=lambda: time.time() + offset)
            return PackageIndex(
                f"{url}/simple/",
                cache=cache,
                json_api=args.json_api,
                env={},
                netrc_file=Path(tmp) / "x",
            )

        run("cold (empty cache)", seen, client(), projects)
        run("warm (cache fresh)", seen, client(), projects)
        offset = 600 + 1.0  # past the server's max-age
        run("warm (max-age expired)", seen, client(), projects)
        child.stdin.close()


if __name__ == "__main__":
    main()
