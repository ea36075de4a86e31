"""Scopes and qualified names for one module, without libcst's idle walks.

libcst resolves ScopeProvider and QualifiedNameProvider in three batched walks over the module
(expression context, scope, qualified names), each of which does its real work in `visit_Module`
with an inner walk of its own, then walks the whole tree again doing nothing; the qualified-name
walk stores a lazy value on every node. Here the two inner walks that compute something run
once each, with per-node-type dispatch cached, and a node's qualified names are worked out
when a codemod asks for them: the values are libcst's own (the same `Scope` objects and
`Scope.get_qualified_names_for`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

import libcst as cst
from libcst.metadata import (
    ExpressionContextProvider,
    QualifiedName,
    QualifiedNameProvider,
    ScopeProvider,
)
from libcst.metadata.expression_context_provider import ExpressionContext, ExpressionContextVisitor
from libcst.metadata.scope_provider import _ASSIGNMENT_LIKE_NODES, Scope, ScopeVisitor

from depsentry.codemods.dispatch import CachedVisitor

__all__ = ["PROVIDED", "resolve_scopes"]

# The providers `resolve_scopes` computes; a codemod depending on any other gets libcst's resolver.
PROVIDED = frozenset({ExpressionContextProvider, ScopeProvider, QualifiedNameProvider})
_ASSIGNMENT_LIKE: dict[type, bool] = {}  # node type -> counts as an assignment for scopes


class _ContextVisitor(CachedVisitor, ExpressionContextVisitor):
    pass


class _ScopeVisitor(CachedVisitor, ScopeVisitor):
    # The only attribute hooks of libcst's ScopeVisitor (1.9): bases are not annotations.
    ATTRIBUTE_HOOKS = frozenset({"ClassDef_bases"})

    def on_leave(self, original_node: cst.CSTNode) -> None:
        # ScopeVisitor.on_leave, with the cached dispatch in place of its lookup by name.
        self.provider.set_metadata(original_node, self.scope)
        kind = type(original_node)
        like = _ASSIGNMENT_LIKE.get(kind)
        if like is None:
            like = _ASSIGNMENT_LIKE[kind] = issubclass(kind, _ASSIGNMENT_LIKE_NODES)
        if like:
            self.scope._assignment_count += 1
        CachedVisitor.on_leave(self, original_node)


class _QualifiedNames(Mapping[cst.CSTNode, Collection[QualifiedName]]):
    """QualifiedNameProvider's mapping, computed per node on first read (libcst: for every node)."""

    def __init__(self, scopes: Mapping[cst.CSTNode, Any]) -> None:
        self._scopes = scopes
        self._names: dict[cst.CSTNode, Collection[QualifiedName]] = {}

    def __getitem__(self, node: cst.CSTNode) -> Collection[QualifiedName]:
        names = self._names.get(node)
        if names is None:
            scope: Scope | None = self._scopes.get(node)
            names = self._names[node] = scope.get_qualified_names_for(node) if scope else set()
        return names

    def get(self, node: cst.CSTNode, default: Any = None) -> Any:
        # libcst's mapping holds every node of the tree (empty names where there is no scope);
        # this one answers the default for nodes without a scope too (callers pass set()).
        return self[node] if node in self._scopes or node in self._names else default

    def __contains__(self, node: object) -> bool:
        return node in self._scopes

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._scopes)

    def __len__(self) -> int:
        return len(self._scopes)


def resolve_scopes(module: cst.Module) -> dict[Any, Mapping[cst.CSTNode, Any]]:
    """ExpressionContextProvider, ScopeProvider and QualifiedNameProvider metadata of `module`,
    keyed by provider as `MetadataDependent.metadata` holds them."""
    contexts = ExpressionContextProvider()
    module.visit(_ContextVisitor(contexts, ExpressionContext.LOAD))
    scopes = ScopeProvider()
    scopes.metadata = {ExpressionContextProvider: contexts._computed}
    visitor = _ScopeVisitor(scopes)
    module.visit(visitor)
    visitor.infer_accesses()
    return {
        ExpressionContextProvider: contexts._computed,
        ScopeProvider: scopes._computed,
        QualifiedNameProvider: _QualifiedNames(scopes._computed),
    }
