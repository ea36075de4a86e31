"""Matching against the real PyPA advisory snapshot (skipped when it is absent)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from osvdata import PYPA_DB, PYPA_REASON, dep

from depsentry.advisories.osv_db import OsvDbSource
from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.osv_sync import sync

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
def test_twenty_thousand_lookups_are_fast(real_db: OsvDbSource) -> None:
    """The benchmark's shape: 500 projects x 40 pins, many repeated, one source for the run."""
    rows = real_db.store._conn.execute("SELECT DISTINCT package FROM affected").fetchall()
    packages = sorted(r[0] for r in rows)[:300]
    rng = random.Random(7)
    versions = ["0.9", "1.0", "1.2.3", "2.0", "2.2.0", "3.1", "4.0.post1", "5.0rc1"]
    projects = [
        [dep(rng.choice(packages), rng.choice(versions)) for _ in range(40)] for _ in range(500)
    ]
    fresh = OsvDbSource(OsvStore.open(Path(real_db.store.label)))
    start = time.perf_counter()
    total = sum(len(fresh.match(project)) for project in projects)
    elapsed = time.perf_counter() - start
    fresh.close()
    print(f"\n20,000 lookups: {elapsed:.2f}s, {total} findings")
    assert total > 0  # speed is bench/scan.py's to measure, never a timed assertion
