"""Import edits a codemod makes in its own pass, placed in isort order (ruff's I001 stays clean).

libcst's AddImportsVisitor and RemoveImportsVisitor each re-walk, deep-copy and re-resolve the
whole module after the transform; this helper only rebuilds the module's top-level import block.

    edits = ImportEdits()
    edits.add("functools")                       # import functools
    edits.add("openai", "OpenAI")                # from openai import OpenAI (merged into an
                                                 # existing `from openai import ...`)
    edits.add("openai", "RateLimitError", "RLE") # from openai import RateLimitError as RLE
    edits.remove("openai", "ChatCompletion")     # drop that name; the statement if it was the last
    edits.remove("openai")                       # drop `import openai`
    tree = edits.apply(tree, first_party={"myapp"})  # after the transform, on the new module

`add` skips what a top-level import already binds. The caller decides that a removed name is
unused (it knows which uses it rewrote); `remove` only edits top-level imports. New statements go
where isort puts them: sections future, standard library, third party, first party (`first_party`,
and unknown modules grouped after a third-party group), local; `import x` before `from x import`,
modules and names in ruff's order; one blank line between sections, at least one after the block.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import libcst as cst

__all__ = ["ImportEdits", "section_of"]

FUTURE, STDLIB, THIRD_PARTY, FIRST_PARTY, LOCAL = range(5)

_Imports = cst.Import | cst.ImportFrom


def section_of(module: str, relative: bool = False, first_party: Collection[str] = ()) -> int:
    """The isort section of `module` (FUTURE ... LOCAL); unknown modules are third party."""
    if relative:
        return LOCAL
    top = module.partition(".")[0]
    if top == "__future__":
        return FUTURE
    if top in sys.stdlib_module_names:
        return STDLIB
    if top in first_party:
        return FIRST_PARTY
    return THIRD_PARTY


def _dotted(node: cst.BaseExpression | None) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _module_key(module: str) -> tuple[str, str]:
    return module.lower(), module


def member_key(name: str) -> tuple[int, str, str]:
    """ruff's `order-by-type` order of the names in a `from` import: CONSTANTS, Classes, rest."""
    if len(name) > 1 and name.upper() == name and any(c.isalpha() for c in name):
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return kind, name.lower(), name


@dataclass(frozen=True)
class _Request:
    module: str
    name: str | None
    asname: str | None

    @property
    def bound(self) -> str:
        """The name this import binds in the module."""
        if self.asname:
            return self.asname
        return self.name if self.name else self.module.partition(".")[0]


@dataclass
class _Line:
    """One top-level import statement of the block, with what sorts it."""

    node: cst.SimpleStatementLine
    section: int
    style: int  # 0 `import x`, 1 `from x import y`
    module: tuple[str, str]

    @property
    def key(self) -> tuple[int, int, tuple[str, str], tuple[int, str, str]]:
        # Lines of one module sort by their first name, as ruff does.
        return self.section, self.style, self.module, _first_member(self.node)


def _first_member(statement: cst.SimpleStatementLine) -> tuple[int, str, str]:
    item = statement.body[0]
    if isinstance(item, cst.ImportFrom) and not isinstance(item.names, cst.ImportStar):
        return member_key(item.names[0].evaluated_name)
    return (0, "", "")


