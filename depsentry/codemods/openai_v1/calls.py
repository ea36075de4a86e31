"""Rewrite one v0 resource call: the v1 method chain and its keyword-only arguments."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import libcst as cst
from libcst.metadata import ScopeProvider

from .tables import (
    AZURE_KEYWORDS,
    CALL_CLIENT_OPTIONS,
    CALL_MODEL_ALIASES,
    CALL_RENAMES,
    CALL_UNSUPPORTED,
    Target,
)

if TYPE_CHECKING:
    from .analysis import Analysis

_NO_SPACE = cst.AssignEqual(
    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
)


@dataclass
class Arguments:
    """The v1 arguments of a call, the client options split off it, and what needs a TODO."""

    args: list[cst.Arg]
    options: dict[str, cst.BaseExpression] = field(default_factory=dict)
    todos: list[str] = field(default_factory=list)


def _keyword(arg: cst.Arg, name: str) -> cst.Arg:
    if arg.keyword is None:
        return arg.with_changes(keyword=cst.Name(name), equal=_NO_SPACE)
    return arg.with_changes(keyword=cst.Name(name))


def convert_arguments(
    args: Sequence[cst.Arg], target: Target, label: str, allow_options: bool
) -> Arguments:
    """Positional -> keyword (v0 signature), renamed keywords, per-call client options."""
    result = Arguments([])
    positional = [arg for arg in args if arg.keyword is None and arg.star == ""]
    convert = len(positional) <= len(target.positional) and not any(arg.star == "*" for arg in args)
    if (positional or any(arg.star == "*" for arg in args)) and not convert:
        result.todos.append(
            f"{label}: v1 takes keyword arguments only; name the positional arguments"
        )
    has_model = any(arg.keyword is not None and arg.keyword.value == "model" for arg in args)
    index = 0
    dropped = False
    for arg in args:
        if arg.star:
            result.args.append(arg)
            continue
        if arg.keyword is None:
            if convert:
                arg = _keyword(arg, target.positional[index])
            index += 1
            result.args.append(arg)
            continue
        name = arg.keyword.value
        if name in target.renames:
            arg = _keyword(arg, target.renames[name])
        elif name in CALL_RENAMES:
            arg = _keyword(arg, CALL_RENAMES[name])
            if isinstance(arg.value, cst.Tuple):
                result.todos.append(
                    f"{label}: v1 timeout= takes seconds or a Timeout(read, connect=...), "
                    "not a (connect, read) tuple"
                )
        elif name in CALL_MODEL_ALIASES:
            if has_model:
                result.todos.append(f"{label}: {name}= and model= both given; v1 takes model= only")
            else:
                arg, has_model = _keyword(arg, "model"), True
        elif name in CALL_CLIENT_OPTIONS:
            if allow_options:
                result.options[CALL_CLIENT_OPTIONS[name]] = arg.value
                dropped = True
                continue
            result.todos.append(
                f"{label}: per-call {name}= was removed; use "
                f"OpenAI(...).with_options({CALL_CLIENT_OPTIONS[name]}=...)"
            )
        elif name in CALL_UNSUPPORTED:
            result.todos.append(
                f"{label}: per-call {name}= was removed in v1; set it on the client"
            )
        result.args.append(arg)
    if dropped and result.args:
        # The new last argument takes the old last one's ending (trailing comma, line break).
        result.args[-1] = result.args[-1].with_changes(
            comma=args[-1].comma, whitespace_after_arg=args[-1].whitespace_after_arg
        )
    return result


def method_chain(receiver: cst.BaseExpression, path: Sequence[str]) -> cst.BaseExpression:
    """`receiver.a.b.c` for path (a, b, c)."""
    node = receiver
    for part in path:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def with_options(
    receiver: cst.BaseExpression, options: Mapping[str, cst.BaseExpression]
) -> cst.BaseExpression:
    """`receiver.with_options(k=v, ...)` (v1's per-request copy of a client)."""
    if not options:
        return receiver
    args = [
        cst.Arg(value=value, keyword=cst.Name(key), equal=_NO_SPACE)
        for key, value in options.items()
    ]
    return cst.Call(func=cst.Attribute(value=receiver, attr=cst.Name("with_options")), args=args)


def helper_call(name: str) -> cst.Call:
    """`name()`: a call of a client helper."""
    return cst.Call(func=cst.Name(name))


_PARAMS_TODO = (
    "**params may hold 0.x keywords v1 rejects with a TypeError (engine, deployment_id, "
    "request_timeout, api_key, api_base, ...): rename or move them"
)


def _param_rename(name: str, names: Collection[str]) -> tuple[str | None, str]:
    """The v1 keyword for a v0 one in a `**params` dict (None: leave it), and a TODO if any."""
    if name in CALL_RENAMES:
        return CALL_RENAMES[name], ""
    if name in CALL_MODEL_ALIASES:
        if "model" in names:
            return None, f"**params: {name}= and model= both given; v1 takes model= only"
        return "model", ""
    if name in CALL_CLIENT_OPTIONS:
        option = CALL_CLIENT_OPTIONS[name]
        return None, (
            f"**params: per-call {name}= was removed in v1; take it out of the dict and call "
            f"the client's .with_options({option}=...)"
        )
    if name in CALL_UNSUPPORTED:
        return None, f"**params: per-call {name}= was removed in v1; set it on the client"
    return None, ""


def param_names(node: cst.Dict | cst.Call) -> set[str]:
    """The keywords a `**params` dict literal or `dict(...)` call spells out."""
    if isinstance(node, cst.Call):
        return {arg.keyword.value for arg in node.args if arg.keyword is not None}
    keys = (string_value(e.key) for e in node.elements if isinstance(e, cst.DictElement))
    return {key for key in keys if key}


def rewrite_params(node: cst.Dict | cst.Call) -> tuple[cst.BaseExpression, list[str]]:
    """A `**params` dict literal (or `dict(...)` call) with its 0.x keywords renamed."""
    todos: list[str] = []
    if isinstance(node, cst.Call):
        names = {arg.keyword.value for arg in node.args if arg.keyword is not None}
        args = []
        for arg in node.args:
            if arg.keyword is None:
                todos.append(_PARAMS_TODO)
                args.append(arg)
                continue
            new, todo = _param_rename(arg.keyword.value, names)
            todos += [todo] if todo else []
            args.append(arg.with_changes(keyword=cst.Name(new)) if new else arg)
        return node.with_changes(args=args), todos
    keys = [
        string_value(element.key)
        for element in node.elements
        if isinstance(element, cst.DictElement)
    ]
    names = {key for key in keys if key}
    elements: list[cst.BaseDictElement] = []
    for element in node.elements:
        key = string_value(element.key) if isinstance(element, cst.DictElement) else None
        if key is None:
            todos.append(_PARAMS_TODO)
            elements.append(element)
            continue
        assert isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString)
        new, todo = _param_rename(key, names)
        todos += [todo] if todo else []
        if new:
            quote = element.key.quote
            key_node = element.key.with_changes(value=f"{element.key.prefix}{quote}{new}{quote}")
            element = element.with_changes(key=key_node)
        elements.append(element)
    return node.with_changes(elements=elements), list(dict.fromkeys(todos))


