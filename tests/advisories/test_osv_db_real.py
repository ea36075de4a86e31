"""Matching against the real PyPA advisory snapshot (skipped when it is absent)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from osvdata import PYPA_DB, PYPA_REASON, dep

from depsentry.advisories.osv_db import OsvDbSource
from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.osv_sync import sync
from depsentry.models import Dependency, Source

pytestmark = pytest.mark.skipif(not PYPA_DB.is_dir(), reason=PYPA_REASON)


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OsvDbSource]:
    db = tmp_path_factory.mktemp("osv") / "osv.sqlite3"
    result = sync(db, PYPA_DB)
    assert result.records > 2600
    source = OsvDbSource(OsvStore.open(db))
    yield source
    source.close()


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        ("jinja2", "2.10", {"PYSEC-2019-217": ("2.10.1",), "PYSEC-2021-66": ("2.11.3",)}),
        ("Jinja2", "2.10.1", {"PYSEC-2021-66": ("2.11.3",)}),
        ("requests", "2.19.0", {"PYSEC-2018-28": ("2.20.0",), "PYSEC-2023-74": ("2.31.0",)}),
        ("requests", "2.31.0", {}),
    ],
)
def test_known_pins(
    real_db: OsvDbSource, name: str, version: str, expected: dict[str, tuple[str, ...]]
) -> None:
    found = {v.id: v.fixed_in for v in real_db.match([dep(name.lower(), version)])}
    assert expected == found


def test_django_2_2_0(real_db: OsvDbSource) -> None:
    found = {v.id: v for v in real_db.match([dep("django", "2.2.0")])}
    assert len(found) > 25
    assert found["PYSEC-2019-10"].fixed_in == ("2.2.3",)
    assert set(found["PYSEC-2019-10"].aliases) == {"GHSA-6c7v-2f49-8h26", "CVE-2019-12781"}
    assert found["PYSEC-2022-191"].fixed_in == ("2.2.28",)


@pytest.mark.slow
def test_twenty_thousand_lookups_match_one_by_one(real_db: OsvDbSource) -> None:
    """The benchmark's shape (500 projects x 40 pins, many repeated, one source for the run):
    matching once per distinct pin gives exactly what matching each pin alone gives, each
    finding at its own pin. Speed is bench/scan.py's to measure, not a test's."""
    rows = real_db.store._conn.execute("SELECT DISTINCT package FROM affected").fetchall()
    packages = sorted(r[0] for r in rows)[:300]
    rng = random.Random(7)
    versions = ["0.9", "1.0", "1.2.3", "2.0", "2.2.0", "3.1", "4.0.post1", "5.0rc1"]
    projects = [
        [
            Dependency(rng.choice(packages), rng.choice(versions), True, Source(f"p{i}.txt", n))
            for n in range(40)
        ]
        for i in range(500)
    ]
    fresh = OsvDbSource(OsvStore.open(Path(real_db.store.label)))
    together = [fresh.match(project) for project in projects]
    fresh.close()
    total = sum(map(len, together))
    assert total > 1000
    for project, found in list(zip(projects, together, strict=True))[::25]:
        alone = OsvDbSource(OsvStore.open(Path(real_db.store.label)))
        expected = [v for d in project for v in alone.match([d])]
        alone.close()
        assert found == expected


def test_prepared_findings_are_the_ones_matching_finds(real_db: OsvDbSource) -> None:
    """`prepare` (the scan's whole pin set, package by package, before its projects) leaves each
    project's findings exactly as matching it alone gives them, each at its own pin."""
    spelled = ["Django", "django", "Jinja2", "requests", "no-such-package", "urllib3"]
    versions = ["1.0", "2.2.0", "2.10", "2.19.0", "not a version", "1.24.1"]
    projects = [
        [Dependency(name, version, True, Source(f"p{i}.txt", n)) for n, (name, version) in
         enumerate(zip(spelled, versions[i:] + versions[:i], strict=True))]
        for i in range(len(versions))
    ]  # fmt: skip
    label = Path(real_db.store.label)
    prepared, plain = OsvDbSource(OsvStore.open(label)), OsvDbSource(OsvStore.open(label))
    try:
        prepared.prepare([d for project in projects for d in project])
        found = [prepared.match(project) for project in projects]
        assert found == [plain.match(project) for project in projects]
        assert sum(map(len, found)) > 20
        for project, vulnerabilities in zip(projects, found, strict=True):
            sources = {d.source for d in project}
            assert all(v.source in sources for v in vulnerabilities)
            assert {v.package for v in vulnerabilities} <= {d.name for d in project}
        # A pin's findings are made at the first pin of its (name as spelled, version), which
        # holds them; every later pin holds copies of them (`Vulnerability.at`).
        first: dict[tuple[str, str], Source] = {}
        for dep in (d for project in projects for d in project):
            first.setdefault((dep.name, dep.version), dep.source)
        for v in (v for vulnerabilities in found for v in vulnerabilities):
            assert (v.origin is None) is (v.source == first[v.package, v.version])
    finally:
        prepared.close()
        plain.close()
