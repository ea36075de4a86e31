"""open_sources: `--source` names to configured advisory sources, through the registry."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from depsentry.advisories.interface import SourceOptions
from depsentry.advisories.osv_api_source import OsvApiSource
from depsentry.advisories.pip_audit_source import PipAuditSource
from depsentry.advisories.registry import SOURCES, open_sources
from depsentry.advisories.safety_source import SafetySource
from depsentry.errors import AdvisoryDbError
from depsentry.models import Dependency, Source
from tests.servers.osv_api_server import record


@pytest.fixture
def safety_db(tmp_path: Path) -> Path:
    path = tmp_path / "insecure_full.json"
    path.write_text(json.dumps({"meta": {"schema_version": "2.0.0"}, "vulnerable_packages": {}}))
    return path


def test_each_name_once_in_the_order_given(safety_db: Path) -> None:
    sources = open_sources(
        ["safety", "osv-api", "pip-audit", "safety"],
        SourceOptions(
            safety_db=safety_db,
            osv_api_url="http://127.0.0.1:1",
            pip_audit_osv_url="http://127.0.0.1:2",
        ),
    )
    assert [type(s) for s in sources] == [SafetySource, OsvApiSource, PipAuditSource]
    assert [s.name for s in sources] == ["safety", "osv-api", "pip-audit"]
    osv_api, pip_audit = sources[1], sources[2]
    assert isinstance(osv_api, OsvApiSource) and osv_api.base_url == "http://127.0.0.1:1"
    assert isinstance(pip_audit, PipAuditSource)
    assert pip_audit.osv_url == "http://127.0.0.1:2/v1/query"


def test_default_is_the_local_osv_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPSENTRY_HOME", str(tmp_path / "home"))
    records = tmp_path / "advisories"
    records.mkdir()
    (records / "PYSEC-2024-1.json").write_text(
        json.dumps(record("PYSEC-2024-1", "jinja2", fixed="3.1.3"))
    )
    (source,) = open_sources([], SourceOptions(osv_db=records, offline=True))
    assert source.name == "osv"
    found = source.match([Dependency("jinja2", "3.1.2", True, Source("requirements.txt", 1))])
    assert [v.id for v in found] == ["PYSEC-2024-1"]


def test_unknown_name_lists_the_choices() -> None:
    with pytest.raises(AdvisoryDbError) as caught:
        open_sources(["osv", "snyk"], SourceOptions())
    assert str(caught.value) == (
        "unknown advisory source 'snyk'; choose from osv, osv-api, pip-audit, safety"
    )


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["osv-api"], "--offline forbids the osv-api source"),
        (["pip-audit"], "--offline forbids the pip-audit source unless"),
    ],
)
def test_offline_rejects_network_only_sources(names: list[str], message: str) -> None:
    with pytest.raises(AdvisoryDbError, match=message):
        open_sources(names, SourceOptions(offline=True))


def test_missing_safety_cli_fails_before_any_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if importlib.util.find_spec("safety") is not None:
        pytest.skip("safety is installed in this interpreter")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("SAFETY_API_KEY", "k")
    with pytest.raises(
        AdvisoryDbError, match=r"^safety is not installed: pip install 'depsentry\[safety\]'$"
    ):
        open_sources(["safety"], SourceOptions())


def test_every_registered_source_is_named_as_it_registers() -> None:
    assert SOURCES.names() == ("osv", "osv-api", "pip-audit", "safety")
    for name in SOURCES:
        assert SOURCES.load(name).name == name
