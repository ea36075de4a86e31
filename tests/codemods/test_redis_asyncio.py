"""redis-asyncio beyond its declared CASES: warnings with lines, the project's pin, bad input, CLI."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from depsentry.cli import main
from depsentry.codemods.files import SourceFile
from depsentry.codemods.interface import TODO_PREFIX
from depsentry.codemods.redis_asyncio import INFO, RedisAsyncioCodemod
from depsentry.codemods.redis_asyncio.pins import pre3_pinned
from depsentry.codemods.runner import Outcome, process_file, transform_source, validate_options
from depsentry.errors import CodemodError
from tests.codemods import tools

LEGACY = "import redis\n\nr = redis.Redis()\nr.setex('k', 'v', 10)\n"
SWAPPED = "r.setex('k', time=10, value='v')"


def _run(source: str, **options: str) -> tuple[str, tuple[str, ...]]:
    return transform_source(
        RedisAsyncioCodemod, source, validate_options(RedisAsyncioCodemod, options)
    )


def test_info_is_the_class_description() -> None:
    assert RedisAsyncioCodemod.NAME == INFO.NAME == "redis-asyncio"
    assert RedisAsyncioCodemod.OPTIONS["from"][0] == "auto"


def test_construction_warnings_name_the_line() -> None:
    source = "import redis\n\n\nr = redis.Redis(host='h')\n"
    _, warnings = _run(source)
    assert len(warnings) == 1
    warning = warnings[0]
    assert warning.startswith("line 4: ")
    for part in ("retries", "5 s", "100 connections", "RESP3"):
        assert part in warning


def test_settings_given_explicitly_drop_their_warnings() -> None:
    source = (
        "import redis\n\nr = redis.Redis(retry=None, socket_timeout=None, max_connections=5,"
        " protocol=2)\n"
    )
    assert _run(source) == (source, ())


def test_migrated_factory_keeps_its_cap_so_no_cap_warning() -> None:
    source = "import aioredis\n\n\nasync def f():\n    r = await aioredis.create_redis_pool('redis://h')\n"
    output, warnings = _run(source)
    assert "max_connections=10" in output
    assert len(warnings) == 1 and "100 connections" not in warnings[0]


def test_a_pool_passed_to_a_client_warns_once_at_the_pool() -> None:
    source = (
        "import redis\n\npool = redis.ConnectionPool()\nr = redis.Redis(connection_pool=pool)\n"
    )
    _, warnings = _run(source)
    assert [w.split(":")[0] for w in warnings] == ["line 3"]
    assert "caps a pool at 100" in warnings[0]


@pytest.mark.parametrize(
    ("call", "warned"),
    [
        ("r.blpop('q', timeout=0)", True),
        ("r.blpop('q', 30)", True),
        ("r.blpop('q', 1)", False),
        ("r.blpop('q', timeout=wait)", True),
        ("r.xread({'s': 0}, block=10000)", True),
        ("r.xread({'s': 0}, block=100)", False),
        ("r.xread({'s': 0})", False),
        ("r.brpoplpush('a', 'b')", True),
    ],
)
def test_blocking_commands_past_the_8_0_socket_timeout_warn(call: str, warned: bool) -> None:
    source = f"import redis\n\nr = redis.Redis(socket_timeout=None, retry=None, protocol=2, max_connections=2)\n{call}\n"
    _, warnings = _run(source)
    assert any(w.startswith("line 4: ") and "socket_timeout" in w for w in warnings) is warned


def test_unparsable_file_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    data = b"import aioredis\n\nasync def f(:\n    pass\n"
    path.write_bytes(data)
    result = process_file(RedisAsyncioCodemod, {"from": "auto"}, SourceFile(path, tmp_path), data)
    assert result.outcome is Outcome.FAILED
    assert "cannot parse" in result.error
    assert path.read_bytes() == data
    with pytest.raises(CodemodError, match="cannot parse"):
        _run(data.decode())


def test_file_without_redis_imports_is_untouched_even_with_matching_calls() -> None:
    tools.check_noop(
        "async def f(r):\n    r.close()\n    await r.wait_closed()\n    await r.zadd('z', 1, 'm')\n",
        codemod=RedisAsyncioCodemod,
    )


def test_unknown_option_value_is_rejected() -> None:
    with pytest.raises(CodemodError, match="must be one of auto, 2, 2.10, 3"):
        validate_options(RedisAsyncioCodemod, {"from": "1.0"})


# The project's pin (option from=auto) ------------------------------------------------------


def _project(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(textwrap.dedent(text))
    (tmp_path / "app").mkdir(exist_ok=True)
    return str(tmp_path / "app" / "main.py")


@pytest.mark.parametrize(
    ("manifest", "text", "pre3"),
    [
        ("requirements.txt", "redis==2.10.6\n", True),
        ("requirements.txt", "redis<3  # old server\n", True),
        ("requirements-dev.txt", "-r base.txt\nredis>=2.8,<3\n", True),
        ("requirements.txt", "redis>=3\n", False),
        ("requirements.txt", "redis\n", False),
        ("requirements.txt", "not a requirement ===\nflask\n", False),
        ("pyproject.toml", '[project]\ndependencies = ["redis~=2.10"]\n', True),
        ("pyproject.toml", '[project.optional-dependencies]\ncache = ["redis<3"]\n', True),
        ("pyproject.toml", '[project]\ndependencies = ["redis>=4"]\n', False),
        ("pyproject.toml", '[tool.poetry.dependencies]\nredis = "^2.10"\n', True),
        ("pyproject.toml", '[tool.poetry.dependencies]\nredis = {version = "<3"}\n', True),
        ("pyproject.toml", '[tool.poetry.dependencies]\nredis = "2.10.6"\n', True),
        ("pyproject.toml", '[tool.poetry.dependencies]\nredis = "^4.1"\n', False),
        ("pyproject.toml", '[tool.poetry.dependencies]\nredis = "*"\n', False),
        ("pyproject.toml", "not toml [\n", False),
    ],
)
def test_pre3_pin_is_read_from_the_project(
    tmp_path: Path, manifest: str, text: str, pre3: bool
) -> None:
    filename = _project(tmp_path, manifest, text)
    assert pre3_pinned(filename) is pre3


def test_no_manifest_up_to_the_repository_root_means_no_pin(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("redis==2.10.6\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert pre3_pinned(str(repo / "main.py")) is False
    assert pre3_pinned(None) is False


def test_auto_swaps_arguments_only_under_a_pre3_pin(tmp_path: Path) -> None:
    from libcst.codemod import CodemodContext

    filename = _project(tmp_path, "requirements.txt", "redis==2.10.6\n")
    options = validate_options(RedisAsyncioCodemod, {})
    output, _ = transform_source(
        RedisAsyncioCodemod, LEGACY, options, CodemodContext(filename=filename)
    )
    assert SWAPPED in output
    newer = tmp_path / "newer"
    newer.mkdir()
    other = _project(newer, "requirements.txt", "redis==5.0.1\n")
    output, _ = transform_source(
        RedisAsyncioCodemod, LEGACY, options, CodemodContext(filename=other)
    )
    assert output == LEGACY


def test_explicit_from_overrides_the_pin() -> None:
    assert SWAPPED in _run(LEGACY, **{"from": "2"})[0]
    assert _run(LEGACY, **{"from": "3"})[0] == LEGACY


# The command line ---------------------------------------------------------------------------


def test_cli_run_with_option_rewrites_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "legacy.py"
    path.write_text(LEGACY)
    code = main(
        [
            "codemod",
            "run",
            "redis-asyncio",
            "--write",
            "-j",
            "1",
            "--option",
            "from=2.10",
            str(path),
        ]
    )
    _, err = capsys.readouterr()
    assert code == 0
    assert SWAPPED in path.read_text()
    assert "warning: " in err and "legacy.py: line 3: redis-py 6.0+ retries" in err
    assert "1 changed" in err


def test_cli_list_shows_the_codemod(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codemod", "list"]) == 0
    out, _ = capsys.readouterr()
    row = next(line for line in out.splitlines() if line.startswith("redis-asyncio"))
    assert "aioredis" in row and "from=auto|2|2.10|3" in row


def test_todos_are_counted_by_the_runner(tmp_path: Path) -> None:
    path = tmp_path / "t.py"
    data = b"import aioredis\n\n\nasync def f(r):\n    await r.zadd('z', 1, 'm')\n"
    path.write_bytes(data)
    result = process_file(RedisAsyncioCodemod, {"from": "auto"}, SourceFile(path, tmp_path), data)
    assert result.outcome is Outcome.CHANGED
    assert result.todos == 1 == result.output.count(TODO_PREFIX)


def test_a_2x_file_keeps_its_redis_py_style_calls() -> None:
    body = (
        "\n\n\nasync def f(r):\n    await r.zadd('z', {'m': 1})\n    await r.set('k', 1, ex=5)\n"
        "    async with r.pipeline() as p:\n        pass\n"
    )
    output, _ = _run("import aioredis" + body)
    assert output == "from redis import asyncio as aioredis" + body


def test_warning_lines_are_the_files_own_when_functions_were_stubbed() -> None:
    source = (
        "import redis\n\n\ndef unrelated(a):\n    x = 1\n    return x + a\n\n\n"
        "class Other:\n    def m(self):\n        return 3\n\n\nr = redis.Redis(host='h')\n"
    )
    from depsentry.codemods.subtrees import reduce_source

    needles = (*RedisAsyncioCodemod.PREFILTER, *RedisAsyncioCodemod.SUBTREE_KEEP)
    reduced = reduce_source(source, ast.parse(source), needles)
    assert reduced is not None and reduced.text.count("\n") < source.count("\n")
    _, warnings = _run(source)
    assert [warning.split(":")[0] for warning in warnings] == ["line 14"]


def test_warnings_without_a_line_pass_through_the_stub_mapping() -> None:
    from depsentry.codemods.runner import _original_line
    from depsentry.codemods.subtrees import reduce_source

    source = "import redis\n\n\ndef a():\n    return 1\n\n\nr = redis.Redis()\n"
    reduced = reduce_source(source, ast.parse(source), ("redis",))
    assert reduced is not None
    assert _original_line("no line here", reduced) == "no line here"
    assert _original_line("line 7: x", reduced) == "line 8: x"


def test_a_function_with_a_1x_call_on_a_passed_client_is_not_stubbed() -> None:
    source = (
        "import aioredis\n\n\nasync def open_pool():\n"
        "    return await aioredis.create_redis_pool('redis://h')\n\n\n"
        "async def add(client):\n    await client.zadd('z', 1, 'm')\n"
    )
    output, _ = _run(source)
    assert "# TODO(depsentry): if client is an aioredis 1.x client, zadd()" in output


def test_an_unreadable_manifest_is_no_pin(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_bytes(b"redis==2.10.6 \xff\n")
    assert pre3_pinned(str(tmp_path / "main.py")) is False
