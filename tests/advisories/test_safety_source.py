"""SafetySource against Safety-format databases written by the tests, and its CLI error paths."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depsentry.advisories.safety_source import (
    SafetySource,
    load_safety_db,
    vulnerabilities_from_check,
)
from depsentry.errors import AdvisoryDbError
from depsentry.models import Dependency, Severity, Source, Vulnerability


def dep(name: str, version: str, line: int = 1) -> Dependency:
    return Dependency(name, version, direct=True, source=Source("requirements.txt", line))


def schema2(packages: dict[str, Any], severities: dict[str, Any] | None = None) -> dict[str, Any]:
    """An insecure_full.json in Safety's schema 2.0.0 (as in pyupio/safety tests/test_db)."""
    return {
        "meta": {
            "advisory": "PyUp.io metadata",
            "timestamp": 1675459691,
            "last_updated": "2023-02-03 21:28:11",
            "base_domain": "https://pyup.io",
            "schema_version": "2.0.0",
            "attribution": "Licensed under CC-BY-4.0 by pyup.io",
            "packages": {},
            "severities": severities or {},
        },
        "vulnerable_packages": packages,
    }


DB = schema2(
    {
        "django": [
            {
                "specs": ["<1.9"],
                "advisory": "Django before 1.9 allows\r\nsession flooding.",
                "transitive": False,
                "more_info_path": "/v/25713/f17",
                "ids": [{"type": "pyup", "id": "25713"}, {"type": "cve", "id": "CVE-2015-5143"}],
                "published_date": "2015-07-14",
            },
            {
                "specs": [">=2.0,<2.0.5", ">=1.11,<1.11.12"],
                "advisory": "Django ReDoS in urlize.",
                "transitive": False,
                "more_info_path": "/v/35797/f17",
                "ids": [{"type": "pyup", "id": "35797"}, {"type": "pve", "id": "PVE-2021-35797"}],
                "fixed_versions": ["1.11.12", "2.0.5"],
            },
        ],
        "Jinja2": [
            {
                "specs": ["<3.1.3"],
                "advisory": "Jinja2 3.1.3 fixes an XSS in xmlattr.",
                "transitive": False,
                "more_info_path": "/v/64227/f17",
                "ids": [{"type": "pyup", "id": "64227"}, {"type": "cve", "id": "CVE-2024-22195"}],
            }
        ],
    },
    severities={
        "CVE-2024-22195": {
            "cvssv2": None,
            "cvssv3": {"base_score": 5.4, "impact_score": 2.7, "base_severity": "MEDIUM"},
        },
        "CVE-2015-5143": {"cvssv2": {"base_score": 7.8, "impact_score": 6.9}, "cvssv3": None},
    },
)


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "insecure_full.json"
    path.write_text(json.dumps(DB, indent=2))
    return path


def test_schema_2_database_matches_pins(db_file: Path) -> None:
    vulns = SafetySource(db_file).match(
        [dep("django", "1.8.2", 2), dep("jinja2", "3.1.3", 3), dep("django", "4.2", 4)]
    )
    assert vulns == [
        Vulnerability(
            package="django",
            version="1.8.2",
            id="pyup.io-25713",
            aliases=("CVE-2015-5143",),
            # CVSS v2 7.8: v2 has no critical band, so high.
            severity=Severity.HIGH,
            cvss=7.8,
            fixed_in=("1.9",),
            summary="Django before 1.9 allows session flooding.",
            source=Source("requirements.txt", 2),
            reported_by=("safety",),
            published=datetime(2015, 7, 14, tzinfo=UTC),
            severity_source="pyup.io-25713",
        )
    ]


def test_fixed_versions_above_the_pin_are_offered(db_file: Path) -> None:
    (vuln,) = SafetySource(db_file).match([dep("django", "2.0.1")])
    assert (vuln.id, vuln.aliases, vuln.fixed_in) == (
        "pyup.io-35797",
        ("PVE-2021-35797",),
        ("2.0.5",),
    )
    assert vuln.severity is Severity.UNKNOWN


def test_severity_from_cvssv3_base_severity(db_file: Path) -> None:
    (vuln,) = SafetySource(db_file).match([dep("jinja2", "3.1.2")])
    assert (vuln.severity, vuln.cvss) == (Severity.MEDIUM, 5.4)


def test_prerelease_inside_a_spec_is_affected(db_file: Path) -> None:
    assert [v.id for v in SafetySource(db_file).match([dep("jinja2", "3.1.0rc1")])] == [
        "pyup.io-64227"
    ]


