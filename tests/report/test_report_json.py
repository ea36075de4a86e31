from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depsentry.errors import InputError
from depsentry.models import (
    AdvisoryDbInfo,
    ProjectReport,
    ScanResult,
    Severity,
    SkipKind,
    Source,
    Vulnerability,
)
from depsentry.report.json import SCHEMA, JsonRenderer, read_report
from depsentry.report.ordering import sorted_versions
from tests.schema import validate_report

CONTRACT_TOP = {"schema", "generated_at", "advisory_db", "projects"}
CONTRACT_DB = {"source", "records", "updated"}
CONTRACT_PROJECT = {
    "path",
    "inputs",
    "dependencies",
    "vulnerabilities",
    "outdated",
    "violations",
    "skipped",
}
CONTRACT = {
    "dependencies": {"name", "version", "direct", "source"},
    "vulnerabilities": {
        "package",
        "version",
        "id",
        "aliases",
        "severity",
        "cvss",
        "fixed_in",
        "summary",
        "source",
    },
    "outdated": {
        "package",
        "current",
        "latest",
        "update_type",
        "current_released",
        "latest_released",
        "libyears",
    },
    "violations": {"rule", "package", "finding", "due", "overdue", "message"},
    "skipped": {"requirement", "reason"},
}
EXTRAS = {
    "dependencies": {"pinned", "markers", "extras", "groups", "specifier"},
    "vulnerabilities": {
        "reported_by",
        "malicious",
        "published",
        "modified",
        "rated",
        "severity_source",
        "epss",
        "epss_percentile",
        "kev",
    },
    "outdated": {"pinned", "source"},
    "violations": set(),
    "skipped": {"source", "kind", "name", "specifier", "direct", "markers"},
}


def render(result: ScanResult) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(JsonRenderer().render(result))
    return document


def test_top_level_keys_and_schema(result: ScanResult) -> None:
    doc = render(result)
    assert set(doc) == CONTRACT_TOP
    assert doc["schema"] == "depsentry.scan/1" == SCHEMA
    assert doc["generated_at"] == "2026-11-22T03:00:00Z"
    assert doc["advisory_db"] == {
        "source": "osv:/var/lib/depsentry/osv",
        "records": 2662,
        "updated": "2026-11-21T23:59:01Z",
        "warnings": ["advisory database is 25 hours old"],
        "epss": None,
        "kev": None,
    }
    assert set(doc["advisory_db"]) - {"warnings", "epss", "kev"} == CONTRACT_DB


def test_every_list_entry_has_exactly_the_contract_keys_plus_documented_extras(
    result: ScanResult,
) -> None:
    doc = render(result)
    for project in doc["projects"]:
        assert set(project) == CONTRACT_PROJECT | {
            "notes",
            "error",
            "first_seen",
            "root",
            "project",
        }
        for key, required in CONTRACT.items():
            for entry in project[key]:
                assert set(entry) == required | EXTRAS[key], key


def test_vulnerability_values(result: ScanResult) -> None:
    web = render(result)["projects"][0]
    django = web["vulnerabilities"][0]
    assert django == {
        "package": "django",
        "version": "3.2.0",
        "id": "PYSEC-2021-98",
        "aliases": ["CVE-2021-33203"],
        "severity": "critical",
        "cvss": 9.8,
        "fixed_in": ["2.2.24", "3.1.12", "3.2.4"],
        "summary": "Potential directory traversal | via admindocs <script>",
        "source": "services/web/requirements.txt:7",
        "reported_by": ["osv"],
        "malicious": False,
        "published": "2021-06-08T18:15:00Z",
        "modified": None,
        "rated": True,
        "severity_source": None,
        "epss": None,
        "epss_percentile": None,
        "kev": False,
    }
    requests = web["vulnerabilities"][1]
    assert requests["aliases"] == ["CVE-2018-18074", "PYSEC-2018-28"]
    assert requests["cvss"] is None
    assert requests["reported_by"] == ["osv", "pip-audit"]


