"""Defensive parsing: malformed parts are dropped and counted, never fatal."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from osvdata import record

from depsentry.advisories.osv_record import load_text, parse_record


def test_withdrawn_records_are_skipped_silently() -> None:
    parsed, warnings = parse_record(
        record("W-1", events=[{"introduced": "0"}], withdrawn="2024-01-01T00:00:00Z")
    )
    assert (parsed, warnings) == (None, [])


def test_record_without_id_is_skipped_with_a_warning() -> None:
    assert parse_record({"affected": []}) == (None, ["record without an id"])


def test_empty_event_is_dropped_and_counted_rest_of_range_used() -> None:
    parsed, warnings = parse_record(
        record("E-1", events=[{"introduced": "0"}, {}, {"fixed": "1.0"}])
    )
    assert parsed is not None
    assert parsed.affected[0].ranges == ((("introduced", "0"), ("fixed", "1.0")),)
    assert warnings == ["E-1: malformed event {}"]


def test_unparsable_event_version_is_dropped_and_counted() -> None:
    parsed, warnings = parse_record(
        record("E-2", events=[{"introduced": "0"}, {"fixed": "not a version!"}])
    )
    assert parsed is not None and len(warnings) == 1 and "unparsable version" in warnings[0]


def test_affected_without_ranges_or_versions_is_skipped_and_counted() -> None:
    raw = {"id": "E-3", "affected": [{"package": {"ecosystem": "PyPI", "name": "pkg"}}]}
    parsed, warnings = parse_record(raw)
    assert parsed is None
    assert warnings == ["E-3: affected entry for pkg has no usable ranges or versions"]


def test_git_ranges_are_ignored_but_versions_kept() -> None:
    raw = {
        "id": "G-1",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "pkg"},
                "ranges": [
                    {
                        "type": "GIT",
                        "repo": "https://example.invalid/x",
                        "events": [{"introduced": "abc123"}],
                    }
                ],
                "versions": ["1.0"],
            }
        ],
    }
    parsed, warnings = parse_record(raw)
    assert parsed is not None and warnings == []
    assert parsed.affected[0].ranges == () and parsed.affected[0].versions == ("1",)  # normalised


def test_pypi_variants_count_and_other_ecosystems_do_not() -> None:
    raw = {
        "id": "V-1",
        "affected": [
            {"package": {"ecosystem": "PyPI:custom", "name": "A"}, "versions": ["1"]},
            {"package": {"ecosystem": "npm", "name": "b"}, "versions": ["1"]},
        ],
    }
    parsed, _ = parse_record(raw)
    assert parsed is not None and [e.package for e in parsed.affected] == ["a"]


def test_yaml_records_load_with_dates() -> None:
    raw = load_text(
        b"id: Y-1\nmodified: 2021-07-05T00:01:22Z\naffected:\n- package: {name: pkg, ecosystem: PyPI}\n  versions: ['1.0']\n",
        "Y-1.yaml",
    )
    parsed, _ = parse_record(raw)
    assert parsed is not None and parsed.modified == "2021-07-05T00:01:22Z"


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(
        ["id", "affected", "package", "name", "ecosystem", "ranges", "type", "events", "introduced",
         "fixed", "versions", "aliases", "severity", "score", "withdrawn", "limit", "last_affected"]),
        children, max_size=4),
    max_leaves=20,
)  # fmt: skip


@given(JSONISH)
def test_parse_never_raises_on_junk(raw: Any) -> None:
    parse_record(raw)
    parse_record({"id": "J-1", "affected": [raw]})
    parse_record(
        {
            "id": "J-2",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "p"}, "ranges": [raw]}],
        }
    )
