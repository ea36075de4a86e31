"""merge_vulnerabilities: one problem reported once, with every source that reported it."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from depsentry.advisories.merge import merge_vulnerabilities, primary_id
from depsentry.advisories.osv_api_source import OsvApiSource
from depsentry.advisories.pip_audit_source import PipAuditSource
from depsentry.advisories.safety_source import SafetySource
from depsentry.models import Dependency, Severity, Source, Vulnerability
from tests.servers.osv_api_server import OsvApiStandIn, record

REQS = Source("requirements.txt", 3)


def vuln(
    vuln_id: str,
    *aliases: str,
    by: str = "osv",
    package: str = "jinja2",
    version: str = "3.1.2",
    severity: Severity = Severity.UNKNOWN,
    cvss: float | None = None,
    fixed: tuple[str, ...] = (),
    summary: str = "",
    source: Source = REQS,
    published: datetime | None = None,
) -> Vulnerability:
    return Vulnerability(
        package=package,
        version=version,
        id=vuln_id,
        aliases=aliases,
        severity=severity,
        cvss=cvss,
        fixed_in=fixed,
        summary=summary,
        source=source,
        reported_by=(by,),
        published=published,
    )


def test_alias_overlap_across_sources_is_one_finding_with_both_sources() -> None:
    osv = vuln(
        "PYSEC-2024-1",
        "CVE-2024-22195",
        "GHSA-h5c8-rqwp-cp95",
        by="osv",
        severity=Severity.MEDIUM,
        cvss=5.4,
        fixed=("3.1.3",),
        published=datetime(2024, 1, 11, tzinfo=UTC),
    )
    safety = vuln(
        "pyup.io-64227",
        "CVE-2024-22195",
        by="safety",
        severity=Severity.HIGH,
        fixed=("3.1.3", "3.0.10"),
        summary="Jinja2 3.1.3 fixes an XSS.",
        published=datetime(2024, 1, 10, tzinfo=UTC),
    )
    (merged,) = merge_vulnerabilities([[osv], [safety]])
    assert merged == Vulnerability(
        package="jinja2",
        version="3.1.2",
        id="PYSEC-2024-1",
        aliases=("CVE-2024-22195", "GHSA-h5c8-rqwp-cp95", "pyup.io-64227"),
        severity=Severity.MEDIUM,  # a CVSS score beats a bare level, as within one source
        cvss=5.4,
        fixed_in=("3.0.10", "3.1.3"),
        summary="Jinja2 3.1.3 fixes an XSS.",
        source=REQS,
        reported_by=("osv", "safety"),
        published=datetime(2024, 1, 10, tzinfo=UTC),
    )


def test_primary_id_prefers_pysec_then_ghsa_then_cve() -> None:
    assert primary_id(["pyup.io-1", "CVE-2024-1", "GHSA-x", "PYSEC-2024-9"]) == "PYSEC-2024-9"
    assert primary_id(["pyup.io-1", "CVE-2024-1", "GHSA-x"]) == "GHSA-x"
    assert primary_id(["pyup.io-1", "CVE-2024-1"]) == "CVE-2024-1"
    assert primary_id(["pyup.io-1", "PVE-2024-1"]) == "pyup.io-1"


def test_primary_id_comes_from_any_source() -> None:
    (merged,) = merge_vulnerabilities(
        [
            [vuln("pyup.io-64227", "CVE-2024-22195", by="safety")],
            [vuln("GHSA-h5c8", "CVE-2024-22195")],
        ]
    )
    assert (merged.id, merged.aliases) == ("GHSA-h5c8", ("CVE-2024-22195", "pyup.io-64227"))
    assert merged.reported_by == ("safety", "osv")


def test_same_cve_in_two_packages_is_not_merged() -> None:
    a = vuln("PYSEC-2024-1", "CVE-2024-1", package="pillow", version="9.0")
    b = vuln("GHSA-x", "CVE-2024-1", package="pillow-simd", version="9.0", by="safety")
    assert merge_vulnerabilities([[a], [b]]) == [a, b]


def test_same_package_at_two_versions_or_in_two_files_is_not_merged() -> None:
    a = vuln("PYSEC-2024-1", version="3.1.2")
    b = vuln("PYSEC-2024-1", version="3.1.1", by="safety")
    c = vuln("PYSEC-2024-1", source=Source("other/requirements.txt", 1), by="safety")
    assert merge_vulnerabilities([[a], [b, c]]) == [a, b, c]


def test_aliases_merge_transitively_and_match_case_insensitively() -> None:
    first = vuln("PYSEC-2024-1", "CVE-2024-1")
    middle = vuln("ghsa-abcd", "cve-2024-1", by="pip-audit")
    last = vuln("pyup.io-7", "GHSA-ABCD", by="safety")
    (merged,) = merge_vulnerabilities([[first], [middle], [last]])
    assert merged.id == "PYSEC-2024-1"
    assert merged.reported_by == ("osv", "pip-audit", "safety")


def test_unknown_severity_never_hides_a_rating() -> None:
    (merged,) = merge_vulnerabilities(
        [[vuln("CVE-1", severity=Severity.UNKNOWN)], [vuln("CVE-1", severity=Severity.LOW)]]
    )
    assert merged.severity is Severity.LOW


def test_unrelated_findings_keep_their_order() -> None:
    findings = [vuln("PYSEC-1"), vuln("PYSEC-2", package="flask"), vuln("PYSEC-3")]
    merged = merge_vulnerabilities([findings[:2], findings[2:], [vuln("PYSEC-1", by="safety")]])
    assert merged == [
        dataclasses.replace(findings[0], reported_by=("osv", "safety")),
        findings[1],
        findings[2],
    ]


ids = st.sampled_from(["PYSEC-1", "GHSA-1", "CVE-1", "CVE-2", "pyup.io-1", "PVE-1", "GHSA-2"])
findings = st.builds(
    lambda i, aliases, package, by: vuln(i, *aliases, package=package, by=by),
    ids,
    st.lists(ids, max_size=3, unique=True),
    st.sampled_from(["a", "b"]),
    st.sampled_from(["osv", "safety", "pip-audit"]),
)


@given(st.lists(st.lists(findings, max_size=5), max_size=3))
def test_merging_keeps_every_id_and_leaves_no_overlap(lists: list[list[Vulnerability]]) -> None:
    merged = merge_vulnerabilities(lists)
    before = {(v.package, i.upper()) for vs in lists for v in vs for i in v.ids}
    after = {(v.package, i.upper()) for v in merged for i in v.ids}
    assert before == after
    for i, a in enumerate(merged):
        for b in merged[i + 1 :]:
            if a.package == b.package:
                assert not {x.upper() for x in a.ids} & {x.upper() for x in b.ids}
    assert merge_vulnerabilities([merged]) == merged


def test_three_real_sources_report_one_problem(tmp_path: Path) -> None:
    """The OSV API (stand-in), pip-audit against it, and a Safety database agree on one CVE."""
    records = [
        record(
            "PYSEC-2024-1",
            "jinja2",
            fixed="3.1.3",
            aliases=["CVE-2024-22195"],
            summary="Jinja vulnerable to HTML attribute injection",
            severity=[("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N")],
        )
    ]
    safety_db = tmp_path / "insecure_full.json"
    safety_db.write_text(
        json.dumps(
            {
                "meta": {"schema_version": "2.0.0", "timestamp": 1704931200},
                "vulnerable_packages": {
                    "jinja2": [
                        {
                            "specs": ["<3.1.3"],
                            "advisory": "Jinja2 3.1.3 fixes an XSS.",
                            "ids": [
                                {"type": "pyup", "id": "64227"},
                                {"type": "cve", "id": "CVE-2024-22195"},
                            ],
                        }
                    ]
                },
            }
        )
    )
    deps = [Dependency("jinja2", "3.1.2", True, REQS), Dependency("click", "8.1.7", True, REQS)]
    with OsvApiStandIn(records) as api:
        found = [
            OsvApiSource(api.url).match(deps),
            PipAuditSource(osv_url=api.url, cache_dir=tmp_path / "cache").match(deps),
            SafetySource(safety_db).match(deps),
        ]
    (merged,) = merge_vulnerabilities(found)
    assert merged.id == "PYSEC-2024-1"
    assert merged.aliases == ("CVE-2024-22195", "pyup.io-64227")
    assert merged.reported_by == ("osv-api", "pip-audit", "safety")
    assert merged.severity is Severity.MEDIUM  # from the OSV record's CVSS vector (5.4)
    assert merged.fixed_in == ("3.1.3",)
    assert merged.summary == "Jinja vulnerable to HTML attribute injection"