def test_other_sections_values(result: ScanResult) -> None:
    web = render(result)["projects"][0]
    assert web["inputs"] == ["services/web/pyproject.toml", "services/web/requirements.txt"]
    assert web["dependencies"][0] == {
        "name": "django",
        "version": "3.2.0",
        "direct": True,
        "source": "services/web/requirements.txt:7",
        "pinned": True,
        "markers": 'python_version >= "3.8"',
        "extras": [],
        "groups": [],
        "specifier": None,
    }
    assert web["outdated"] == [
        {
            "package": "requests",
            "current": "2.19.0",
            "latest": "2.32.3",
            "update_type": "minor",
            "current_released": "2018-06-14T00:00:00Z",
            "latest_released": "2024-05-29T00:00:00Z",
            "libyears": 5.958,
            "pinned": True,
            "source": "services/web/requirements.txt:3",
        }
    ]
    assert web["violations"] == [
        {
            "rule": "security-fix",
            "package": "django",
            "finding": "PYSEC-2021-98",
            "due": "2026-11-01",
            "overdue": True,
            "message": "django 3.2.0 has a critical fix (3.2.4) due 2026-11-01",
        }
    ]
    assert web["skipped"] == [
        {
            "requirement": "mylib @ git+https://example.invalid/mylib.git",
            "reason": "URL requirement",
            "source": "services/web/requirements.txt:15",
            "kind": "url",
            "name": "mylib",
            "specifier": None,
            "direct": True,
            "markers": None,
        }
    ]
    assert web["notes"] == ["flask resolved from a range: >=2"]
    assert web["error"] is None


def test_lists_are_sorted_by_package_version_id(result: ScanResult) -> None:
    api = render(result)["projects"][1]
    keys = [(v["package"], v["version"], v["id"]) for v in api["vulnerabilities"]]
    assert keys == [
        ("jinja2", "2.10", "MAL-2026-1"),
        ("jinja2", "2.10", "PYSEC-2019-217"),
        ("pyyaml", "5.3", "PYSEC-2020-96"),
        ("requests", "2.19.0", "GHSA-x84v-xcm2-53pg"),
    ]
    assert [d["name"] for d in api["dependencies"]] == ["jinja2", "pyyaml", "requests"]


def test_unknown_line_gives_a_bare_path(result: ScanResult) -> None:
    api = render(result)["projects"][1]
    assert api["vulnerabilities"][0]["source"] == "services/api/poetry.lock"


def test_project_order_is_kept(result: ScanResult) -> None:
    assert [p["path"] for p in render(result)["projects"]] == [
        "services/web",
        "services/api",
        "tools/empty",
    ]


def test_output_does_not_depend_on_input_order(result: ScanResult) -> None:
    shuffled = ScanResult(
        generated_at=result.generated_at,
        advisory_db=result.advisory_db,
        projects=[
            replace(
                p,
                inputs=p.inputs[::-1],
                dependencies=p.dependencies[::-1],
                vulnerabilities=p.vulnerabilities[::-1],
                skipped=p.skipped[::-1],
            )
            for p in result.projects
        ],
    )
    assert JsonRenderer().render(shuffled) == JsonRenderer().render(result)


def test_datetimes_are_converted_to_utc_with_z() -> None:
    plus_two = timezone(timedelta(hours=2))
    doc = render(
        ScanResult(
            generated_at=datetime(2026, 1, 1, 2, 30, tzinfo=plus_two),
            advisory_db=AdvisoryDbInfo("osv", 1, datetime(2026, 1, 1, 0, 0)),  # naive = UTC
        )
    )
    assert doc["generated_at"] == "2026-01-01T00:30:00Z"
    assert doc["advisory_db"]["updated"] == "2026-01-01T00:00:00Z"
    assert doc["projects"] == []


def test_non_ascii_is_kept_as_text(result: ScanResult) -> None:
    result.projects[0].notes.append("résumé ✓")
    assert "résumé ✓" in JsonRenderer().render(result)


@pytest.mark.parametrize(
    "text", ['x", "source": null, "y', ', "source": null', '"source"', '"\x00source\x00']
)
def test_a_value_that_looks_like_the_source_key_stays_a_value(
    result: ScanResult, text: str
) -> None:
    # Shared entries are encoded once and cut at their "source" key: values must not fool it.
    project = result.projects[0]
    first = project.vulnerabilities[0]
    project.vulnerabilities[0] = replace(first, summary=text)
    project.dependencies[0] = replace(project.dependencies[0], markers=text)
    doc = render(result)
    entry = next(v for v in doc["projects"][0]["vulnerabilities"] if v["id"] == first.id)
    assert entry["summary"] == text and entry["source"] == str(first.source)
    dependency = doc["projects"][0]["dependencies"]
    assert any(d["markers"] == text for d in dependency)
    assert all(isinstance(d["source"], str) for d in dependency)


