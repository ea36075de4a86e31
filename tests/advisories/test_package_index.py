"""`PackageIndex` answers exactly what the spec's walk (`spec_walk.evaluate`) answers."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from spec_walk import compile_entry, evaluate

from depsentry.advisories.matcher import Hit, RecordFacts, group_hits
from depsentry.advisories.package_index import PackageIndex
from depsentry.advisories.severity import UNRATED
from depsentry.advisories.versions import normalise_version, parse_version

# Equal spellings ("1", "1.0"), pre/post/dev/local releases and strings that are no version.
VERSIONS = [
    "0", "0.dev0", "0.5", "1", "1.0", "1.0.0", "1.0a1", "1.0rc1", "1.0.post1", "1.0+local",
    "1.1", "1.2.dev3", "1.2", "2", "2.0.1", "3!0.1", "10", "not-a-version", "*",
]  # fmt: skip
KINDS = ["introduced", "fixed", "last_affected", "limit", "unknown"]

events = st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(VERSIONS)), max_size=6)
entry = st.fixed_dictionaries(
    {
        "v": st.lists(st.sampled_from(VERSIONS).map(normalise_version), max_size=3),
        "r": st.lists(events, max_size=3),
    }
)
records = st.lists(st.lists(entry, min_size=1, max_size=2), max_size=5)


def facts(n: int) -> RecordFacts:
    return RecordFacts(f"R-{n}", (), UNRATED, "", None, None, False)


def walked(rows: list[tuple[RecordFacts, list[dict[str, Any]]]], text: str) -> tuple[Hit, ...]:
    """What the spec's walk says of each record, in the rows' order."""
    version, normalised = parse_version(text), normalise_version(text)
    found = []
    for record, entries in rows:
        affected, fixed = evaluate([compile_entry(e) for e in entries], version, normalised)
        if affected:
            found.append(Hit(record, fixed))
    return tuple(found)


@settings(max_examples=400, deadline=None)
@given(records, st.sampled_from(VERSIONS + ["0.1", "1.0.1", "1.5", "99"]))
def test_the_index_answers_as_the_spec_walk(
    entries: list[list[dict[str, Any]]], version: str
) -> None:
    rows = [(facts(n), e) for n, e in enumerate(entries)]
    index = PackageIndex(rows)
    assert index.hits(parse_version(version), normalise_version(version)) == walked(rows, version)


def test_a_version_equal_to_last_affected_is_affected_and_one_above_is_not() -> None:
    rows = [(facts(1), [{"v": [], "r": [[["introduced", "1.0"], ["last_affected", "1.2"]]]}])]
    index = PackageIndex(rows)
    assert index.hits(parse_version("1.2.0"), "1.2") == (Hit(facts(1), ()),)
    assert index.hits(parse_version("1.2.post1"), "1.2.post1") == ()


def test_fixes_come_in_pep_440_order_and_only_from_affecting_ranges() -> None:
    rows = [
        (
            facts(1),
            [
                {"v": [], "r": [[["introduced", "0"], ["fixed", "2.0"]]]},
                {"v": [], "r": [[["introduced", "0"], ["fixed", "1.10"]]]},
                {"v": [], "r": [[["introduced", "5"], ["fixed", "6"]]]},
            ],
        )
    ]
    assert PackageIndex(rows).hits(parse_version("1.0"), "1") == (Hit(facts(1), ("1.10", "2.0")),)


def test_a_version_that_is_not_pep_440_matches_listed_versions_only() -> None:
    rows = [
        (facts(1), [{"v": ["weird"], "r": []}]),
        (facts(2), [{"v": [], "r": [[["introduced", "0"]]]}]),
    ]
    assert PackageIndex(rows).hits(None, "weird") == (Hit(facts(1), ()),)


def aliased(n: int, *aliases: str) -> RecordFacts:
    return RecordFacts(f"R-{n}", aliases, UNRATED, "", None, None, False)


alias_sets = st.lists(
    st.lists(st.sampled_from(["A", "B", "C", "R-0", "R-1"]), max_size=2), max_size=6
)


@settings(max_examples=300, deadline=None)
@given(alias_sets, st.data())
def test_groups_are_the_alias_search_of_the_hits(
    aliases: list[list[str]], data: st.DataObject
) -> None:
    records = [aliased(n, *a) for n, a in enumerate(aliases)]
    index = PackageIndex([(r, [{"v": ["1"], "r": []}]) for r in records])
    chosen = data.draw(st.lists(st.sampled_from(records), unique=True)) if records else []
    hits = [Hit(r, ()) for r in chosen]

    def canonical(groups: list[list[Hit]]) -> list[list[str]]:
        return sorted(sorted(h.facts.id for h in g) for g in groups)

    assert canonical(index.grouped(hits)) == canonical(group_hits(hits))
