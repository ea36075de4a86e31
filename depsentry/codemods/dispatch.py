"""libcst's visitor dispatch, remembered per node type.

libcst finds a visitor's `visit_<Type>`/`leave_<Type>` method by building its name and calling
getattr on every node, and a `visit_<Type>_<attribute>` one for every attribute of every node;
`CachedVisitor` looks each up once per class and node type, and skips attribute hooks unless
the class names them in `ATTRIBUTE_HOOKS`. `hook` does the same for transformers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import libcst as cst

__all__ = ["CachedVisitor", "Hook", "hook"]

Hook = Callable[..., Any] | None


def hook(cls: type, cache: dict[tuple[str, type], Hook], prefix: str, kind: type) -> Hook:
    """`cls`'s `<prefix>_<Kind>` method (None if it has none), looked up once per kind."""
    try:
        return cache[prefix, kind]
    except KeyError:
        found = cache[prefix, kind] = getattr(cls, f"{prefix}_{kind.__name__}", None)
        return found


class CachedVisitor(cst.CSTVisitor):
    """A CSTVisitor whose dispatch is cached per node type (see the module docstring)."""

    ATTRIBUTE_HOOKS: ClassVar[frozenset[str]] = frozenset()  # "ClassDef_bases", ...
    _hooks: ClassVar[dict[tuple[str, type], Hook]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._hooks = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        found = hook(type(self), self._hooks, "visit", type(node))
        return found is None or found(self, node) is not False

    def on_leave(self, original_node: cst.CSTNode) -> None:
        found = hook(type(self), self._hooks, "leave", type(original_node))
        if found is not None:
            found(self, original_node)

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if self.ATTRIBUTE_HOOKS and f"{type(node).__name__}_{attribute}" in self.ATTRIBUTE_HOOKS:
            super().on_visit_attribute(node, attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        if (
            self.ATTRIBUTE_HOOKS
            and f"{type(original_node).__name__}_{attribute}" in self.ATTRIBUTE_HOOKS
        ):
            super().on_leave_attribute(original_node, attribute)
