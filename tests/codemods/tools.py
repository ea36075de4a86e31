"""Assertions for codemod tests: `check_transformed(before, after, codemod=...)` and `check_noop`."""

from __future__ import annotations

import libcst as cst

from depsentry.codemods import get_codemod
from depsentry.codemods.interface import Codemod
from depsentry.codemods.runner import passes_prefilter, transform_source, validate_options


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
