"""Assertions for codemod tests: `check_transformed(before, after, codemod=...)` and `check_noop`."""

from __future__ import annotations

import importlib

import libcst as cst

from depsentry.codemods import get_codemod
from depsentry.codemods.interface import Codemod
from depsentry.codemods.runner import passes_prefilter, transform_source, validate_options
from depsentry.errors import CodemodError
from depsentry.registry import Registry


def check_transformed(
    before: str, after: str, *, codemod: str | type[Codemod], **options: str
) -> None:
    """`before` becomes exactly `after`, which parses; a second run changes nothing."""
    cls = _codemod(codemod)
    cst.parse_module(after)  # the expected output must itself be valid code
    assert passes_prefilter(cls, before.encode()), f"{cls.NAME}: PREFILTER would skip this input"
    resolved = validate_options(cls, options)
    output, _ = transform_source(cls, before, resolved)
    assert output == after
    again, _ = transform_source(cls, output, resolved)
    assert again == output, "not idempotent: a second run changed the output"


def check_noop(code: str, *, codemod: str | type[Codemod], **options: str) -> None:
    """`code` is left exactly as it is."""
    cls = _codemod(codemod)
    output, _ = transform_source(cls, code, validate_options(cls, options))
    assert output == code


def _codemod(codemod: str | type[Codemod]) -> type[Codemod]:
    return get_codemod(codemod) if isinstance(codemod, str) else codemod


def registry(*references: str) -> Registry[Codemod]:
    """A codemod registry of `module:Class` references, each named by its class's NAME."""
    entries = {}
    for reference in references:
        module, _, attribute = reference.partition(":")
        try:
            name = getattr(importlib.import_module(module), attribute).NAME
        except (ModuleNotFoundError, AttributeError):
            name = reference  # a broken entry: the registry itself must report it
        entries[name] = reference
    return Registry("codemod", Codemod, entries, error=CodemodError)


def registry_script(references: tuple[str, ...]) -> str:
    """Python lines that install `registry(*references)` in a fresh interpreter before the CLI runs."""
    return (
        "import depsentry.codemods.registry as r, tests.codemods.tools as t; "
        f"r.CODEMODS = t.registry(*{references!r})"
    )