@dataclass
class ImportEdits:
    """Imports to add and remove, applied in one go by `apply` (see the module docstring)."""

    added: list[_Request] = field(default_factory=list)
    removed: list[_Request] = field(default_factory=list)

    def add(self, module: str, name: str | None = None, asname: str | None = None) -> None:
        """Make sure `import module` / `from module import name [as asname]` is there."""
        request = _Request(module, name, asname)
        if request not in self.added:
            self.added.append(request)

    def remove(self, module: str, name: str | None = None, asname: str | None = None) -> None:
        """Drop `import module` / that name of `from module import ...` from the top level."""
        request = _Request(module, name, asname)
        if request not in self.removed:
            self.removed.append(request)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)

    def apply(self, tree: cst.Module, first_party: Collection[str] = ()) -> cst.Module:
        """`tree` with the edits made to its top-level imports."""
        if not self:
            return tree
        stripped = [self._without_removed(statement) for statement in tree.body]
        body = [s for s in _keep_comments(tree.body, stripped) if s is not None]
        third = {r.module.partition(".")[0] for r in self.added if not _is_stdlib(r.module)}
        for request in self.added:
            if not _binds(body, request):
                body = _insert(body, request, first_party, third)
        return tree.with_changes(body=body)

    def _without_removed(self, statement: cst.BaseStatement) -> cst.BaseStatement | None:
        if not self.removed or not _is_import_line(statement):
            return statement
        assert isinstance(statement, cst.SimpleStatementLine)
        small: list[cst.BaseSmallStatement] = []
        for item in statement.body:
            new = self._strip(item) if isinstance(item, _Imports) else item
            if new is not None:
                small.append(new)
        if not small:
            return None
        if len(small) == len(statement.body) and all(
            a is b for a, b in zip(small, statement.body, strict=True)
        ):
            return statement
        small[-1] = small[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return statement.with_changes(body=small)

    def _strip(self, node: _Imports) -> _Imports | None:
        if isinstance(node, cst.Import):
            old: Sequence[cst.ImportAlias] = node.names
            names = [
                alias
                for alias in old
                if _Request(alias.evaluated_name, None, alias.evaluated_alias) not in self.removed
            ]
        elif node.relative or isinstance(node.names, cst.ImportStar):
            return node
        else:
            module, old = _dotted(node.module), node.names
            names = [
                alias
                for alias in old
                if _Request(module, alias.evaluated_name, alias.evaluated_alias) not in self.removed
            ]
        if len(names) == len(old):
            return node
        if not names:
            return None
        if not isinstance(node, cst.ImportFrom) or node.rpar is None:
            names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        else:  # a parenthesised list keeps its layout, trailing comma included
            names[-1] = names[-1].with_changes(comma=old[-1].comma)
        return node.with_changes(names=names)


def _keep_comments(
    original: Sequence[cst.BaseStatement], body: list[cst.BaseStatement | None]
) -> list[cst.BaseStatement | None]:
    # A removed statement's comment lines move to the statement that follows it.
    carried: list[cst.EmptyLine] = []
    result: list[cst.BaseStatement | None] = []
    for old, new in zip(original, body, strict=True):
        if new is None:
            carried.extend(line for line in leading_lines(old) if line.comment is not None)
            result.append(None)
            continue
        if carried:
            new = new.with_changes(leading_lines=[*leading_lines(new), *carried])
            carried = []
        result.append(new)
    return result


def leading_lines(statement: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    """The blank and comment lines above a statement (every statement class has them)."""
    lines: Sequence[cst.EmptyLine] = getattr(statement, "leading_lines", ())
    return lines


def _is_stdlib(module: str) -> bool:
    return section_of(module) in (FUTURE, STDLIB)


def _is_import_line(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(item, _Imports) for item in statement.body
    )


def _binds(body: Sequence[cst.BaseStatement], request: _Request) -> bool:
    for statement in body:
        if not _is_import_line(statement):
            continue
        assert isinstance(statement, cst.SimpleStatementLine)
        for item in statement.body:
            if isinstance(item, cst.Import) and request.name is None:
                for alias in item.names:
                    if alias.evaluated_name == request.module and (
                        alias.evaluated_alias == request.asname
                    ):
                        return True
            elif (
                isinstance(item, cst.ImportFrom)
                and request.name is not None
                and not item.relative
                and not isinstance(item.names, cst.ImportStar)
                and _dotted(item.module) == request.module
            ):
                for alias in item.names:
                    if alias.evaluated_name == request.name and (
                        alias.evaluated_alias == request.asname
                    ):
                        return True
    return False


def _block(body: Sequence[cst.BaseStatement]) -> tuple[int, int]:
    """[start, end) of the first run of top-level import lines (after a docstring)."""
    start = 0
    while start < len(body) and not _is_import_line(body[start]):
        if not _is_docstring(body[start]) or start > 0:
            return _empty_block(body)
        start += 1
    end = start
    while end < len(body) and _is_import_line(body[end]):
        end += 1
    return (start, end) if end > start else _empty_block(body)


def _empty_block(body: Sequence[cst.BaseStatement]) -> tuple[int, int]:
    position = 1 if body and _is_docstring(body[0]) else 0
    return position, position


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _classify(
    body: Sequence[cst.BaseStatement],
    start: int,
    end: int,
    first_party: Collection[str],
    third: Collection[str],
) -> list[_Line]:
    lines, unknown = [], []
    for statement in body[start:end]:
        assert isinstance(statement, cst.SimpleStatementLine)
        first = statement.body[0]
        assert isinstance(first, _Imports)
        if isinstance(first, cst.Import):
            module, style, relative = first.names[0].evaluated_name, 0, False
        else:
            module, style, relative = _dotted(first.module), 1, bool(first.relative)
        section = section_of(module, relative, first_party)
        line = _Line(statement, section, style, _module_key(module))
        lines.append(line)
        if line.section == THIRD_PARTY and module.partition(".")[0] not in third:
            unknown.append(line)
    # An unknown module takes the section of the known ones in its blank-line-separated group;
    # a group of unknown ones after a third-party group is first party (as isort lays it out).
    groups: list[list[_Line]] = []
    for index, line in enumerate(lines):
        if index == 0 or _starts_group(line.node):
            groups.append([])
        groups[-1].append(line)
    after_third = False
    for group in groups:
        known = {line.section for line in group if not _among(line, unknown)}
        if len(known) == 1:
            section = known.pop()
        elif not known and after_third:
            section = FIRST_PARTY
        else:
            section = THIRD_PARTY
        for line in group:
            if _among(line, unknown):
                line.section = section
        after_third = after_third or any(line.section == THIRD_PARTY for line in group)
    return lines


def _among(line: _Line, lines: list[_Line]) -> bool:
    return any(line is other for other in lines)


def _starts_group(statement: cst.SimpleStatementLine) -> bool:
    return any(line.comment is None for line in statement.leading_lines)


def _insert(
    body: list[cst.BaseStatement],
    request: _Request,
    first_party: Collection[str],
    third: Collection[str],
) -> list[cst.BaseStatement]:
    start, end = _block(body)
    lines = _classify(body, start, end, first_party, third)
    if request.name is not None:
        merged = _merge(body, lines, request)
        if merged is not None:
            return merged
    section = section_of(request.module, first_party=first_party)
    new = _Line(
        _statement(request), section, 0 if request.name is None else 1, _module_key(request.module)
    )
    index = next((i for i, line in enumerate(lines) if line.key > new.key), len(lines))
    before = lines[index - 1] if index > 0 else None
    after = lines[index] if index < len(lines) else None
    result = list(body)
    node = new.node
    if before is None and after is not None:
        # First of the block: it takes the block's opening lines (blank after a docstring,
        # comments); the old first line now opens its section, or follows in the same one.
        node = node.with_changes(leading_lines=after.node.leading_lines)
        opened = [cst.EmptyLine()] if after.section != section else []
        result[start] = after.node.with_changes(leading_lines=opened)
    elif before is None:
        node = node.with_changes(leading_lines=[cst.EmptyLine()] if start > 0 else [])
    elif before.section != section:
        node = node.with_changes(leading_lines=[cst.EmptyLine()])
        if after is not None and after.section == section:
            result[start + index] = after.node.with_changes(
                leading_lines=_trim_blank(after.node.leading_lines)
            )
    if after is not None and after.section != section:
        result[start + index] = _with_blank(result[start + index], 1)
    result.insert(start + index, node)
    following = start + len(lines) + 1
    if after is None and following < len(result):
        wanted = 2 if isinstance(result[following], cst.FunctionDef | cst.ClassDef) else 1
        result[following] = _with_blank(result[following], wanted)
    return result


def _trim_blank(leading: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    lines = list(leading)
    while lines and lines[0].comment is None:
        lines.pop(0)
    return lines


def _with_blank(statement: cst.BaseStatement, count: int) -> cst.BaseStatement:
    """`statement` with at least `count` blank lines before its comments."""
    lines = list(leading_lines(statement))
    blank = 0
    while blank < len(lines) and lines[blank].comment is None:
        blank += 1
    if blank >= count:
        return statement
    return statement.with_changes(leading_lines=[cst.EmptyLine()] * (count - blank) + lines)


def _merge(
    body: list[cst.BaseStatement], lines: list[_Line], request: _Request
) -> list[cst.BaseStatement] | None:
    if request.asname:
        return None  # isort keeps `import x as y` on a line of its own (combine-as-imports off)
    for line in lines:
        statement = line.node
        item = statement.body[0]
        if (
            len(statement.body) != 1
            or not isinstance(item, cst.ImportFrom)
            or item.relative
            or isinstance(item.names, cst.ImportStar)
            or _dotted(item.module) != request.module
            or any(alias.asname is not None for alias in item.names)
        ):
            continue
        names = list(item.names)
        alias = _alias(request)
        keys = [member_key(a.evaluated_name) for a in names]
        new_key = member_key(request.name or "")
        position = next((i for i, k in enumerate(keys) if k > new_key), len(names))
        if keys != sorted(keys):
            position = len(names)
        if position == len(names):
            names[-1] = names[-1].with_changes(comma=cst.Comma(whitespace_after=_space(item)))
            alias = alias.with_changes(comma=item.names[-1].comma)
        else:
            alias = alias.with_changes(comma=cst.Comma(whitespace_after=_space(item)))
        names.insert(position, alias)
        new_item = item.with_changes(names=names)
        index = body.index(statement)
        result = list(body)
        result[index] = statement.with_changes(body=[new_item])
        return result
    return None


def _space(node: cst.ImportFrom) -> cst.BaseParenthesizableWhitespace:
    # What separates two names here: a parenthesised one-per-line list keeps its layout.
    names = node.names
    assert not isinstance(names, cst.ImportStar)
    for alias in names[:-1]:
        if isinstance(alias.comma, cst.Comma):
            return alias.comma.whitespace_after
    if node.lpar is not None:
        return node.lpar.whitespace_after
    return cst.SimpleWhitespace(" ")


def _alias(request: _Request) -> cst.ImportAlias:
    asname = cst.AsName(name=cst.Name(request.asname)) if request.asname else None
    return cst.ImportAlias(name=cst.Name(request.name or ""), asname=asname)


def _statement(request: _Request) -> cst.SimpleStatementLine:
    # Built, not parsed: parse_statement costs milliseconds per call; the defaults print the same.
    asname = cst.AsName(name=cst.Name(request.asname)) if request.asname else None
    first, *rest = request.module.split(".")
    dotted: cst.Attribute | cst.Name = cst.Name(first)
    for part in rest:
        dotted = cst.Attribute(value=dotted, attr=cst.Name(part))
    node: cst.Import | cst.ImportFrom
    if request.name is None:
        node = cst.Import(names=[cst.ImportAlias(name=dotted, asname=asname)])
    else:
        alias = cst.ImportAlias(name=cst.Name(request.name), asname=asname)
        node = cst.ImportFrom(module=dotted, names=[alias])
    return cst.SimpleStatementLine(body=[node])
