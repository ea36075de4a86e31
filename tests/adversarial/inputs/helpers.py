"""What every inputs reproducer checks: the CLI in-process, its exit code, its one-line problems."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from depsentry.cli import main

ROOT = os.geteuid() == 0
needs_non_root = pytest.mark.skipif(
    ROOT,
    reason="root reads what permissions forbid; scripts/test runs this as an unprivileged user",
)
CANARY = "CANARY-5e3cr3t-d0-not-leak"


def scan(
    app: Path, osv: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, Any] | None, str]:
    """`depsentry scan APP --format json`: (exit code, the report or None, stderr)."""
    code = main(["scan", str(app), "--osv-db", str(osv), "--offline", "--format", "json", *extra])
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), err
    assert "Traceback" not in out + err
    for line in err.splitlines():  # one line per problem: nothing continues on a second line
        assert line.startswith(("depsentry:", "Found ", "No known")), err
    return code, (json.loads(out) if out.strip() else None), err


def project_of(report: dict[str, Any] | None) -> dict[str, Any]:
    assert report is not None
    projects = report["projects"]
    assert len(projects) == 1
    return dict(projects[0])


def pins(report: dict[str, Any] | None) -> list[tuple[str, str]]:
    return [(d["name"], d["version"]) for d in project_of(report)["dependencies"]]


def skipped(report: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list(project_of(report)["skipped"])


def one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("depsentry: error:")]
    assert len(lines) == 1, err
    return lines[0]


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


_OPENED: list[str] = []
_WATCHING: list[bool] = []


@contextmanager
def watching_opens() -> Iterator[list[str]]:
    """Every path (resolved) opened inside the block. The audit hook, which cannot be removed,
    is installed once and records nothing outside such a block."""
    if not _WATCHING:

        def hook(event: str, args: tuple[object, ...]) -> None:
            if _WATCHING[0] and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
                _OPENED.append(os.path.realpath(os.fsdecode(args[0])))

        _WATCHING.append(False)
        sys.addaudithook(hook)
    _OPENED.clear()
    _WATCHING[0] = True
    try:
        yield _OPENED
    finally:
        _WATCHING[0] = False


def leaks(opened: list[str], *outside: Path) -> list[str]:
    """The opened paths that lie outside the project: under `outside`, or system secrets."""
    secrets = ("/etc/shadow", "/etc/passwd", "/proc/self/environ", "/dev/zero")
    roots = tuple(os.path.realpath(p) for p in outside)
    return [p for p in opened if p.startswith(roots) or p in secrets or p.startswith("/proc/")]
