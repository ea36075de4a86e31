"""The pre-filter below the file: top-level functions and classes a codemod cannot touch become stubs.

A top-level statement is relevant when its text contains a PREFILTER string, or a name that a
relevant statement binds (followed to a fixed point, so `def ask(): ... openai ...` makes
`print(ask()["choices"])` relevant too). Every irrelevant `def` or `class` is replaced by an
empty stub that binds the same name (`def f(): ...`), so scope analysis, metadata and the visit
cost only what may change. Each stub carries a marker comment (`# depsentry-stub-TOKEN-N`),
by which `restore` puts the originals back even when the codemod rebuilt the stub node; a marker
left in the output means the codemod moved or changed a stub, and the caller must not use it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

__all__ = ["Reduced", "reduce"]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Reduced:
    """A module with stubs in place of irrelevant functions and classes, and the way back."""

    module: cst.Module
    token: str  # in every stub's marker comment
    originals: list[cst.FunctionDef | cst.ClassDef]  # by stub number
    stub_nodes: list[cst.FunctionDef | cst.ClassDef]  # by stub number, as handed over
    stubs: frozenset[int]  # id() of each stub node

    def restore(self, module: cst.Module) -> cst.Module | None:
        """`module` (the codemod's output) with every stub replaced by its original.

        None when a stub is gone, doubled, or no longer found where it was put (the codemod
        touched what it had no reason to): the caller then runs it on the whole module.
        """
        body = []
        seen: set[int] = set()
        for statement in module.body:
            number = self._number(statement)
            if number is None:
                body.append(statement)
            elif number in seen or not _same_stub(statement, self.stub_nodes[number]):
                return None
            else:  # keeps any comment or blank line the codemod put above it
                seen.add(number)
                original = self.originals[number]
                body.append(original.with_changes(leading_lines=statement.leading_lines))
        if len(seen) != len(self.originals):
            return None
        restored = module.with_changes(body=body)
        return None if self.token in restored.code else restored

    def _number(self, statement: cst.BaseStatement) -> int | None:
        if not isinstance(statement, cst.FunctionDef | cst.ClassDef):
            return None
        block = statement.body
        comment = block.header.comment if isinstance(block, cst.IndentedBlock) else None
        prefix = f"# depsentry-stub-{self.token}-"
        if comment is None or not comment.value.startswith(prefix):
            return None
        return int(comment.value.removeprefix(prefix))


def reduce(module: cst.Module, needles: Sequence[str]) -> Reduced | None:
    """`module` with its irrelevant top-level functions and classes stubbed; None if there are none."""
    texts = [module.code_for_node(statement) for statement in module.body]
    words = [set(_WORD.findall(text)) for text in texts]
    relevant = [any(needle in text for needle in needles) for text in texts]
    holders: dict[str, list[int]] = {}
    for index, found in enumerate(words):
        for word in found:
            holders.setdefault(word, []).append(index)
    pending = [index for index, yes in enumerate(relevant) if yes]
    seen: set[str] = set()
    while pending:
        index = pending.pop()
        bound = _bound(module.body[index], texts[index], words[index])
        if bound is None:
            return None  # `from x import *` of a relevant module: any name may come from it
        for name in bound - seen:
            seen.add(name)
            for other in holders.get(name, ()):
                if not relevant[other]:
                    relevant[other] = True
                    pending.append(other)
    token = secrets.token_hex(6)
    originals: list[cst.FunctionDef | cst.ClassDef] = []
    stub_nodes: list[cst.FunctionDef | cst.ClassDef] = []
    body: list[cst.BaseStatement] = []
    stubs: set[int] = set()
    for statement, yes in zip(module.body, relevant, strict=True):
        if yes or not isinstance(statement, cst.FunctionDef | cst.ClassDef):
            body.append(statement)
            continue
        stub = _stub(statement, f"# depsentry-stub-{token}-{len(originals)}")
        originals.append(statement)
        stub_nodes.append(stub)
        stubs.add(id(stub))
        body.append(stub)
    if not originals:
        return None
    return Reduced(module.with_changes(body=body), token, originals, stub_nodes, frozenset(stubs))


def _same_stub(statement: cst.BaseStatement, stub: cst.FunctionDef | cst.ClassDef) -> bool:
    """Whether the codemod left a stub as it was, but for the lines above it."""
    if statement is stub:
        return True
    return statement.with_changes(leading_lines=()).deep_equals(stub.with_changes(leading_lines=()))


def _stub(statement: cst.FunctionDef | cst.ClassDef, marker: str) -> cst.FunctionDef | cst.ClassDef:
    header = cst.TrailingWhitespace(
        whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(marker)
    )
    body = cst.IndentedBlock(
        body=[cst.SimpleStatementLine(body=[cst.Expr(cst.Ellipsis())])], header=header
    )
    if isinstance(statement, cst.FunctionDef):
        return cst.FunctionDef(
            name=statement.name,
            params=cst.Parameters(),
            body=body,
            leading_lines=statement.leading_lines,
            asynchronous=statement.asynchronous,
        )
    return cst.ClassDef(name=statement.name, body=body, leading_lines=statement.leading_lines)


def _bound(statement: cst.BaseStatement, text: str, words: set[str]) -> set[str] | None:
    """The names a top-level statement binds (every word of it where that is not obvious)."""
    if isinstance(statement, cst.FunctionDef | cst.ClassDef):
        return {statement.name.value}
    if not isinstance(statement, cst.SimpleStatementLine):
        return words  # if/for/with/try at module level: any name inside may be bound
    names: set[str] = set()
    for small in statement.body:
        if isinstance(small, cst.Assign):
            for target in small.targets:
                names |= _target_names(target.target)
        elif isinstance(small, cst.AnnAssign | cst.AugAssign):
            names |= _target_names(small.target)
        elif isinstance(small, cst.Import):
            names |= {
                (a.evaluated_alias or a.evaluated_name).partition(".")[0] for a in small.names
            }
        elif isinstance(small, cst.ImportFrom):
            if isinstance(small.names, cst.ImportStar):
                return None
            names |= {a.evaluated_alias or a.evaluated_name for a in small.names}
        elif not isinstance(small, cst.Expr | cst.Pass):
            return words
    return words if ":=" in text else names


def _target_names(target: cst.BaseExpression) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, cst.Tuple | cst.List):
        found: set[str] = set()
        for element in target.elements:
            found |= _target_names(element.value)
        return found
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    # `x.y = ...` and `x[k] = ...` change what `x` holds: count `x` as bound.
    while isinstance(target, cst.Attribute | cst.Subscript):
        target = target.value
    return {target.value} if isinstance(target, cst.Name) else set()
