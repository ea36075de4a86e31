"""Real pip-audit and real `uv audit` against `depsentry db serve` agree with depsentry's matcher."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from osvdata import PYPA_DB, PYPA_REASON, dep

from depsentry.advisories.osv_api import build_osv_app
from depsentry.advisories.osv_db import OsvDbSource
from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.osv_sync import sync
from tests.servers.asgi import running

BIN = Path(sys.executable).parent
PINS = {
    "jinja2": "2.10",
    "requests": "2.19.0",
    "django": "2.2.0",
    "urllib3": "1.24.1",
    "pyyaml": "5.3",
    "pillow": "8.0.0",
    "flask": "0.12",
    "werkzeug": "0.15.0",
    "lxml": "4.6.2",
    "paramiko": "2.4.0",
    "tornado": "5.0",
    "six": "1.16.0",  # no advisories: both tools must stay silent too
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PYPA_DB.is_dir(), reason=PYPA_REASON),
]

Groups = dict[str, set[frozenset[str]]]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, OsvDbSource]]:
    db = tmp_path_factory.mktemp("osv") / "osv.sqlite3"
    sync(db, PYPA_DB)
    source = OsvDbSource(OsvStore.open(db))
    with running(build_osv_app(source)) as served:
        yield served.url, source
    source.close()


def ours(source: OsvDbSource) -> Groups:
    groups: Groups = {name: set() for name in PINS}
    for vuln in source.match([dep(name, version) for name, version in PINS.items()]):
        groups[vuln.package].add(vuln.ids)
    return groups


def same_modulo_aliases(theirs: Groups, mine: Groups) -> None:
    """Each tool finding overlaps exactly one of ours, and each of ours is found."""
    for name in PINS:
        for group in theirs[name]:
            assert len([g for g in mine[name] if g & group]) == 1, (name, sorted(group))
        for group in mine[name]:
            assert any(g & group for g in theirs[name]), (name, sorted(group))


def clean_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_", "VIRTUAL_ENV"))}
    return {**env, "HOME": str(tmp), "UV_CACHE_DIR": str(tmp / "uv-cache"), "UV_NO_CONFIG": "1"}


def test_pip_audit_agrees(served: tuple[str, OsvDbSource], tmp_path: Path) -> None:
    url, source = served
    req = tmp_path / "requirements.txt"
    req.write_text("".join(f"{n}=={v}\n" for n, v in PINS.items()))
    cmd = [
        str(BIN / "pip-audit"), "-s", "osv", "--osv-url", f"{url}/v1/query", "-r", str(req),
        "--no-deps", "--disable-pip", "-f", "json", "--progress-spinner", "off",
        "--cache-dir", str(tmp_path / "cache"),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(tmp_path), timeout=120)
    assert proc.returncode == 1 and proc.stdout, proc.stderr  # 1 = vulnerabilities found
    theirs: Groups = {name: set() for name in PINS}
    for entry in json.loads(proc.stdout)["dependencies"]:
        for vuln in entry["vulns"]:
            theirs[entry["name"]].add(frozenset([vuln["id"], *vuln["aliases"]]))
    assert sum(map(len, theirs.values())) > 40
    same_modulo_aliases(theirs, ours(source))


def uv_lock(pins: dict[str, str]) -> str:
    deps = "".join(f'    {{ name = "{n}" }},\n' for n in pins)
    reqs = "".join(f'    {{ name = "{n}", specifier = "=={v}" }},\n' for n, v in pins.items())
    zero = "0" * 64
    packages = "".join(
        f'\n[[package]]\nname = "{n}"\nversion = "{v}"\nsource = {{ registry = "https://pypi.org/simple" }}\n'
        f'sdist = {{ url = "https://files.pythonhosted.org/packages/{n}-{v}.tar.gz", hash = "sha256:{zero}", size = 1 }}\n'
        for n, v in pins.items()
    )
    return (
        'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n\n[[package]]\nname = "demo"\nversion = "0.1.0"\n'
        f'source = {{ virtual = "." }}\ndependencies = [\n{deps}]\n\n[package.metadata]\nrequires-dist = [\n{reqs}]\n'
        + packages
    )


def test_uv_audit_agrees(served: tuple[str, OsvDbSource], tmp_path: Path) -> None:
    url, source = served
    project = tmp_path / "demo"
    project.mkdir()
    deps = ", ".join(f'"{n}=={v}"' for n, v in PINS.items())
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = [{deps}]\n'
    )
    (project / "uv.lock").write_text(uv_lock(PINS))
    # --service-url takes the API base; uv appends /v1/querybatch and /v1/vulns/{id} itself.
    # UV_OFFLINE cannot be used ("Auditing requires network access"); --frozen keeps uv off the index.
    cmd = [str(BIN / "uv"), "audit", "--frozen", "--service-url", url, "--output-format", "json"]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, cwd=project, env=clean_env(tmp_path), timeout=120
    )
    assert proc.returncode != 0 and proc.stdout, proc.stderr
    report = json.loads(proc.stdout)
    assert report["summary"]["audited_packages"] == len(PINS)
    theirs: Groups = {name: set() for name in PINS}
    for vuln in report["vulnerabilities"]:
        theirs[vuln["dependency"]["name"]].add(frozenset([vuln["id"], *vuln["aliases"]]))
    same_modulo_aliases(theirs, ours(source))