def string_value(node: cst.BaseExpression) -> str | None:
    """The value of a plain (not f-, not byte) string literal."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


class ParamRules:
    """The openai-v1 rules for `**params` dicts (a mixin of OpenAIV1Codemod, whose state it uses)."""

    if TYPE_CHECKING:
        analysis: Analysis
        _params: dict[cst.CSTNode, str]
        _visible_stars: set[cst.CSTNode]

        def _qnames(self, node: cst.CSTNode) -> Collection[str]: ...
        def _todo(self, message: str) -> None: ...
        def get_metadata(self, key: Any, node: cst.CSTNode, default: Any = ...) -> Any: ...

    def visible_params(self) -> dict[cst.CSTNode, str]:
        """Dict literals (or `dict(...)` calls) passed only as `**x` to resource calls."""
        found: dict[cst.CSTNode, str] = {}
        star_values = {arg.value for arg in self.analysis.star_kwargs}
        for arg in self.analysis.star_kwargs:
            value = arg.value
            if isinstance(value, cst.Name):
                scope = self.get_metadata(ScopeProvider, value, None)
                assignments = list(scope[value.value]) if scope else []
                if len(assignments) != 1:
                    continue
                assignment = assignments[0]
                target = getattr(assignment, "node", None)
                refs = {access.node for access in assignment.references}
                if not isinstance(target, cst.Name) or not refs <= star_values:
                    continue
                value = self.analysis.values.get(target, value)
            if isinstance(value, cst.Dict) or (
                isinstance(value, cst.Call) and "builtins.dict" in self._qnames(value.func)
            ):
                found[value] = "**params"
                self._visible_stars.add(arg.value)
                self.analysis.azure_hints |= bool(param_names(value) & AZURE_KEYWORDS)
        return found

    def leave_Dict(self, original_node: cst.Dict, updated_node: cst.Dict) -> cst.BaseExpression:
        if original_node in self._params:
            return self._rewrite_params(original_node, updated_node)
        return updated_node

    def _rewrite_params(
        self, original: cst.Dict | cst.Call, updated: cst.Dict | cst.Call
    ) -> cst.BaseExpression:
        new, todos = rewrite_params(updated)
        for message in todos:
            self._todo(message)
        return new
