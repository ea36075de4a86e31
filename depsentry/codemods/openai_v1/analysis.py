"""First pass over a module: which calls are v0 resource calls, which values are their responses.

A value is a response when it comes from a migrated call, through `await`, subscripts, `.get()`,
attributes, iteration (`for`, comprehensions, `enumerate`), assignments to a name or `self.x`,
and returns of module functions or methods. The flow-insensitive rule is conservative: a name is
a response only when every binding of it in its scope is one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import libcst as cst

from depsentry.codemods.dispatch import CachedVisitor

from .tables import (
    ALL_SETTINGS,
    ASYNC_PREFIX,
    AZURE_KEYWORDS,
    DICT_FIELDS,
    LEAF_FIELDS,
    REMOVED,
    RESOURCES,
    Target,
)

_NOT_MODELS = DICT_FIELDS | LEAF_FIELDS

QualifiedNames = Callable[[cst.CSTNode], Collection[str]]


@dataclass(frozen=True)
class ResourceCall:
    """A call of `openai.<resource>.<method>` in v0."""

    resource: str
    method: str
    is_async: bool
    target: Target | None  # None: removed in v1, see `removed`
    removed: str = ""


@dataclass
class Setting:
    """An assignment `openai.<name> = value`."""

    statement: cst.SimpleStatementLine
    target: cst.Attribute
    name: str
    value: cst.BaseExpression
    top_level: bool


@dataclass(eq=False)
class Scope:
    """Bindings of one function (or the module) and the names found to hold responses."""

    parent: Scope | None
    is_class: bool = False
    bindings: dict[str, list[tuple[str, cst.BaseExpression | None]]] = field(default_factory=dict)
    returns: list[cst.BaseExpression] = field(default_factory=list)
    responses: set[str] = field(default_factory=set)

    def bind(self, name: str, kind: str, value: cst.BaseExpression | None) -> None:
        self.bindings.setdefault(name, []).append((kind, value))


def match_resource_call(names: Collection[str]) -> ResourceCall | None:
    """The resource call a callee's qualified names denote, if any."""
    for name in names:
        parts = name.split(".")
        if len(parts) != 3 or parts[0] != "openai":
            continue
        resource, method = parts[1], parts[2]
        if resource in REMOVED:
            return ResourceCall(resource, method, False, None, REMOVED[resource])
        is_async = False
        if (resource, method) not in RESOURCES and method.startswith(ASYNC_PREFIX):
            is_async, method = True, method[len(ASYNC_PREFIX) :]
        dotted = f"{resource}.{method}"
        if dotted in REMOVED:
            return ResourceCall(resource, method, is_async, None, REMOVED[dotted])
        target = RESOURCES.get((resource, method))
        if target is not None:
            return ResourceCall(resource, method, is_async, target)
    return None


def _binding_key(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value in {"self", "cls"}
    ):
        return f"{node.value.value}.{node.attr.value}"
    return None


