"""The gate of `--fail-on` and policy `fail_on`: expressions, unrated handling, one-line errors."""

from __future__ import annotations

import pytest

from depsentry.models import Severity, Source, Vulnerability
from depsentry.policy.gate import GateError, parse_gate


def vuln(
    severity: Severity = Severity.UNKNOWN,
    *,
    epss: float | None = None,
    percentile: float | None = None,
    kev: bool = False,
) -> Vulnerability:
    return Vulnerability(
        "pkg", "1.0", "PYSEC-1", (), severity, None, (), "", Source("r.txt", 1),
        epss=epss, epss_percentile=percentile, kev=kev,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "severity", "fails"),
    [
        ("critical", Severity.HIGH, False),
        ("high", Severity.HIGH, True),
        ("high", Severity.CRITICAL, True),
        ("medium", Severity.LOW, False),
        ("low", Severity.LOW, True),
        ("any", Severity.LOW, True),
        ("none", Severity.CRITICAL, False),
    ],
)
def test_levels(expression: str, severity: Severity, fails: bool) -> None:
    assert parse_gate(expression).fails(vuln(severity)) is fails


@pytest.mark.parametrize("level", ["critical", "high", "medium", "low", "any"])
def test_unrated_fails_every_level_by_default(level: str) -> None:
    assert parse_gate(level).fails(vuln())


@pytest.mark.parametrize(
    ("unrated_as", "level", "fails"),
    [
        ("high", "critical", False),
        ("high", "high", True),
        ("low", "medium", False),
        ("ignore", "low", False),
        ("ignore", "any", True),  # any is every vulnerability
    ],
)
def test_unrated_as(unrated_as: str, level: str, fails: bool) -> None:
    assert parse_gate(level, unrated_as).fails(vuln()) is fails


def test_epss_kev_and_alternatives() -> None:
    gate = parse_gate("critical, kev, epss >= 0.1", "ignore")
    assert gate.needs_epss and gate.needs_kev
    assert not gate.fails(vuln(Severity.HIGH, epss=0.05))
    assert gate.fails(vuln(Severity.HIGH, epss=0.1))
    assert gate.fails(vuln(Severity.LOW, kev=True))
    assert gate.fails(vuln(Severity.CRITICAL))
    assert not gate.fails(vuln(Severity.HIGH))  # no EPSS data: never meets an EPSS condition
    assert str(gate) == "critical, kev, epss>=0.1"


def test_and_binds_tighter_than_or_and_repeats_are_alternatives() -> None:
    gate = parse_gate(["medium and percentile>0.9", "kev=true"], "ignore")
    assert gate.fails(vuln(Severity.MEDIUM, epss=0.01, percentile=0.95))
    assert not gate.fails(vuln(Severity.LOW, epss=0.01, percentile=0.95))
    assert not gate.fails(vuln(Severity.MEDIUM, epss=0.01, percentile=0.5))
    assert gate.fails(vuln(kev=True))
    assert parse_gate("HIGH+EPSS>=0.5 OR KEV").fails(vuln(Severity.HIGH, epss=0.7))
    assert parse_gate("kev=false and high").fails(vuln(Severity.HIGH))


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("severe", "unknown condition 'severe'"),
        ("epss>=10", "between 0 and 1"),
        ("epss>=abc", "'abc' is not a number"),
        ("epss>=nan", "between 0 and 1"),
        ("high,,kev", "empty condition"),
        ("high and", "empty condition"),
        ("", "empty gate expression"),
        ("none, high", "'none' cannot be combined"),
        ("epss=0.1", "unknown condition"),
    ],
)
def test_bad_expressions_are_one_line_errors(expression: str, message: str) -> None:
    with pytest.raises(GateError) as err:
        parse_gate(expression)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_bad_unrated_as() -> None:
    with pytest.raises(GateError, match="unrated_as: 'severe'"):
        parse_gate("high", "severe")
