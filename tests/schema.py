"""Validation of `depsentry.scan/1` documents against the JSON Schema shipped in the package."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from depsentry.report.json import json_schema


@cache
def _validator() -> Draft202012Validator:
    schema = json_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def validate_report(document: Any) -> None:
    """Fail the test with every schema error of a `depsentry.scan/1` document."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
