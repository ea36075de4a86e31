"""openai 0.x -> 1.x: resource calls, module settings, errors and dict-style responses.

Upstream guide: https://github.com/openai/openai-python/discussions/742

Mode `instance` (default) calls a client from a cached helper instead of the module:
`openai.ChatCompletion.create(...)` -> `_get_client().chat.completions.create(...)`, with the
helper inserted before the first use (client.py says what it reads). This module's top-level
`openai.api_key/organization/api_base = ...` lines move into the constructor; a setting made
inside a function (per tenant, per request) goes with each call (`.with_options(api_key=...)`),
never with the client built for the first caller. Mode `global` keeps v1's module client
(`openai.chat.completions.create(...)`, `openai.api_key = ...`) and renames `openai.api_base`
to `openai.base_url`. In both modes `a*` calls use `_get_async_client()` (v1 has no async module
client). Error handlers keep catching what they caught (handlers.py). Anything not provably
equivalent keeps its code and gets a `# TODO(depsentry): ...` line (also a codemod warning).
"""

from __future__ import annotations

import re
from collections.abc import Collection

import libcst as cst
from libcst.metadata import QualifiedNameProvider, ScopeProvider

from depsentry.codemods.imports import ImportEdits
from depsentry.codemods.interface import Codemod, with_todos

from . import INFO
from .analysis import Analysis, ResourceCall, Scope, string_key
from .calls import ParamRules, convert_arguments, helper_call, method_chain, with_options
from .cases import CALLS, PARAMS, SETTINGS
from .cases_errors import ERRORS
from .cases_responses import HELPERS, NOOPS, RESPONSES
from .cleanup import CleanupRules
from .client import ClientPlan, plan_client, space_helpers
from .errors import ErrorRules
from .removed import patch_target, removed_reference
from .responses import ResponseRules
from .settings import rewrite_setting
from .tables import (
    CLIENT_SETTINGS,
    REMOVED_MODULES,
    REMOVED_SETTINGS,
)

_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement, cst.ExceptHandler)
_SCOPES = (cst.Module, cst.FunctionDef, cst.Lambda, cst.ClassDef)
# What on_visit/on_leave do for a node type, as bits; isinstance over these tuples (two ABCs
# among them) on every node costs more than the bookkeeping itself.
_SCOPE, _STATEMENT, _IMPORT = 1, 2, 4
_KINDS: dict[type, int] = {}


def _kind(node_type: type) -> int:
    kind = _KINDS.get(node_type)
    if kind is None:
        kind = _KINDS[node_type] = (
            _SCOPE * issubclass(node_type, _SCOPES)
            | _STATEMENT * issubclass(node_type, _STATEMENTS)
            | _IMPORT * issubclass(node_type, cst.Import | cst.ImportFrom)
        )
    return kind


_RETRY_WORDS = ("retry", "backoff")  # tenacity, backoff, retrying, urllib3-style decorators
_PER_CALL_TODO = (
    "v1 clients read openai.{name} when they are built (on first use): if this runs more than "
    "once (per tenant or request), pass it with each call: client.with_options({keyword}=...)"
)


