"""Benchmark: reading projects with every input guard on (confinement, regular-file checks,
caps, the bounded echo), on plain projects and on hostile ones.

    .venv/bin/python bench/inputs.py [--projects 500] [--pins 40] [--rounds 3]

Prints the best CPU time of `--rounds` for `read_project` over all plain projects (a hashed
requirements file with an include, and a pyproject.toml) and over as many hostile ones (includes
leaving the project, a FIFO, a 5,000-digit version, TOML nested a thousand deep), and the time
per project. Not run by CI.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import tempfile
import time
from pathlib import Path

from depsentry.inputs import read_project


def plain(root: Path, pins: int, rng: random.Random) -> None:
    root.mkdir()
    lines = [
        f"pkg{rng.randrange(2000)}=={rng.randrange(9)}.{rng.randrange(20)}.{rng.randrange(9)} \\\n"
        f"    --hash=sha256:{'a' * 64}"
        for _ in range(pins)
    ]
    (root / "requirements.txt").write_text("\n".join(lines) + "\n-r extra.txt\n")
    (root / "extra.txt").write_text("flask==2.0.1\n")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\ndependencies = ["requests>=2", "idna==3.4"]\n'
    )


def hostile(root: Path, pins: int, rng: random.Random) -> None:
    plain(root, pins, rng)
    with (root / "requirements.txt").open("a") as handle:
        handle.write("-r /proc/self/environ\n-r ../../etc/shadow\n" + f"demo=={'9' * 5000}\n")
    (root / "Pipfile").write_text("a = " + "[" * 1000)
    os.mkfifo(root / "requirements-dev.txt")


def best(roots: list[Path], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.process_time()
        for root in roots:
            read_project(root)
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--pins", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("depsentry").setLevel(logging.ERROR)  # the hostile files warn per project
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as work:
        base = Path(work)
        for kind, build in (("plain", plain), ("hostile", hostile)):
            roots = [base / f"{kind}{n}" for n in range(args.projects)]
            for root in roots:
                build(root, args.pins, rng)
            seconds = best(roots, args.rounds)
            print(
                f"{kind:8} {args.projects} projects x {args.pins + 3} pins: {seconds:.3f} s CPU "
                f"(best of {args.rounds}), {seconds / args.projects * 1000:.2f} ms per project"
            )


if __name__ == "__main__":
    main()
