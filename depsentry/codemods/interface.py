"""The interface every codemod implements, and the before/after cases declared beside it."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, ClassVar

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import MetadataWrapper

from depsentry.codemods.dispatch import Hook, hook
from depsentry.codemods.metadata import PROVIDED, resolve_scopes

if TYPE_CHECKING:
    from depsentry.codemods.registry import CodemodInfo

TODO_PREFIX = "# TODO(depsentry): "
_INFO_FIELDS = ("NAME", "PACKAGE", "FROM", "TO", "DESCRIPTION", "PREFILTER", "OPTIONS")
_ATTRIBUTE_HOOK = re.compile(r"(visit|leave)_[A-Z][A-Za-z]*_[a-z_]+")


@dataclass(frozen=True)
class Case:
    """One example of a codemod: `after=None` means the code must be left unchanged."""

    before: str
    after: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    name: str = ""


class Codemod(VisitorBasedCodemodCommand):
    """A libcst codemod for one breaking upgrade.

    Implementers set `NAME` (kebab-case, the registry and CLI name), `PACKAGE` (the distribution
    whose upgrade it handles), `FROM`/`TO` (specifiers of the versions migrated from and to),
    `DESCRIPTION` (one line), `PREFILTER` (a file is skipped unless its text contains one of these
    strings: the cheap check that makes large trees fast), `OPTIONS` (option name -> allowed
    values, the first being the default) and `CASES` -- or `INFO = CodemodInfo(...)` for the
    first seven, defined in the package's `__init__.py` so that `codemod list` reads it without
    importing libcst. Where a rewrite cannot be proven safe, leave the code and attach a comment
    starting with `TODO_PREFIX` (`with_todos`); the runner counts them.

    The pre-filter can also work below the file: a codemod that sets `SUBTREES = True` is handed
    a module in which every top-level function and class that mentions no PREFILTER string, and
    no name bound by a statement that does, is replaced by a stub binding its name
    (`f = g = ...  # depsentry-stub-...`); the runner puts the originals back afterwards. Such a
    codemod must leave those statements alone and may not depend on their bodies (a pattern
    rewrite that applies with no PREFILTER string nearby must not opt in); one that reports
    positions (PositionProvider) gets the whole module anyway. `SUBTREE_KEEP` adds strings that
    keep a statement out of the stubs without making a file that has only them worth parsing. Import edits belong in the main
    pass (`depsentry.codemods.imports`), not in libcst's AddImportsVisitor/RemoveImportsVisitor
    passes, which re-walk and re-resolve the module.
    """

    NAME: ClassVar[str]
    PACKAGE: ClassVar[str]
    FROM: ClassVar[str]
    TO: ClassVar[str]
    DESCRIPTION: str
    PREFILTER: ClassVar[tuple[str, ...]]
    OPTIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    CASES: ClassVar[tuple[Case, ...]] = ()
    INFO: ClassVar[CodemodInfo | None] = None
    SUBTREES: ClassVar[bool] = False
    SUBTREE_KEEP: ClassVar[tuple[str, ...]] = ()  # more strings that keep a statement unstubbed
    _attribute_hooks: ClassVar[bool] = False
    _no_matchers: ClassVar[bool] = False  # set on each class by its first instance
    _hooks: ClassVar[dict[tuple[str, type], Hook]] = {}  # see depsentry.codemods.dispatch

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._hooks = {}
        info = cls.__dict__.get("INFO")
        if info is not None:
            for name in _INFO_FIELDS:
                setattr(cls, name, getattr(info, name))
        # libcst looks up a `visit_<Node>_<attribute>` method for every attribute of every node:
        # a tenth of a visit's time, spent for nothing unless the class defines one.
        # (libcst's own visitor classes declare every such name as a no-op: only ours count.)
        cls._attribute_hooks = any(
            _ATTRIBUTE_HOOK.fullmatch(name)
            for klass in cls.__mro__
            if not klass.__module__.startswith("libcst")
            for name in vars(klass)
        )
        # libcst caches a class's metadata dependencies in an attribute that subclasses inherit:
        # a subclass declaring more would get its parent's once the parent has run.
        dependencies: set[object] = set()
        for klass in cls.__mro__:
            dependencies.update(getattr(klass, "METADATA_DEPENDENCIES", ()))
        cls._INHERITED_METADATA_DEPENDENCIES_CACHE = dependencies  # type: ignore[attr-defined]

    def __init__(self, context: CodemodContext, **options: str) -> None:
        if type(self).__dict__.get("_no_matchers"):
            # libcst gathers matcher-decorated methods per instance (dir() and getattr over every
            # attribute: ~80 ms, more than most rewrites); a class that had none has none.
            cst.MetadataDependent.__init__(self)
            self.context = context
            self._extra_visit_funcs, self._extra_leave_funcs, self._matchers = {}, {}, {}
        else:
            super().__init__(context)
            type(self)._no_matchers = not (
                self._extra_visit_funcs or self._extra_leave_funcs or self._matchers
            )
        self.options = {key: values[0] for key, values in self.OPTIONS.items()}
        self.options.update(options)
        self._private_tree = False
        self.frozen: frozenset[int] = frozenset()  # id() of nodes whose children are not visited
        # Without matcher decorators, libcst's matcher bookkeeping on every node is pure cost
        # (it makes a visit about four times slower).
        self._plain_visits = not (
            self._extra_visit_funcs or self._extra_leave_funcs or self._matchers
        )

    def transform_private(self, tree: cst.Module) -> cst.Module:
        """`transform_module` for a tree nobody else holds: libcst's defensive deep copy is skipped."""
        self._private_tree = True
        try:
            return self.transform_module(tree)
        finally:
            self._private_tree = False

    @contextmanager
    def _handle_metadata_reference(self, module: cst.Module) -> Iterator[cst.Module]:
        if not self._private_tree:
            with super()._handle_metadata_reference(module) as tree:
                yield tree
            return
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        previous = self.context.wrapper
        with self._resolve_fast(wrapper):
            self.context = replace(self.context, wrapper=wrapper)
            try:
                yield wrapper.module
            finally:
                self.context = replace(self.context, wrapper=previous)

    @contextmanager
    def _resolve_fast(self, wrapper: MetadataWrapper) -> Iterator[None]:
        """`self.resolve(wrapper)`, with scopes and qualified names from `metadata.py`."""
        dependencies = set(self.get_inherited_dependencies())
        if not dependencies or not dependencies <= PROVIDED:
            with self.resolve(wrapper):
                yield
            return
        computed = resolve_scopes(wrapper.module)
        wrapper._metadata.update(computed)  # for helpers that resolve through the wrapper
        self.metadata = {key: computed[key] for key in dependencies}
        try:
            yield
        finally:
            self.metadata = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.frozen and id(node) in self.frozen:
            return False  # a stub of the sub-file pre-filter: nothing in it to change
        if self._plain_visits:
            found = hook(type(self), self._hooks, "visit", type(node))
            return found is None or found(self, node) is not False
        return super().on_visit(node)

    def on_leave(  # type: ignore[override]  # same union libcst's own transformers return
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]:
        if self._plain_visits:
            found = hook(type(self), self._hooks, "leave", type(original_node))
            return updated_node if found is None else found(self, original_node, updated_node)
        return super().on_leave(original_node, updated_node)

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if self._attribute_hooks:
            super().on_visit_attribute(node, attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        if self._attribute_hooks:
            super().on_leave_attribute(original_node, attribute)


def todo_comment(message: str) -> cst.EmptyLine:
    """A `# TODO(depsentry): message` line to put in a statement's `leading_lines`."""
    return cst.EmptyLine(comment=cst.Comment(TODO_PREFIX + message))


def with_todos(
    node: cst.CSTNode, messages: Iterable[str], header: Collection[str] = ()
) -> cst.CSTNode:
    """`node` with a TODO line per message not already above it (or in `header`), once each.

    `header` holds the comments libcst parsed into the module header, which sit above the first
    statement; checking them keeps a rerun from adding a second copy there.
    """
    leading = getattr(node, "leading_lines", None)
    if leading is None:
        return node
    present = set(header) | {line.comment.value for line in leading if line.comment is not None}
    lines = list(leading)
    for message in dict.fromkeys(messages):
        line = todo_comment(message)
        if line.comment is not None and line.comment.value not in present:
            lines.append(line)
    return node.with_changes(leading_lines=lines)