def test_round_trip(result: ScanResult) -> None:
    text = JsonRenderer().render(result)
    back = read_report(text, "report.json")
    assert JsonRenderer().render(back) == text
    web = back.projects[0]
    django = web.vulnerabilities[0]
    assert django.severity is Severity.CRITICAL
    assert django.source == Source("services/web/requirements.txt", 7)
    assert django.published == datetime(2021, 6, 8, 18, 15, tzinfo=UTC)
    assert web.skipped[0].kind is SkipKind.URL
    assert web.violations[0].due == date(2026, 11, 1)
    assert back.projects[1].vulnerabilities[0].source == Source("services/api/poetry.lock")
    assert back.projects[1].vulnerabilities[0].malicious is True
    assert back.advisory_db == result.advisory_db
    assert back.generated_at == result.generated_at


def test_first_seen_dates_round_trip(result: ScanResult) -> None:
    seen = {"vuln:django:PYSEC-1": datetime(2026, 3, 1, 9, 0, tzinfo=UTC)}
    result.projects[0].first_seen = dict(seen)
    doc = json.loads(JsonRenderer().render(result))
    assert doc["projects"][0]["first_seen"] == {"vuln:django:PYSEC-1": "2026-03-01T09:00:00Z"}
    assert read_report(JsonRenderer().render(result)).projects[0].first_seen == seen


def test_bad_first_seen_date_names_the_key() -> None:
    doc = {
        "schema": "depsentry.scan/1",
        "generated_at": "2026-01-01T00:00:00Z",
        "advisory_db": {"source": "osv", "records": 0, "updated": None},
        "projects": [
            {
                "path": ".",
                "inputs": [],
                "dependencies": [],
                "vulnerabilities": [],
                "outdated": [],
                "violations": [],
                "skipped": [],
                "first_seen": {"vuln:x:Y": "yesterday"},
            }
        ],
    }
    with pytest.raises(InputError, match=r"old.json: .*first_seen.vuln:x:Y: invalid value"):
        read_report(json.dumps(doc), "old.json")


def test_round_trip_gives_equal_models_once_sorted(result: ScanResult) -> None:
    once = read_report(JsonRenderer().render(result))
    twice = read_report(JsonRenderer().render(once))
    assert once == twice

    def normal(v: Vulnerability) -> Vulnerability:
        return replace(v, aliases=tuple(sorted(v.aliases)), fixed_in=sorted_versions(v.fixed_in))

    for before, after in zip(result.projects, once.projects, strict=True):
        assert {normal(v) for v in before.vulnerabilities} == set(after.vulnerabilities)
        assert set(before.dependencies) == set(after.dependencies)
        assert set(before.skipped) == set(after.skipped)
        assert before.outdated == after.outdated
        assert before.violations == after.violations


def test_read_accepts_a_document_with_only_the_contract_keys() -> None:
    minimal = {
        "schema": SCHEMA,
        "generated_at": "2026-11-22T03:00:00+00:00",
        "advisory_db": {"source": "osv", "records": 3, "updated": None},
        "projects": [
            {
                "path": ".",
                "inputs": ["requirements.txt"],
                "dependencies": [
                    {"name": "idna", "version": "3.7", "direct": True, "source": "r.txt:1"}
                ],
                "vulnerabilities": [
                    {
                        "package": "idna",
                        "version": "3.7",
                        "id": "X-1",
                        "aliases": [],
                        "severity": "unknown",
                        "cvss": 5,
                        "fixed_in": [],
                        "summary": "",
                        "source": "C:\\\\proj\\\\r.txt:1",
                    }
                ],
                "outdated": [],
                "violations": [],
                "skipped": [{"requirement": "foo>=1", "reason": "unpinned"}],
                "future_key": {"ignored": True},
            }
        ],
    }
    result = read_report(json.dumps(minimal))
    project = result.projects[0]
    assert project.vulnerabilities[0].cvss == 5.0
    assert project.vulnerabilities[0].source == Source("C:\\\\proj\\\\r.txt", 1)
    assert project.skipped[0].kind is SkipKind.OTHER
    assert project.notes == []
    assert result.advisory_db.updated is None