@pytest.mark.parametrize(
    "where", ["insecure_full.json", "data/insecure_full.json", "safety_db/insecure_full.json"]
)
def test_a_mirror_directory_is_accepted(tmp_path: Path, where: str) -> None:
    target = tmp_path / "mirror" / where
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(DB))
    source = SafetySource(tmp_path / "mirror")
    assert [v.id for v in source.match([dep("jinja2", "2.0")])] == ["pyup.io-64227"]
    info = source.info()
    assert (info.source, info.records) == (f"safety {target}", 3)
    assert info.updated == datetime.fromtimestamp(1675459691, UTC)


def test_legacy_safety_db_layout_is_accepted(tmp_path: Path) -> None:
    legacy = {
        "$meta": {"advisory": "PyUp.io metadata", "timestamp": 1617235200},
        "django": [
            {
                "advisory": "Session flooding.",
                "cve": "CVE-2015-5143, CVE-2015-5144",
                "id": "pyup.io-25713",
                "more_info_path": "/v/25713/f17",
                "specs": ["<1.9"],
                "v": "<1.9",
            }
        ],
    }
    path = tmp_path / "insecure_full.json"
    path.write_text(json.dumps(legacy))
    (vuln,) = SafetySource(path).match([dep("Django".lower(), "1.4")])
    assert (vuln.id, vuln.aliases) == ("pyup.io-25713", ("CVE-2015-5143", "CVE-2015-5144"))


def test_a_bad_entry_is_skipped_and_counted(tmp_path: Path) -> None:
    broken = schema2(
        {
            "flask": [
                {"specs": ["<<1.0"], "ids": [{"type": "pyup", "id": "1"}]},
                "not an advisory",
                {"specs": ["<1.0"], "ids": [{"type": "pyup", "id": "2"}], "advisory": "ok"},
            ]
        }
    )
    path = tmp_path / "insecure_full.json"
    path.write_text(json.dumps(broken))
    source = SafetySource(path)
    assert [v.id for v in source.match([dep("flask", "0.9")])] == ["pyup.io-2"]
    assert source.info().warnings == (
        "pyup.io-1: unparsable spec '<<1.0'",
        "flask: skipped a malformed advisory",
        "flask: skipped a malformed advisory",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"meta": {', "invalid JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "not a Safety database: the top level is not an object"),
        ('{"something": 1}', "not a Safety database: expected meta.schema_version 2.0.0"),
        (
            '{"meta": {"schema_version": "1.0.0"}, "vulnerable_packages": {}}',
            "unsupported Safety schema_version '1.0.0' (expected 2.0.0)",
        ),
        (
            '{"meta": {"schema_version": "2.0.0"}, "vulnerable_packages": []}',
            "vulnerable_packages is not an object",
        ),
        (
            '{"$meta": {}, "django": ["<1.9"]}',
            "this is insecure.json (specs only); use insecure_full.json",
        ),
    ],
)
def test_malformed_database_is_one_line_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "insecure_full.json"
    path.write_text(text)
    with pytest.raises(AdvisoryDbError) as caught:
        SafetySource(path).match([dep("django", "1.0")])
    shown = str(caught.value)
    assert shown.startswith(f"{path}:")
    assert message in shown
    assert "\n" not in shown


def test_directory_without_a_database_file(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDbError, match="no insecure_full.json in this Safety database"):
        SafetySource(tmp_path).match([])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
entry_values = st.fixed_dictionaries(
    {},
    optional={
        "specs": st.lists(st.sampled_from(["<1.0", ">=2,<3", "bad", "", "==1.*"]) | json_values),
        "ids": st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["pyup", "cve", "pve"]), "id": json_values}
            )
            | json_values
        ),
        "advisory": json_values,
        "fixed_versions": json_values,
        "published_date": json_values,
    },
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    packages=st.dictionaries(
        st.sampled_from(["flask", "Flask", "x"]), st.lists(entry_values | json_values)
    ),
    severities=json_values,
)
def test_arbitrary_entries_never_crash(tmp_path: Path, packages: Any, severities: Any) -> None:
    data = schema2(packages)
    data["meta"]["severities"] = severities
    path = tmp_path / "insecure_full.json"
    path.write_text(json.dumps(data))
    db = load_safety_db(path)
    assert db.count == sum(len(a) for a in db.advisories.values())
    SafetySource(path).match([dep("flask", "0.5"), dep("x", "2.5")])


