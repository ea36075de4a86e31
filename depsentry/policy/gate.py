"""The CI gate: which vulnerabilities make a scan exit 1 (`--fail-on`, policy `fail_on`).

An expression is a list of alternatives separated by `,` or `or`; each alternative is one or more
conditions joined by `and` (or `+`); a vulnerability fails the gate when it meets every
condition of some alternative. Conditions:

    critical | high | medium | low    the severity is at least this (unrated: see `unrated_as`)
    any                               every vulnerability          none   never (alone)
    kev                               listed in CISA KEV (also `kev=true`; `kev=false` is not)
    epss>=0.1                         FIRST EPSS probability (operators >=, >, <=, <; 0..1)
    percentile>=0.95                  EPSS percentile (also `epss_percentile`; 0..1)

e.g. `high`, `critical, kev, epss >= 0.1`, `medium and epss >= 0.05`. A vulnerability without a
rating meets every level unless `unrated_as` names a level it counts as, or `ignore`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from depsentry.models import Severity, Vulnerability

__all__ = ["LEVELS", "UNRATED_CHOICES", "Condition", "Gate", "GateError", "parse_gate"]

LEVELS = ("critical", "high", "medium", "low")
UNRATED_CHOICES = (*LEVELS, "ignore")
DEFAULT_UNRATED = "critical"  # unrated fails every level: a gate must not pass what it cannot rate

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
_COMPARISON = re.compile(r"(epss_percentile|percentile|epss)\s*(>=|<=|>|<)\s*(\S+)\Z")
_KEV = re.compile(r"kev(?:\s*==?\s*(true|false))?\Z")
_OR = re.compile(r"\s*(?:,|\bor\b)\s*")
_AND = re.compile(r"\s*(?:\+|\band\b)\s*")


class GateError(ValueError):
    """A gate expression that cannot be parsed; the message is one line."""


# NamedTuples, not frozen dataclasses: about 5x cheaper to define, on every scan's start-up.
class Condition(NamedTuple):
    """One condition: `kind` is a level name, "any", "kev", "epss" or "percentile"."""

    kind: str
    op: str = ">="
    value: float = 0.0
    expect: bool = True  # for kev

    def __str__(self) -> str:
        if self.kind in ("epss", "percentile"):
            return f"{self.kind}{self.op}{self.value:g}"
        if self.kind == "kev":
            return "kev" if self.expect else "kev=false"
        return self.kind


class Gate(NamedTuple):
    """A parsed gate: `alternatives` empty means `none` (never fails)."""

    alternatives: tuple[tuple[Condition, ...], ...]
    unrated_as: Severity | None  # None: unrated never meets a level

    def __str__(self) -> str:
        if not self.alternatives:
            return "none"
        return ", ".join(" and ".join(map(str, alt)) for alt in self.alternatives)

    def _kinds(self) -> set[str]:
        return {c.kind for alt in self.alternatives for c in alt}

    @property
    def needs_epss(self) -> bool:
        return bool(self._kinds() & {"epss", "percentile"})

    @property
    def needs_kev(self) -> bool:
        return "kev" in self._kinds()

    def _meets(self, c: Condition, v: Vulnerability) -> bool:
        if c.kind == "any":
            return True
        if c.kind == "kev":
            return v.kev == c.expect
        if c.kind in ("epss", "percentile"):
            value = v.epss if c.kind == "epss" else v.epss_percentile
            return value is not None and _OPERATORS[c.op](value, c.value)
        level = Severity(c.kind)
        if v.rated:
            return v.severity.rank >= level.rank
        return self.unrated_as is not None and self.unrated_as.rank >= level.rank

    def fails(self, v: Vulnerability) -> bool:
        """True when `v` meets every condition of some alternative."""
        return any(all(self._meets(c, v) for c in alt) for alt in self.alternatives)

    def failing(self, vulns: Iterable[Vulnerability]) -> list[Vulnerability]:
        return [v for v in vulns if self.fails(v)]


def _atom(text: str, whole: str) -> Condition:
    if text in LEVELS or text == "any":
        return Condition(text)
    if match := _KEV.match(text):
        return Condition("kev", expect=match.group(1) != "false")
    if match := _COMPARISON.match(text):
        name, op, number = match.groups()
        try:
            value = float(number)
        except ValueError:
            raise GateError(f"{whole!r}: {number!r} is not a number") from None
        if not 0.0 <= value <= 1.0:
            raise GateError(f"{whole!r}: {name} is a probability between 0 and 1, not {number}")
        return Condition("epss" if name == "epss" else "percentile", op, value)
    if text == "none":
        raise GateError(f"{whole!r}: 'none' cannot be combined with other conditions")
    raise GateError(
        f"{whole!r}: unknown condition {text!r}; use critical, high, medium, low, any, none, "
        "kev, epss>=N or percentile>=N (N between 0 and 1), joined by 'and' and ','"
    )


def parse_gate(texts: str | Iterable[str], unrated_as: str = DEFAULT_UNRATED) -> Gate:
    """Parse one expression (or several, which are alternatives); GateError when bad."""
    parts = [texts] if isinstance(texts, str) else list(texts)
    if unrated_as not in UNRATED_CHOICES:
        raise GateError(f"unrated_as: {unrated_as!r} is not one of {', '.join(UNRATED_CHOICES)}")
    unrated = None if unrated_as == "ignore" else Severity(unrated_as)
    alternatives: list[tuple[Condition, ...]] = []
    for part in parts:
        whole = " ".join(part.split()).lower()
        if not whole:
            raise GateError("an empty gate expression; use e.g. 'high' or 'none'")
        if whole == "none":
            if len(parts) > 1:
                raise GateError("'none' cannot be combined with other conditions")
            return Gate((), unrated)
        for alternative in _OR.split(whole):
            if not alternative:
                raise GateError(f"{whole!r}: an empty condition between separators")
            atoms = _AND.split(alternative)
            if any(not a for a in atoms):
                raise GateError(f"{whole!r}: an empty condition between separators")
            alternatives.append(tuple(_atom(a, whole) for a in atoms))
    return Gate(tuple(alternatives), unrated)
