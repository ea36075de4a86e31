from __future__ import annotations

from depsentry.report.ordering import sorted_versions, upgrade_target


def test_versions_sort_by_pep_440_and_bad_ones_go_last() -> None:
    assert sorted_versions(["3.2.4", "2.2.24", "10.0", "3.2.4", "3.1.12", "zzz", "1.0rc1"]) == (
        "1.0rc1",
        "2.2.24",
        "3.1.12",
        "3.2.4",
        "10.0",
        "zzz",
    )


def test_upgrade_target_is_the_smallest_fix_above_the_current_version() -> None:
    assert upgrade_target("3.2.0", ["2.2.24", "3.1.12", "3.2.4", "4.0"]) == "3.2.4"
    assert upgrade_target("4.1", ["2.2.24", "3.2.4"]) is None
    assert upgrade_target("1.0", []) is None
    assert upgrade_target("not-a-version", ["1.0"]) is None


def test_upgrade_target_takes_fixes_in_any_order() -> None:
    # Fixes from several sources arrive unsorted; the target is still the lowest one above.
    assert upgrade_target("3.2.0", ["4.0", "3.2.4", "zzz", "2.2.24", "3.10.1"]) == "3.2.4"
    assert upgrade_target("1.0", ["zzz", "1.0"]) == "zzz"  # not a version: after every version
