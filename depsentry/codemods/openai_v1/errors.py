"""`openai.error.X` -> the v1 exception class (tables.ERRORS), in attribute and import forms."""

from __future__ import annotations

from collections.abc import Collection

import libcst as cst

from .tables import ERRORS, REMOVED_ERRORS, ROOT_ERRORS


def error_for(names: Collection[str]) -> tuple[str, str] | None:
    """(v0 name, v1 name or "") for a qualified `openai.error.X` or `openai.X` v0 error."""
    for name in names:
        parts = name.split(".")
        if len(parts) == 3 and parts[:2] == ["openai", "error"]:
            old = parts[2]
        elif len(parts) == 2 and parts[0] == "openai" and parts[1] in ROOT_ERRORS:
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
