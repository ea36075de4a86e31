"""Codemod.__init__ skips libcst's per-instance matcher gathering for classes without matchers."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext

from depsentry.codemods.interface import Codemod


class _Plain(Codemod):
    NAME, PACKAGE, FROM, TO, DESCRIPTION, PREFILTER = "plain", "x", "<1", ">=1", "", ("x",)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return updated_node.with_changes(value="y") if updated_node.value == "x" else updated_node


class _Matching(Codemod):
    NAME, PACKAGE, FROM, TO, DESCRIPTION, PREFILTER = "matching", "x", "<1", ">=1", "", ("x",)

    @m.leave(m.Name("x"))
    def rename(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return updated_node.with_changes(value="z")


def _run(cls: type[Codemod]) -> str:
    return cls(CodemodContext()).transform_module(cst.parse_module("x = 1\n")).code


def test_plain_class_learns_once_and_still_works() -> None:
    assert _run(_Plain) == "y = 1\n"
    assert _Plain.__dict__["_no_matchers"] is True
    second = _Plain(
        CodemodContext(),
    )
    assert second._matchers == {} and second._plain_visits
    assert _run(_Plain) == "y = 1\n"


def test_class_with_matchers_gathers_them_every_time() -> None:
    assert _run(_Matching) == "z = 1\n"
    assert _Matching.__dict__["_no_matchers"] is False
    assert _run(_Matching) == "z = 1\n"  # bound to the new instance, not the first one
    assert not _Matching(CodemodContext())._plain_visits


def test_only_our_own_attribute_hooks_count() -> None:
    assert not _Plain._attribute_hooks

    class _Hooked(_Plain):
        def visit_Name_value(self, node: cst.Name) -> None:
            pass

    assert _Hooked._attribute_hooks
