"""`resolve_scopes` gives what libcst's own resolver gives, node for node."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst._metadata_dependent import LazyValue
from libcst.metadata import (
    ExpressionContextProvider,
    MetadataWrapper,
    QualifiedNameProvider,
    ScopeProvider,
)

from depsentry.codemods.metadata import resolve_scopes
from depsentry.codemods.registry import CODEMODS

SOURCES = [
    case.before
    for reference in CODEMODS
    for case in CODEMODS.load(reference).CASES
    if "nonsense" not in case.before
]
SOURCES.append(
    "import a.b as c\nfrom d import e\n\n\nclass K(e.Base, metaclass=c.M):\n"
    "    x: 'e.T' = 1\n\n    def f(self, y=c.z):\n        global g\n"
    "        g = [e for e in y if (w := e)]\n        return lambda q: q + w + K.x\n"
)


def _nodes(module: cst.Module) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            found.append(node)
            return True

    module.visit(Collect())
    return found


@pytest.mark.parametrize("source", SOURCES)
def test_same_names_and_contexts_as_libcst(source: str) -> None:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        pytest.skip("not Python")
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    names = wrapper.resolve(QualifiedNameProvider)
    contexts = wrapper.resolve(ExpressionContextProvider)
    scopes = wrapper.resolve(ScopeProvider)
    ours = resolve_scopes(module)
    for node in _nodes(module):
        theirs = names.get(node, set())
        theirs = theirs() if isinstance(theirs, LazyValue) else theirs
        assert ours[QualifiedNameProvider].get(node, set()) == theirs, node
        assert ours[ExpressionContextProvider].get(node) == contexts.get(node)
        assert (ours[ScopeProvider].get(node) is None) == (scopes.get(node) is None)
