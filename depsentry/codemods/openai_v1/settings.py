"""`openai.<setting> = value` lines that stay: v1 module-client names, or a TODO.

v1's module client still reads `api_key`, `organization`, `base_url`, `api_type` ("openai" or
"azure"), `api_version` and `azure_endpoint`; it does not add the trailing slash `base_url` needs
(checked against openai 1.0-3.54, research §1.2), so the rewrite adds it.
"""

from __future__ import annotations

import libcst as cst

from .analysis import Setting, string_key
from .client import ClientPlan
from .tables import PROXY_TODO, REMOVED_SETTINGS

_API_TYPES = {"open_ai": "openai", "openai": "openai", "azure": "azure", "azure_ad": "azure"}


def _with_slash(value: cst.BaseExpression) -> cst.BaseExpression:
    literal = string_key(value)
    if isinstance(value, cst.SimpleString) and literal is not None:
        if literal.endswith("/"):
            return value
        quote = value.quote
        return value.with_changes(value=f"{value.prefix}{quote}{literal}/{quote}")
    base = value
    if not isinstance(value, cst.Name | cst.Attribute | cst.Call | cst.Subscript):
        base = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    stripped = cst.Call(
        func=cst.Attribute(value=base, attr=cst.Name("rstrip")),
        args=[cst.Arg(cst.SimpleString('"/"'))],
    )
    return cst.BinaryOperation(left=stripped, operator=cst.Add(), right=cst.SimpleString('"/"'))


def _retarget(
    statement: cst.SimpleStatementLine, name: str, value: cst.BaseExpression | None = None
) -> cst.SimpleStatementLine:
    assign = statement.body[0]
    assert isinstance(assign, cst.Assign)
    targets = []
    for target in assign.targets:
        if isinstance(target.target, cst.Attribute):
            target = target.with_changes(target=target.target.with_changes(attr=cst.Name(name)))
        targets.append(target)
    new = assign.with_changes(targets=targets)
    if value is not None:
        new = new.with_changes(value=value)
    return statement.with_changes(body=[new, *statement.body[1:]])


def rewrite_setting(
    statement: cst.SimpleStatementLine, setting: Setting, plan: ClientPlan
) -> tuple[cst.SimpleStatementLine, list[str]]:
    """The v1 form of a setting line that was not moved into the client, and its TODOs."""
    if not isinstance(statement.body[0], cst.Assign):
        return statement, []
    name = setting.name
    if name in REMOVED_SETTINGS:
        return statement, [f"openai.{name} was removed in v1 and is ignored"]
    if name == "proxy":
        return statement, [PROXY_TODO]
    todos: list[str] = []
    if name == "api_base":
        if plan.azure:
            return _retarget(statement, "azure_endpoint"), todos
        return _retarget(statement, "base_url", _with_slash(setting.value)), todos
    if name == "api_key" and plan.azure_ad:
        return _retarget(statement, "azure_ad_token"), todos
    if name == "api_type":
        literal = string_key(setting.value)
        if literal is None or literal not in _API_TYPES:
            todos.append('v1 openai.api_type takes "openai" or "azure" (not "open_ai"/"azure_ad")')
            return statement, todos
        new_value = _API_TYPES[literal]
        if new_value != literal:
            assert isinstance(setting.value, cst.SimpleString)
            quote = setting.value.quote
            value = setting.value.with_changes(value=f"{quote}{new_value}{quote}")
            return _retarget(statement, "api_type", value), todos
    return statement, todos
