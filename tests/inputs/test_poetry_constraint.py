"""Poetry constraint syntax -> PEP 440 specifiers."""

from __future__ import annotations

import pytest

from depsentry.inputs.poetry_constraint import to_pep440


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^1.2.3", ">=1.2.3,<2"),
        ("^1.2", ">=1.2,<2"),
        ("^0.2.3", ">=0.2.3,<0.3"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0.0", ">=0.0,<0.1"),
        ("^0", ">=0,<1"),
        ("~1.2.3", ">=1.2.3,<1.3"),
        ("~1.2", ">=1.2,<1.3"),
        ("~1", ">=1,<2"),
        ("1.2.*", "==1.2.*"),
        ("1.2.3", "==1.2.3"),
        ("==1.2.3", "==1.2.3"),
        ("=1.2.3", "==1.2.3"),
        ("*", ""),
        (">=1.2,<2.0", ">=1.2,<2.0"),
        (">= 1.2 < 2.0", ">=1.2,<2.0"),
        ("~=1.4", "~=1.4"),
        ("!=1.5", "!=1.5"),
    ],
)
def test_translation(poetry: str, pep440: str) -> None:
    assert to_pep440(poetry) == pep440


@pytest.mark.parametrize("poetry", ["^1 || ^2", "1.0 | 2.0", "^x", ">=1 (x)"])
def test_inexpressible(poetry: str) -> None:
    assert to_pep440(poetry) is None