legacy_entries = st.fixed_dictionaries(
    {},
    optional={
        "specs": st.lists(st.sampled_from(["<1.0", ">=2,<3", "bad"]) | json_values),
        "id": st.sampled_from(["pyup.io-1", "12", ""]) | json_values,
        "cve": st.sampled_from(["CVE-1, CVE-2", ""]) | json_values,
        "advisory": json_values,
    },
)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    packages=st.dictionaries(
        st.sampled_from(["flask", "x"]), st.lists(legacy_entries | json_values)
    ),
    meta=json_values,
)
def test_arbitrary_legacy_entries_never_crash(tmp_path: Path, packages: Any, meta: Any) -> None:
    path = tmp_path / "insecure_full.json"
    path.write_text(json.dumps({"$meta": {"cve": meta}, **packages}))
    try:
        SafetySource(path).match([dep("flask", "0.5")])
    except AdvisoryDbError as exc:
        assert "insecure.json (specs only)" in str(exc)


def test_no_database_and_no_key_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFETY_API_KEY", raising=False)
    with pytest.raises(
        AdvisoryDbError, match="needs a Safety-format database .* or SAFETY_API_KEY"
    ):
        SafetySource()


def test_offline_forbids_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETY_API_KEY", "k")
    with pytest.raises(AdvisoryDbError, match="--offline forbids the Safety CLI"):
        SafetySource(offline=True)


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An interpreter with neither safety nor pip (a `venv --without-pip`)."""
    where = tmp_path_factory.mktemp("bare")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    return str(where / "bin" / "python")


def test_cli_mode_without_safety_installed_names_the_install_command(
    bare_python: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    source = SafetySource(api_key="k", python=bare_python)
    with pytest.raises(AdvisoryDbError) as caught:
        source.match([dep("django", "1.8")])
    assert str(caught.value) == "safety is not installed: pip install 'depsentry[safety]'"


CHECK_REPORT = {
    "report_meta": {"scan_target": "files", "vulnerabilities_found": 1},
    "vulnerabilities": [
        {
            "vulnerability_id": "64227",
            "package_name": "jinja2",
            "ignored": False,
            "vulnerable_spec": "<3.1.3",
            "all_vulnerable_specs": ["<3.1.3"],
            "analyzed_version": "3.1.2",
            "advisory": "Jinja2 3.1.3 fixes an XSS.",
            "is_transitive": False,
            "published_date": "2024-01-11",
            "fixed_versions": ["3.1.3"],
            "closest_versions_without_known_vulnerabilities": [],
            "resources": [],
            "CVE": "CVE-2024-22195",
            "severity": {
                "source": "CVE-2024-22195",
                "cvssv2": None,
                "cvssv3": {"base_score": 5.4, "base_severity": "MEDIUM"},
            },
            "affected_versions": [],
            "more_info_url": "https://data.safetycli.com/v/64227/f17",
        }
    ],
}


def test_cli_json_report_maps_to_findings() -> None:
    jinja = dep("jinja2", "3.1.2", 7)
    vulns = vulnerabilities_from_check(CHECK_REPORT, lambda n, v: [jinja] if n == "jinja2" else [])
    assert [(v.id, v.aliases, v.severity, v.cvss, v.fixed_in, v.source) for v in vulns] == [
        ("pyup.io-64227", ("CVE-2024-22195",), Severity.MEDIUM, 5.4, ("3.1.3",), jinja.source)
    ]


def test_cli_mode_runs_safety_check_with_the_key_in_the_environment(
    bare_python: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in `safety` executable: checks how it is called, prints a banner and a report."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "safety"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "args = sys.argv[1:]\n"
        "assert args[0] == 'check' and args[-2:] == ['--output', 'json'], args\n"
        "assert os.environ['SAFETY_API_KEY'] == 'sekrit'\n"
        "assert 'sekrit' not in ' '.join(sys.argv)\n"
        "pins = open(args[args.index('-r') + 1]).read().split()\n"
        "assert pins == ['jinja2==3.1.2'], pins\n"
        "print('+==== DEPRECATED: check has been replaced by scan ====+')\n"
        f"print(json.dumps({CHECK_REPORT!r}))\n"
        "sys.exit(64)\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    source = SafetySource(api_key="sekrit", python=bare_python)
    (vuln,) = source.match([dep("jinja2", "3.1.2", 7)])
    assert (vuln.id, vuln.source, vuln.reported_by) == (
        "pyup.io-64227",
        Source("requirements.txt", 7),
        ("safety",),
    )


def test_cli_failure_reports_its_last_line(
    bare_python: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "safety"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nprint('Invalid API key', file=sys.stderr)\nsys.exit(1)\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AdvisoryDbError, match="^safety failed: Invalid API key$"):
        SafetySource(api_key="bad", python=bare_python).match([dep("jinja2", "3.1.2")])
