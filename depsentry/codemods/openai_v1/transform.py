"""openai 0.x -> 1.x: resource calls, module settings, errors and dict-style responses.

Upstream guide: https://github.com/openai/openai-python/discussions/742

Mode `instance` (default) calls a client from a cached helper instead of the module:
`openai.ChatCompletion.create(...)` -> `_get_client().chat.completions.create(...)`, with
`@functools.cache def _get_client() -> OpenAI: return OpenAI(api_key=..., ...)` inserted
before the first use. The client is built on the first call, never at import time (v1
`OpenAI()` raises without a key). This module's top-level `openai.api_key/organization/
api_base = ...` lines move into the constructor; every other argument reads v1's module
setting (`openai.base_url`, ...), so settings made in another module or in a function still
apply. Mode `global` keeps v1's module client (`openai.chat.completions.create(...)`,
`openai.api_key = ...`) and renames `openai.api_base` to `openai.base_url` (with the trailing
slash the module client needs). In both modes `a*` calls use `_get_async_client()` (an
`AsyncOpenAI` built the same way): v1 has no async module client. Anything not provably
equivalent keeps its code and gets a `# TODO(depsentry): ...` line (also a codemod warning).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar

import libcst as cst
from libcst.metadata import QualifiedNameProvider

from depsentry.codemods.interface import Codemod

from .analysis import Analysis, ResourceCall, Scope, string_key
from .calls import convert_arguments, helper_call, method_chain, with_options
from .client import ClientPlan, plan_client, space_helpers
from .errors import error_for, rewrite_import_from
from .removed import patch_target, removed_reference
from .responses import get_to_attribute, membership_to_check, subscript_to_attribute
from .settings import rewrite_setting
from .tables import REMOVED_ERRORS, REMOVED_MODULES, REMOVED_SETTINGS, RESOURCE_NAMES
from .todos import with_todos

_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement, cst.ExceptHandler)
_SCOPES = (cst.Module, cst.FunctionDef, cst.Lambda, cst.ClassDef)
_RETRY_WORDS = ("retry", "backoff")  # tenacity, backoff, retrying, urllib3-style decorators


class OpenAIV1Codemod(Codemod):
    """Migrate openai-python 0.x code to the 1.x client (see the module docstring)."""

    NAME = "openai-v1"
    PACKAGE = "openai"
    FROM = "<1"
    TO = ">=1"
    DESCRIPTION = "openai 0.x -> 1.x client: resource calls, settings, errors, responses"
    PREFILTER = ("openai",)
    OPTIONS: ClassVar = {"mode": ("instance", "global")}
    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        mode = self.options["mode"]
        if mode not in self.OPTIONS["mode"]:
            raise ValueError(f"openai-v1: unknown mode {mode!r} (instance or global)")
        self.analysis = Analysis(self._qnames)
        tree.visit(self.analysis)
        self.analysis.solve()
        taken = set(self.analysis.scopes[tree].bindings)
        self.plan: ClientPlan = plan_client(self.analysis, mode, taken)
        aliases = self.analysis.module_aliases
        self.openai_name = aliases[0] if aliases else "openai"
        self._scopes: list[Scope] = []
        self._todos: list[list[str]] = []
        self._in_import = 0
        self._helpers_placed = False
        # Comments above the first statement parse into the module header.
        self._header = {line.comment.value for line in tree.header if line.comment is not None}
        self._first = tree.body[0] if tree.body else None
        return space_helpers(tree.visit(self), self.plan)

    def _qnames(self, node: cst.CSTNode) -> Collection[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    # Bookkeeping: scopes, statements and their TODO lines ------------------------------------

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, _SCOPES):
            self._scopes.append(self.analysis.scopes[node])
        if isinstance(node, _STATEMENTS):
            self._todos.append([])
        if isinstance(node, cst.Import | cst.ImportFrom):
            self._in_import += 1
        return super().on_visit(node)

    def on_leave(  # type: ignore[override]  # statements may also become several statements
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]:
        result: cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]
        result = super().on_leave(original_node, updated_node)
        if isinstance(original_node, _SCOPES):
            self._scopes.pop()
        if isinstance(original_node, cst.Import | cst.ImportFrom):
            self._in_import -= 1
        if isinstance(original_node, _STATEMENTS):
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

    _helpers_placed = False

    def _place_helpers(
        self, result: cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]:
        if self._helpers_placed:
            return result
        self._helpers_placed = True
        helpers: list[cst.CSTNode] = list(self.plan.helpers(self.openai_name))
        if not helpers:
            return result
        self._import_client_classes()
        if isinstance(result, cst.RemovalSentinel):
            return cst.FlattenSentinel(helpers)
        if isinstance(result, cst.FlattenSentinel):
            return cst.FlattenSentinel([*helpers, *result.nodes])
        return cst.FlattenSentinel([*helpers, result])

    def _import_client_classes(self) -> None:
        self.add_needed_import("functools")
        if not self.analysis.module_aliases:
            self.add_needed_import("openai")
        if self.plan.sync_helper:
            self.add_needed_import("openai", self.plan.sync_class)
        if self.plan.async_helper:
            self.add_needed_import("openai", self.plan.async_class)

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
        callee = self._qnames(original_node.func)
        if error_for(callee) is not None:
            self._todo(
                "v1 exceptions take (message, *, response, body) (APIConnectionError: request=): "
                "check this constructor call"
            )
            return updated_node
        self._flag_patch_targets(original_node)
        if "json.dumps" in callee:
            return self._rewrite_json_dumps(original_node, updated_node)
        func, new_func = original_node.func, updated_node.func
        if not isinstance(func, cst.Attribute) or not isinstance(new_func, cst.Attribute):
            return updated_node
        method = func.attr.value
        if method == "to_dict_recursive" or (
            method == "to_dict" and self.analysis.is_response(func.value, self._scope)
        ):
            return updated_node.with_changes(
                func=new_func.with_changes(attr=cst.Name("model_dump"))
            )
        if method == "auto_paging_iter" and not updated_node.args:
            return new_func.value  # a v1 page iterates over every page itself
        if method == "get" and self.analysis.is_response(func.value, self._scope):
            new = get_to_attribute(updated_node, new_func.value)
            if isinstance(new, str):
                self._todo(new)
                return updated_node
            return new
        return updated_node

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

    def _rewrite_json_dumps(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not original.args or not self.analysis.is_response(original.args[0].value, self._scope):
            return updated
        rest = updated.args[1:]
        if original.args[0].keyword is not None or any(
            arg.keyword is None or arg.keyword.value != "indent" for arg in rest
        ):
            self._todo("json.dumps of a v1 response: use response.model_dump_json()")
            return updated
        value = updated.args[0].value
        method = cst.Attribute(value=value, attr=cst.Name("model_dump_json"))
        return cst.Call(
            func=method, args=[arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in rest]
        )

    def _rewrite_resource_call(
        self, call: ResourceCall, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        label = f"openai.{call.resource}.{('a' if call.is_async else '') + call.method}"
        if call.target is None:
            self._todo(call.removed)
            return updated
        instance = self.plan.mode == "instance"
        args = convert_arguments(updated.args, call.target, label, allow_options=instance)
        for message in args.todos:
            self._todo(message)
        if call.is_async:
            receiver: cst.BaseExpression = helper_call(self.plan.async_helper)
        elif instance:
            receiver = helper_call(self.plan.sync_helper)
        else:
            receiver = self._module_name(original.func)
        receiver = with_options(receiver, args.options)
        new = updated.with_changes(func=method_chain(receiver, call.target.path), args=args.args)
        if call.target.read_content and not call.is_async:
            return cst.Attribute(value=new, attr=cst.Name("content"))
        return new

    def _module_name(self, func: cst.BaseExpression) -> cst.BaseExpression:
        """The name the module is imported as here (`oa` for `import openai as oa`)."""
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Attribute):
            root = func.value.value
            if isinstance(root, cst.Name) and "openai" in self._qnames(root):
                return cst.Name(root.value)
        if self.analysis.module_aliases:
            return cst.Name(self.analysis.module_aliases[0])
        self.add_needed_import("openai")
        return cst.Name("openai")

    def leave_Await(self, original_node: cst.Await, updated_node: cst.Await) -> cst.BaseExpression:
        call = self.analysis.calls.get(original_node.expression)  # type: ignore[call-overload]
        if call is not None and call.target is not None and call.target.read_content:
            wrapped = updated_node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return cst.Attribute(value=wrapped, attr=cst.Name("content"))
        return updated_node

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.BaseExpression:
        if not self.analysis.is_response(original_node.value, self._scope):
            return updated_node
        if original_node in self.analysis.stores:
            self._todo(
                "v1 responses are immutable models: build a new value instead of assigning a key"
            )
            return updated_node
        new = subscript_to_attribute(updated_node)
        if isinstance(new, str):
            self._todo(new)
            return updated_node
        return updated_node if new is None else new

    def leave_Comparison(
        self, original_node: cst.Comparison, updated_node: cst.Comparison
    ) -> cst.BaseExpression:
        if len(original_node.comparisons) != 1 or not self.analysis.is_response(
            original_node.comparisons[0].comparator, self._scope
        ):
            return updated_node
        return membership_to_check(updated_node) or updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node not in self.analysis.calling_functions:
            return
        render = cst.Module(body=[]).code_for_node
        if any(word in render(d.decorator) for d in node.decorators for word in _RETRY_WORDS):
            self._todo(
                "v1 clients retry connection errors, 408, 409, 429 and 5xx themselves "
                "(max_retries=2): drop this retry or set max_retries=0 on the client"
            )

    def visit_Match(self, node: cst.Match) -> None:
        if self.analysis.is_response(node.subject, self._scope):
            self._todo("match on a v1 response: mapping patterns do not match pydantic models")

    # Errors, removed helpers and settings -----------------------------------------------------

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        names = self._qnames(original_node)
        error = error_for(names)
        if error is not None:
            old, new = error
            if not new:
                self._todo(REMOVED_ERRORS[old])
                return updated_node
            base = updated_node.value
            if isinstance(base, cst.Attribute) and base.attr.value == "error":
                base = base.value
            elif "openai.error" in self._qnames(original_node.value):
                self.add_needed_import("openai")
                self.remove_unused_import("openai", "error")
                base = cst.Name("openai")
            return updated_node.with_changes(value=base, attr=cst.Name(new))
        if original_node in self.analysis.setting_reads:
            return self._rewrite_setting_read(updated_node)
        if original_node not in self.analysis.handled:
            self._flag_removed_reference(names)
        return updated_node

    def _rewrite_setting_read(self, node: cst.Attribute) -> cst.BaseExpression:
        name = node.attr.value
        if name == "api_base":
            return node.with_changes(
                attr=cst.Name("azure_endpoint" if self.plan.azure else "base_url")
            )
        if name in REMOVED_SETTINGS or name == "proxy":
            self._todo(f"openai.{name} was removed in v1")
        return node

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if self._in_import:
            return updated_node
        names = self._qnames(original_node)
        error = error_for(names)
        if error is not None and error[0] == original_node.value:
            if error[1]:
                return updated_node.with_changes(value=error[1])
            self._todo(REMOVED_ERRORS[error[0]])
        elif error is None and original_node not in self.analysis.handled:
            self._flag_removed_reference(names)
        return updated_node

    def _flag_removed_reference(self, names: Collection[str]) -> None:
        message = removed_reference(names)
        if message:
            self._todo(message)

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        rewritten = rewrite_import_from(updated_node)
        if rewritten is not None:
            node, todos = rewritten
            for message in todos:
                self._todo(message)
            return node
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
        if self.analysis.calls and self._parent_import_from_openai(original_node):
            self.remove_unused_import(
                "openai", original_node.evaluated_name, original_node.evaluated_alias
            )
        return updated_node

    _parent_import: cst.Import | cst.ImportFrom | None = None

    def visit_Import(self, node: cst.Import) -> None:
        self._parent_import = node
        if not self.analysis.calls:
            return
        for alias in node.names:
            if alias.evaluated_name == "openai":
                self.remove_unused_import("openai", asname=alias.evaluated_alias)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._parent_import = node

    def _parent_import_from_openai(self, alias: cst.ImportAlias) -> bool:
        parent = self._parent_import
        return (
            isinstance(parent, cst.ImportFrom)
            and not parent.relative
            and isinstance(parent.module, cst.Name)
            and parent.module.value == "openai"
            and alias.evaluated_name in RESOURCE_NAMES
        )

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if original_node in self.plan.moved_statements:
            return cst.RemovalSentinel.REMOVE
        for setting in self.analysis.settings:
            if setting.statement is original_node:
                new, todos = rewrite_setting(updated_node, setting, self.plan)
                for message in todos:
                    self._todo(message)
                return new
        return updated_node
