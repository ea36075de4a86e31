"""`openai.error.X` -> the v1 exception class, in attribute and import forms, and in handlers.

Which 1.x classes a handler needs, and in which order, is decided in handlers.py.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

import libcst as cst

from .handlers import V0, Handler, Plan, plan
from .tables import ERRORS, REMOVED_ERRORS, ROOT_ERRORS

if TYPE_CHECKING:
    from depsentry.codemods.imports import ImportEdits

    from .analysis import Analysis


def error_for(names: Collection[str], roots: bool = True) -> tuple[str, str] | None:
    """(v0 name, v1 name or "") for a qualified `openai.error.X` or `openai.X` v0 error.

    `openai.APIError` and `openai.OpenAIError` exist in both versions: they count as 0.x names
    only with `roots` (the module still makes 0.x calls or names `openai.error`), so that code
    already on 1.x, and a second run, are left alone.
    """
    for name in names:
        parts = name.split(".")
        if len(parts) == 3 and parts[:2] == ["openai", "error"]:
            old = parts[2]
        elif (
            len(parts) == 2
            and parts[0] == "openai"
            and parts[1] in ROOT_ERRORS
            and (roots or parts[1] == "InvalidRequestError")
        ):
            old = parts[1]
        else:
            continue
        if old in ERRORS:
            return old, ERRORS[old]
        if old in REMOVED_ERRORS:
            return old, ""
    return None


def _dotted(node: cst.BaseExpression | None) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def rewrite_import_from(node: cst.ImportFrom) -> tuple[cst.ImportFrom, list[str]] | None:
    """`from openai.error import A, B as C` -> `from openai import A', B' as C`.

    Returns None when the statement is not an error import; the TODO list is non-empty (and
    the node unchanged) when it names an error v1 does not have.
    """
    module = _dotted(node.module)
    if node.relative or module not in {"openai.error", "openai"}:
        return None
    if isinstance(node.names, cst.ImportStar):
        if module == "openai.error":
            return node, ["`from openai.error import *` is gone: import the v1 classes from openai"]
        return None
    removed = [alias.name.value for alias in node.names if _dotted(alias.name) in REMOVED_ERRORS]
    if module == "openai.error" and removed:
        return node, [REMOVED_ERRORS[name] for name in removed if isinstance(name, str)]
    changed = False
    names: list[cst.ImportAlias] = []
    for alias in node.names:
        old = _dotted(alias.name)
        if module == "openai" and old not in ROOT_ERRORS:
            names.append(alias)
            continue
        new = ERRORS.get(old, old)
        changed = changed or new != old or module == "openai.error"
        names.append(alias.with_changes(name=cst.Name(new)))
    if not changed:
        return None
    return node.with_changes(module=cst.Name("openai"), names=names), []


# Builtin exceptions that can never catch an openai error (all of them derive from Exception).
_NARROW = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type)
    and issubclass(value, BaseException)
    and value not in (Exception, BaseException)
)


def type_elements(node: cst.BaseExpression | None) -> list[cst.BaseExpression]:
    """The classes an `except` or `isinstance` names: a tuple's elements, or the one class."""
    if node is None:
        return []
    if isinstance(node, cst.Tuple):
        return [element.value for element in node.elements]
    return [node]


def handler_of(
    handler: cst.ExceptHandler, qnames: Callable[[cst.CSTNode], Collection[str]], roots: bool
) -> Handler:
    """What a handler names, as far as openai errors go (see handlers.Handler)."""
    if handler.type is None:
        return Handler((), True)
    v0: list[str] = []
    opaque = False
    for element in type_elements(handler.type):
        error = error_for(qnames(element), roots)
        if error is not None and error[0] in V0:
            v0.append(error[0])
            # OpenAIError was every error's parent in 0.x too: a handler's place mattered.
            opaque = opaque or error[0] == "OpenAIError"
        elif not (
            isinstance(element, cst.Name)
            and element.value in _NARROW
            and f"builtins.{element.value}" in qnames(element)
        ):
            opaque = True
    return Handler(tuple(v0), opaque)


def reorder_handlers(
    node: cst.Try, plan: Plan, ref: Callable[[str], cst.BaseExpression]
) -> cst.Try:
    """`node` with its handlers in the plan's order and its re-raising handlers in place."""
    handlers: list[cst.ExceptHandler] = []
    for index in plan.order:
        names = plan.reraise.get(index)
        if names:
            handlers.append(_reraise(names, ref, node.handlers[index]))
        handlers.append(node.handlers[index])
    return node.with_changes(handlers=handlers)


