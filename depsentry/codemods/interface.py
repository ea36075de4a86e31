"""The interface every codemod implements, and the before/after cases declared beside it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand

TODO_PREFIX = "# TODO(depsentry): "


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
    values, the first being the default) and `CASES`. Where a rewrite cannot be proven safe, leave
    the code and attach a comment starting with `TODO_PREFIX`; the runner counts them.
    """

    NAME: ClassVar[str]
    PACKAGE: ClassVar[str]
    FROM: ClassVar[str]
    TO: ClassVar[str]
    DESCRIPTION: str
    PREFILTER: ClassVar[tuple[str, ...]]
    OPTIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    CASES: ClassVar[tuple[Case, ...]] = ()

    def __init__(self, context: CodemodContext, **options: str) -> None:
        super().__init__(context)
        self.options = {key: values[0] for key, values in self.OPTIONS.items()}
        self.options.update(options)


def todo_comment(message: str) -> cst.EmptyLine:
    """A `# TODO(depsentry): message` line to put in a statement's `leading_lines`."""
    return cst.EmptyLine(comment=cst.Comment(TODO_PREFIX + message))