def string_key(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal, else None."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def subscript_key(node: cst.Subscript) -> cst.BaseExpression | None:
    """The index expression of `x[i]` (one plain index), else None."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return node.slice[0].slice.value


class Analysis(CachedVisitor):
    """Collects resource calls, settings, scopes and top-level anchors of one module."""

    def __init__(self, qualified_names: QualifiedNames) -> None:
        self.qnames = qualified_names
        self.calls: dict[cst.Call, ResourceCall] = {}
        self.settings: list[Setting] = []
        self.setting_reads: list[cst.Attribute] = []
        self.scopes: dict[cst.CSTNode, Scope] = {}
        self.stores: set[cst.CSTNode] = set()
        self.handled: set[cst.CSTNode] = set()  # `openai.Resource` parts of resource calls
        self.returning_functions: set[str] = set()
        self.uses_sync = False
        self.uses_async = False
        self.module_aliases: list[str] = []  # `import openai [as x]` at top level
        self.first_use: cst.CSTNode | None = None  # first top-level statement with a call
        self.calling_functions: set[cst.FunctionDef] = set()  # directly contain a call
        self.error_module = False  # names `openai.error` somewhere
        self.with_options = False  # some call already passes per-call settings (v1 style)
        self.azure_hints = False  # engine=/deployment_id=/api_version=, or a computed api_type
        self.star_kwargs: list[cst.Arg] = []  # `**x` arguments of resource calls
        self.values: dict[cst.Name, cst.BaseExpression] = {}  # assignment target -> value
        self._stack: list[Scope] = []
        self._function_nodes: list[cst.FunctionDef] = []
        self._functions: list[tuple[str, Scope]] = []
        self._top: set[cst.CSTNode] = set()
        self._current_top: cst.CSTNode | None = None
        self._setting_targets: set[cst.CSTNode] = set()

    # Scopes -----------------------------------------------------------------------------------

    @property
    def scope(self) -> Scope:
        return self._stack[-1]

    def visit_Module(self, node: cst.Module) -> None:
        scope = Scope(None)
        self._module = node
        self.scopes[node] = scope
        self._stack.append(scope)
        self._top = set(node.body)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node in self._top:
            self._current_top = node
        return super().on_visit(node)

    def _enclosing_function_scope(self) -> Scope:
        scope = self.scope
        while scope.is_class and scope.parent is not None:
            scope = scope.parent
        return scope

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scope.bind(node.name.value, "opaque", None)
        scope = Scope(self._enclosing_function_scope())
        self.scopes[node] = scope
        self._functions.append((node.name.value, scope))
        self._function_nodes.append(node)
        self._stack.append(scope)
        self._bind_params(node.params)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._stack.pop()
        self._function_nodes.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        scope = Scope(self._enclosing_function_scope())
        self.scopes[node] = scope
        self._stack.append(scope)
        self._bind_params(node.params)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._stack.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scope.bind(node.name.value, "opaque", None)
        scope = Scope(self.scope, is_class=True)
        self.scopes[node] = scope
        self._stack.append(scope)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._stack.pop()

    def _bind_params(self, params: cst.Parameters) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        every.extend(s for s in (params.star_arg, params.star_kwarg) if isinstance(s, cst.Param))
        for param in every:
            self.scope.bind(param.name.value, "opaque", None)

    # Bindings ---------------------------------------------------------------------------------

    def _bind_target(
        self, target: cst.BaseExpression, kind: str, value: cst.BaseExpression | None
    ) -> None:
        key = _binding_key(target)
        if key is not None:
            self.scope.bind(key, kind, value)
            if isinstance(target, cst.Name) and value is not None:
                self.values[target] = value
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._bind_target(element.value, "opaque", None)
        elif isinstance(target, cst.Subscript):
            self.stores.add(target)

    def _bind_loop(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> None:
        # `for i, x in enumerate(resp)` keeps `x` a response.
        if (
            isinstance(target, cst.Tuple)
            and len(target.elements) == 2
            and isinstance(iterable, cst.Call)
            and isinstance(iterable.func, cst.Name)
            and iterable.func.value == "enumerate"
            and iterable.args
        ):
            self._bind_target(target.elements[0].value, "opaque", None)
            self._bind_target(target.elements[1].value, "element", iterable.args[0].value)
            return
        self._bind_target(target, "element", iterable)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind_target(target.target, "value", node.value)
            self._note_setting(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind_target(node.target, "value" if node.value else "opaque", node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind_target(node.target, "opaque", None)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target, "value", node.value)

    def visit_For(self, node: cst.For) -> None:
        self._bind_loop(node.target, node.iter)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind_loop(node.target, node.iter)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind_target(node.asname.name, "value", node.item)

    def visit_Del(self, node: cst.Del) -> None:
        if isinstance(node.target, cst.Subscript):
            self.stores.add(node.target)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self.scope.returns.append(node.value)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self.error_module = self.error_module or alias.evaluated_name == "openai.error"
            name = alias.evaluated_alias or alias.evaluated_name.partition(".")[0]
            self.scope.bind(name, f"import {alias.evaluated_name}", None)
        if self._current_top is None or self._stack[-1] is not self.scopes[self._module]:
            return
        for alias in node.names:
            if alias.evaluated_name == "openai":
                self.module_aliases.append(alias.evaluated_alias or "openai")

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if "openai.error" in self.qnames(node.module) if node.module else False:
            self.error_module = True
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            self.scope.bind(alias.evaluated_alias or alias.evaluated_name, "import from", None)

    # Calls and settings -----------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        call = match_resource_call(self.qnames(node.func))
        if call is None:
            return
        self.calls[node] = call
        if isinstance(node.func, cst.Attribute):
            self.handled.add(node.func.value)
        if call.is_async:
            self.uses_async = True
        elif call.target is not None:
            self.uses_sync = True
        if self._function_nodes:
            self.calling_functions.add(self._function_nodes[-1])
        for arg in node.args:
            if arg.star == "**":
                self.star_kwargs.append(arg)
            elif arg.keyword is not None and arg.keyword.value in AZURE_KEYWORDS:
                self.azure_hints = True
        if call.target is not None and self.first_use is None:
            self.first_use = self._current_top

    def _note_setting(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if not isinstance(target, cst.Attribute) or target.attr.value not in ALL_SETTINGS:
            return
        if f"openai.{target.attr.value}" not in self.qnames(target):
            return
        self._setting_targets.add(target)
        if target.attr.value == "api_version" or (
            target.attr.value == "api_type" and string_key(value) is None
        ):
            self.azure_hints = True
        statement = self._current_statement
        if statement is None:
            return
        self.settings.append(
            Setting(
                statement,
                target,
                target.attr.value,
                value,
                top_level=statement in self._top and len(statement.body) == 1,
            )
        )

    _current_statement: cst.SimpleStatementLine | None = None

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._current_statement = node

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self._current_statement = None

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.with_options = self.with_options or node.attr.value == "with_options"
        if node.attr.value == "error" and "openai.error" in self.qnames(node):
            self.error_module = True
        if (
            node.attr.value in ALL_SETTINGS
            and node not in self._setting_targets
            and f"openai.{node.attr.value}" in self.qnames(node)
        ):
            self.setting_reads.append(node)

    # Solving ----------------------------------------------------------------------------------

    def solve(self) -> None:
        """Grow the response names of every scope to a fixed point."""
        changed = True
        while changed:
            changed = False
            for scope in self.scopes.values():
                for name, bindings in scope.bindings.items():
                    if name in scope.responses:
                        continue
                    if all(
                        self._binding_is_response(kind, value, scope) for kind, value in bindings
                    ):
                        scope.responses.add(name)
                        changed = True
            for name, scope in self._functions:
                if name not in self.returning_functions and any(
                    self.is_response(value, scope) for value in scope.returns
                ):
                    self.returning_functions.add(name)
                    changed = True

    def _binding_is_response(
        self, kind: str, value: cst.BaseExpression | None, scope: Scope
    ) -> bool:
        return kind in {"value", "element"} and value is not None and self.is_response(value, scope)

    def is_response(self, node: cst.BaseExpression, scope: Scope) -> bool:
        """Whether `node`, read in `scope`, holds (part of) a v1 response model."""
        if isinstance(node, cst.Await):
            return self.is_response(node.expression, scope)
        if isinstance(node, cst.Call):
            return self._call_is_response(node, scope)
        if isinstance(node, cst.Subscript):
            index = subscript_key(node)
            if index is not None and string_key(index) in _NOT_MODELS:
                return False
            return self.is_response(node.value, scope)
        if isinstance(node, cst.Attribute):
            if node.attr.value in _NOT_MODELS:
                return False
            key = _binding_key(node)
            if key is not None and "." in key:
                return self._lookup(key, scope)
            return self.is_response(node.value, scope)
        if isinstance(node, cst.Name):
            return self._lookup(node.value, scope)
        return False

    def _call_is_response(self, node: cst.Call, scope: Scope) -> bool:
        call = self.calls.get(node)
        if call is not None:
            return call.target is not None and call.target.returns_model
        func = node.func
        if isinstance(func, cst.Attribute):
            if func.attr.value in {"get", "auto_paging_iter"}:
                return self.is_response(func.value, scope)
            if isinstance(func.value, cst.Name) and func.value.value in {"self", "cls"}:
                return func.attr.value in self.returning_functions
        if isinstance(func, cst.Name):
            return func.value in self.returning_functions
        return False

    def _lookup(self, name: str, scope: Scope | None) -> bool:
        while scope is not None:
            if name in scope.bindings:
                return name in scope.responses
            scope = scope.parent
        return False