def _valid() -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "generated_at": "2026-11-22T03:00:00Z",
        "advisory_db": {"source": "osv", "records": 3, "updated": None},
        "projects": [
            {
                "path": ".",
                "inputs": [],
                "dependencies": [],
                "vulnerabilities": [
                    {
                        "package": "idna",
                        "version": "3.7",
                        "id": "X-1",
                        "aliases": [],
                        "severity": "high",
                        "cvss": None,
                        "fixed_in": ["3.8"],
                        "summary": "s",
                        "source": "requirements.txt:4",
                    }
                ],
                "outdated": [],
                "violations": [],
                "skipped": [],
            }
        ],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "report.json:1: invalid JSON: Expecting property name"),
        ("[]", "report.json: $: expected an object, got array"),
        ('{"schema": "other/2"}', "report.json: not a depsentry report: schema is 'other/2'"),
        ("{}", "report.json: $.schema: missing key"),
    ],
)
def test_read_errors_name_the_file(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        read_report(text, "report.json")
    assert str(caught.value).startswith(message)
    assert caught.value.path == "report.json"


def _break(doc: dict[str, Any], dotted: str, value: object) -> None:
    *parents, last = dotted.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key: int | str = int(last) if last.isdigit() else last
    if value is KeyError:
        del node[key]
    else:
        node[key] = value


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("generated_at", KeyError, "$.generated_at: missing key"),
        ("generated_at", "yesterday", "$.generated_at: invalid value 'yesterday'"),
        ("advisory_db.records", "3", "$.advisory_db.records: expected integer, got string"),
        ("advisory_db.records", True, "$.advisory_db.records: expected integer, got boolean"),
        ("advisory_db.updated", KeyError, "$.advisory_db.updated: missing key"),
        ("projects", {}, "$.projects: expected array, got object"),
        ("projects.0.skipped", KeyError, "$.projects[0].skipped: missing key"),
        (
            "projects.0.vulnerabilities.0.severity",
            "severe",
            "$.projects[0].vulnerabilities[0].severity: invalid value 'severe'",
        ),
        (
            "projects.0.vulnerabilities.0.aliases",
            [1],
            "$.projects[0].vulnerabilities[0].aliases[0]: expected string, got integer",
        ),
        (
            "projects.0.vulnerabilities.0.id",
            KeyError,
            "$.projects[0].vulnerabilities[0].id: missing key",
        ),
        (
            "projects.0.vulnerabilities.0.cvss",
            "high",
            "$.projects[0].vulnerabilities[0].cvss: expected number, got string",
        ),
        ("projects.0.vulnerabilities.0", 7, "$.projects[0].vulnerabilities[0]: expected an object"),
    ],
)
def test_read_errors_say_where(where: str, value: object, message: str) -> None:
    doc = _valid()
    read_report(json.dumps(doc))  # the base document is fine
    _break(doc, where, value)
    with pytest.raises(InputError) as caught:
        read_report(json.dumps(doc), "old.json")
    assert str(caught.value).startswith(f"old.json: {message}")


def test_read_error_for_bad_update_type() -> None:
    doc = _valid()
    doc["projects"][0]["outdated"] = [
        {
            "package": "idna",
            "current": "3.6",
            "latest": "3.7",
            "update_type": "huge",
            "current_released": None,
            "latest_released": None,
            "libyears": 0.5,
        }
    ]
    with pytest.raises(InputError, match=r"outdated\[0\]\.update_type: invalid value 'huge'"):
        read_report(json.dumps(doc), "old.json")
    doc["projects"][0]["outdated"][0]["update_type"] = "patch"
    (outdated,) = read_report(json.dumps(doc), "old.json").projects[0].outdated
    assert outdated.update_type == "patch" and outdated.source == Source("")


def test_read_error_for_bad_violation_date() -> None:
    doc = _valid()
    doc["projects"][0]["violations"] = [
        {
            "rule": "r",
            "package": "idna",
            "finding": "X-1",
            "due": "soon",
            "overdue": False,
            "message": "m",
        }
    ]
    with pytest.raises(InputError, match=r"violations\[0\]\.due: invalid value 'soon'"):
        read_report(json.dumps(doc), "old.json")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    where=st.sampled_from(
        [
            "generated_at",
            "advisory_db",
            "advisory_db.source",
            "advisory_db.updated",
            "projects",
            "projects.0",
            "projects.0.path",
            "projects.0.inputs",
            "projects.0.vulnerabilities",
            "projects.0.vulnerabilities.0",
            "projects.0.vulnerabilities.0.source",
            "projects.0.vulnerabilities.0.fixed_in",
            "projects.0.vulnerabilities.0.published",
        ]
    ),
    value=json_values,
)
def test_read_never_fails_with_anything_but_input_error(where: str, value: object) -> None:
    """Whatever a key holds, reading either works or raises InputError naming the file."""
    doc = _valid()
    _break(doc, where, value)
    try:
        read_report(json.dumps(doc), "fuzz.json")
    except InputError as exc:
        assert str(exc).startswith("fuzz.json")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_read_of_arbitrary_text(text: str) -> None:
    try:
        read_report(text, "fuzz.json")
    except InputError as exc:
        assert exc.path == "fuzz.json"


def test_empty_project_list_round_trips() -> None:
    result = ScanResult(
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        advisory_db=AdvisoryDbInfo("osv", 0, None),
        projects=[ProjectReport(path=".", error="requirements.txt:3: invalid requirement")],
    )
    back = read_report(JsonRenderer().render(result))
    assert back == result


