"""Dict-style access on v0 responses -> attribute access on v1 pydantic models.

`x["a"]` -> `x.a`; `x.get("a")` -> `x.a`; `x.get("a", "")` -> `(x.a or "")` (v1 fields may be
None where v0 left the key out); `"a" in x` -> `x.a is not None`; keys that are not identifiers
become their aliased field names (`"self-harm"` -> `self_harm`, `src/openai/types/moderation.py`).
"""

from __future__ import annotations

import keyword
from collections.abc import Collection
from typing import TYPE_CHECKING

import libcst as cst

from .analysis import string_key, subscript_key

if TYPE_CHECKING:
    from .analysis import Analysis, Scope


def field_name(key: str) -> str | None:
    """The v1 attribute for a v0 key, or None when there is none."""
    name = key.replace("-", "_").replace("/", "_")
    if not name.isidentifier() or keyword.iskeyword(name):
        return None
    return name


def _is_falsy_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.SimpleString):
        return string_key(node) == ""
    if isinstance(node, cst.Name):
        return node.value in {"None", "False"}
    if isinstance(node, cst.Integer | cst.Float):
        return float(node.value) == 0
    if isinstance(node, cst.List | cst.Tuple | cst.Set | cst.Dict):
        return not node.elements
    return False


def subscript_to_attribute(node: cst.Subscript) -> cst.BaseExpression | str | None:
    """`x["a"]` -> `x.a`; a TODO message when the key is not a literal; None for list indexes."""
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice):
        return None  # `x[1:]`: a list of choices or data items slices as before
    index = subscript_key(node)
    if index is None:
        return "subscript of a v1 response: read the field as an attribute"
    if isinstance(index, cst.Integer | cst.UnaryOperation):
        return None
    key = string_key(index)
    if key is None:
        if isinstance(index, cst.Name | cst.Attribute | cst.Call | cst.BinaryOperation):
            return "v1 responses are models: use getattr(obj, key) for a string key"
        return None
    name = field_name(key)
    if name is None:
        return f"v1 responses are models: no attribute for key {key!r}"
    return cst.Attribute(value=node.value, attr=cst.Name(name), lpar=node.lpar, rpar=node.rpar)


def get_to_attribute(node: cst.Call, value: cst.BaseExpression) -> cst.BaseExpression | str:
    """`value.get("a"[, default])` -> `value.a` or `(value.a or default)`; else a TODO message."""
    if not node.args or node.args[0].keyword is not None or len(node.args) > 2:
        return "v1 responses are models: replace .get() with attribute access"
    key = string_key(node.args[0].value)
    name = field_name(key) if key is not None else None
    if name is None:
        return "v1 responses are models: replace .get() with attribute access"
    attribute = cst.Attribute(value=value, attr=cst.Name(name))
    if len(node.args) == 1 or _is_none(node.args[1].value):
        return attribute.with_changes(lpar=node.lpar, rpar=node.rpar)
    default = node.args[1].value
    if not _is_falsy_literal(default):
        return f"v1 responses are models: .get({key!r}, default) needs `x.{name}` with an explicit None check"
    return cst.BooleanOperation(
        left=attribute,
        operator=cst.Or(),
        right=default,
        lpar=[cst.LeftParen()],
        rpar=[cst.RightParen()],
    )


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def membership_to_check(node: cst.Comparison) -> cst.BaseExpression | None:
    """`"a" in x` -> `x.a is not None` (and `not in` -> `is None`), for a literal key."""
    if len(node.comparisons) != 1:
        return None
    target = node.comparisons[0]
    key = string_key(node.left)
    name = field_name(key) if key is not None else None
    if name is None:
        return None
    if isinstance(target.operator, cst.In):
        operator: cst.BaseCompOp = cst.IsNot()
    elif isinstance(target.operator, cst.NotIn):
        operator = cst.Is()
    else:
        return None
    return cst.Comparison(
        left=cst.Attribute(value=target.comparator, attr=cst.Name(name)),
        comparisons=[cst.ComparisonTarget(operator=operator, comparator=cst.Name("None"))],
        lpar=node.lpar,
        rpar=node.rpar,
    )


class ResponseRules:
    """The openai-v1 rules for reading responses (a mixin of OpenAIV1Codemod, whose state it uses)."""

    if TYPE_CHECKING:
        analysis: Analysis

        @property
        def _scope(self) -> Scope: ...
        def _qnames(self, node: cst.CSTNode) -> Collection[str]: ...
        def _todo(self, message: str) -> None: ...

    def leave_response_call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        """`json.dumps`, `to_dict_recursive()`, `.auto_paging_iter()` and `.get()` on a response."""
        if "json.dumps" in self._qnames(original.func):
            return self._rewrite_json_dumps(original, updated)
        func, new_func = original.func, updated.func
        if not isinstance(func, cst.Attribute) or not isinstance(new_func, cst.Attribute):
            return updated
        method = func.attr.value
        if method == "to_dict_recursive" or (
            method == "to_dict" and self.analysis.is_response(func.value, self._scope)
        ):
            return updated.with_changes(func=new_func.with_changes(attr=cst.Name("model_dump")))
        if method == "auto_paging_iter" and not updated.args:
            return new_func.value  # a v1 page iterates over every page itself
        if method == "get" and self.analysis.is_response(func.value, self._scope):
            new = get_to_attribute(updated, new_func.value)
            if isinstance(new, str):
                self._todo(new)
                return updated
            return new
        return updated

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

    def visit_Match(self, node: cst.Match) -> None:
        if self.analysis.is_response(node.subject, self._scope):
            self._todo("match on a v1 response: mapping patterns do not match pydantic models")
