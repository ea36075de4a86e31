"""Matching follows the OSV spec evaluation algorithm with PEP 440 ordering."""

from __future__ import annotations

from typing import Any

import pytest
from osvdata import dep, memory_source, record

from depsentry.advisories.matcher import RecordFacts, parse_version
from depsentry.advisories.osv_record import normalise_version, parse_record
from depsentry.advisories.package_index import PackageIndex
from depsentry.advisories.severity import UNRATED


def check(raw: dict[str, Any], version: str, package: str = "pkg") -> tuple[bool, tuple[str, ...]]:
    parsed, _ = parse_record(raw)
    assert parsed is not None
    entries = [e.to_json() for e in parsed.affected if e.package == package]
    facts = RecordFacts(parsed.id, parsed.aliases, UNRATED, "", None, None, False)
    index = PackageIndex([(facts, entries)])
    hits = index.hits(parse_version(version), normalise_version(version))
    return (True, hits[0].fixed) if hits else (False, ())


INTRO_FIXED = record(
    "R-1",
    events=[{"introduced": "1.0"}, {"fixed": "1.5"}, {"introduced": "2.0"}, {"fixed": "2.3.1"}],
)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.9", (False, ())),
        ("1.0", (True, ("1.5",))),
        ("1.4.99", (True, ("1.5",))),
        ("1.5", (False, ())),
        ("1.9", (False, ())),
        ("2.0", (True, ("2.3.1",))),
        ("2.3.1", (False, ())),
        ("3.0", (False, ())),
    ],
)
def test_introduced_fixed_pairs(version: str, expected: tuple[bool, tuple[str, ...]]) -> None:
    assert expected == check(INTRO_FIXED, version)


def test_introduced_zero_covers_everything_before_the_fix() -> None:
    raw = record("R-2", events=[{"introduced": "0"}, {"fixed": "1.0"}])
    assert check(raw, "0.0.1a1") == (True, ("1.0",))
    assert check(raw, "1.0rc1") == (True, ("1.0",))  # a pre-release of the fix is still before it
    assert check(raw, "1.0") == (False, ())


def test_last_affected_includes_that_version_and_gives_no_fix() -> None:
    raw = record("R-3", events=[{"introduced": "1.0"}, {"last_affected": "1.2"}])
    assert check(raw, "1.2") == (True, ())
    assert check(raw, "1.2.post1") == (False, ())
    assert check(raw, "0.9") == (False, ())


def test_limit_bounds_the_range() -> None:
    raw = record("R-4", events=[{"introduced": "0"}, {"limit": "2.0"}])
    assert check(raw, "1.9")[0]
    assert not check(raw, "2.0")[0]
    star = record("R-5", events=[{"introduced": "1.0"}, {"limit": "*"}])
    assert check(star, "99")[0]


def test_unbounded_introduced_has_no_fix() -> None:
    assert check(record("R-6", events=[{"introduced": "3.0"}]), "4.1") == (True, ())


def test_pre_post_and_dev_releases_order_per_pep_440() -> None:
    raw = record("R-7", events=[{"introduced": "1.0"}, {"fixed": "1.0.post1"}])
    assert check(raw, "1.0.dev1") == (False, ())  # dev < pre < final
    assert check(raw, "1.0a1") == (False, ())
    assert check(raw, "1.0") == (True, ("1.0.post1",))
    assert check(raw, "1.0.post1.dev0") == (True, ("1.0.post1",))  # a dev of the post is before it
    assert check(raw, "1.0.post1") == (False, ())


def test_versions_list_matches_normalised_versions() -> None:
    raw = {
        "id": "R-8",
        "affected": [
            {"package": {"ecosystem": "PyPI", "name": "pkg"}, "versions": ["1.0", "2.0.0"]}
        ],
    }
    assert check(raw, "1.0.0") == (True, ())
    assert check(raw, "2.0") == (True, ())
    assert check(raw, "1.1") == (False, ())


def test_unparsable_installed_version_only_matches_the_versions_list() -> None:
    raw = {
        "id": "R-9",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "pkg"},
                "versions": ["weird-1"],
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
            }
        ],
    }
    assert check(raw, "weird-1") == (True, ())
    assert check(raw, "weird-2") == (False, ())


def test_several_affected_entries_for_one_package_are_ored_and_fixes_unioned() -> None:
    raw = {
        "id": "R-10",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "pkg"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.5"}]}
                ],
            },
            {
                "package": {"ecosystem": "PyPI", "name": "pkg"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.2"}]}
                ],
            },
            {
                "package": {"ecosystem": "npm", "name": "pkg"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
            },
        ],
    }
    assert check(raw, "1.1") == (True, ("1.2", "1.5"))
    assert check(raw, "1.3") == (True, ("1.5",))
    assert check(raw, "1.6") == (False, ())  # the npm entry is not ours


def test_events_out_of_order_are_sorted() -> None:
    raw = record("R-11", events=[{"fixed": "2.0"}, {"introduced": "1.0"}])
    assert check(raw, "1.5") == (True, ("2.0",))


def test_names_are_pep_503_normalised() -> None:
    source = memory_source(
        record("R-12", "Zope.Interface_Extra", events=[{"introduced": "0"}, {"fixed": "2"}])
    )
    assert [v.id for v in source.match([dep("zope-interface-extra", "1")])] == ["R-12"]
    assert [h.facts.id for h in source.hits("ZOPE_interface.extra", "1")] == ["R-12"]


def test_aliases_merge_into_one_finding_with_pysec_primary() -> None:
    source = memory_source(
        record("GHSA-aaaa", events=[{"introduced": "0"}, {"fixed": "1.2"}], aliases=["CVE-2024-1"],
               database_specific={"severity": "HIGH"}),
        record("PYSEC-2024-1", events=[{"introduced": "0"}, {"fixed": "1.1"}], aliases=["CVE-2024-1"]),
        record("OTHER-1", events=[{"introduced": "0"}]),
    )  # fmt: skip
    found = source.match([dep("pkg", "1.0")])
    assert [(v.id, v.aliases) for v in found] == [
        ("PYSEC-2024-1", ("GHSA-aaaa", "CVE-2024-1")),
        ("OTHER-1", ()),
    ]
    merged = found[0]
    assert merged.fixed_in == ("1.1", "1.2")
    assert merged.severity.value == "high"
    assert merged.summary == "PYSEC-2024-1 summary"
    assert merged.source.line == 1


def test_results_are_memoised_per_name_and_version() -> None:
    source = memory_source(record("R-13", events=[{"introduced": "0"}]))
    first = source.hits("pkg", "1.0")
    assert source.hits("pkg", "1.0") is first
