"""The store contract: one body of tests over SQLite and, when DEPSENTRY_TEST_PG_URL is set,
PostgreSQL (the schema must stay portable)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from depsentry.daemon.events import ChangeKind, EventKind
from depsentry.daemon.store import FindingFilter, Store
from depsentry.errors import TriageError
from depsentry.models import (
    Dependency,
    Outdated,
    ProjectReport,
    Severity,
    Source,
    Violation,
    Vulnerability,
)

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PG_URL = os.environ.get("DEPSENTRY_TEST_PG_URL")


def _fresh_postgres(url: str) -> str:
    """An empty database of this test process's own (xdist workers never share one)."""
    from sqlalchemy import create_engine, make_url, text

    base = make_url(url)
    name = f"{base.database}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    server = create_engine(base, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    own = base.set(database=name)
    engine = create_engine(own)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return own.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("set DEPSENTRY_TEST_PG_URL to run the store contract on PostgreSQL")
        opened = Store.open(_fresh_postgres(PG_URL))
    else:
        opened = Store.open(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    yield opened
    opened.close()


def dep(name: str, version: str) -> Dependency:
    return Dependency(name, version, True, Source("requirements.txt", 1))


def vuln(
    package: str, version: str, vid: str, aliases: tuple[str, ...] = (), *,
    severity: Severity = Severity.MEDIUM, fixed: tuple[str, ...] = (), cvss: float | None = None,
) -> Vulnerability:  # fmt: skip
    return Vulnerability(package, version, vid, aliases, severity, cvss, fixed, "summary",
                         Source("requirements.txt", 1))  # fmt: skip


def by_kind(changes: list[tuple[ChangeKind, str]]) -> list[tuple[str, str]]:
    return sorted((kind.value, package) for kind, package in changes)


def scan(
    store: Store, project: str, when: datetime, deps: list[Dependency],
    vulns: list[Vulnerability] = (), outdated: list[Outdated] = (),
    violations: list[Violation] = (),
) -> tuple:  # fmt: skip
    run_id = store.start_run(project, f"/srv/{project}", "schedule", when)
    report = ProjectReport(
        path=f"/srv/{project}", dependencies=list(deps), vulnerabilities=list(vulns),
        outdated=list(outdated), violations=list(violations),
        first_seen={f"vuln:{v.package}:{v.id}": when for v in vulns},
    )  # fmt: skip
    outcome = store.record_scan(project, run_id, report, now=when, duration=0.5)
    return outcome.event, [(c.kind, c.finding.package) for c in outcome.changes]


def test_first_scan_is_one_baseline_event_not_a_flood(store: Store) -> None:
    event, _ = scan(store, "billing", T0, [dep("jinja2", "2.11.3"), dep("flask", "1.0")],
                    [vuln("jinja2", "2.11.3", "GHSA-1"), vuln("flask", "1.0", "GHSA-2")])  # fmt: skip
    assert event.kind is EventKind.BASELINE
    assert sorted(c.finding.package for c in event.changes) == ["flask", "jinja2"]
    assert all(c.kind is ChangeKind.NEW for c in event.changes)
    event, changes = scan(store, "billing", T0 + timedelta(days=1), [dep("jinja2", "2.11.3")],
                          [vuln("jinja2", "2.11.3", "GHSA-1")])  # fmt: skip
    assert event.kind is EventKind.SCAN
    assert changes == [(ChangeKind.RESOLVED, "flask")]
    event, changes = scan(store, "billing", T0 + timedelta(days=2), [dep("jinja2", "2.11.3")],
                          [vuln("jinja2", "2.11.3", "GHSA-1")])  # fmt: skip
    assert event is None and changes == []  # nothing changed: nothing to tell


def test_an_empty_first_scan_still_writes_its_baseline(store: Store) -> None:
    event, _ = scan(store, "quiet", T0, [dep("calm", "1.0")])
    assert event.kind is EventKind.BASELINE and event.changes == ()


def test_changes_new_severity_fix_resolved_retracted(store: Store) -> None:
    deps = [dep("jinja2", "2.11.3"), dep("lxml", "4.0")]
    scan(store, "p", T0, deps, [vuln("lxml", "4.0", "GHSA-L")])
    _, changes = scan(store, "p", T0 + timedelta(hours=1), deps, [
        vuln("lxml", "4.0", "GHSA-L", severity=Severity.CRITICAL, fixed=("4.9",)),
        vuln("jinja2", "2.11.3", "GHSA-J"),
    ])  # fmt: skip
    assert by_kind(changes) == [
        ("fix_available", "lxml"),
        ("new", "jinja2"),
        ("severity_raised", "lxml"),
    ]
    # lxml still pinned at 4.0 but no longer matched: retracted; jinja2 upgraded: resolved.
    _, changes = scan(
        store, "p", T0 + timedelta(hours=2), [dep("jinja2", "3.1.4"), dep("lxml", "4.0")]
    )
    assert by_kind(changes) == [("resolved", "jinja2"), ("retracted", "lxml")]
    lxml = store.findings(FindingFilter(state="all", package="lxml"))[0]
    assert lxml.state == "retracted"
    detail = store.finding(lxml.id)
    assert [h["severity"] for h in detail.history] == ["medium", "critical"]


def test_a_lowered_severity_is_history_not_news(store: Store) -> None:
    deps = [dep("a", "1")]
    scan(store, "p", T0, deps, [vuln("a", "1", "GHSA-A", severity=Severity.HIGH)])
    _, changes = scan(
        store, "p", T0 + timedelta(hours=1), deps, [vuln("a", "1", "GHSA-A", severity=Severity.LOW)]
    )
    assert changes == []
    finding = store.findings()[0]
    assert finding.severity == "low"
    assert [h["severity"] for h in store.finding(finding.id).history] == ["high", "low"]


def test_alias_groups_keep_the_identity_when_a_new_alias_links_records(store: Store) -> None:
    deps = [dep("jinja2", "2.11.3")]
    scan(store, "p", T0, deps, [vuln("jinja2", "2.11.3", "GHSA-1")])
    first = store.findings()[0]
    # The same vulnerability now arrives as a PYSEC record naming the GHSA and a CVE.
    _, changes = scan(store, "p", T0 + timedelta(hours=1), deps,
                      [vuln("jinja2", "2.11.3", "PYSEC-1", ("GHSA-1", "CVE-1"))])  # fmt: skip
    assert changes == []
    (again,) = store.findings()
    assert again.id == first.id and again.key == first.key == "vulnerability:jinja2:GHSA-1"
    assert again.view.advisory_id == "PYSEC-1"


def test_linking_two_groups_folds_the_younger_into_the_older(store: Store) -> None:
    deps = [dep("pillow", "8.0")]
    # Two records of one vulnerability, not yet known to be the same: two findings.
    scan(store, "a", T0, deps, [vuln("pillow", "8.0", "GHSA-P"), vuln("pillow", "8.0", "CVE-P")])
    scan(store, "b", T0 + timedelta(hours=1), deps, [vuln("pillow", "8.0", "CVE-P")])
    dismissed = store.findings(FindingFilter(project="b"))[0]
    store.dismiss(
        dismissed.id,
        reason="not_used",
        comment="no images",
        actor="ana",
        now=T0 + timedelta(hours=2),
    )
    assert len(store.findings(FindingFilter(project="a"))) == 2
    # Then a record names both: one vulnerability, one finding per project, nothing resolved.
    linked = vuln("pillow", "8.0", "GHSA-P", ("CVE-P",))
    _, changes_a = scan(store, "a", T0 + timedelta(days=1), deps, [linked])
    _, changes_b = scan(store, "b", T0 + timedelta(days=1), deps, [linked])
    assert changes_a == [] and changes_b == []
    (a,) = store.findings(FindingFilter(project="a", state="all"))
    assert a.key == "vulnerability:pillow:GHSA-P" and a.first_seen == T0
    (b,) = store.findings(FindingFilter(project="b", state="all"))
    assert b.key == "vulnerability:pillow:GHSA-P"
    assert b.triage == "dismissed" and b.triage_by == "ana"  # triage survives the fold
    assert [x["action"] for x in store.finding(b.id).audit] == ["dismiss"]


def test_updates_and_violations(store: Store) -> None:
    deps = [dep("django", "4.2")]
    upd = Outdated("django", "4.2", "5.0", "major", None, None, 1.5, Source("requirements.txt", 1))
    overdue = Violation(
        "vulnerability", "django", "vuln:django:GHSA-D", date(2026, 11, 1), True, "late"
    )
    event, _ = scan(store, "p", T0, deps, outdated=[upd], violations=[overdue])
    assert {c.finding.kind for c in event.changes} == {"update", "violation"}
    newer = Outdated(
        "django", "4.2", "5.1", "major", None, None, 2.0, Source("requirements.txt", 1)
    )
    _, changes = scan(
        store, "p", T0 + timedelta(days=1), deps, outdated=[newer], violations=[overdue]
    )
    assert changes == [(ChangeKind.NEW, "django")]  # the 5.0 target was superseded quietly
    old = store.findings(FindingFilter(state="resolved"))
    assert [(f.kind, f.view.target, f.state) for f in old] == [("update", "5.0", "superseded")]
    _, changes = scan(store, "p2", T0, deps)
    _, changes = scan(store, "p2", T0 + timedelta(days=1), deps, violations=[overdue])
    assert changes == [(ChangeKind.OVERDUE, "django")]
    _, changes = scan(store, "p", T0 + timedelta(days=2), [dep("django", "5.1")])
    assert by_kind(changes) == [("resolved", "django"), ("resolved", "django")]


def test_triage_dismiss_snooze_reopen_audited(store: Store) -> None:
    deps = [dep("a", "1"), dep("b", "1")]
    scan(store, "p", T0, deps, [vuln("a", "1", "GHSA-A"), vuln("b", "1", "GHSA-B")])
    a, b = store.findings()
    record = store.dismiss(
        a.id, reason="tolerable_risk", comment="internal only", actor="ana", now=T0
    )
    assert record.state == "dismissed" and record.triage_reason == "tolerable_risk"
    # A dismissed finding is kept up to date but tells nobody.
    _, changes = scan(store, "p", T0 + timedelta(hours=1), deps, [
        vuln("a", "1", "GHSA-A", severity=Severity.CRITICAL), vuln("b", "1", "GHSA-B"),
    ])  # fmt: skip
    assert changes == []
    assert store.finding(a.id).severity == "critical"
    with pytest.raises(TriageError, match="unknown reason"):
        store.dismiss(b.id, reason="meh", comment="", actor="x", now=T0)
    with pytest.raises(TriageError, match="not in the future"):
        store.snooze(
            b.id, until=T0 - timedelta(days=1), until_fix=False, comment="", actor="x", now=T0
        )
    with pytest.raises(TriageError) as missing:
        store.reopen(999, comment="", actor="x", now=T0)
    assert missing.value.missing
    reopened = store.reopen(a.id, comment="risk changed", actor="bo", now=T0 + timedelta(hours=2))
    assert reopened.state == "open"
    assert [(x["action"], x["actor"]) for x in reopened.audit] == [
        ("dismiss", "ana"),
        ("reopen", "bo"),
    ]
    with pytest.raises(TriageError) as conflict:
        store.reopen(a.id, comment="", actor="bo", now=T0)
    assert conflict.value.conflict


def test_snooze_until_a_fix_reopens_when_the_fix_arrives(store: Store) -> None:
    deps = [dep("a", "1")]
    scan(store, "p", T0, deps, [vuln("a", "1", "GHSA-A")])
    (a,) = store.findings()
    store.snooze(a.id, until=None, until_fix=True, comment="waiting", actor="ana", now=T0)
    assert store.findings() == []  # open = not triaged
    _, changes = scan(
        store, "p", T0 + timedelta(days=3), deps, [vuln("a", "1", "GHSA-A", fixed=("1.1",))]
    )
    assert changes == [(ChangeKind.REOPENED, "a")]
    again = store.finding(a.id)
    assert again.state == "open"
    assert [x["action"] for x in again.audit] == ["snooze", "fix"]
    with pytest.raises(TriageError, match="already has a fix"):
        store.snooze(a.id, until=None, until_fix=True, comment="", actor="ana", now=T0)


def test_expired_snoozes_reopen_with_an_expiry_event(store: Store) -> None:
    scan(store, "p", T0, [dep("a", "1")], [vuln("a", "1", "GHSA-A")])
    (a,) = store.findings()
    store.snooze(
        a.id, until=T0 + timedelta(days=7), until_fix=False, comment="", actor="ana", now=T0
    )
    assert store.expire_snoozes(T0 + timedelta(days=6)) == []
    (event,) = store.expire_snoozes(T0 + timedelta(days=7))
    assert event.kind is EventKind.EXPIRY and event.project == "p"
    assert [c.kind for c in event.changes] == [ChangeKind.REOPENED]
    assert store.finding(a.id).state == "open"
    assert store.pending_events()[-1].event.id == event.id  # written with the change itself


def test_outbox_reads_in_order_and_marks_processed(store: Store) -> None:
    for i in range(3):
        scan(store, f"p{i}", T0 + timedelta(minutes=i), [dep("a", "1")], [vuln("a", "1", "GHSA-A")])
    pending = store.pending_events()
    assert [p.event.project for p in pending] == ["p0", "p1", "p2"]
    assert [p.seq for p in pending] == sorted(p.seq for p in pending)
    assert len({p.event.id for p in pending}) == 3
    assert store.outbox_depth() == 3
    assert store.mark_processed([pending[0].seq], T0) == 1
    assert store.mark_processed([pending[0].seq], T0) == 0  # once only
    assert [p.event.project for p in store.pending_events()] == ["p1", "p2"]
    assert [p.event.project for p in store.pending_events(after=pending[1].seq)] == ["p2"]
    everything = store.pending_events(include_processed=True)
    assert everything[0].processed_at == T0 and store.outbox_depth() == 2


def test_runs_attempts_and_interruptions(store: Store) -> None:
    run_id = store.start_run("p", "/srv/p", "schedule", T0)
    assert store.project_states()["p"].last_attempt_at == T0
    assert store.interrupt_running(T0 + timedelta(seconds=5), "stopped") == ["p"]
    state = store.project_states()["p"]
    assert state.last_result == "interrupted" and state.interrupted_streak == 1
    assert store.run(run_id).result == "interrupted"
    failing = store.start_run("p", "/srv/p", "schedule", T0 + timedelta(minutes=1))
    store.record_failure("p", failing, "no dependency files found", now=T0, duration=0.1)
    state = store.project_states()["p"]
    assert (state.last_result, state.last_error, state.interrupted_streak) == (
        "failed",
        "no dependency files found",
        0,
    )
    assert state.last_success_at is None
    assert [r.result for r in store.runs(project="p")] == ["failed", "interrupted"]


def test_rematch_touches_only_vulnerabilities_of_the_stored_set(store: Store) -> None:
    upd = Outdated("a", "1", "2", "major", None, None, 1.0, Source("requirements.txt", 1))
    scan(store, "p", T0, [dep("a", "1")], outdated=[upd])
    assert [d.name for d in store.dependencies("p")] == ["a"]
    outcome = store.rematch(
        "p", [vuln("a", "1", "GHSA-NEW", severity=Severity.HIGH)], now=T0 + timedelta(hours=1)
    )
    assert [(c.kind, c.finding.advisory_id) for c in outcome.changes] == [
        (ChangeKind.NEW, "GHSA-NEW")
    ]
    assert outcome.event.extra == {"trigger": "advisory-sync"}
    kinds = sorted(f.kind for f in store.findings())
    assert kinds == ["update", "vulnerability"]  # the update finding was left alone


def test_a_rematch_of_some_packages_leaves_the_others_findings_alone(store: Store) -> None:
    deps = [dep("a", "1"), dep("b", "1")]
    scan(store, "p", T0, deps, [vuln("a", "1", "GHSA-A"), vuln("b", "1", "GHSA-B")])
    later = T0 + timedelta(hours=1)
    outcome = store.rematch("p", [], now=later, packages={"a"})  # a's advisory was withdrawn
    assert [(c.kind, c.finding.package) for c in outcome.changes] == [(ChangeKind.RETRACTED, "a")]
    assert {f.package: f.status for f in store.findings(FindingFilter(state="all"))} == {
        "a": "resolved",
        "b": "open",  # b's pins were not matched again: its finding stays as it was
    }


def test_a_rematch_of_many_projects_gives_each_its_own_outcome(store: Store) -> None:
    scan(store, "p", T0, [dep("a", "1")])
    scan(store, "q", T0, [dep("a", "1")], [vuln("a", "1", "GHSA-A")])
    later = T0 + timedelta(hours=1)
    found = [vuln("a", "1", "GHSA-A")]
    outcomes = store.rematch_many([("p", found, None), ("q", found, None)], now=later)
    assert [[c.kind for c in o.changes] for o in outcomes] == [[ChangeKind.NEW], []]
    assert sorted(f.project for f in store.findings()) == ["p", "q"]


def test_alias_groups_cached_by_one_store_are_seen_by_another(tmp_path: Path) -> None:
    """The group cache holds only committed groups: a second store on the same file agrees."""
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    first, second = Store.open(url), Store.open(url)
    try:
        scan(first, "p", T0, [dep("a", "1")], [vuln("a", "1", "GHSA-A", ("CVE-1",))])
        scan(first, "q", T0, [dep("a", "1")], [vuln("a", "1", "PYSEC-A", ("CVE-1",))])  # cached
        scan(second, "r", T0, [dep("a", "1")], [vuln("a", "1", "CVE-1")])
        keys = {f.project: f.key for f in first.findings()}
        assert keys["p"] == keys["q"] == keys["r"] == "vulnerability:a:GHSA-A"
    finally:
        first.close()
        second.close()


def test_first_seen_dates_are_kept(store: Store) -> None:
    scan(store, "p", T0, [dep("a", "1")], [vuln("a", "1", "GHSA-A")])
    scan(store, "p", T0 + timedelta(days=5), [dep("a", "1")], [vuln("a", "1", "GHSA-A")])
    assert store.first_seen("p") == {"vuln:a:GHSA-A": T0}
    later = T0 + timedelta(days=9)
    both = [vuln("a", "1", "GHSA-A"), vuln("a", "1", "GHSA-B")]
    scan(store, "p", later, [dep("a", "1")], both)  # a new key joins; the old clock stays
    assert store.first_seen("p") == {"vuln:a:GHSA-A": T0, "vuln:a:GHSA-B": later}
    assert store.first_seen("q") == {}


def test_digest_from_stored_findings(store: Store) -> None:
    upd = Outdated("a", "1", "2", "major", None, None, 1.25, Source("requirements.txt", 1))
    scan(store, "p", T0, [dep("a", "1")], [vuln("a", "1", "GHSA-A")], outdated=[upd])
    event = store.write_digest("p", T0 + timedelta(days=1), since=None)
    assert event.kind is EventKind.DIGEST and event.digest is not None
    assert [f.target for f in event.digest.outdated] == ["2"] and event.digest.libyears == 1.25
    assert [f.advisory_id for f in event.digest.open_vulnerabilities] == ["GHSA-A"]


def test_concurrent_writers_wait_instead_of_failing(store: Store) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                scan(
                    store,
                    f"p{n}",
                    T0 + timedelta(minutes=i),
                    [dep("a", "1")],
                    [vuln("a", "1", f"GHSA-{i % 3}")],
                )
        except BaseException as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.runs(limit=100)) == 40
