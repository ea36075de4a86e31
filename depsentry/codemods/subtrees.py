"""The pre-filter below the file: top-level functions and classes a codemod cannot touch become stubs.

A top-level statement is relevant when its text contains a PREFILTER string, or a name that a
relevant statement binds (followed to a fixed point, so `def ask(): ... openai ...` makes
`print(ask()["choices"])` relevant too). Every irrelevant `def` or `class` is replaced, in the
source text, by a one-line stub that binds the same names (`f = g = ...`), so libcst parses,
analyses, visits and prints only what may change. The work is done on CPython's `ast` (C, fast)
of the source; a stub carries a marker comment (`# depsentry-stub-TOKEN-N`) by which `restore`
puts the original text back. A stub the codemod moved, changed or dropped makes `restore`
return None: the caller then runs the codemod on the whole file.
"""

from __future__ import annotations

import ast
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ReducedSource", "reduce_source"]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Line breaks str.splitlines() knows but CPython's tokenizer does not: line numbers would drift.
_ODD_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class ReducedSource:
    """Source text with stubs in place of irrelevant functions and classes, and the way back."""

    text: str
    token: str  # in every stub's marker comment
    originals: tuple[str, ...]  # the text each stub stands for, by stub number
    stubs: tuple[str, ...]  # each stub's own text, by stub number
    newline: str

    @property
    def marker(self) -> str:
        """What every stub's marker comment starts with."""
        return f"# depsentry-stub-{self.token}-"

    def restore(self, output: str) -> str | None:
        """`output` (the codemod's, on `text`) with every stub replaced by its original text."""
        nl = re.escape(self.newline)
        stub = re.compile(rf"^(?:\w+ = )+\.\.\.  {re.escape(self.marker)}(\d+){nl}", re.MULTILINE)
        seen: list[int] = []

        def original(match: re.Match[str]) -> str:
            number = int(match.group(1))
            if number >= len(self.stubs) or match.group(0) != self.stubs[number]:
                return match.group(0)  # renamed or otherwise changed: left, so it is noticed
            seen.append(number)
            return self.originals[number]

        restored = stub.sub(original, output)
        if sorted(seen) != list(range(len(self.originals))) or self.marker in restored:
            return None
        return restored

    def original_line(self, line: int) -> int:
        """The line of the original text that line `line` of `text` is (or stands for)."""
        shift = 0
        for text in self.text.splitlines()[: line - 1]:
            if self.marker in text:
                stub = int(text.rpartition("-")[2])
                shift += len(self.originals[stub].splitlines()) - 1
        return line + shift


def reduce_source(text: str, tree: ast.Module, needles: Sequence[str]) -> ReducedSource | None:
    """`text` (which `tree` is the ast of) with its irrelevant functions and classes stubbed.

    None when there is nothing to stub, or the text is one this cannot map line by line.
    """
    if _ODD_BREAKS.search(text):
        return None
    lines = text.splitlines(keepends=True)
    spans = [(_first_line(node), node.end_lineno or node.lineno) for node in tree.body]
    texts = ["".join(lines[start - 1 : end]) for start, end in spans]
    words = [set(_WORD.findall(chunk)) for chunk in texts]
    relevant = [any(needle in chunk for needle in needles) for chunk in texts]
    holders: dict[str, list[int]] = {}
    for index, found in enumerate(words):
        for word in found:
            holders.setdefault(word, []).append(index)
    pending = [index for index, yes in enumerate(relevant) if yes]
    seen: set[str] = set()
    while pending:
        index = pending.pop()
        bound = _bound(tree.body[index], words[index])
        if bound is None:
            return None  # `from x import *` of a relevant module: any name may come from it
        for name in bound - seen:
            seen.add(name)
            for other in holders.get(name, ()):
                if not relevant[other]:
                    relevant[other] = True
                    pending.append(other)
    # Runs of neighbouring irrelevant functions and classes become one stub each: a single
    # `f = g = C = ...` line binds their names at a fraction of the nodes of one stub apiece.
    runs: list[list[int]] = []
    for index, node in enumerate(tree.body):
        if relevant[index] or not isinstance(node, _DEFS):
            continue
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    if not runs:
        return None
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    token = secrets.token_hex(6)
    out: list[str] = []
    originals: list[str] = []
    stubs: list[str] = []
    position = 0  # lines[:position] are in `out`
    for run in runs:
        start, end = spans[run[0]][0], spans[run[-1]][1]
        if not lines[end - 1].endswith(("\n", "\r")):
            return None  # the file ends inside it without a newline: keep it simple
        names = " = ".join(tree.body[index].name for index in run)  # type: ignore[attr-defined]
        stubs.append(f"{names} = ...  # depsentry-stub-{token}-{len(stubs)}{newline}")
        out.extend(lines[position : start - 1])
        out.append(stubs[-1])
        originals.append("".join(lines[start - 1 : end]))
        position = end
    out.extend(lines[position:])
    return ReducedSource("".join(out), token, tuple(originals), tuple(stubs), newline)


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _bound(node: ast.stmt, words: set[str]) -> set[str] | None:
    """The names a top-level statement binds (every word of it where that is not obvious)."""
    if isinstance(node, _DEFS):
        return {node.name}
    if isinstance(node, ast.Import):
        return {(a.asname or a.name).partition(".")[0] for a in node.names}
    if isinstance(node, ast.ImportFrom):
        if any(alias.name == "*" for alias in node.names):
            return None
        return {alias.asname or alias.name for alias in node.names}
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(n, ast.NamedExpr) for n in ast.walk(node)):
            return words
        return set().union(*(_target_names(target) for target in targets))
    if isinstance(node, ast.Expr | ast.Pass):
        return words if any(isinstance(n, ast.NamedExpr) for n in ast.walk(node)) else set()
    return words  # if/for/with/try/... at module level: any name inside may be bound


def _target_names(target: ast.expr) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Tuple | ast.List):
        return set().union(*(_target_names(element) for element in target.elts))
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    # `x.y = ...` and `x[k] = ...` change what `x` holds: count `x` as bound.
    while isinstance(target, ast.Attribute | ast.Subscript):
        target = target.value
    return {target.id} if isinstance(target, ast.Name) else set()
