"""PipAuditSource runs the real pip-audit against a loopback OSV API stand-in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from depsentry.advisories.pip_audit_source import PipAuditSource
from depsentry.errors import AdvisoryDbError, InputError
from depsentry.models import Dependency, Severity, Source, Vulnerability
from tests.servers.asgi import running
from tests.servers.osv_api_server import OsvApiStandIn, record

RECORDS = [
    record(
        "PYSEC-2024-1",
        "jinja2",
        fixed="3.1.3",
        aliases=["CVE-2024-22195", "GHSA-h5c8-rqwp-cp95"],
        details="XSS via the\nxmlattr filter.",
    ),
    record(
        "GHSA-h5c8-rqwp-cp95",
        "jinja2",
        fixed="3.1.3",
        aliases=["CVE-2024-22195"],
        summary="Jinja vulnerable to HTML attribute injection",
    ),
    record("PYSEC-2020-9", "requests", fixed="2.20.0", aliases=["CVE-2018-18074"]),
    record("PYSEC-2021-1", "requests", introduced="2.20.0", fixed="2.25.0"),
]


@pytest.fixture
def api():
    with OsvApiStandIn(RECORDS) as server:
        yield server


def source(api: OsvApiStandIn, tmp_path: Path) -> PipAuditSource:
    return PipAuditSource(osv_url=api.url, cache_dir=tmp_path / "cache", timeout=5)


def dep(name: str, version: str, line: int, path: str = "requirements.txt") -> Dependency:
    return Dependency(name, version, direct=True, source=Source(path, line))


def test_pinned_dependencies_are_audited_without_resolution(api, tmp_path) -> None:
    vulns = source(api, tmp_path).match(
        [dep("jinja2", "3.1.2", 3), dep("requests", "2.31.0", 4), dep("click", "8.1.7", 5)]
    )
    assert vulns == [
        Vulnerability(
            package="jinja2",
            version="3.1.2",
            id="PYSEC-2024-1",
            aliases=("CVE-2024-22195", "GHSA-h5c8-rqwp-cp95"),
            severity=Severity.UNKNOWN,
            cvss=None,
            fixed_in=("3.1.3",),
            summary="XSS via the xmlattr filter.",
            source=Source("requirements.txt", 3),
            reported_by=("pip-audit",),
        )
    ]
    # pip-audit asks one package at a time (its speed limit): one /v1/query per pin.
    assert sorted(s.path for s in api.served) == ["/v1/query"] * 3


def test_one_name_pinned_at_two_versions_is_audited_in_two_runs(api, tmp_path) -> None:
    old = dep("requests", "2.0.0", 1, "a/requirements.txt")
    mid = dep("requests", "2.21", 9, "b/requirements.txt")
    same_as_old = dep("requests", "2.0.0", 2, "c/requirements.txt")
    vulns = source(api, tmp_path).match([old, mid, same_as_old])
    assert [(v.id, v.version, v.source) for v in vulns] == [
        ("PYSEC-2020-9", "2.0.0", old.source),
        ("PYSEC-2020-9", "2.0.0", same_as_old.source),
        ("PYSEC-2021-1", "2.21", mid.source),
    ]
    assert vulns[0].fixed_in == ("2.20.0",)


def test_non_pep440_version_is_a_warning_not_a_failure(api, tmp_path) -> None:
    pip_audit = source(api, tmp_path)
    assert pip_audit.match([dep("oldthing", "1.0-legacy-build!", 1)]) == []
    assert pip_audit.info().warnings == (
        "oldthing 1.0-legacy-build!: not a PEP 440 version, not audited",
    )


def test_installed_environment_is_audited_by_path(api, tmp_path) -> None:
    site = tmp_path / "site-packages"
    info = site / "Jinja2-3.1.2.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\n")
    vulns = source(api, tmp_path).audit_environment(site)
    assert [(v.package, v.version, v.id, v.source) for v in vulns] == [
        ("jinja2", "3.1.2", "PYSEC-2024-1", Source(str(site)))
    ]


def test_pip_audit_failure_reports_its_error_line(api, tmp_path) -> None:
    bad = tmp_path / "requirements.txt"
    bad.write_text("foo @@ bar\n")
    with pytest.raises(AdvisoryDbError) as caught:
        source(api, tmp_path).audit_requirements_file(bad)
    message = str(caught.value)
    assert message.startswith(
        f"pip-audit failed: requirement file {bad} contains invalid specifier at line 1"
    )
    assert "\n" not in message


def test_unreachable_osv_url_fails_with_one_line(tmp_path) -> None:
    pip_audit = PipAuditSource(osv_url="http://127.0.0.1:9", cache_dir=tmp_path, timeout=2)
    with pytest.raises(AdvisoryDbError, match=r"^pip-audit failed: .*Connection refused") as caught:
        pip_audit.match([dep("jinja2", "3.1.2", 1)])
    assert "\n" not in str(caught.value)


def test_missing_requirements_file_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file"):
        PipAuditSource(osv_url="http://127.0.0.1:9").audit_requirements_file(tmp_path / "nope.txt")


def test_missing_pip_audit_names_the_install_command(tmp_path, monkeypatch) -> None:
    """An interpreter without pip_audit and no pip-audit on PATH."""
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    pip_audit = PipAuditSource(python=str(bare / "bin" / "python"), osv_url="http://127.0.0.1:9")
    with pytest.raises(AdvisoryDbError) as caught:
        pip_audit.match([dep("jinja2", "3.1.2", 1)])
    assert str(caught.value) == "pip-audit is not installed: pip install 'depsentry[pip-audit]'"


def test_pip_audit_on_path_is_used_when_the_interpreter_lacks_it(tmp_path, monkeypatch) -> None:
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    pip_audit = PipAuditSource(python=str(bare / "bin" / "python"))
    assert pip_audit.command() == [str(Path(sys.executable).parent / "pip-audit")]


def test_offline_needs_a_local_osv_url() -> None:
    with pytest.raises(AdvisoryDbError, match="^--offline forbids the pip-audit source unless"):
        PipAuditSource(offline=True)
    local = PipAuditSource(offline=True, osv_url="http://127.0.0.1:8080")
    assert local.osv_url == "http://127.0.0.1:8080/v1/query"


def test_offline_forbids_resolution_through_the_index(tmp_path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("requests>=2\n")
    local = PipAuditSource(offline=True, osv_url="http://127.0.0.1:8080")
    with pytest.raises(AdvisoryDbError, match="^--offline forbids resolving a requirements file"):
        local.audit_requirements_file(requirements)


def test_pip_audit_and_osv_api_source_against_depsentry_db_serve(tmp_path, monkeypatch) -> None:
    """The real pip-audit, and OsvApiSource, asking `depsentry db serve` (build_osv_app) over a
    database imported from OSV files: both find the same advisory."""
    from depsentry.advisories.osv_api import build_osv_app
    from depsentry.advisories.osv_api_source import OsvApiSource
    from depsentry.advisories.resolve import open_advisories

    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    osv_dir = tmp_path / "osv"
    osv_dir.mkdir()
    for raw in RECORDS:
        (osv_dir / f"{raw['id']}.json").write_text(json.dumps(raw))
    db = open_advisories(osv_db=osv_dir, offline=True)
    try:
        with running(build_osv_app(db)) as served:
            url = served.url
            deps = [dep("jinja2", "3.1.2", 3), dep("requests", "2.19.1", 4), dep("click", "8.0", 5)]
            by_pip_audit = PipAuditSource(osv_url=url, cache_dir=tmp_path / "cache").match(deps)
            by_api = OsvApiSource(url).match(deps)
    finally:
        db.close()
    expected = [("jinja2", "PYSEC-2024-1", ("3.1.3",)), ("requests", "PYSEC-2020-9", ("2.20.0",))]
    assert [(v.package, v.id, v.fixed_in) for v in by_pip_audit] == expected
    assert [(v.package, v.id, v.fixed_in) for v in by_api] == expected
    assert set(by_api[0].aliases) == {"GHSA-h5c8-rqwp-cp95", "CVE-2024-22195"}
