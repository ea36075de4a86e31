"""The rating of an alias group: every record of it counts (PYSEC, GHSA, CVE), the highest CVSS v4
first, else v3, else GHSA's level; `severity_source` names the record. With fixtures that pair
records as the OSV PyPI dump does, and the real PyPA snapshot (where most stay unrated)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from osvdata import PYPA_DB, PYPA_REASON, dep, memory_source, record, write_records

from depsentry.advisories.resolve import open_advisories
from depsentry.advisories.severity import Rating, group_rating
from depsentry.cli import main
from depsentry.models import Severity
from tests.paths import EXAMPLE

V31_CRIT = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
V31_MED = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"  # 5.4
V40_HIGH = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:L/VA:N/SC:N/SI:N/SA:N"  # 8.8

PYSEC = record(
    "PYSEC-2022-213",
    "django",
    events=[{"introduced": "3.2"}, {"fixed": "3.2.14"}],
    aliases=["CVE-2022-34265", "GHSA-p64x-8rxx-wf6q"],
)
GHSA = record(
    "GHSA-p64x-8rxx-wf6q",
    "django",
    events=[{"introduced": "3.2"}, {"fixed": "3.2.14"}],
    aliases=["CVE-2022-34265"],
    severity=[{"type": "CVSS_V3", "score": V31_CRIT}],
    database_specific={"severity": "CRITICAL", "github_reviewed": True},
)


def test_group_rating_order() -> None:
    v4, v3, ghsa = Rating(cvss4=8.7), Rating(cvss3=9.8), Rating(ghsa=Severity.CRITICAL)
    assert group_rating([("PYSEC-1", v3), ("GHSA-1", v4)]) == (Severity.HIGH, 8.7, "GHSA-1")
    assert group_rating([("PYSEC-1", ghsa), ("GHSA-1", v3)]) == (Severity.CRITICAL, 9.8, "GHSA-1")
    assert group_rating([("PYSEC-1", Rating()), ("GHSA-1", ghsa)]) == (
        Severity.CRITICAL, None, "GHSA-1",
    )  # fmt: skip
    assert group_rating([("PYSEC-1", Rating(cvss3=5.0)), ("GHSA-1", Rating(cvss3=7.5))])[2] == (
        "GHSA-1"
    )
    assert group_rating([("PYSEC-1", Rating())]) == (Severity.UNKNOWN, None, None)
    assert group_rating([("MAL-1", Rating())], malicious="MAL-1") == (
        Severity.CRITICAL, None, "MAL-1",
    )  # fmt: skip


def test_pysec_takes_the_paired_ghsa_rating() -> None:
    (vuln,) = memory_source(PYSEC, GHSA).match([dep("django", "3.2")])
    assert (vuln.id, vuln.severity, vuln.cvss, vuln.severity_source) == (
        "PYSEC-2022-213", Severity.CRITICAL, 9.8, "GHSA-p64x-8rxx-wf6q",
    )  # fmt: skip
    assert vuln.rated and set(vuln.aliases) == {"CVE-2022-34265", "GHSA-p64x-8rxx-wf6q"}


def test_a_sibling_that_does_not_match_the_version_still_rates_the_group() -> None:
    # The GHSA's ranges differ (it names another range); it is the same vulnerability.
    ghsa = {**GHSA, "affected": [{**GHSA["affected"][0], "ranges": [
        {"type": "ECOSYSTEM", "events": [{"introduced": "4.0"}, {"fixed": "4.0.6"}]}]}]}  # fmt: skip
    (vuln,) = memory_source(PYSEC, ghsa).match([dep("django", "3.2.1")])
    assert (vuln.severity, vuln.severity_source) == (Severity.CRITICAL, "GHSA-p64x-8rxx-wf6q")


def test_records_sharing_only_a_cve_are_one_group() -> None:
    pysec = record("PYSEC-1", "pkg", events=[{"introduced": "0"}], aliases=["CVE-2024-1111"])
    ghsa = record(
        "GHSA-2", "other-name", events=[{"introduced": "0"}], aliases=["CVE-2024-1111"],
        severity=[{"type": "CVSS_V4", "score": V40_HIGH}, {"type": "CVSS_V3", "score": V31_CRIT}],
    )  # fmt: skip
    (vuln,) = memory_source(pysec, ghsa).match([dep("pkg", "1.0")])
    # v4 first, although its score is lower than the v3 one
    assert (vuln.severity, vuln.cvss, vuln.severity_source) == (Severity.HIGH, 8.8, "GHSA-2")
    assert "GHSA-2" in vuln.aliases


def test_the_highest_score_of_the_group_wins_and_its_record_is_named() -> None:
    a = record("PYSEC-1", "pkg", events=[{"introduced": "0"}], aliases=["GHSA-b"],
               severity=[{"type": "CVSS_V3", "score": V31_MED}])  # fmt: skip
    b = record("GHSA-b", "pkg", events=[{"introduced": "0"}],
               severity=[{"type": "CVSS_V3", "score": V31_CRIT}])  # fmt: skip
    (vuln,) = memory_source(a, b).match([dep("pkg", "1.0")])
    assert (vuln.cvss, vuln.severity_source) == (9.8, "GHSA-b")


def test_unrated_group_is_unrated() -> None:
    (vuln,) = memory_source(PYSEC).match([dep("django", "3.2")])
    assert (vuln.severity, vuln.cvss, vuln.severity_source, vuln.rated) == (
        Severity.UNKNOWN, None, None, False,
    )  # fmt: skip


def test_end_to_end_json_table_and_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    src = tmp_path / "osv"
    write_records(src, PYSEC, GHSA)
    (tmp_path / "requirements.txt").write_text("Django==3.2\n")
    args = ["scan", str(tmp_path / "requirements.txt"), "--osv-db", str(src)]
    assert main([*args, "--fail-on", "critical", "-f", "json"]) == 1
    (vuln,) = json.loads(capsys.readouterr().out)["projects"][0]["vulnerabilities"]
    assert (vuln["severity"], vuln["cvss"], vuln["rated"], vuln["severity_source"]) == (
        "critical", 9.8, True, "GHSA-p64x-8rxx-wf6q",
    )  # fmt: skip
    assert main([*args, "--fail-on", "none"]) == 0
    assert "critical 9.8" in capsys.readouterr().out


@pytest.mark.skipif(not PYPA_DB.is_dir(), reason=PYPA_REASON)
def test_the_readme_gate_fails_django_3_2_on_the_real_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """PYSEC-2022-213 (CVE-2022-34265, CVSS 9.8) carries no rating in the PyPA data: unrated
    must fail `--fail-on high`, and `--unrated-as ignore` is the team's explicit choice."""
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    (tmp_path / "requirements.txt").write_text("Django==3.2\n")
    args = ["scan", str(tmp_path / "requirements.txt"), "--osv-db", str(PYPA_DB), "-f", "json"]
    assert main([*args, "--fail-on", "high"]) == 1
    vulns = json.loads(capsys.readouterr().out)["projects"][0]["vulnerabilities"]
    django = next(v for v in vulns if v["id"] == "PYSEC-2022-213")
    assert (django["severity"], django["rated"]) == ("unknown", False)
    assert main([*args, "--fail-on", "high", "--unrated-as", "ignore"]) == 0


