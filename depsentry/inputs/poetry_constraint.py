"""Poetry version constraints (`^1.2`, `~1.2`, `1.2.*`, `>=1 <2`, `1.2.3`) -> PEP 440 specifiers.

Hand-written: poetry-core's parser would add a large dependency for a few rules
(https://python-poetry.org/docs/dependency-specification/#version-constraints).
"""

from __future__ import annotations

import re

from depsentry.inputs.common import version_problem

__all__ = ["to_pep440"]

_TOKEN = re.compile(r"\s*(\^|~=|~|===|==|!=|<=|>=|<|>|=)?\s*([0-9A-Za-z.*+!_-]+)\s*,?")
_RELEASE = re.compile(r"v?(\d+(?:\.\d+)*)")


def to_pep440(constraint: str) -> str | None:
    """The PEP 440 specifier for a Poetry constraint; "" for any version, None when inexpressible."""
    text = constraint.strip()
    if text in ("", "*"):
        return ""
    if "|" in text or version_problem(text):
        return None  # unions (`^1 || ^2`) have no PEP 440 spelling
    specs: list[str] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            return None
        position = match.end()
        operator, version = match.group(1) or "", match.group(2)
        spec = _one(operator, version)
        if spec is None:
            return None
        if spec:
            specs.append(spec)
    return ",".join(specs)


def _one(operator: str, version: str) -> str | None:
    if version == "*":
        return "" if operator in ("", "==", "=") else None
    if operator in ("^", "~"):
        release = _RELEASE.match(version)
        if release is None:
            return None
        parts = [int(part) for part in release.group(1).split(".")]
        upper = _caret_upper(parts) if operator == "^" else _tilde_upper(parts)
        return f">={version},<{'.'.join(str(part) for part in upper)}"
    if operator in ("", "=", "=="):
        return f"=={version}"
    return f"{operator}{version}"


def _caret_upper(parts: list[int]) -> list[int]:
    # ^1.2.3 -> <2.0.0, ^0.2.3 -> <0.3.0, ^0.0.3 -> <0.0.4, ^0 -> <1
    for index, part in enumerate(parts):
        if part != 0 or index == len(parts) - 1:
            return [*parts[:index], part + 1]
    return [parts[0] + 1]  # unreachable: the loop returns on the last part


def _tilde_upper(parts: list[int]) -> list[int]:
    # ~1.2.3 -> <1.3, ~1.2 -> <1.3, ~1 -> <2
    if len(parts) == 1:
        return [parts[0] + 1]
    return [parts[0], parts[1] + 1]
