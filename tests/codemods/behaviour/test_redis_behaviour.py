"""aioredis 1.x programs run with aioredis 1.3.1, migrated, then run with redis-py: same output, same data.

Each program in redis_programs/ runs against a real redis-server started on a free loopback port
(Debian package `redis-server`; skipped when the binary is missing), first in an interpreter with
aioredis==1.3.1 (`.venv-aioredis1`, or DEPSENTRY_AIOREDIS1_PYTHON; scripts/test creates it), then,
migrated by redis-asyncio, in this one (redis-py from the test extra). Both runs must print the
same lines and leave the same keys, types, values and expiries. A program migrates without TODOs
unless its docstring says `# behaviour: todos=N`.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from depsentry.codemods.interface import TODO_PREFIX
from depsentry.codemods.redis_asyncio import RedisAsyncioCodemod
from depsentry.codemods.runner import transform_source, validate_options
from tests.paths import REPO

redis = pytest.importorskip("redis")

pytestmark = pytest.mark.slow

PROGRAMS = Path(__file__).parent / "redis_programs"
_DEFAULT_AIOREDIS1 = REPO / ".venv-aioredis1" / "bin" / "python"
_TODOS = re.compile(r"# behaviour: todos=(\d+)")
_START_WAIT = 30.0  # seconds redis-server may take to accept connections on a loaded machine


def _aioredis1_python() -> str:
    configured = os.environ.get("DEPSENTRY_AIOREDIS1_PYTHON")
    if configured:
        return configured
    if _DEFAULT_AIOREDIS1.exists():
        return str(_DEFAULT_AIOREDIS1)
    pytest.skip(
        "no interpreter with aioredis==1.3.1: set DEPSENTRY_AIOREDIS1_PYTHON or create "
        f"{_DEFAULT_AIOREDIS1.parent.parent} (scripts/test does)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    command = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--dir",
        str(workdir),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + _START_WAIT
    try:
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start on port {port}")
                time.sleep(0.05)
        yield port
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)


def _run(python: str, program: Path, port: int) -> str:
    env = os.environ | {"REDIS_URL": f"redis://127.0.0.1:{port}", "REDIS_PORT": str(port)}
    result = subprocess.run(
        [python, str(program)], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert result.returncode == 0, f"{program.name} failed under {python}:\n{result.stderr}"
    return result.stdout


def _data(port: int) -> dict[tuple[int, bytes], object]:
    """Every key of databases 0-2: its type, value and whether it expires."""
    found: dict[tuple[int, bytes], object] = {}
    for db in range(3):
        client = redis.Redis(port=port, db=db, protocol=2)
        for key in client.scan_iter():
            kind = client.type(key)
            value: object
            if kind == b"string":
                value = client.get(key)
            elif kind == b"hash":
                value = sorted(client.hgetall(key).items())
            elif kind == b"list":
                value = client.lrange(key, 0, -1)
            elif kind == b"set":
                value = sorted(client.smembers(key))
            else:
                value = client.zrange(key, 0, -1, withscores=True)
            found[db, key] = (kind, value, client.ttl(key) > 0)
        client.close()
    return found


def _flush(port: int) -> None:
    client = redis.Redis(port=port)
    client.flushall()
    client.close()


@pytest.mark.parametrize("program", sorted(PROGRAMS.glob("*.py")), ids=lambda path: path.stem)
def test_migrated_program_behaves_the_same(program: Path, server: int, tmp_path: Path) -> None:
    python = _aioredis1_python()
    _flush(server)
    before_output = _run(python, program, server)
    before_data = _data(server)
    assert before_output and before_data, f"{program.name} printed or stored nothing"

    source = program.read_text()
    options = validate_options(RedisAsyncioCodemod, {})
    migrated, _ = transform_source(RedisAsyncioCodemod, source, options)
    assert "import aioredis" not in migrated
    allowed = int(match.group(1)) if (match := _TODOS.search(source)) else 0
    assert migrated.count(TODO_PREFIX) == allowed, migrated
    target = tmp_path / program.name
    target.write_text(migrated)

    _flush(server)
    after_output = _run(sys.executable, target, server)
    assert after_output == before_output
    assert _data(server) == before_data
