"""Severity: highest CVSS v3/v4 score, else GHSA's rating, else unknown; MAL- records are critical."""

from __future__ import annotations

from depsentry.advisories.severity import rate
from depsentry.models import Severity

V31_CRIT = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
V31_LOW = "CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N"  # 2.8
V40_HIGH = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:L/VA:N/SC:N/SI:N/SA:N"


def test_cvss_v3_score_and_band() -> None:
    assert rate({"id": "X", "severity": [{"type": "CVSS_V3", "score": V31_LOW}]}) == (
        Severity.LOW,
        2.8,
    )


def test_highest_of_several_vectors_wins_including_per_affected() -> None:
    raw = {
        "id": "X",
        "affected": [{"severity": [{"type": "CVSS_V3", "score": V31_CRIT}]}],
        "severity": [{"type": "CVSS_V3", "score": V31_LOW}],
    }
    assert rate(raw) == (Severity.CRITICAL, 9.8)


def test_cvss_v4_vector() -> None:
    severity, score = rate({"id": "X", "severity": [{"type": "CVSS_V4", "score": V40_HIGH}]})
    assert score is not None and 7.0 <= score < 9.0 and severity is Severity.HIGH


def test_ghsa_rating_when_no_vector_and_moderate_is_medium() -> None:
    assert rate({"id": "X", "database_specific": {"severity": "MODERATE"}}) == (
        Severity.MEDIUM,
        None,
    )
    assert rate({"id": "X", "database_specific": {"severity": "CRITICAL"}}) == (
        Severity.CRITICAL,
        None,
    )


def test_junk_vector_falls_back() -> None:
    raw = {
        "id": "X",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/garbage"}],
        "database_specific": {"severity": "LOW"},
    }
    assert rate(raw) == (Severity.LOW, None)


def test_nothing_is_unknown() -> None:
    assert rate({"id": "X"}) == (Severity.UNKNOWN, None)


def test_malicious_package_records_are_critical() -> None:
    assert rate({"id": "MAL-2024-1"})[0] is Severity.CRITICAL
    assert (
        rate({"id": "GHSA-x", "aliases": ["MAL-2024-2"], "database_specific": {"severity": "LOW"}})[
            0
        ]
        is Severity.CRITICAL
    )
