"""Small codemods for testing the runner, independent of the shipped ones."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping
from typing import ClassVar, cast

import libcst as cst
from libcst.codemod import SkipFile
from libcst.metadata import QualifiedNameProvider

from depsentry.codemods.interface import Case, Codemod, todo_comment


class FooBazCodemod(Codemod):
    """Rename calls of `foo.bar()` to `foo.baz()`; put a TODO above `foo.bar` used without a call."""

    NAME = "foo-baz"
    PACKAGE = "foo"
    FROM = "<2"
    TO = ">=2"
    DESCRIPTION = "foo.bar() is foo.baz() in foo 2"
    PREFILTER = ("foo",)
    OPTIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {"mode": ("call", "keep")}
    SUBTREES = True
    CASES: ClassVar[tuple[Case, ...]] = (
        Case("import foo\nfoo.bar(1)\n", "import foo\nfoo.baz(1)\n", name="call"),
        Case("import foo as f\nf.bar()\n", "import foo as f\nf.baz()\n", name="alias"),
        Case("import foo\nfoo.bar(1)\n", None, {"mode": "keep"}, name="keep"),
        Case("from other import foo\nfoo.bar()\n", None, name="other-foo"),
        Case(
            "import foo\ncallback = foo.bar\n",
            "import foo\n# TODO(depsentry): foo.bar is gone, use foo.baz\ncallback = foo.bar\n",
        ),
    )

    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if self.options["mode"] == "keep":
            return updated_node
        func = updated_node.func
        names = self.get_metadata(QualifiedNameProvider, original_node.func, set())
        if isinstance(func, cst.Attribute) and any(n.name == "foo.bar" for n in names):
            return updated_node.with_changes(func=func.with_changes(attr=cst.Name("baz")))
        return updated_node

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        statement = original_node.body[0]
        if isinstance(statement, cst.Assign) and isinstance(statement.value, cst.Attribute):
            names = self.get_metadata(QualifiedNameProvider, statement.value, set())
            already = any(
                "TODO(depsentry)" in line.comment.value
                for line in original_node.leading_lines
                if line.comment
            )
            if any(n.name == "foo.bar" for n in names) and not already:
                lines = (*updated_node.leading_lines, todo_comment("foo.bar is gone, use foo.baz"))
                return updated_node.with_changes(leading_lines=lines)
        return updated_node


class RaisingCodemod(FooBazCodemod):
    """Raises on every file that mentions foo."""

    NAME = "raising"
    OPTIONS = {}
    CASES = ()

    def visit_Module(self, node: cst.Module) -> bool:
        raise RuntimeError("boom\nsecond line")


class BrokenOutputCodemod(FooBazCodemod):
    """Produces code that does not compile: `foo.bar()` becomes `foo.bar() = 1`."""

    NAME = "broken-output"
    CASES = ()

    def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr) -> cst.BaseSmallStatement:
        return cst.Assign(
            targets=[cst.AssignTarget(cast(cst.BaseAssignTargetExpression, updated_node.value))],
            value=cst.Integer("1"),
        )


class BadEscapeCodemod(FooBazCodemod):
    """Passes `"\\N{no such name}"` to `foo.bar()`: libcst parses that, CPython does not compile it."""

    NAME = "bad-escape"
    CASES = ()

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if not updated_node.args:
            arg = cst.Arg(cst.SimpleString('"\\N{no such name}"'))
            return updated_node.with_changes(args=[arg])
        return updated_node


class SkippingCodemod(FooBazCodemod):
    """Skips every file through libcst's SkipFile, after a warning."""

    NAME = "skipping"
    CASES = ()

    def visit_Module(self, node: cst.Module) -> bool:
        self.warn("generated file, skipped")
        raise SkipFile("generated")


class VanishingCodemod(FooBazCodemod):
    """Rewrites like foo-baz, but deletes the file it reads: writing the result back then fails."""

    NAME = "vanishing"
    CASES = ()

    def visit_Module(self, node: cst.Module) -> bool:
        os.unlink(self.context.filename or "")
        return True


class CrashingCodemod(FooBazCodemod):
    """Like foo-baz, but its worker process dies (SIGSEGV) on a file that mentions `crash`."""

    NAME = "crashing"
    CASES = ()

    def visit_Module(self, node: cst.Module) -> bool:
        if "crash" in node.code:
            os.kill(os.getpid(), signal.SIGSEGV)
        return True


class SleepingCodemod(FooBazCodemod):
    """Like foo-baz, but hangs on a file that mentions `hang`."""

    NAME = "sleeping"
    CASES = ()

    def visit_Module(self, node: cst.Module) -> bool:
        if "hang" in node.code:
            time.sleep(3600)
        return True


class TouchingCodemod(FooBazCodemod):
    """Like foo-baz, but appends to the file it rewrites: someone else edited it meanwhile."""

    NAME = "touching"
    CASES = ()

    def visit_Module(self, node: cst.Module) -> bool:
        with open(self.context.filename or "", "a", encoding="utf-8") as file:
            file.write("# edited meanwhile\n")
        return True


class StubTouchingCodemod(FooBazCodemod):
    """Renames every module-level assignment target to `renamed_<name>`: stubs included, which
    breaks the sub-file pre-filter's contract (the runner must notice and redo the whole file)."""

    NAME = "stub-touching"
    CASES = ()

    def leave_AssignTarget(
        self, original_node: cst.AssignTarget, updated_node: cst.AssignTarget
    ) -> cst.AssignTarget:
        target = updated_node.target
        if isinstance(target, cst.Name):
            return updated_node.with_changes(target=cst.Name(f"renamed_{target.value}"))
        return updated_node