class OpenAIV1Codemod(ErrorRules, ResponseRules, ParamRules, CleanupRules, Codemod):
    """Migrate openai-python 0.x code to the 1.x client (see the module docstring)."""

    INFO = INFO
    SUBTREES = True  # every rewrite starts from an openai name (see Codemod.SUBTREES)
    CASES = (*CALLS, *PARAMS, *SETTINGS, *ERRORS, *RESPONSES, *HELPERS, *NOOPS)
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        mode = self.options["mode"]
        if mode not in self.OPTIONS["mode"]:
            raise ValueError(f"openai-v1: unknown mode {mode!r} (instance or global)")
        self.analysis = Analysis(self._qnames)
        tree.visit(self.analysis)
        self.analysis.solve()
        self.bindings = self.analysis.scopes[tree].bindings
        self._visible_stars: set[cst.CSTNode] = set()
        self._params = self.visible_params()
        self.plan: ClientPlan = plan_client(self.analysis, mode, set(self.bindings))
        aliases = self.analysis.module_aliases
        self.openai_name = aliases[0] if aliases else "openai"
        self.edits = ImportEdits()
        self.dropped: set[cst.CSTNode] = set()  # Name nodes whose reads the rewrite removes
        for setting in self.analysis.settings:
            if setting.statement in self.plan.moved_statements:
                self._drop_receiver(setting.target)
        self._scopes: list[Scope] = []
        self._todos: list[list[str]] = []
        self._in_import = 0
        self._helpers_placed = False
        self._inserted: list[cst.BaseStatement] = []
        self._global_scope = self.get_metadata(ScopeProvider, tree)
        self.prepare_errors()
        # Comments above the first statement parse into the module header.
        self._header = {line.comment.value for line in tree.header if line.comment is not None}
        self._first = tree.body[0] if tree.body else None
        new = space_helpers(tree.visit(self), self._inserted)
        self.drop_unused_imports(tree)
        package = (self.context.full_package_name or "").partition(".")[0]
        return self.edits.apply(new, {package} if package else ())

    def _qnames(self, node: cst.CSTNode) -> Collection[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    # Bookkeeping: scopes, statements and their TODO lines ------------------------------------

    def on_visit(self, node: cst.CSTNode) -> bool:
        kind = _kind(type(node))
        if kind & _SCOPE:
            self._scopes.append(self.analysis.scopes[node])
        if kind & _STATEMENT:
            self._todos.append([])
        if kind & _IMPORT:
            self._in_import += 1
        return super().on_visit(node)

    def on_leave(  # type: ignore[override]  # statements may also become several statements
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]:
        result: cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]
        result = super().on_leave(original_node, updated_node)
        kind = _kind(type(original_node))
        if kind & _SCOPE:
            self._scopes.pop()
        if kind & _IMPORT:
            self._in_import -= 1
        if kind & _STATEMENT:
            todos = self._todos.pop()
            if todos and isinstance(result, cst.CSTNode):
                header = self._header if original_node is self._first else set()
                result = with_todos(result, todos, header)
            elif todos and self._todos:
                self._todos[-1].extend(todos)
        if original_node is self.analysis.first_use or (
            original_node in self.plan.moved_statements and not self._helpers_placed
        ):
            return self._place_helpers(result)
        return result

    def _place_helpers(
        self, result: cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]:
        if self._helpers_placed:
            return result
        self._helpers_placed = True
        self._inserted = self._helpers()
        helpers: list[cst.CSTNode] = list(self._inserted)
        if not helpers:
            return result
        if isinstance(result, cst.RemovalSentinel):
            return cst.FlattenSentinel(helpers)
        if isinstance(result, cst.FlattenSentinel):
            return cst.FlattenSentinel([*helpers, *result.nodes])
        return cst.FlattenSentinel([*helpers, result])

    def _helpers(self) -> list[cst.BaseStatement]:
        plan = self.plan
        if not (plan.sync_helper or plan.async_helper or plan.env_block):
            return []
        os_name = self.stdlib("os")
        functools_name = self.stdlib("functools") if plan.sync_helper else ""
        asyncio_name = self.stdlib("asyncio") if plan.async_helper else ""
        openai_name = self.module_ref()
        statements = plan.helpers(openai_name, os_name, functools_name, asyncio_name)
        render = "".join(cst.Module(body=[]).code_for_node(s) for s in statements)
        self.openai_needed |= re.search(rf"\b{re.escape(openai_name)}\.", render) is not None
        for name in plan.classes:
            self.edits.add("openai", name)
        return statements

    def stdlib(self, module: str) -> str:
        """How generated code names a standard module: imported, unless the name is taken."""
        kinds = {kind for kind, _ in self.bindings.get(module, [])}
        if kinds and kinds != {f"import {module}"}:
            return f'__import__("{module}")'
        self.edits.add(module)
        return module

    def module_ref(self) -> str:
        """The name the openai module goes by here (imported when nothing binds it yet)."""
        if not self.analysis.module_aliases:
            self.edits.add("openai")
        return self.openai_name

    def _todo(self, message: str) -> None:
        if not self._todos or message not in self._todos[-1]:
            self.warn(message)
        if self._todos and message not in self._todos[-1]:
            self._todos[-1].append(message)

    @property
    def _scope(self) -> Scope:
        return self._scopes[-1]

    # Resource calls and response helpers ------------------------------------------------------

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        call = self.analysis.calls.get(original_node)
        if call is not None:
            return self._rewrite_resource_call(call, original_node, updated_node)
        if original_node in self._params:
            return self._rewrite_params(original_node, updated_node)
        rewritten = self.leave_error_call(original_node, updated_node)
        if rewritten is not None:
            return rewritten
        self._flag_patch_targets(original_node)
        return self.leave_response_call(original_node, updated_node)

    def _flag_patch_targets(self, node: cst.Call) -> None:
        # mock.patch("openai.ChatCompletion.create") would patch a name v1 code never calls.
        callee = cst.Module(body=[]).code_for_node(node.func)
        if "patch" not in callee and "setattr" not in callee:
            return
        for arg in node.args:
            text = string_key(arg.value)
            message = patch_target(text) if text else None
            if message:
                self._todo(message)

    def _rewrite_resource_call(
        self, call: ResourceCall, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        label = f"openai.{call.resource}.{('a' if call.is_async else '') + call.method}"
        if call.target is None:
            self._todo(call.removed)
            return updated
        instance = self.plan.mode == "instance"
        helper = call.is_async or instance
        args = convert_arguments(updated.args, call.target, label, allow_options=helper)
        for message in args.todos:
            self._todo(message)
        for arg in original.args:
            if arg.star == "**" and arg.value not in self._visible_stars:
                self._todo(
                    f"{label}: **{cst.Module(body=[]).code_for_node(arg.value)} may hold 0.x "
                    "keywords v1 rejects with a TypeError (engine, deployment_id, "
                    "request_timeout, api_key, api_base, ...): rename or move them"
                )
        self._drop_receiver(original.func)
        if call.is_async:
            receiver: cst.BaseExpression = helper_call(self.plan.async_helper)
        elif instance:
            receiver = helper_call(self.plan.sync_helper)
        else:
            receiver = self._module_name(original.func)
        if helper:
            receiver = with_options(receiver, {**self._per_call_options(), **args.options})
        new = updated.with_changes(func=method_chain(receiver, call.target.path), args=args.args)
        if call.target.read_content and not call.is_async:
            return cst.Attribute(value=new, attr=cst.Name("content"))
        return new

    def _per_call_options(self) -> dict[str, cst.BaseExpression]:
        """Settings assigned at run time: read at each call, as 0.x read them (a cached client
        would keep the first caller's key for every later caller)."""
        options: dict[str, cst.BaseExpression] = {}
        for keyword, name in self.plan.per_call.items():
            if self.plan.azure and name == "api_base":
                continue  # reported where it is set
            attribute = keyword if name != "api_base" else "base_url"
            options[keyword] = cst.Attribute(cst.Name(self.module_ref()), cst.Name(attribute))
        return options

    def _drop_receiver(self, func: cst.BaseExpression) -> None:
        receiver = func.value if isinstance(func, cst.Attribute) else func
        while isinstance(receiver, cst.Attribute):
            receiver = receiver.value
        if isinstance(receiver, cst.Name):
            self.dropped.add(receiver)

    def _module_name(self, func: cst.BaseExpression) -> cst.BaseExpression:
        """The name the module is imported as here (`oa` for `import openai as oa`)."""
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Attribute):
            root = func.value.value
            if isinstance(root, cst.Name) and "openai" in self._qnames(root):
                self.dropped.discard(root)
                return cst.Name(root.value)
        return cst.Name(self.module_ref())

    def leave_Await(self, original_node: cst.Await, updated_node: cst.Await) -> cst.BaseExpression:
        call = self.analysis.calls.get(original_node.expression)  # type: ignore[call-overload]
        if call is not None and call.target is not None and call.target.read_content:
            wrapped = updated_node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return cst.Attribute(value=wrapped, attr=cst.Name("content"))
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node not in self.analysis.calling_functions:
            return
        render = cst.Module(body=[]).code_for_node
        if any(word in render(d.decorator) for d in node.decorators for word in _RETRY_WORDS):
            self._todo(
                "v1 clients retry connection errors, 408, 409, 429 and 5xx themselves "
                "(max_retries=2): drop this retry or set max_retries=0 on the client"
            )

    # Removed helpers, settings and imports ----------------------------------------------------

    def flag_removed_reference(self, names: Collection[str]) -> None:
        message = removed_reference(names)
        if message:
            self._todo(message)

    def rewrite_setting_read(self, node: cst.Attribute) -> cst.BaseExpression:
        name = node.attr.value
        if name == "api_base":
            return node.with_changes(
                attr=cst.Name("azure_endpoint" if self.plan.azure else "base_url")
            )
        if name in REMOVED_SETTINGS or name == "proxy":
            self._todo(f"openai.{name} was removed in v1")
        return node

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        new = self.rewrite_error_import(updated_node)
        if new is not None:
            return new
        module = updated_node.module
        parts = cst.Module(body=[]).code_for_node(module).split(".") if module else []
        removed = len(parts) > 1 and parts[0] == "openai" and parts[1] in REMOVED_MODULES
        if removed and not updated_node.relative:
            self._todo(f"openai.{parts[1]} was removed in v1: {REMOVED_MODULES[parts[1]]}")
        return updated_node

    def leave_ImportAlias(
        self, original_node: cst.ImportAlias, updated_node: cst.ImportAlias
    ) -> cst.ImportAlias:
        name = updated_node.name
        if (
            isinstance(name, cst.Attribute)
            and isinstance(name.value, cst.Name)
            and name.value.value == "openai"
            and name.attr.value == "error"
            and isinstance(self._parent_import, cst.Import)
        ):
            return updated_node.with_changes(name=cst.Name("openai"))  # v1 has no openai.error
        return updated_node

    _parent_import: cst.Import | cst.ImportFrom | None = None

    def visit_Import(self, node: cst.Import) -> None:
        self._parent_import = node

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._parent_import = node

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if original_node in self.plan.moved_statements:
            return cst.RemovalSentinel.REMOVE
        for setting in self.analysis.settings:
            if setting.statement is original_node:
                new, todos = rewrite_setting(updated_node, setting, self.plan)
                if not setting.top_level and setting.name in CLIENT_SETTINGS:
                    keyword = CLIENT_SETTINGS[setting.name]
                    if self.plan.azure and setting.name == "api_base":
                        todos.append(
                            "AzureOpenAI.with_options() cannot change the endpoint: build an "
                            "AzureOpenAI(azure_endpoint=...) for it"
                        )
                    elif (
                        not self.analysis.calls
                        and not self.analysis.with_options
                        and self.plan.mode == "instance"
                    ):
                        todos.append(_PER_CALL_TODO.format(name=setting.name, keyword=keyword))
                for message in todos:
                    self._todo(message)
                return new
        return updated_node