def _reraise(
    names: Collection[str], ref: Callable[[str], cst.BaseExpression], before: cst.ExceptHandler
) -> cst.ExceptHandler:
    classes = [ref(name) for name in names]
    kind: cst.BaseExpression = classes[0]
    if len(classes) > 1:
        kind = cst.Tuple([cst.Element(value) for value in classes])
    comment = cst.Comment("# openai 0.x did not catch these here")
    header = cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "), comment=comment)
    body = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Raise()])], header=header)
    return cst.ExceptHandler(
        body=body, type=kind, whitespace_after_except=cst.SimpleWhitespace(" ")
    )


def with_not_found(
    node: cst.BaseExpression, indexes: Collection[int], not_found: cst.BaseExpression
) -> cst.BaseExpression:
    """`node` (a class or tuple of classes) with NotFoundError after each InvalidRequestError.

    0.x raised InvalidRequestError for 404 too; 1.x raises NotFoundError, so a handler or an
    isinstance check of BadRequestError alone would miss missing models and deployments.
    """
    elements = type_elements(node)
    new: list[cst.BaseExpression] = []
    for index, element in enumerate(elements):
        new.append(element)
        if index in indexes:
            new.append(not_found)
    if not isinstance(node, cst.Tuple):  # `except(X)`: the tuple takes the parentheses
        new = [element.with_changes(lpar=[], rpar=[]) for element in new]
    if isinstance(node, cst.Tuple):
        items = [cst.Element(value) for value in new]
        last = node.elements[-1].comma if node.elements else cst.MaybeSentinel.DEFAULT
        items[-1] = items[-1].with_changes(comma=last)
        return node.with_changes(elements=items)
    return cst.Tuple([cst.Element(value) for value in new])


_CONSTRUCTOR_TODO = (
    "v1 exceptions take (message, *, response, body) (APIConnectionError: request=): "
    "check this constructor call"
)
_NOT_FOUND_TODO = (
    "0.x InvalidRequestError also covered 404 (a missing model or deployment): v1 raises "
    "NotFoundError for it; catch (BadRequestError, NotFoundError) where this is caught"
)


