"""What the daemon needs from the engine: matching a stored dependency set without files,
excludes, no blocking on FIFOs, and a `scan` that never loads the daemon's libraries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from depsentry.advisories.osv_db import OsvDbSource
from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.osv_sync import sync
from depsentry.inputs import read_project
from depsentry.models import Dependency, Source
from depsentry.scan import match_dependencies
from tests.commands.scenario import write_osv


def test_match_dependencies_needs_no_files(tmp_path: Path) -> None:
    db = tmp_path / "osv.sqlite3"
    sync(db, write_osv(tmp_path / "osv"))
    source = OsvDbSource(OsvStore.open(db))
    found = match_dependencies(
        [Dependency("demo", "1.0", True, Source("gone/requirements.txt", 3))], [source]
    )
    source.close()
    assert [(v.id, str(v.source)) for v in found] == [("PYSEC-2099-7", "gone/requirements.txt:3")]


def test_excludes_are_gitignore_patterns(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "examples" / "old").mkdir(parents=True)
    (tmp_path / "requirements.txt").write_text("demo==1.0\n")
    (tmp_path / "docs" / "requirements.txt").write_text("sphinx==1.0\n")
    (tmp_path / "examples" / "old" / "requirements-dev.txt").write_text("calm==1.0\n")
    names = {
        d.name
        for d in read_project(
            tmp_path, exclude=("docs/", "examples/**/requirements-*.txt")
        ).dependencies
    }
    assert names == {"demo"}
    assert {d.name for d in read_project(tmp_path).dependencies} == {"demo", "sphinx", "calm"}


def test_a_fifo_named_like_an_input_is_skipped_not_read(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("demo==1.0\n")
    os.mkfifo(tmp_path / "requirements-dev.txt")
    assert [d.name for d in read_project(tmp_path).dependencies] == ["demo"]


def test_scan_start_up_loads_none_of_the_daemons_libraries() -> None:
    code = (
        "import sys, depsentry.cli, depsentry.commands.scan, depsentry.scan\n"
        "heavy = ('sqlalchemy', 'alembic', 'apscheduler', 'starlette', 'uvicorn', 'prometheus_client')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
