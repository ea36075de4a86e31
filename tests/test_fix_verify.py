"""fix_verify.py: install sets read from a project's files, and the raise/drop rounds against a
real uv and a loopback index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from depsentry.fix_verify import Pin, _make_set, install_sets, verify_plan
from depsentry.models import Dependency, SkipKind, Skipped, Source
from depsentry.resolver import Uv, find_uv
from tests.servers.index_server import IndexFile, IndexServer


def wheel(name: str, version: str, *requires: str) -> IndexFile:
    return IndexFile(f"{name}-{version}-py3-none-any.whl", requires_dist=requires)


@pytest.fixture
def uv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Uv]:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    projects = {
        "web": [wheel("web", "1.0"), wheel("web", "2.0", "tmpl>=3")],
        "tmpl": [wheel("tmpl", "2.0"), wheel("tmpl", "3.1")],
        "legacy": [wheel("legacy", "1.0", "web<2", "tmpl<3")],
        "extra-dep": [wheel("extra_dep", "1.0")],
        "plug": [wheel("plug", "1.0", 'extra-dep ; extra == "more"')],
    }
    with IndexServer(projects) as server:
        yield Uv(find_uv(), indexes=(server.simple_url,), python="3.11")


def never_vulnerable(name: str, version: str) -> str:
    return version


def test_install_sets_follow_includes_and_skip_what_uv_cannot_see(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "web==1.0\n-r base.txt\n-e ./local\ntmpl>=2 ; python_version >= '3'\n"
    )
    (tmp_path / "base.txt").write_text("plug[more]==1.0\n")
    (tmp_path / "requirements-dev.txt").write_text("[not a requirement\n")  # unreadable: skipped
    (tmp_path / "pyproject.toml").write_text("not toml [")
    inputs = ["base.txt", "pyproject.toml", "requirements-dev.txt", "requirements.txt"]
    [top] = install_sets(tmp_path, inputs)
    assert top.head == "requirements.txt"
    lines = [pin.line() for pin in top.pins]
    assert lines == ["web==1.0", "plug[more]==1.0", 'tmpl>=2 ; python_version >= "3"']
    assert top.unchecked == 1  # the editable
    assert top.pins[1].source == Source("base.txt", 1)


def test_two_unmarked_versions_of_one_name_leave_it_free() -> None:
    deps = [
        Dependency("numpy", "1.24.4", False, Source("poetry.lock", 3)),
        Dependency("numpy", "2.0.0", False, Source("poetry.lock", 9)),
        Dependency("six", "1.0", False, Source("poetry.lock", 15), markers='python_version < "3"'),
        Dependency(
            "six", "1.16", False, Source("poetry.lock", 20), markers='python_version >= "3"'
        ),
        Skipped("x @ https://x", "url", Source("poetry.lock", 30), SkipKind.URL, name="x"),
    ]
    install = _make_set("poetry.lock", deps, Path("/p"))
    assert [pin.line() for pin in install.pins] == [
        "numpy",
        'six==1.0 ; python_version < "3"',
        'six==1.16 ; python_version >= "3"',
    ]
    assert install.unchecked == 1
    assert Pin("a", "1.0", extras=("x", "y")).line(floor="2.0") == "a[x,y]>=2.0"


def test_no_single_culprit_blocks_every_bump_of_the_set(tmp_path: Path, uv: Uv) -> None:
    (tmp_path / "requirements.txt").write_text("web==1.0\ntmpl==2.0\nlegacy==1.0\n")
    targets = {("web", "1.0"): "2.0", ("tmpl", "2.0"): "3.1"}
    verdict = verify_plan(
        tmp_path, ["requirements.txt"], targets, uv=uv, safe_floor=never_vulnerable
    )
    assert set(verdict.blocked) == {("web", "1.0"), ("tmpl", "2.0")}
    assert verdict.targets == {}
    assert "legacy" in verdict.blocked[("web", "1.0")]


def test_a_plan_touching_no_set_runs_nothing(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("web==1.0\n")
    broken = Uv(str(tmp_path / "no-uv"), indexes=())
    verdict = verify_plan(
        tmp_path,
        ["requirements.txt"],
        {("other", "1"): "2"},
        uv=broken,
        safe_floor=never_vulnerable,
    )
    assert verdict.checked == [] and verdict.targets == {("other", "1"): "2"}


def test_extras_reach_the_resolver(tmp_path: Path, uv: Uv) -> None:
    (tmp_path / "requirements.txt").write_text("plug[more]==1.0\nweb==1.0\ntmpl==3.1\n")
    verdict = verify_plan(
        tmp_path,
        ["requirements.txt"],
        {("web", "1.0"): "2.0"},
        uv=uv,
        safe_floor=never_vulnerable,
    )
    assert verdict.checked == ["requirements.txt"] and not verdict.blocked
