"""Findings -> due dates -> violations: every knob changes an outcome here."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from policy_builders import NOW, days_ago, dep, outdated, policy, releases, report, vuln

from depsentry.models import (
    AdvisoryDbInfo,
    ScanResult,
    Severity,
    SkipKind,
    Skipped,
    Source,
    Violation,
)
from depsentry.policy import (
    Assessment,
    Waiver,
    evaluate,
    evaluate_all,
    finding_keys,
    first_seen_dates,
    first_seen_from_report,
)
from depsentry.report.json import JsonRenderer, read_report

# NOW is Sunday 2026-11-22 12:00 UTC; monthly reviews (UTC) were 2026-11-02 and come 2026-12-07.
OCT = datetime(2026, 10, 20, tzinfo=UTC)


def rules(violations):
    return [(v.rule, v.package, v.finding) for v in violations]


# --- vulnerabilities ---------------------------------------------------------------------


def test_vulnerability_due_by_severity_from_first_seen():
    r = report(vulnerabilities=[vuln(severity=Severity.CRITICAL)])
    seen = {"fix:django:PYSEC-2024-1": days_ago(2)}.get
    (v,) = evaluate(r, policy(), now=NOW, first_seen=seen)
    assert (v.rule, v.package, v.finding, v.due, v.overdue) == (
        "vulnerability",
        "django",
        "vuln:django:PYSEC-2024-1",
        date(2026, 11, 21),
        True,
    )
    assert (
        v.message
        == "django 4.2.1: PYSEC-2024-1 (critical), fixed in 4.2.2; due 2026-11-21 (1 day after first seen 2026-11-20)"
    )
    # The same finding, high: 7 days, not due yet; and critical with a 5-day deadline.
    assert (
        evaluate(
            report(vulnerabilities=[vuln(severity=Severity.HIGH)]),
            policy(),
            now=NOW,
            first_seen=seen,
        )
        == []
    )
    assert evaluate(r, policy(vulnerabilities={"critical_days": 5}), now=NOW, first_seen=seen) == []


def test_each_severity_has_its_own_deadline():
    seen = {"fix:django:PYSEC-2024-1": days_ago(40)}.get
    overdue = {
        sev: bool(
            evaluate(
                report(vulnerabilities=[vuln(severity=sev)]), policy(), now=NOW, first_seen=seen
            )
        )
        for sev in Severity
    }
    assert overdue == {
        Severity.CRITICAL: True,
        Severity.HIGH: True,
        Severity.MEDIUM: True,
        Severity.UNKNOWN: True,
        Severity.LOW: False,
    }
    lenient = policy(vulnerabilities={"unknown_days": 60, "medium_days": 60, "high_days": 60})
    assert [
        sev
        for sev in Severity
        if evaluate(report(vulnerabilities=[vuln(severity=sev)]), lenient, now=NOW, first_seen=seen)
    ] == [Severity.CRITICAL]


def test_malicious_counts_as_critical():
    seen = {"fix:evil:MAL-1": days_ago(3)}.get
    r = report(vulnerabilities=[vuln("evil", "1.0", "MAL-1", Severity.UNKNOWN, malicious=True)])
    assert rules(evaluate(r, policy(), now=NOW, first_seen=seen)) == [
        ("vulnerability", "evil", "vuln:evil:MAL-1")
    ]


def test_one_shot_scan_counts_from_now():
    r = report(vulnerabilities=[vuln(severity=Severity.CRITICAL)])
    assert evaluate(r, policy(), now=NOW) == []
    (pending,) = evaluate_all(r, policy(), now=NOW)
    assert (pending.due, pending.overdue) == (date(2026, 11, 23), False)


def test_needs_fix_decides_about_advisories_without_a_fix():
    r = report(vulnerabilities=[vuln(fixed_in=())])
    seen = {"vuln:django:PYSEC-2024-1": days_ago(30)}.get
    assert evaluate(r, policy(), now=NOW, first_seen=seen) == []
    assert rules(
        evaluate(r, policy(vulnerabilities={"needs_fix": False}), now=NOW, first_seen=seen)
    ) == [("vulnerability", "django", "vuln:django:PYSEC-2024-1")]


def test_needs_fix_starts_the_clock_when_the_fix_appeared():
    r = report(vulnerabilities=[vuln()])
    seen = {"vuln:django:PYSEC-2024-1": days_ago(60), "fix:django:PYSEC-2024-1": days_ago(2)}.get
    assert evaluate(r, policy(), now=NOW, first_seen=seen) == []
    assert (
        len(evaluate(r, policy(vulnerabilities={"needs_fix": False}), now=NOW, first_seen=seen))
        == 1
    )


def test_first_seen_under_an_alias_counts():
    r = report(vulnerabilities=[vuln(id="GHSA-aaaa", aliases=("CVE-2024-9",))])
    seen = {"fix:django:CVE-2024-9": days_ago(10)}.get
    assert rules(evaluate(r, policy(), now=NOW, first_seen=seen)) == [
        ("vulnerability", "django", "vuln:django:GHSA-aaaa")
    ]


def test_due_date_is_in_the_policy_time_zone():
    """First seen 23:30 UTC on the 22nd is already the 23rd in Tokyo."""
    r = report(vulnerabilities=[vuln(severity=Severity.CRITICAL)])
    seen = {"fix:django:PYSEC-2024-1": datetime(2026, 11, 22, 23, 30, tzinfo=UTC)}.get
    now = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # the 24th in Tokyo, the 23rd in UTC
    (utc,) = evaluate_all(r, policy(), now=now, first_seen=seen)
    (tokyo,) = evaluate_all(r, policy(review={"timezone": "Asia/Tokyo"}), now=now, first_seen=seen)
    assert (utc.due, utc.overdue) == (date(2026, 11, 23), False)
    assert (tokyo.due, tokyo.overdue) == (date(2026, 11, 24), False)
    later = now + timedelta(hours=9)  # the 24th 01:00 UTC, the 24th 10:00 in Tokyo
    assert [v.overdue for v in evaluate_all(r, policy(), now=later, first_seen=seen)] == [True]
    assert [
        v.overdue
        for v in evaluate_all(
            r, policy(review={"timezone": "Asia/Tokyo"}), now=later, first_seen=seen
        )
    ] == [False]


# --- updates -----------------------------------------------------------------------------


def test_minor_update_due_after_the_review_that_first_saw_it():
    r = report(outdated=[outdated()])
    seen = {"outdated:requests:2.31.0": OCT}.get
    (item,) = evaluate_all(r, policy(), now=NOW, first_seen=seen)
    assert (item.rule, item.finding, item.due, item.overdue) == (
        "outdated",
        "outdated:requests:2.31.0",
        date(2026, 12, 2),
        False,
    )
    assert (
        item.message
        == "requests 2.31.0 -> 2.32.3 (minor) not taken; due 2026-12-02 (30 days after the review of 2026-11-02)"
    )
    assert rules(evaluate(r, policy(updates={"minor_days": 10}), now=NOW, first_seen=seen)) == [
        ("outdated", "requests", "outdated:requests:2.31.0")
    ]
    # patch_days does not apply to a minor update...
    assert evaluate(r, policy(updates={"patch_days": 10}), now=NOW, first_seen=seen) == []
    # ...but to a patch one.
    rp = report(outdated=[outdated(latest="2.31.1", update_type="patch")])
    assert len(evaluate(rp, policy(updates={"patch_days": 10}), now=NOW, first_seen=seen)) == 1


def test_the_review_schedule_moves_the_due_date():
    r = report(outdated=[outdated()])
    seen = {"outdated:requests:2.31.0": OCT}.get  # a Tuesday
    weekly = policy(review={"every": "week", "day": "wednesday"}, updates={"minor_days": 7})
    monthly = policy(updates={"minor_days": 7})
    assert [v.due for v in evaluate_all(r, weekly, now=NOW, first_seen=seen)] == [
        date(2026, 10, 28)
    ]
    assert [v.due for v in evaluate_all(r, monthly, now=NOW, first_seen=seen)] == [
        date(2026, 11, 9)
    ]
    late = policy(
        review={"time": time(23, 0), "timezone": "Pacific/Kiritimati"}, updates={"minor_days": 7}
    )
    assert [v.due for v in evaluate_all(r, late, now=NOW, first_seen=seen)] == [date(2026, 11, 9)]


def test_a_newer_release_does_not_restart_the_clock():
    seen = {"outdated:requests:2.31.0": OCT}.get
    before = evaluate_all(
        report(outdated=[outdated(latest="2.32.3")]), policy(), now=NOW, first_seen=seen
    )
    after = evaluate_all(
        report(outdated=[outdated(latest="2.33.0")]), policy(), now=NOW, first_seen=seen
    )
    assert [v.due for v in before] == [v.due for v in after]


def test_major_update_opens_an_assessment_not_an_outdated_violation():
    r = report(outdated=[outdated("django", "4.2.1", "5.1.0", "major")])
    seen = {"assessment:django:5": OCT, "outdated:django:4.2.1": OCT}.get
    p = policy(updates={"major_assessment_days": 10})
    assert rules(evaluate(r, p, now=NOW, first_seen=seen)) == [
        ("assessment", "django", "assessment:django:5")
    ]
    assert evaluate(r, policy(), now=NOW, first_seen=seen) == []  # 30 days: not yet
    acked = replace(p, assessments=(Assessment("django", 5, "Q2"),))
    assert evaluate(r, acked, now=NOW, first_seen=seen) == []
    assert (
        evaluate(
            r, replace(p, assessments=(Assessment("django", 6, "later"),)), now=NOW, first_seen=seen
        )
        != []
    )
    assert evaluate(r, p, now=NOW, first_seen=seen, acknowledged={"assessment:django:5"}) == []


def test_min_release_age_hides_young_releases():
    r = report(outdated=[outdated(latest_released=days_ago(3))])
    seen = {"outdated:requests:2.31.0": OCT}.get
    p = policy(updates={"minor_days": 0})
    assert evaluate(r, p, now=NOW, first_seen=seen) == []
    assert (
        len(
            evaluate(
                r,
                policy(updates={"minor_days": 0, "min_release_age_days": 0}),
                now=NOW,
                first_seen=seen,
            )
        )
        == 1
    )


def test_min_release_age_with_index_data_falls_back_to_an_older_release():
    r = report(outdated=[outdated(latest="2.32.3", latest_released=days_ago(2))])
    index = {
        "requests": releases(
            "requests",
            ("2.31.0", [], None, days_ago(400)),
            ("2.31.1", [], None, days_ago(40)),
            ("2.32.3", [], None, days_ago(2)),
        )
    }
    seen = {"outdated:requests:2.31.0": OCT}.get
    (item,) = evaluate_all(r, policy(), now=NOW, first_seen=seen, releases=index)
    assert item.message.startswith("requests 2.31.0 -> 2.31.1 (patch) not taken")
    (item,) = evaluate_all(
        r, policy(updates={"min_release_age_days": 1}), now=NOW, first_seen=seen, releases=index
    )
    assert item.message.startswith("requests 2.31.0 -> 2.32.3 (minor) not taken")
    young_only = {
        "requests": releases(
            "requests", ("2.31.0", [], None, days_ago(400)), ("2.32.3", [], None, days_ago(2))
        )
    }
    assert evaluate_all(r, policy(), now=NOW, first_seen=seen, releases=young_only) == []


def test_below_a_major_the_newest_in_major_update_is_still_due():
    r = report(outdated=[outdated("django", "4.2.1", "5.1.0", "major")])
    index = {
        "django": releases(
            "django",
            ("4.2.1", [], None, days_ago(900)),
            ("4.2.16", [], None, days_ago(60)),
            ("5.1.0", [], None, days_ago(60)),
        )
    }
    seen = {"outdated:django:4.2.1": OCT, "assessment:django:5": OCT}.get
    items = evaluate_all(r, policy(), now=NOW, first_seen=seen, releases=index)
    assert rules(items) == [
        ("assessment", "django", "assessment:django:5"),
        ("outdated", "django", "outdated:django:4.2.1"),
    ]
    assert "4.2.1 -> 4.2.16 (patch)" in items[1].message


# --- libyears, pinning, readiness -------------------------------------------------------


def test_libyears_per_dependency_and_per_project():
    r = report(
        outdated=[
            outdated(libyears=2.5),
            outdated("flask", "2.0.0", "2.0.1", "patch", libyears=1.0),
        ]
    )
    seen = {"libyears:requests": OCT, "libyears:*": OCT}.get
    no_updates = {"minor_days": 99, "patch_days": 99}
    assert evaluate(r, policy(updates=no_updates), now=NOW, first_seen=seen) == []
    per_dep = policy(updates=no_updates, libyears={"max_per_dependency": 2.0, "days": 0})
    assert rules(evaluate(r, per_dep, now=NOW, first_seen=seen)) == [
        ("libyears", "requests", "libyears:requests")
    ]
    per_project = policy(updates=no_updates, libyears={"max_per_project": 3.0, "days": 0})
    (v,) = evaluate(r, per_project, now=NOW, first_seen=seen)
    assert (v.finding, v.package) == ("libyears:*", "*")
    assert v.message.startswith("the project is 3.5 libyears behind (max 3)")


def test_pinning_direct_dependencies():
    ranged = dep("requests", "2.32.3", pinned=False)
    unpinned = Skipped(
        "flask>=2", "unpinned", Source("pyproject.toml", 5), kind=SkipKind.UNPINNED, name="flask"
    )
    seen = {"pinning:requests": OCT, "pinning:flask": OCT}.get
    r = report(dependencies=[ranged, dep("idna", pinned=False, direct=False)], skipped=[unpinned])
    p = policy(pinning={"days": 0})
    assert rules(evaluate(r, p, now=NOW, first_seen=seen)) == [
        ("pinning", "flask", "pinning:flask"),
        ("pinning", "requests", "pinning:requests"),
    ]
    locked = report(dependencies=[ranged, replace(dep("requests", "2.32.3"), direct=False)])
    assert evaluate(locked, p, now=NOW, first_seen=seen) == []
    assert evaluate(r, policy(pinning={"days": 0, "direct": False}), now=NOW, first_seen=seen) == []


def test_hashes_required():
    r = report(dependencies=[dep("requests", "2.32.3"), dep("idna", "3.7", hashes=("sha256:ab",))])
    seen = {"hashes:requests": OCT}.get
    assert evaluate(r, policy(pinning={"days": 0}), now=NOW, first_seen=seen) == []
    (v,) = evaluate(r, policy(pinning={"days": 0, "hashes": True}), now=NOW, first_seen=seen)
    assert (v.rule, v.finding, v.message) == (
        "hashes",
        "hashes:requests",
        "requests 2.32.3 is pinned without hashes; due 2026-11-02 (0 days after the review of 2026-11-02)",
    )


def test_readiness_target_python():
    index = {
        "aiohttp": releases(
            "aiohttp",
            (
                "3.13.0",
                ["aiohttp-3.13.0-cp313-cp313-manylinux_2_17_x86_64.whl"],
                ">=3.9",
                days_ago(90),
            ),
        ),
        "requests": releases(
            "requests", ("2.32.3", ["requests-2.32.3-py3-none-any.whl"], ">=3.8", days_ago(90))
        ),
    }
    r = report(
        dependencies=[
            dep("aiohttp", "3.13.0"),
            dep("requests", "2.32.3"),
            dep("private-pkg", "1.0"),
        ]
    )
    seen = {"readiness:aiohttp:3.14": OCT}.get
    assert (
        evaluate(r, policy(readiness={"days": 0}), now=NOW, first_seen=seen, releases=index) == []
    )
    (v,) = evaluate(
        r, policy(readiness={"python": "3.14", "days": 0}), now=NOW, first_seen=seen, releases=index
    )
    assert (v.rule, v.finding) == ("readiness", "readiness:aiohttp:3.14")
    assert v.message.startswith("aiohttp has no 3.14 wheel yet (latest 3.13.0); due 2026-11-02")
    assert (
        evaluate(
            r,
            policy(readiness={"python": "3.14", "days": 90}),
            now=NOW,
            first_seen=seen,
            releases=index,
        )
        == []
    )
    assert (
        evaluate(
            r,
            policy(readiness={"python": "3.13", "days": 0}),
            now=NOW,
            first_seen=seen,
            releases=index,
        )
        == []
    )


# --- exceptions --------------------------------------------------------------------------


def exc(**kw) -> Waiver:
    return Waiver(**{"reason": "accepted", "source": "team.toml", **kw})


OVERDUE_VULN = report(
    vulnerabilities=[vuln(id="PYSEC-2024-1", aliases=("CVE-2024-7", "GHSA-x"))],
    dependencies=[dep("django", "4.2.1")],
)
OLD_SEEN = {"fix:django:PYSEC-2024-1": days_ago(30)}.get


def with_exceptions(*exceptions: Waiver):
    return replace(policy(), waivers=exceptions)


def test_exception_by_alias_covers_the_advisory():
    assert len(evaluate(OVERDUE_VULN, policy(), now=NOW, first_seen=OLD_SEEN)) == 1
    assert (
        evaluate(
            OVERDUE_VULN,
            with_exceptions(exc(id="cve-2024-7", expires=date(2027, 1, 1))),
            now=NOW,
            first_seen=OLD_SEEN,
        )
        == []
    )
    other = with_exceptions(exc(id="CVE-2024-8", expires=date(2027, 1, 1)))
    assert len(evaluate(OVERDUE_VULN, other, now=NOW, first_seen=OLD_SEEN)) == 1


def test_exception_by_package_and_version_range():
    inside = with_exceptions(exc(package="django", versions=">=4.2,<4.3", expires=date(2027, 1, 1)))
    outside = with_exceptions(exc(package="django", versions=">=5", expires=date(2027, 1, 1)))
    only_outdated = with_exceptions(
        exc(package="django", rules=("outdated",), expires=date(2027, 1, 1))
    )
    assert evaluate(OVERDUE_VULN, inside, now=NOW, first_seen=OLD_SEEN) == []
    assert len(evaluate(OVERDUE_VULN, outside, now=NOW, first_seen=OLD_SEEN)) == 1
    assert len(evaluate(OVERDUE_VULN, only_outdated, now=NOW, first_seen=OLD_SEEN)) == 1


def test_expired_exception_stops_covering_and_is_a_violation():
    on_the_day = with_exceptions(exc(id="CVE-2024-7", expires=date(2026, 11, 22)))
    assert evaluate(OVERDUE_VULN, on_the_day, now=NOW, first_seen=OLD_SEEN) == []
    expired = with_exceptions(exc(id="CVE-2024-7", expires=date(2026, 11, 21)))
    found = evaluate(OVERDUE_VULN, expired, now=NOW, first_seen=OLD_SEEN)
    # Sorted by due date: the advisory was due 2026-10-30, the exception expired 2026-11-21.
    assert rules(found) == [
        ("vulnerability", "django", "vuln:django:PYSEC-2024-1"),
        ("waiver-expired", "django", "waiver:CVE-2024-7"),
    ]
    assert found[1].due == date(2026, 11, 21) and found[1].overdue
    assert (
        found[1].message
        == "waiver CVE-2024-7 expired on 2026-11-21 (accepted); fix the finding or renew the waiver in team.toml"
    )


def test_expired_exception_for_another_project_is_not_reported_here():
    by_package = with_exceptions(exc(package="numpy", expires=date(2026, 1, 1)))
    by_id = with_exceptions(exc(id="CVE-2000-1", expires=date(2026, 1, 1)))
    assert evaluate(OVERDUE_VULN, by_package, now=NOW) == []
    assert evaluate(OVERDUE_VULN, by_id, now=NOW) == []


def test_until_fixed_covers_until_a_fix_exists():
    unfixed = report(vulnerabilities=[vuln(fixed_in=(), aliases=("CVE-2024-7",))])
    p = replace(
        policy(vulnerabilities={"needs_fix": False}),
        waivers=(exc(id="CVE-2024-7", until_fixed=True),),
    )
    seen = {"vuln:django:PYSEC-2024-1": days_ago(100), "fix:django:PYSEC-2024-1": days_ago(3)}.get
    assert evaluate(unfixed, replace(p, waivers=()), now=NOW, first_seen=seen) != []
    assert evaluate(unfixed, p, now=NOW, first_seen=seen) == []
    # Fixed now: the exception stops applying; the 7 days count from when the fix appeared.
    fixed = report(vulnerabilities=[vuln(aliases=("CVE-2024-7",))])
    (item,) = evaluate_all(fixed, p, now=NOW, first_seen=seen)
    assert (item.due, item.overdue) == (date(2026, 11, 26), False)
    seen_long_ago = {
        "vuln:django:PYSEC-2024-1": days_ago(100),
        "fix:django:PYSEC-2024-1": days_ago(10),
    }.get
    assert len(evaluate(fixed, p, now=NOW, first_seen=seen_long_ago)) == 1


# --- first seen from an earlier report ------------------------------------------------------


def test_first_seen_from_an_earlier_scan_result():
    then = datetime(2026, 10, 1, tzinfo=UTC)
    old_report = report(
        vulnerabilities=[vuln(id="PYSEC-2024-1", aliases=("CVE-2024-7",))],
        outdated=[outdated(), outdated("django", "4.2.1", "5.1.0", "major")],
        dependencies=[dep("requests", "2.31.0", pinned=False)],
    )
    old = ScanResult(
        generated_at=then, advisory_db=AdvisoryDbInfo("osv", 1, None), projects=[old_report]
    )
    seen = first_seen_from_report(old)
    for key in (
        "vuln:django:CVE-2024-7",
        "fix:django:PYSEC-2024-1",
        "outdated:requests:2.31.0",
        "assessment:django:5",
        "pinning:requests",
    ):
        assert seen(key) == then, key
    assert seen("vuln:django:PYSEC-2099-1") is None
    other = ScanResult(
        generated_at=then,
        advisory_db=AdvisoryDbInfo("osv", 1, None),
        projects=[old_report, report(path="b")],
    )
    other.projects[1].outdated.append(outdated("flask", "2.0", "2.1"))
    assert first_seen_from_report(other, project="b")("outdated:requests:2.31.0") is None
    assert first_seen_from_report(other, project="b")("outdated:flask:2.0") == then
    # The same advisory under its CVE id today is old news: overdue at once.
    today = report(vulnerabilities=[vuln(id="CVE-2024-7", aliases=("PYSEC-2024-1",))])
    assert len(evaluate(today, policy(), now=NOW, first_seen=seen)) == 1


def test_first_seen_from_json_report():
    """`--since`: the JSON reader turns the old report into models; the policy reads those."""
    then = datetime(2026, 10, 1, tzinfo=UTC)
    a = report(
        path="a",
        vulnerabilities=[vuln(id="PYSEC-2024-1", aliases=("CVE-2024-7",))],
        outdated=[outdated("django", "4.2.1", "5.1.0", "major")],
        violations=[
            Violation("readiness", "aiohttp", "readiness:aiohttp:3.14", date(2026, 9, 1), True, "")
        ],
    )
    b = report(path="b", outdated=[outdated("flask", "2.0", "2.1")])
    text = JsonRenderer().render(
        ScanResult(generated_at=then, advisory_db=AdvisoryDbInfo("osv", 1, None), projects=[a, b])
    )
    old = read_report(text, "last.json")
    seen = first_seen_from_report(old, project="a")
    assert [
        seen(k)
        for k in (
            "fix:django:CVE-2024-7",
            "assessment:django:5",
            "readiness:aiohttp:3.14",
        )
    ] == [then] * 3
    assert seen("outdated:flask:2.0") is None
    assert first_seen_from_report(old)("outdated:flask:2.0") == then
    assert first_seen_from_report(old, project="elsewhere")("outdated:flask:2.0") == then


def test_finding_keys_lists_every_key():
    r = report(
        vulnerabilities=[
            vuln(aliases=("CVE-2024-7",)),
            vuln("flask", "2.0", "PYSEC-2", fixed_in=()),
        ],
        outdated=[outdated()],
        dependencies=[dep("requests", "2.31.0", pinned=False)],
    )
    assert finding_keys(r, now=NOW) == {
        "vuln:django:PYSEC-2024-1",
        "vuln:django:CVE-2024-7",
        "fix:django:PYSEC-2024-1",
        "fix:django:CVE-2024-7",
        "vuln:flask:PYSEC-2",
        "outdated:requests:2.31.0",
        "pinning:requests",
    }


def test_evaluate_returns_only_overdue_and_evaluate_all_sorts_by_due_date():
    r = report(vulnerabilities=[vuln(severity=Severity.CRITICAL)], outdated=[outdated()])
    seen = {"fix:django:PYSEC-2024-1": days_ago(5), "outdated:requests:2.31.0": OCT}.get
    items = evaluate_all(r, policy(), now=NOW, first_seen=seen)
    assert [(v.rule, v.overdue) for v in items] == [("vulnerability", True), ("outdated", False)]
    assert [v.rule for v in evaluate(r, policy(), now=NOW, first_seen=seen)] == ["vulnerability"]


def test_a_chain_of_reports_keeps_the_first_date():
    """Each run writes `first_seen` into its JSON; the next `--since` keeps the oldest date."""
    jan = datetime(2026, 9, 1, tzinfo=UTC)
    update = outdated(latest_released=jan - timedelta(days=30))  # released before the first run
    r = report(outdated=[update])
    p = policy()
    runs = [jan, datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)]
    previous = None
    for when in runs:
        seen = first_seen_from_report(previous) if previous else None
        dates = first_seen_dates(r, p, now=when, first_seen=seen)
        previous = ScanResult(
            generated_at=when,
            advisory_db=AdvisoryDbInfo("osv", 1, None),
            projects=[report(outdated=[update], first_seen=dates)],
        )
    assert dates == {"outdated:requests:2.31.0": jan}
    # Due 30 days after the review of 2026-09-07: long overdue on NOW.
    (v,) = evaluate(r, p, now=NOW, first_seen=first_seen_from_report(previous))
    assert v.due == date(2026, 10, 7)
    # Without the map, the last report's date would restart the clock.
    previous.projects[0].first_seen = {}
    assert evaluate(r, p, now=NOW, first_seen=first_seen_from_report(previous)) == []