class ErrorRules:
    """The openai-v1 rules for `openai.error` names, `except` handlers and isinstance checks.

    A mixin of OpenAIV1Codemod, whose state and helpers it uses (declared below for mypy).
    """

    if TYPE_CHECKING:
        analysis: Analysis
        edits: ImportEdits
        dropped: set[cst.CSTNode]
        bindings: dict[str, list[tuple[str, cst.BaseExpression | None]]]
        _in_import: int

        def _qnames(self, node: cst.CSTNode) -> Collection[str]: ...
        def _todo(self, message: str) -> None: ...
        def module_ref(self) -> str: ...
        def rewrite_setting_read(self, node: cst.Attribute) -> cst.BaseExpression: ...
        def flag_removed_reference(self, names: Collection[str]) -> None: ...

    def prepare_errors(self) -> None:
        """Reset the per-module state (called before the visit)."""
        self.openai_needed = False  # generated code names `openai.X`
        self.roots = bool(self.analysis.calls) or self.analysis.error_module
        self._try_plans: dict[cst.Try, Plan] = {}
        self._not_found: dict[cst.CSTNode, list[int]] = {}  # handler/isinstance -> elements
        self._expanded: set[cst.CSTNode] = set()  # InvalidRequestError refs given NotFoundError
        self._error_calls: set[cst.CSTNode] = set()  # error classes being constructed

    def error_ref(self, name: str) -> cst.Attribute:
        """`openai.<name>` (the module as it is named here)."""
        self.openai_needed = True
        return cst.Attribute(value=cst.Name(self.module_ref()), attr=cst.Name(name))

    def _note_invalid_request(self, owner: cst.CSTNode, kind: cst.BaseExpression | None) -> None:
        indexes = []
        for index, element in enumerate(type_elements(kind)):
            error = error_for(self._qnames(element), self.roots)
            if error is not None and error[0] == "InvalidRequestError":
                indexes.append(index)
                self._expanded.add(element)
        if indexes:
            self._not_found[owner] = indexes

    def visit_Try(self, node: cst.Try) -> None:
        handlers = [handler_of(handler, self._qnames, self.roots) for handler in node.handlers]
        for handler in node.handlers:
            self._note_invalid_request(handler, handler.type)
        if not any(handler.v0 for handler in handlers):
            return
        found = plan(handlers)
        if found.todo:
            self._todo(found.todo)
        if found.reraise or list(found.order) != sorted(found.order):
            self._try_plans[node] = found

    def leave_Try(
        self, original_node: cst.Try, updated_node: cst.Try
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        found = self._try_plans.get(original_node)
        return (
            updated_node if found is None else reorder_handlers(updated_node, found, self.error_ref)
        )

    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        indexes = self._not_found.get(original_node)
        if indexes is None or updated_node.type is None:
            return updated_node
        elements = type_elements(updated_node.type)
        kind = with_not_found(updated_node.type, indexes, self._not_found_ref(elements[indexes[0]]))
        if (
            not isinstance(updated_node.type, cst.Tuple)
            and updated_node.whitespace_after_except.value == ""
        ):
            return updated_node.with_changes(
                type=kind, whitespace_after_except=cst.SimpleWhitespace(" ")
            )
        return updated_node.with_changes(type=kind)

    def _not_found_ref(self, like: cst.BaseExpression) -> cst.BaseExpression:
        if isinstance(like, cst.Attribute):
            return like.with_changes(attr=cst.Name("NotFoundError"), lpar=[], rpar=[])
        kinds = {kind for kind, _ in self.bindings.get("NotFoundError", [])}
        if kinds <= {"import from"}:
            self.edits.add("openai", "NotFoundError")
            return cst.Name("NotFoundError")
        return self.error_ref("NotFoundError")

    def visit_Call(self, node: cst.Call) -> None:
        callee = self._qnames(node.func)
        if error_for(callee, self.roots) is not None:
            self._error_calls.add(node.func)
        elif {"builtins.isinstance", "builtins.issubclass"} & set(callee) and len(node.args) == 2:
            self._note_invalid_request(node, node.args[1].value)

    def leave_error_call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression | None:
        """The rewrite of an error constructor or isinstance check; None when it is neither."""
        if original.func in self._error_calls:
            self._todo(_CONSTRUCTOR_TODO)
            return updated
        indexes = self._not_found.get(original)
        if indexes is None:
            return None
        second = updated.args[1]
        elements = type_elements(second.value)
        kind = with_not_found(second.value, indexes, self._not_found_ref(elements[indexes[0]]))
        return updated.with_changes(args=[updated.args[0], second.with_changes(value=kind)])

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        names = self._qnames(original_node)
        error = error_for(names, self.roots)
        if error is None:
            if original_node in self.analysis.setting_reads:
                return self.rewrite_setting_read(updated_node)
            if original_node not in self.analysis.handled:
                self.flag_removed_reference(names)
            return updated_node
        old, new = error
        if not new:
            self._todo(REMOVED_ERRORS[old])
            return updated_node
        self._check_not_found(original_node, old)
        base = updated_node.value
        if isinstance(base, cst.Attribute) and base.attr.value == "error":
            base = base.value
        elif "openai.error" in self._qnames(original_node.value):
            if isinstance(original_node.value, cst.Name):
                self.dropped.add(original_node.value)
            base = cst.Name(self.module_ref())
        return updated_node.with_changes(value=base, attr=cst.Name(new))

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if self._in_import:
            return updated_node
        names = self._qnames(original_node)
        error = error_for(names, self.roots)
        if error is not None and error[0] == original_node.value:
            if error[1]:
                self._check_not_found(original_node, error[0])
                return updated_node.with_changes(value=error[1])
            self._todo(REMOVED_ERRORS[error[0]])
        elif error is None and original_node not in self.analysis.handled:
            self.flag_removed_reference(names)
        return updated_node

    def _check_not_found(self, node: cst.CSTNode, old: str) -> None:
        if (
            old == "InvalidRequestError"
            and node not in self._expanded
            and node not in self._error_calls
        ):
            self._todo(_NOT_FOUND_TODO)

    def rewrite_error_import(self, node: cst.ImportFrom) -> cst.ImportFrom | None:
        """`from openai.error import ...` in v1 names, or None when it is no error import."""
        rewritten = rewrite_import_from(node)
        if rewritten is None:
            return None
        new, todos = rewritten
        for message in todos:
            self._todo(message)
        return new
