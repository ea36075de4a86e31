"""A fuzzer over OSV record files: `db sync --from DIR` never crashes, never grows past a memory
cap, and counts what it could not use (every file is stored, counted, or legitimately skipped)."""

from __future__ import annotations

import json
import resource
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depsentry.advisories.osv_db import OsvDbSource
from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.osv_sync import sync
from depsentry.models import Dependency, Source

versions = st.one_of(
    st.sampled_from(["0", "1.0", "2.0.post1", "3.0rc1", "1!2.0", "1" * 5000, "v1", "", "*"]),
    st.text(max_size=12),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True),
    st.none(),
)
events = st.lists(
    st.one_of(
        st.dictionaries(
            st.sampled_from(["introduced", "fixed", "last_affected", "limit"]), versions, max_size=2
        ),
        st.just({}),
        st.integers(),
        st.text(max_size=5),
    ),
    max_size=6,
)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
junk = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
affected = st.fixed_dictionaries(
    {"package": st.one_of(
        st.fixed_dictionaries({"name": st.sampled_from(["pkg", "Pkg", "", "other"]),
                               "ecosystem": st.sampled_from(["PyPI", "PyPI:x", "npm", ""])}),
        junk)},
    optional={
        "ranges": st.one_of(st.lists(st.fixed_dictionaries(
            {"type": st.sampled_from(["ECOSYSTEM", "SEMVER", "GIT", "WEIRD"]), "events": events}),
            max_size=3), junk),
        "versions": st.one_of(st.lists(versions, max_size=5), junk),
        "severity": junk,
    },
)  # fmt: skip
records = st.fixed_dictionaries(
    {"id": st.one_of(st.from_regex(r"(PYSEC|GHSA|MAL|CVE)-[0-9]{1,4}", fullmatch=True), json_leaf)},
    optional={
        "aliases": st.one_of(st.lists(st.from_regex(r"(CVE|GHSA)-[0-9]{1,3}", fullmatch=True), max_size=3), junk),
        "modified": st.one_of(st.just("2024-01-01T00:00:00Z"), json_leaf),
        "withdrawn": st.one_of(st.none(), st.just("2024-01-01T00:00:00Z")),
        "affected": st.one_of(st.lists(affected, max_size=3), junk),
        "severity": st.one_of(st.lists(st.fixed_dictionaries(
            {"type": st.sampled_from(["CVSS_V3", "CVSS_V4", "CVSS_V2"]),
             "score": st.sampled_from(["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:4.0/x", "junk"])}),
            max_size=2), junk),
        "database_specific": st.one_of(st.fixed_dictionaries({"severity": st.sampled_from(["HIGH", "moderate", "x"])}), junk),
        "details": st.text(max_size=50),
    },
)  # fmt: skip


def _yaml_with_anchor(raw: dict[str, Any]) -> str:
    text = yaml.safe_dump(raw)
    return text + "extra: &x [1, 2]\nmore: *x\n"


files = st.lists(
    st.one_of(
        records.map(lambda r: ("json", json.dumps(r).encode())),
        records.map(lambda r: ("yaml", yaml.safe_dump(r).encode())),
        records.map(lambda r: ("yaml", _yaml_with_anchor(r).encode())),
        st.binary(max_size=200).map(lambda b: ("json", b)),
        st.binary(max_size=200).map(lambda b: ("yaml", b)),
        st.integers(1, 3000).map(lambda n: ("json", b"[" * n + b"]" * n)),
        st.integers(1, 3000).map(lambda n: ("yaml", b"a: " + b"[" * n + b"]" * n)),
    ),
    min_size=1,
    max_size=8,
)

MEMORY_CAP_KIB = 1_500_000  # the whole test process: a sync of KB-sized files stays far below


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)  # fmt: skip
@given(files)
def test_sync_of_arbitrary_record_files_never_crashes(items: list[tuple[str, bytes]]) -> None:
    work = Path(tempfile.mkdtemp(prefix="depsentry-fuzz-"))
    try:
        src = work / "osv"
        src.mkdir()
        for i, (suffix, body) in enumerate(items):
            (src / f"r{i}.{suffix}").write_bytes(body)
        result = sync(work / "osv.sqlite3", src)
        assert 0 <= result.records <= len(items) and result.imported <= len(items)
        assert result.malformed <= result.warnings
        assert result.imported + result.malformed <= len(items)
        store = OsvStore.open(work / "osv.sqlite3")
        assert store.count() == result.records
        source = OsvDbSource(store)
        try:
            for version in ("1.0", "0", "1" * 5000, "not a version"):
                source.match([Dependency("pkg", version, True, Source("r.txt", 1))])
        finally:
            source.close()
        again = sync(work / "osv.sqlite3", src)
        assert again.unchanged and again.records == result.records
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < MEMORY_CAP_KIB
