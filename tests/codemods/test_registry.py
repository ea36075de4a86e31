"""The codemod registry: lazy `module:Class` references, name lookup, broken entries."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import depsentry.codemods
from depsentry.codemods import all_codemods, get_codemod, resolve
from depsentry.errors import CodemodError
from tests.codemods.sample import FooBazCodemod


def test_missing_module_is_left_out_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    entries = ("tests.codemods.not_written_yet:X", "tests.codemods.sample:FooBazCodemod")
    monkeypatch.setattr(depsentry.codemods, "CODEMODS", entries)
    with caplog.at_level(logging.WARNING, logger="depsentry.codemods"):
        assert all_codemods() == (FooBazCodemod,)
    assert "tests.codemods.not_written_yet:X is registered but its module is missing" in caplog.text


def test_missing_dependency_of_a_codemod_module_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "codemod_with_missing_dep.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(depsentry.codemods, "CODEMODS", ("codemod_with_missing_dep:X",))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        all_codemods()


def test_reference_to_something_else_is_an_error() -> None:
    with pytest.raises(
        CodemodError, match=r"^tests.codemods.sample:todo_comment: no such Codemod subclass$"
    ):
        resolve("tests.codemods.sample:todo_comment")
    with pytest.raises(CodemodError, match="no such Codemod subclass"):
        resolve("tests.codemods.sample:Nope")


def test_get_codemod_names_the_known_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(depsentry.codemods, "CODEMODS", ("tests.codemods.sample:FooBazCodemod",))
    assert get_codemod("foo-baz") is FooBazCodemod
    with pytest.raises(CodemodError, match=r"^unknown codemod 'x' \(known: foo-baz\)$"):
        get_codemod("x")


def test_unknown_name_with_an_empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(depsentry.codemods, "CODEMODS", ())
    with pytest.raises(CodemodError, match=r"\(known: none\)$"):
        get_codemod("openai-v1")


def test_registered_names_are_unique_kebab_case() -> None:
    names = [cls.NAME for cls in all_codemods()]
    assert len(names) == len(set(names))
    assert all(name == name.lower() and "_" not in name for name in names)