def test_a_split_project_keeps_its_root_and_relative_path() -> None:
    result = ScanResult(
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        advisory_db=AdvisoryDbInfo("osv", 0, None),
        projects=[
            ProjectReport(path="repo", root="repo"),
            ProjectReport(path="repo/tests/fixtures/x", root="repo"),
            ProjectReport(path="elsewhere", root="repo"),  # not below it: shown whole
        ],
    )
    doc = render(result)
    assert [(p["root"], p["project"]) for p in doc["projects"]] == [
        ("repo", "."),
        ("repo", "tests/fixtures/x"),
        ("repo", "elsewhere"),
    ]
    back = read_report(JsonRenderer().render(result))
    assert [p.root for p in back.projects] == [None, "repo", "repo"]


def test_the_shipped_schema_rejects_what_breaks_the_contract(result: ScanResult) -> None:
    """Every rendered report is validated (tests/conftest.py); the schema itself must bite."""
    document = json.loads(JsonRenderer().render(result))
    validate_report(document)
    broken = json.loads(json.dumps(document))
    del broken["projects"][0]["vulnerabilities"][0]["severity"]
    broken["projects"][0]["dependencies"][0]["name"] = "Not_Normalised"
    with pytest.raises(AssertionError, match="'severity' is a required property"):
        validate_report(broken)
    with pytest.raises(AssertionError, match="does not match"):
        validate_report({**document, "generated_at": "2026-01-01T00:00:00+01:00"})


def test_chunks_join_to_the_document_and_carry_each_pins_source(result: ScanResult) -> None:
    """The streamed layout is the same JSON as `to_document`; a finding shared by several pins
    (encoded once) still names each pin's own line; one line per list entry."""
    from depsentry.report.json import to_document

    project = result.projects[0]
    shared = project.vulnerabilities[0]
    elsewhere = [shared.at(Source("other/requirements.txt", 9)), shared.at(Source("x.txt"))]
    two = replace(
        result,
        projects=[
            replace(project, vulnerabilities=[*project.vulnerabilities, *elsewhere]),
            replace(
                project,
                path="second",
                dependencies=[replace(d, source=Source("b.txt", 7)) for d in project.dependencies],
            ),
        ],
    )
    chunks = list(JsonRenderer().chunks(two))
    text = "".join(chunks)
    assert len(chunks) > len(two.projects)  # written project by project
    assert text == JsonRenderer().render(two) and text.endswith("}\n")
    assert json.loads(text) == to_document(two)
    validate_report(json.loads(text))
    sources = [
        v["source"]
        for v in json.loads(text)["projects"][0]["vulnerabilities"]
        if v["id"] == shared.id
    ]
    assert {"other/requirements.txt:9", "x.txt", str(shared.source)} <= set(sources)
    lines = text.splitlines()
    assert sum(1 for line in lines if '"rated": ' in line) == sum(
        len(p.vulnerabilities) for p in two.projects
    )
    assert read_report(text) == read_report(json.dumps(to_document(two)))
    second = json.loads(text)["projects"][1]["dependencies"]
    assert second and {d["source"] for d in second} == {"b.txt:7"}


def test_no_projects_is_valid_json() -> None:
    result = ScanResult(
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        advisory_db=AdvisoryDbInfo("osv", 0, None),
        projects=[],
    )
    text = JsonRenderer().render(result)
    assert json.loads(text)["projects"] == []
    assert read_report(text) == result


def test_a_summary_that_repeats_the_id_is_null(single: Any) -> None:
    same = single(id="PYSEC-2023-120", summary="PYSEC-2023-120")
    document = json.loads(JsonRenderer().render(same))
    validate_report(document)
    (vuln,) = document["projects"][0]["vulnerabilities"]
    assert vuln["summary"] is None
    assert read_report(JsonRenderer().render(same)).projects[0].vulnerabilities[0].summary == ""
    shown = json.loads(JsonRenderer().render(single(summary="  Heap   overflow ")))
    assert shown["projects"][0]["vulnerabilities"][0]["summary"] == "Heap overflow"


def test_undecodable_names_are_escaped_and_the_document_stays_valid(single: Any) -> None:
    import os

    text = JsonRenderer().render(single(source=Source(os.fsdecode(b"req\xff.txt"), 2)))
    text.encode("utf-8")
    document = json.loads(text)
    validate_report(document)
    assert document["projects"][0]["vulnerabilities"][0]["source"] == "req\\xff.txt:2"
