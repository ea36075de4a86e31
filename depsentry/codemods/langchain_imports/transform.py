"""The langchain-imports rules (before/after examples in cases.py).

- `from langchain.llms import OpenAI [as A]` -> `from langchain_openai import OpenAI [as A]`:
  each name to the end of its chain of moves (moves.py), the alias kept, a renamed class imported
  `as` its old name. At the top level the import block is edited (`ImportEdits`: merged into an
  existing `from langchain_openai import ...`, duplicates dropped, isort order); elsewhere (in a
  function, a `try`) the statement is rewritten where it stands.
- A name that another import also binds (`OpenAI` from openai and from langchain.llms) is
  rewritten where it stands, so whichever import came last still wins: never re-sorted into
  shadowing the other.
- `import langchain.llms [as llms]` and `from langchain import llms` with attribute use
  (`llms.OpenAI(...)`) -> `langchain_openai.OpenAI(...)` plus `import langchain_openai`; the old
  import goes once nothing reads it.
- `from langchain.llms import *` is left, with a TODO.
The pip distributions the new imports need are collected in `context.scratch["requirements"]`
(the runner reports them).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.codemod import CodemodContext

from depsentry.codemods.imports import ImportEdits
from depsentry.codemods.interface import Codemod, with_todos

from . import INFO
from .cases import CASES
from .moves import Move, Table, table

__all__ = ["LangChainImportsCodemod"]

table()  # loaded with the class, so worker processes forked after it share it

STAR_TODO = "a star import from a module LangChain moved: import the names from their new homes"
_CLASSIC = "langchain_classic"
CLASSIC_WARNING = (
    "langchain_classic holds LangChain's legacy chains, agents and memory "
    "(security fixes only); consider LCEL or langchain.agents.create_agent"
)


def replaced_todo(name: str, replacement: str) -> str:
    """The TODO for a name LangChain replaced by another one (another API, not a move)."""
    return f"LangChain replaced {name} by {replacement} (its arguments differ): migrate by hand"


def dotted(node: cst.BaseExpression) -> str:
    """`a.b.c` for a Name/Attribute chain, "" for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr.value}" if inner else ""
    return ""


