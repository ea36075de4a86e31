"""Benchmark: splitting a tree into projects against reading it as one project.

    .venv/bin/python bench/projects.py [--fixtures 300] [--members 50] [--pins 30] [--repeat 5]
                                       [--tree PATH]

Builds a poetry-style monorepo in a temporary directory (a root poetry.lock, a uv workspace of
`--members` members under packages/, `--fixtures` fixture projects under tests/fixtures/ each
with a pyproject.toml and a poetry.lock of `--pins` pins, a gitignored build/ folder), or uses
`--tree` (a real checkout). Prints the median seconds of: discovery alone (`find_projects`),
discovery plus reading every project (`read_projects`), and the one-project read
(`read_project`) of the same tree, with the project and input counts. Not run by CI.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from depsentry.inputs.project import read_project  # noqa: E402
from depsentry.inputs.projects import find_projects, read_projects  # noqa: E402


def _lock(pins: int, offset: int) -> str:
    entries = [
        f'[[package]]\nname = "pkg{(offset + i) % 500}"\nversion = "1.{i}.0"\n'
        'optional = false\npython-versions = ">=3.8"\nfiles = []\n'
        for i in range(pins)
    ]
    return "\n".join(entries) + '\n[metadata]\nlock-version = "2.0"\ncontent-hash = "0"\n'


def build(root: Path, fixtures: int, members: int, pins: int) -> None:
    def write(name: str, text: str) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    write(
        "pyproject.toml",
        '[project]\nname = "mono"\nversion = "1"\n[tool.uv.workspace]\nmembers = ["packages/*"]\n',
    )
    write("poetry.lock", _lock(pins * 3, 0))
    write(".gitignore", "build/\n")
    write("build/requirements.txt", "ignored==1.0\n")
    for m in range(members):
        write(f"packages/m{m}/pyproject.toml", f'[project]\nname = "m{m}"\nversion = "1"\n')
    for f in range(fixtures):
        write(f"tests/fixtures/f{f}/pyproject.toml", f'[tool.poetry]\nname = "f{f}"\n')
        write(f"tests/fixtures/f{f}/poetry.lock", _lock(pins, f))


def median(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=int, default=300)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--pins", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tree", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.tree or Path(tmp)
        if args.tree is None:
            build(root, args.fixtures, args.members, args.pins)
        found = find_projects(root)
        read = read_projects(root)
        whole = read_project(root)
        rows = [
            ("find_projects", median(lambda: find_projects(root), args.repeat)),
            ("read_projects", median(lambda: read_projects(root), args.repeat)),
            ("read_project (--one-project)", median(lambda: read_project(root), args.repeat)),
        ]
    print(f"tree: {args.tree or 'synthetic'}; {len(found)} projects, {len(read)} read, "
          f"{sum(len(p.files) for p in found)} inputs split / {len(whole.inputs)} as one project")  # fmt: skip
    for name, seconds in rows:
        print(f"{name:30} {seconds * 1000:9.1f} ms (median of {args.repeat})")


if __name__ == "__main__":
    main()
