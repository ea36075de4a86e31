"""The table as a terminal shows it, at 80 and 200 columns (COLUMNS), compared with snapshots.

Regenerate after a deliberate change: DEPSENTRY_UPDATE_SNAPSHOTS=1 pytest this file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.commands.scenario import RECORDS, osv_record, project, run_cli, write_osv

SNAPSHOTS = Path(__file__).parent / "snapshots"


def _records() -> list[dict[str, object]]:
    aliased = osv_record("PYSEC-2099-20", "pillow", "9.0.1", "HIGH")
    aliased["aliases"] = ["CVE-2099-1111", "GHSA-aaaa-bbbb-cccc"]
    aliased["summary"] = "Buffer overflow when decoding crafted images in the JPEG 2000 plugin"
    aliased["severity"] = [
        {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
    ]
    bare = osv_record("PYSEC-2099-21", "pillow", "9.0.1")
    bare["summary"] = "PYSEC-2099-21"  # a summary that only repeats the id is not shown
    return [*RECORDS[:-1], aliased, bare, RECORDS[-1]]


@pytest.mark.parametrize("columns", [80, 200])
def test_table_snapshot(tmp_path: Path, home: Path, columns: int) -> None:
    write_osv(tmp_path / "osv", _records())
    deep = "services/" + "a-rather-long-directory-name/" * 3 + "requirements.txt"
    (tmp_path / "app" / deep).parent.mkdir(parents=True)
    project(tmp_path / "app", {deep: "pillow==9.0.0\ndemo==1.0\nnofix==1.0\nunrated==1.0\n"})
    done = run_cli(
        "scan",
        "app",
        "--one-project",  # the long source path is the point: keep it below the scanned root
        "--osv-db",
        "osv",
        "--offline",
        home=home,
        cwd=tmp_path,
        env={"COLUMNS": str(columns)},
    )
    assert done.returncode == 1, done.stderr
    # The last line names the database by its (temporary, so varying) path.
    shown = done.stdout[: done.stdout.index("Advisory data:")]
    snapshot = SNAPSHOTS / f"table-{columns}.txt"
    if os.environ.get("DEPSENTRY_UPDATE_SNAPSHOTS"):
        snapshot.write_text(shown, encoding="utf-8")
    assert shown == snapshot.read_text(encoding="utf-8")
    assert max(len(line) for line in done.stdout.splitlines()) <= columns
