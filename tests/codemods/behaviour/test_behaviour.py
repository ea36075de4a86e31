"""v0 programs run with openai 0.28.1, migrated, then run with the installed openai 1.x+: same stdout.

The programs get only the environment 0.x read (OPENAI_API_KEY, OPENAI_API_BASE,
OPENAI_ORGANIZATION, ...), never 1.x's names, so a migration that stops honouring them shows.
A program may start with `# behaviour: modes=instance env=NAME=VALUE,...` (`{root}` is the
server's root URL). openai 0.28.1 needs its own interpreter; create it with
`.venv/bin/uv venv .venv-openai0 --python 3.11 && .venv/bin/uv pip install --python
.venv-openai0/bin/python openai==0.28.1` or point DEPSENTRY_OPENAI0_PYTHON at one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from depsentry.codemods.interface import TODO_PREFIX
from depsentry.codemods.openai_v1 import INFO, OpenAIV1Codemod
from depsentry.codemods.runner import transform_source
from tests.paths import REPO

from .server import serve

pytestmark = pytest.mark.slow

PROGRAMS = Path(__file__).parent / "programs"
_DEFAULT_OPENAI0 = REPO / ".venv-openai0" / "bin" / "python"
_HEADER = re.compile(r"^# behaviour: (.*)$", re.MULTILINE)


def _openai0_python() -> str:
    configured = os.environ.get("DEPSENTRY_OPENAI0_PYTHON")
    if configured:
        return configured
    if _DEFAULT_OPENAI0.exists():
        return str(_DEFAULT_OPENAI0)
    pytest.skip(
        "no interpreter with openai==0.28.1: set DEPSENTRY_OPENAI0_PYTHON or create "
        f"{_DEFAULT_OPENAI0.parent.parent} (see this module's docstring)"
    )


@pytest.fixture(scope="module")
def root() -> Iterator[str]:
    with serve() as url:
        yield url


def _settings(program: Path, root: str) -> tuple[tuple[str, ...], dict[str, str]]:
    modes: tuple[str, ...] = INFO.OPTIONS["mode"]
    env = {
        "OPENAI_API_KEY": "sk-dummy",
        "OPENAI_API_BASE": f"{root}/v1",  # 0.x's name; 1.x reads OPENAI_BASE_URL
        "OPENAI_ORGANIZATION": "org-v0",  # 0.x's name; 1.x reads OPENAI_ORG_ID
    }
    header = _HEADER.search(program.read_text())
    for part in header.group(1).split() if header else ():
        key, _, value = part.partition("=")
        if key == "modes":
            modes = tuple(value.split(","))
        elif key == "env":
            for item in value.split(","):
                name, _, setting = item.partition("=")
                env[name] = setting.format(root=root)
    return modes, env


def _run(python: str, program: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith(("OPENAI_", "AZURE_"))}
    clean |= env | {
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.run(
        [python, str(program)], capture_output=True, text=True, env=clean, timeout=60, check=False
    )


@pytest.mark.parametrize("program", sorted(p.name for p in PROGRAMS.glob("*.py")))
def test_migrated_program_prints_the_same(program: str, root: str, tmp_path: Path) -> None:
    source = PROGRAMS / program
    modes, env = _settings(source, root)
    before = _run(_openai0_python(), source, env)
    assert before.returncode == 0, before.stderr
    assert before.stdout.strip(), "the v0 program printed nothing"

    unmigrated = _run(sys.executable, source, env)
    assert unmigrated.returncode != 0, "the v0 program should not run unchanged on openai 1.x+"

    for mode in modes:
        migrated, _ = transform_source(OpenAIV1Codemod, source.read_text(), {"mode": mode})
        assert TODO_PREFIX not in migrated, migrated
        target = tmp_path / mode / program
        target.parent.mkdir()
        target.write_text(migrated)
        after = _run(sys.executable, target, env)
        assert after.returncode == 0, f"{mode}:\n{migrated}\n{after.stderr}"
        assert after.stdout == before.stdout, f"{mode}:\n{migrated}"
