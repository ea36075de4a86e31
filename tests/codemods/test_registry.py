"""The codemod registry: lazy `module:Class` references by name, name lookup, broken entries."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

import depsentry.codemods.registry
from depsentry.codemods import all_codemods, get_codemod
from depsentry.codemods.upgrades import UPGRADES, codemods_for
from depsentry.errors import CodemodError
from tests.codemods import tools
from tests.codemods.sample import FooBazCodemod


def test_missing_module_is_left_out_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    entries = tools.registry(
        "tests.codemods.not_written_yet:X", "tests.codemods.sample:FooBazCodemod"
    )
    monkeypatch.setattr(depsentry.codemods.registry, "CODEMODS", entries)
    with caplog.at_level(logging.WARNING, logger="depsentry.codemods"):
        assert all_codemods() == (FooBazCodemod,)
    assert "tests.codemods.not_written_yet:X is registered but its module is missing" in caplog.text


def test_missing_dependency_of_a_codemod_module_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "codemod_with_missing_dep.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    entries = tools.registry("codemod_with_missing_dep:X")
    monkeypatch.setattr(depsentry.codemods.registry, "CODEMODS", entries)
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        all_codemods()


def test_reference_to_something_else_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    entries = tools.registry("tests.codemods.sample:todo_comment", "tests.codemods.sample:Nope")
    monkeypatch.setattr(depsentry.codemods.registry, "CODEMODS", entries)
    with pytest.raises(
        CodemodError, match=r"^tests.codemods.sample:todo_comment: not a Codemod subclass"
    ):
        get_codemod("tests.codemods.sample:todo_comment")
    with pytest.raises(CodemodError, match="not a Codemod subclass"):
        get_codemod("tests.codemods.sample:Nope")


def test_get_codemod_names_the_known_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    entries = tools.registry("tests.codemods.sample:FooBazCodemod")
    monkeypatch.setattr(depsentry.codemods.registry, "CODEMODS", entries)
    assert get_codemod("foo-baz") is FooBazCodemod
    with pytest.raises(CodemodError, match=r"^unknown codemod 'x'; choose from foo-baz$"):
        get_codemod("x")


def test_registered_names_are_the_codemods_own_kebab_case_names() -> None:
    registry = depsentry.codemods.registry.CODEMODS
    for name in registry:
        assert name == get_codemod(name).NAME
        assert name == name.lower() and "_" not in name


def test_every_codemod_declares_its_upgrade_in_the_libcst_free_table() -> None:
    declared = {(u.package, u.from_range, u.to_range, u.codemod) for u in UPGRADES}
    codemods = all_codemods()
    assert declared >= {(c.PACKAGE, c.FROM, c.TO, c.NAME) for c in codemods}
    assert {u.codemod for u in UPGRADES} == {c.NAME for c in codemods}
    for upgrade in UPGRADES:
        SpecifierSet(upgrade.from_range), SpecifierSet(upgrade.to_range)


def test_codemods_for_an_upgrade() -> None:
    assert codemods_for("openai", "0.28.1", "1.3.0") == ("openai-v1",)
    assert codemods_for("openai", "1.0.0", "1.3.0") == ()
    assert codemods_for("demo", "0.1", "1.0") == ()
    # Several boundaries of one codemod: offered once.
    assert codemods_for("langchain", "0.0.300", "1.2.0") == ("langchain-imports",)
    assert codemods_for("langchain", "0.0.300", "0.1.11") == ("langchain-imports",)
    assert codemods_for("langchain", "0.1.5", "0.1.11") == ()
    assert codemods_for("langchain-community", "0.3.31", "0.4.2") == ("langchain-imports",)
    assert codemods_for("aioredis", "1.3.1", "2.0.1") == ("redis-asyncio",)
    assert codemods_for("redis", "2.10.6", "5.0.1") == ("redis-asyncio",)
    assert codemods_for("redis", "4.6.0", "5.0.1") == ()
