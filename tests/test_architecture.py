"""ARCHITECTURE.md stays true: it names every folder that exists and no folder that does not."""

from __future__ import annotations

import re
import subprocess

from tests.paths import REPO

MAP = REPO / "ARCHITECTURE.md"
# A backticked path ending in "/", written from the repository root: `depsentry/inputs/`.
_FOLDER = re.compile(r"`([a-z_][a-z0-9_.-]*(?:/[a-z0-9_.-]+)*/)`")


def _tracked_folders() -> set[str]:
    files = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    folders = set()
    for name in files:
        parts = name.split("/")[:-1]
        if not parts or parts[0].startswith("."):
            continue
        # Top-level folders, and the package's folders two levels down.
        depth = 3 if parts[0] == "depsentry" else 1
        for i in range(1, min(len(parts), depth) + 1):
            folders.add("/".join(parts[:i]) + "/")
    return folders


def test_every_folder_is_on_the_map() -> None:
    named = set(_FOLDER.findall(MAP.read_text(encoding="utf-8")))
    missing = sorted(_tracked_folders() - named)
    assert not missing, f"ARCHITECTURE.md does not name: {', '.join(missing)}"


def test_every_folder_on_the_map_exists() -> None:
    named = set(_FOLDER.findall(MAP.read_text(encoding="utf-8")))
    gone = sorted(f for f in named if not (REPO / f).is_dir())
    assert not gone, f"ARCHITECTURE.md names folders that do not exist: {', '.join(gone)}"