def _expression(path: str) -> cst.BaseExpression:
    parts = path.split(".")
    node: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def _from_line(module: str, names: Sequence[tuple[str, str | None]]) -> cst.SimpleStatementLine:
    aliases = [
        cst.ImportAlias(
            name=cst.Name(name), asname=cst.AsName(name=cst.Name(asname)) if asname else None
        )
        for name, asname in names
    ]
    for index in range(len(aliases) - 1):
        aliases[index] = aliases[index].with_changes(
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
    statement = cst.ImportFrom(module=_expression(module), names=aliases)  # type: ignore[arg-type]
    return cst.SimpleStatementLine(body=[statement])


class LangChainImportsCodemod(Codemod):
    """Rewrite imports of moved LangChain names to their current modules."""

    INFO = INFO
    CASES = CASES
    SUBTREES = True

    def __init__(self, context: CodemodContext, **options: str) -> None:
        super().__init__(context, **options)
        self.table: Table = table()
        self.edits = ImportEdits()
        self.top_imports: set[int] = set()  # id() of the top-level import lines' statements
        # Name -> what the top-level imports binding it bring (after the moves): two differ and
        # the name collides.
        self.bindings: dict[str, set[str]] = {}
        self.binders: dict[str, int] = {}  # name -> how many top-level imports bind it
        self.header: list[str] = []
        # Bound name -> old module, for `import langchain.x [as y]` / `from langchain import x`.
        self.module_names: dict[str, str] = {}
        self.module_imports: list[tuple[str, str | None, str | None, str]] = []
        self.rewrote_attribute = False
        self.classic = False

    # -- bookkeeping -----------------------------------------------------------------------

    def visit_Module(self, node: cst.Module) -> None:
        self.header = [line.comment.value for line in node.header if line.comment is not None]
        for statement in node.body:
            if isinstance(statement, cst.SimpleStatementLine) and all(
                isinstance(item, cst.Import | cst.ImportFrom) for item in statement.body
            ):
                self.top_imports.add(id(statement))
                for item in statement.body:
                    assert isinstance(item, cst.Import | cst.ImportFrom)
                    for bound, source in self._bound(item):
                        self.bindings.setdefault(bound, set()).add(source)
                        self.binders[bound] = self.binders.get(bound, 0) + 1

    def _bound(self, node: cst.Import | cst.ImportFrom) -> list[tuple[str, str]]:
        """(name bound, what it is) for each name an import binds, moves applied."""
        if isinstance(node.names, cst.ImportStar):
            return []
        if isinstance(node, cst.Import):
            return [
                (alias.evaluated_alias or alias.evaluated_name.partition(".")[0], "")
                for alias in node.names
            ]
        module = "." * len(node.relative) + ("" if node.module is None else dotted(node.module))
        found = []
        for alias in node.names:
            move = self.table.target(module, alias.evaluated_name)
            source = f"{module}.{alias.evaluated_name}" if move is None else move.path
            found.append((alias.evaluated_alias or alias.evaluated_name, source))
        return found

    def _collides(self, bound: str) -> bool:
        return len(self.bindings.get(bound, ())) > 1

    def _need(self, move: Move) -> None:
        requirements = self.context.scratch.setdefault("requirements", set())
        requirements.add(move.requirement)
        if move.module.partition(".")[0] == _CLASSIC:
            self.classic = True

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            module = alias.evaluated_name
            if self.table.is_module(module):
                bound = alias.evaluated_alias or module.partition(".")[0]
                self.module_names.setdefault(bound, module if alias.asname else bound)
                self.module_imports.append((module, None, alias.evaluated_alias, bound))
        return False  # the dotted names of an import are not attribute uses

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = "" if node.module is None else dotted(node.module)
        if node.relative or not self.table.is_module(module):
            return False
        if isinstance(node.names, cst.ImportStar):
            return False
        for alias in node.names:
            name = alias.evaluated_name
            if self.table.is_module(f"{module}.{name}"):  # `from langchain import llms`
                bound = alias.evaluated_alias or name
                self.module_names.setdefault(bound, f"{module}.{name}")
                self.module_imports.append((module, name, alias.evaluated_alias, bound))
        return False

    # -- from-imports ----------------------------------------------------------------------

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if not any(isinstance(item, cst.ImportFrom) for item in updated_node.body):
            return updated_node
        top = id(original_node) in self.top_imports
        kept: list[cst.BaseSmallStatement] = []
        added: dict[str, list[tuple[str, str | None]]] = {}
        todos: list[str] = []
        star = False
        for item in updated_node.body:
            if not isinstance(item, cst.ImportFrom):
                kept.append(item)
                continue
            if isinstance(item.names, cst.ImportStar):
                star = star or (
                    not item.relative
                    and item.module is not None
                    and self.table.is_module(dotted(item.module))
                )
                kept.append(item)
                continue
            remaining = self._move_names(item, top, added, todos)
            if remaining is not None:
                kept.append(remaining)
        result: cst.SimpleStatementLine = updated_node
        if star:
            todos.append(STAR_TODO)
        if todos:
            node = with_todos(updated_node, todos, self.header)
            assert isinstance(node, cst.SimpleStatementLine)
            result = node
        if not added:
            return result
        new_lines = [_from_line(module, names) for module, names in sorted(added.items())]
        if kept:
            kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            return cst.FlattenSentinel([result.with_changes(body=kept), *new_lines])
        new_lines[0] = new_lines[0].with_changes(leading_lines=result.leading_lines)
        return cst.FlattenSentinel(new_lines)

    def _move_names(
        self,
        node: cst.ImportFrom,
        top: bool,
        added: dict[str, list[tuple[str, str | None]]],
        todos: list[str],
    ) -> cst.ImportFrom | None:
        """`node` without its moved names (None if none is left); the moves go to `added`
        (rewritten in place) or to the import edits (top level), replacements to `todos`."""
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return node
        module = dotted(node.module)
        if not self.table.is_module(module):
            return node
        names: list[cst.ImportAlias] = []
        for alias in node.names:
            move = self.table.target(module, alias.evaluated_name)
            if move is not None and move.replaced_by is not None:
                todos.append(replaced_todo(alias.evaluated_name, move.replaced_by))
                if move.path == f"{module}.{alias.evaluated_name}":
                    move = None  # nowhere better to go with the same name: left, with the TODO
            if move is None:
                names.append(alias)
                continue
            self._need(move)
            bound = alias.evaluated_alias or alias.evaluated_name
            asname = alias.evaluated_alias
            if move.name != alias.evaluated_name and asname is None:
                asname = bound  # a renamed class keeps the name the code uses
            # A TODO must sit above the new line: replaced names are rewritten where they stand.
            if top and not self._collides(bound) and move.replaced_by is None:
                self.edits.remove(module, alias.evaluated_name, alias.evaluated_alias)
                self.edits.add(move.module, move.name, asname)
                names.append(alias)  # the import edits drop it from the block
            else:
                entries = added.setdefault(move.module, [])
                if (move.name, asname) not in entries:
                    entries.append((move.name, asname))
        if not names:
            return None
        if len(names) != len(node.names):
            last = names[-1]
            if node.rpar is None:
                names[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
            else:
                names[-1] = last.with_changes(comma=node.names[-1].comma)
        return node.with_changes(names=names)

    # -- attribute uses of old modules -----------------------------------------------------

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        if not self.module_names:
            return updated_node
        path = dotted(original_node)
        head, _, rest = path.partition(".")
        base = self.module_names.get(head)
        if base is None or not rest:
            return updated_node
        module, _, name = f"{base}.{rest}".rpartition(".")
        move = self.table.target(module, name)
        if move is not None and move.replaced_by is not None:
            self.context.warnings.append(replaced_todo(name, move.replaced_by))
        if move is None or move.path == f"{module}.{name}":
            return updated_node
        self._need(move)
        self.rewrote_attribute = True
        self.edits.add(move.module)
        return _expression(f"{move.module}.{move.name}")

    # -- the end ---------------------------------------------------------------------------

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if self.rewrote_attribute:
            used = _references(updated_node)
            for module, name, asname, bound in self.module_imports:
                old = f"{module}.{name}" if name else module
                # `import langchain.llms` binds `langchain`: it goes when nothing reads
                # `langchain.llms...` any more, and no `langchain...` at all if it is the last.
                prefix = bound if asname or name else old
                if any(ref == prefix or ref.startswith(f"{prefix}.") for ref in used):
                    continue
                if (
                    not (asname or name)
                    and self.binders.get(bound, 0) <= 1
                    and bound in {ref.partition(".")[0] for ref in used}
                ):
                    continue
                self.edits.remove(module, name, asname)
        if self.classic:
            self.context.warnings.append(CLASSIC_WARNING)
        return self.edits.apply(updated_node)


class _References(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        path = dotted(node)
        if path:
            self.found.add(path)
            return False
        return True

    def visit_Name(self, node: cst.Name) -> None:
        self.found.add(node.value)


def _references(module: cst.Module) -> set[str]:
    """Every dotted name the code reads (imports aside), outermost chains whole."""
    visitor = _References()
    module.visit(visitor)
    return visitor.found
