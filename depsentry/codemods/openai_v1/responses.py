"""Dict-style access on v0 responses -> attribute access on v1 pydantic models.

`x["a"]` -> `x.a`; `x.get("a")` -> `x.a`; `x.get("a", "")` -> `(x.a or "")` (v1 fields may be
None where v0 left the key out); `"a" in x` -> `x.a is not None`; keys that are not identifiers
become their aliased field names (`"self-harm"` -> `self_harm`, `src/openai/types/moderation.py`).
"""

from __future__ import annotations

import keyword

import libcst as cst

from .analysis import string_key, subscript_key


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
