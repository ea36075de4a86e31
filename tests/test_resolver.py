"""The uv runner: finding uv, what it is told (and not told), how its answers are read."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from depsentry.errors import ResolverError
from depsentry.resolver import Conflict, Resolved, Uv, _lock_changes, _pins, find_uv, python_floor
from tests.servers.index_server import IndexFile, IndexServer


def test_python_floor() -> None:
    assert python_floor("3.12") == "3.12"
    assert python_floor("3.11.7") == "3.11"
    assert python_floor(">=3.9,<4") == "3.9"
    assert python_floor("~=3.10") == "3.10"
    assert python_floor(None) is None and python_floor("nonsense") is None
    assert python_floor("<3") is None  # no 3.x at all


def test_conflict_summary_keeps_the_facts() -> None:
    chain = (
        "Because flask>=2.2.5 depends on jinja2>=3.0 and you require flask==2.2.5, we can "
        "conclude that you require jinja2>=3.0. And because you require jinja2==2.11.3, we can "
        "conclude that your requirements are unsatisfiable."
    )
    assert Conflict(chain).summary == (
        "flask>=2.2.5 depends on jinja2>=3.0; you require flask==2.2.5; you require jinja2==2.11.3"
    )
    assert Conflict("something else").summary == "something else"


def test_output_parsing() -> None:
    out = "click==8.1.7\ncolorama==0.4.6 ; sys_platform == 'win32'\nnumpy==1.24.4 ; python_version < '3.9'\nnumpy==2.0.0 ; python_version >= '3.9'\n"
    assert _pins(out) == {"click": ("8.1.7",), "colorama": ("0.4.6",), "numpy": ("1.24.4", "2.0.0")}
    changes = _lock_changes(
        "Resolved 8 packages\nUpdate Jinja2 v2.10 -> v3.0.0\nAdd markupsafe v2.1.5\nRemove six v1.16.0\n"
    )
    assert changes.changes == {
        "jinja2": ("2.10", "3.0.0"),
        "markupsafe": (None, "2.1.5"),
        "six": ("1.16.0", None),
    }


def test_depsentry_uv_must_be_an_executable(tmp_path: Path) -> None:
    with pytest.raises(ResolverError, match="DEPSENTRY_UV=.*not an executable file"):
        find_uv({"DEPSENTRY_UV": str(tmp_path / "missing")})
    assert Path(find_uv({})).name.startswith("uv")  # the uv installed with depsentry


def test_callers_uv_settings_do_not_leak_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """UV_INDEX_URL, UV_CONSTRAINT and friends in the environment would change the answer."""
    record = tmp_path / "env"
    spy = tmp_path / "uv"
    spy.write_text(
        f'#!/bin/sh\nenv | grep ^UV_ | sort > {record}\nexec {find_uv()} "$@"\n', encoding="utf-8"
    )
    spy.chmod(spy.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/evil/")
    monkeypatch.setenv("UV_CONSTRAINT", str(tmp_path / "nope.txt"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "cache"))
    with IndexServer({"calm": [IndexFile("calm-1.0-py3-none-any.whl")]}) as server:
        uv = Uv(str(spy), indexes=(server.simple_url,), python="3.11")
        result = uv.compile(["calm==1.0"], workdir=tmp_path)
    assert result == Resolved({"calm": ("1.0",)})
    seen = record.read_text()
    assert "UV_INDEX_URL" not in seen and "UV_CONSTRAINT" not in seen
    assert f"UV_CACHE_DIR={tmp_path / 'cache'}" in seen
    assert f"UV_DEFAULT_INDEX={server.simple_url}" in seen


def test_several_indexes_are_asked_in_order_first_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "cache"))
    private = {"acme-lib": [IndexFile("acme_lib-1.0-py3-none-any.whl")]}
    public = {"acme-lib": [IndexFile("acme_lib-99.0-py3-none-any.whl")]}
    with IndexServer(private) as first, IndexServer(public) as second:
        uv = Uv(find_uv(), indexes=(first.simple_url, second.simple_url), python="3.11")
        result = uv.compile(["acme-lib"], workdir=tmp_path)
    # uv's first-index strategy: the squatted 99.0 on the later index is never considered
    assert result == Resolved({"acme-lib": ("1.0",)})


def test_a_failure_that_is_not_a_conflict_is_an_error_without_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "cache"))
    from tests.commands.scenario import unused_port

    url = f"http://alice:hunter2@127.0.0.1:{unused_port()}/simple/"
    uv = Uv(find_uv(), indexes=(url,), python="3.11", timeout=60)
    with pytest.raises(ResolverError) as caught:
        uv.compile(["calm==1.0"], workdir=tmp_path)
    assert "cannot check the plan" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_uv_that_cannot_run_or_hangs_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ResolverError, match="cannot run uv"):
        Uv(str(tmp_path / "missing-uv"), indexes=()).compile(["a"], workdir=tmp_path)
    slow = tmp_path / "slow-uv"
    slow.write_text("#!/bin/sh\nsleep 5\n")
    slow.chmod(0o755)
    with pytest.raises(ResolverError, match="did not finish in 0.2s"):
        Uv(str(slow), indexes=(), timeout=0.2).compile(["a"], workdir=tmp_path)


def test_a_uv_on_path_is_used_when_the_wheel_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    fake = tmp_path / "bin" / "uv"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setitem(sys.modules, "uv", None)  # `import uv` fails, as without the wheel
    monkeypatch.setenv("PATH", str(fake.parent))
    assert find_uv({}) == str(fake)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ResolverError, match="uv is not installed"):
        find_uv({})


def test_other_uv_errors_are_one_line(tmp_path: Path) -> None:
    odd = tmp_path / "odd-uv"
    odd.write_text("#!/bin/sh\necho 'warning: something' >&2\necho 'error: it broke' >&2\nexit 2\n")
    odd.chmod(0o755)
    with pytest.raises(ResolverError, match="uv failed: error: it broke$"):
        Uv(str(odd), indexes=()).compile(["a"], workdir=tmp_path)
    silent = tmp_path / "silent-uv"
    silent.write_text("#!/bin/sh\nexit 2\n")
    silent.chmod(0o755)
    with pytest.raises(ResolverError, match="uv failed: no output"):
        Uv(str(silent), indexes=()).compile(["a"], workdir=tmp_path)
    tree = tmp_path / "tree-uv"
    tree.write_text(
        "#!/bin/sh\necho '  x No solution found when resolving dependencies:' >&2\n"
        "echo '  ╰─▶ Because a==1 depends on b<1 and you require b==2, we can conclude that "
        "your requirements are unsatisfiable.' >&2\nexit 1\n"
    )
    tree.chmod(0o755)
    result = Uv(str(tree), indexes=()).compile(["a==1", "b==2"], workdir=tmp_path)
    assert isinstance(result, Conflict)
    assert result.summary == "a==1 depends on b<1; you require b==2"
