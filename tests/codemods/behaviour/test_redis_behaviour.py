"""Old redis programs run as they were, migrated, then run with redis-py: same output, same data.

Each program in redis_programs/ runs against a real redis-server started on a free loopback port
(Debian package `redis-server`; skipped when the binary is missing), first in an interpreter with
the old library, then, migrated by redis-asyncio, in this one (redis-py from the test extra).
Both runs must print the same lines and leave the same keys, types, values and expiries. The old
library is aioredis==1.3.1 (`.venv-aioredis1`, or DEPSENTRY_AIOREDIS1_PYTHON), or redis==2.10.6
for a program whose docstring says `# behaviour: before=redis2` (`.venv-redis2`, or
DEPSENTRY_REDIS2_PYTHON); scripts/test creates both. The same line may set the codemod's `from=`
option, and `todos=N`: a program migrates without TODOs unless it says how many.
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
_INTERPRETERS = {
    "aioredis1": ("DEPSENTRY_AIOREDIS1_PYTHON", ".venv-aioredis1", "aioredis==1.3.1"),
    "redis2": ("DEPSENTRY_REDIS2_PYTHON", ".venv-redis2", "redis==2.10.6"),
}
_HEADER = re.compile(r"^# behaviour: (.*)$", re.MULTILINE)
_START_WAIT = 30.0  # seconds redis-server may take to accept connections on a loaded machine


def _settings(source: str) -> dict[str, str]:
    """The program's `# behaviour: key=value ...` line, with the defaults."""
    settings = {"before": "aioredis1", "todos": "0"}
    header = _HEADER.search(source)
    for part in header.group(1).split() if header else ():
        key, _, value = part.partition("=")
        settings[key] = value
    return settings


def _old_python(name: str) -> str:
    variable, folder, requirement = _INTERPRETERS[name]
    configured = os.environ.get(variable)
    if configured:
        return configured
    default = REPO / folder / "bin" / "python"
    if default.exists():
        return str(default)
    pytest.skip(
        f"no interpreter with {requirement}: set {variable} or create {REPO / folder} "
        "(scripts/test does)"
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
    source = program.read_text()
    settings = _settings(source)
    python = _old_python(settings["before"])
    _flush(server)
    before_output = _run(python, program, server)
    before_data = _data(server)
    assert before_output and before_data, f"{program.name} printed or stored nothing"

    chosen = {"from": settings["from"]} if "from" in settings else {}
    options = validate_options(RedisAsyncioCodemod, chosen)
    migrated, _ = transform_source(RedisAsyncioCodemod, source, options)
    assert migrated != source
    assert "import aioredis" not in migrated
    assert migrated.count(TODO_PREFIX) == int(settings["todos"]), migrated
    target = tmp_path / program.name
    target.write_text(migrated)

    _flush(server)
    after_output = _run(sys.executable, target, server)
    assert after_output == before_output
    assert _data(server) == before_data