@pytest.mark.skipif(not PYPA_DB.is_dir(), reason=PYPA_REASON)
def test_example_findings_rated_on_the_real_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """How many of the example's findings the PyPA data alone can rate (the README quotes it):
    47 findings, 9 rated (the PyPA records that carry a CVSS vector); the rest stay unrated
    because their GHSA siblings are not in this data set (they are in the OSV PyPI dump)."""
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    args = ["scan", str(EXAMPLE), "--osv-db", str(PYPA_DB), "-f", "json", "--fail-on", "none"]
    assert main(args) == 0
    vulns = json.loads(capsys.readouterr().out)["projects"][0]["vulnerabilities"]
    rated = [v for v in vulns if v["rated"]]
    assert (len(vulns), len(rated)) == (47, 9)
    assert all(v["severity_source"] and v["cvss"] is not None for v in rated)
    assert all(
        v["severity"] == "unknown" and v["severity_source"] is None for v in vulns if not v["rated"]
    )


def test_status_shows_the_data_date_not_the_import_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    src = tmp_path / "osv"
    write_records(
        src,
        {**PYSEC, "modified": "2022-07-04T18:45:03Z"},
        {**GHSA, "modified": "2023-01-02T00:00:00Z"},
    )
    assert main(["db", "sync", "--from", str(src)]) == 0
    assert main(["db", "status", "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["updated"] == "2023-01-02T00:00:00Z" and status["imported"] > "2025"
    source = open_advisories(osv_db=None, offline=True, home=tmp_path / "home")
    try:
        info = source.info()
    finally:
        source.close()
    assert info.updated is not None and info.updated.isoformat() == "2023-01-02T00:00:00+00:00"
