"""Rewrite one v0 resource call: the v1 method chain and its keyword-only arguments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

from .tables import (
    CALL_CLIENT_OPTIONS,
    CALL_MODEL_ALIASES,
    CALL_RENAMES,
    CALL_UNSUPPORTED,
    Target,
)

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
