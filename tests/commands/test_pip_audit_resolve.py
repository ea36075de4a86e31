"""`scan --pip-audit-resolve`: pip-audit resolves a requirements file through pip for transitive
dependencies (the one thing only pip can see), against `depsentry db serve` for the advisories."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from depsentry.advisories.osv_api import build_osv_app
from depsentry.advisories.resolve import open_advisories
from depsentry.cli import main
from tests.commands.scenario import SNAPSHOT
from tests.servers.asgi import running


@pytest.fixture
def osv_api(tmp_path: Path) -> Iterator[str]:
    if not SNAPSHOT.is_dir():
        pytest.skip(f"the OSV snapshot {SNAPSHOT} is not on this machine")
    source = open_advisories(osv_db=SNAPSHOT, offline=True, home=tmp_path / "served")
    with running(build_osv_app(source)) as served:
        yield served.url
    source.close()


def test_offline_refuses_to_resolve_through_pip(
    home: Path, osv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "requirements.txt").write_text("requests==2.19.1\n", encoding="utf-8")
    code = main(["scan", str(app), "--osv-db", str(osv), "--offline", "--pip-audit-resolve"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [
        "depsentry: error: --offline forbids the pip-audit source unless it asks a local OSV API "
        "(--pip-audit-osv-url, e.g. `depsentry db serve`)"
    ]


@pytest.mark.online
@pytest.mark.slow
def test_transitive_vulnerabilities_come_from_pip_resolution(
    home: Path, osv: Path, osv_api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        httpx.head("https://pypi.org/simple/", timeout=3.0).close()
    except httpx.HTTPError as exc:
        pytest.skip(f"pypi.org unreachable: {type(exc).__name__}")
    app = tmp_path / "app"
    app.mkdir()
    # requests 2.19.1 requires urllib3<1.24: pip picks urllib3 1.23, which has advisories.
    (app / "requirements.txt").write_text("requests==2.19.1\n", encoding="utf-8")
    report = tmp_path / "report.json"
    argv = ["scan", str(app), "--osv-db", str(osv), "--format", "json", "-o", str(report)]
    argv += ["--no-resolve", "--pip-audit-resolve", "--pip-audit-osv-url", osv_api]
    assert main(argv) == 1
    project = json.loads(report.read_text())["projects"][0]
    transitive = {(v["package"], v["version"]) for v in project["vulnerabilities"]}
    assert ("urllib3", "1.23") in transitive
    assert all(v["source"] == "requirements.txt" for v in project["vulnerabilities"])
    assert any("pip-audit resolved 1 requirements file" in note for note in project["notes"])
