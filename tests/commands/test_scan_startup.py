"""What a scan of plain pins imports: only what it uses (start-up is most of a small scan)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from depsentry.cli import main
from depsentry.names import canonical_name

# Imported by packaging.utils (packaging.tags) / packaging.requirements / the sync code; a scan of `name==1.0`
# pins against a synced database needs none of them.
UNUSED = (
    "packaging.tags",
    "packaging.requirements",
    "packaging.specifiers",
    "packaging.utils",
    "platformdirs",
    "cvss",
    "yaml",
    "zipfile",
    "depsentry.advisories.osv_record",
    "depsentry.advisories.osv_sync",
    "depsentry.advisories.embedded",
    "depsentry.codemods.registry",  # findings offer codemods from upgrades.py's table alone
    "depsentry.models.releases",  # the index's types: an offline scan asks no index
    "depsentry.models.readiness",
    "depsentry.inputs.uv_lock",  # only the readers of the files found are imported
    "depsentry.inputs.pyproject",
    "depsentry.inputs.environment",
    "tomllib",  # a folder of requirements files holds no TOML
    "tempfile",
    "shutil",
    "shlex",
)


@given(st.text(alphabet="aA0-_.zZ9 ", max_size=12))
def test_canonical_name_is_packagings(name: str) -> None:
    assert canonical_name(name) == canonicalize_name(name)


def test_a_scan_of_plain_pins_imports_only_what_it_uses(
    home: Path, osv: Path, tmp_path: Path
) -> None:
    assert main(["db", "sync", "--from", str(osv)]) == 0
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("Crit==1.0\nOther_Name==2.0\n")
    probe = (
        "import sys; from depsentry.cli import main\n"
        f"code = main(['scan', '--offline', '--no-resolve', '-f', 'json', '-o', {str(tmp_path / 'r.json')!r}, {str(project)!r}])\n"
        f"print(code, sorted(m for m in {UNUSED!r} if m in sys.modules))"
    )
    # Without coverage's start-up hooks: they import modules of their own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV")}
    env["DEPSENTRY_HOME"] = str(home)
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.split(None, 1) == ["1", "[]\n"], out.stdout + out.stderr


@pytest.mark.parametrize("line", ["crit[extra]==1.0", 'crit==1.0 ; python_version > "3"'])
def test_requirements_beyond_plain_pins_still_parse(
    home: Path, osv: Path, tmp_path: Path, line: str
) -> None:
    assert main(["db", "sync", "--from", str(osv)]) == 0
    (tmp_path / "requirements.txt").write_text(line + "\n")
    assert (
        main(
            [
                "scan",
                "--offline",
                "--no-resolve",
                "-f",
                "json",
                "-o",
                str(tmp_path / "r.json"),
                str(tmp_path),
            ]
        )
        == 1
    )
