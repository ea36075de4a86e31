"""Update types and which releases count as available under the cool-down."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from policy_builders import NOW, days_ago, outdated, policy, releases, report, vuln

from depsentry.models.releases import ProjectReleases, Release
from depsentry.policy import Waiver, evaluate_all
from depsentry.policy.releases import available, update_type
from depsentry.policy.waivers import covering


@pytest.mark.parametrize(
    ("current", "target", "kind"),
    [
        ("1.4.2", "2.0.0", "major"),
        ("1.4.2", "1.5", "minor"),
        ("1.4", "1.4.1", "patch"),
        ("1.4.0", "1.4.0.post1", "other"),
        ("2024.1", "2025.3", "major"),
        ("not-a-version", "1.0", "other"),
    ],
)
def test_update_type(current: str, target: str, kind: str):
    assert update_type(current, target) == kind


def test_available_skips_yanked_prereleases_invalid_and_undated_under_a_cool_down():
    project = ProjectReleases(
        name="x",
        releases=(
            Release("1.0", days_ago(100), False, None),
            Release("1.1", days_ago(90), True, None),  # yanked
            Release("1.2rc1", days_ago(80), False, None),
            Release("bogus!", days_ago(80), False, None),
            Release("1.3", None, False, None),  # no upload time
            Release("1.4", days_ago(3), False, None),
        ),
    )
    assert [str(v) for v, _ in available(project, now=NOW, min_age=timedelta(0))] == [
        "1.0",
        "1.3",
        "1.4",
    ]
    assert [str(v) for v, _ in available(project, now=NOW, min_age=timedelta(days=7))] == ["1.0"]


def test_unparseable_current_version_keeps_the_reported_update():
    r = report(outdated=[outdated("x", "weird", "2.0", "other")])
    index = {"x": releases("x", ("2.0", [], None, days_ago(100)))}
    (item,) = evaluate_all(r, policy(), now=NOW, releases=index)
    assert item.message.startswith("x weird -> 2.0 (other) not taken")


def test_exception_with_id_and_package_needs_both_to_match():
    e = Waiver(reason="r", id="CVE-1", package="flask", expires=date(2027, 1, 1))
    v = vuln("django", aliases=("CVE-1",))
    args = {"kind": "vulnerability", "version": v.version, "ids": v.ids, "today": NOW.date()}
    assert covering([e], package="django", **args) is None
    assert covering([e], package="flask", **args) is e


def test_exception_range_never_matches_an_unparseable_version():
    e = Waiver(reason="r", package="x", versions="<2", expires=date(2027, 1, 1))
    assert covering([e], kind="outdated", package="x", version="weird", today=NOW.date()) is None
    assert covering([e], kind="outdated", package="x", version="1.5", today=NOW.date()) is e
