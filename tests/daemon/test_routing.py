"""Routing: which channels hear of an event and what each is told; auto-triage rules; quiet hours;
the baseline of a new route; fleet digests. Pure functions first, then through the relay and a
real store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from depsentry.daemon.config import load_settings
from depsentry.daemon.digests import commands_for, fleet_event
from depsentry.daemon.events import ChangeKind, Event, EventKind, FindingView, ProjectDigest
from depsentry.daemon.notify import Channel
from depsentry.daemon.notify.secrets import Secret
from depsentry.daemon.routing import accepts, channels_for, matching_rule, quiet_until, route
from depsentry.daemon.settings import ProjectSettings, TriageRule
from depsentry.daemon.store import FindingFilter, Store
from depsentry.daemon.store.outbox import uuid7
from depsentry.errors import ConfigErrors
from depsentry.models import Dependency, ProjectReport, Severity, Source, Vulnerability
from tests.daemon.relay_helpers import run_relay, scan_event, settings_for, vuln
from tests.servers.webhook_server import WebhookReceiver

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def chan(name: str = "c", **fields: object) -> Channel:
    return Channel(name=name, kind="webhook", url=Secret("http://127.0.0.1:9/x", "url"), **fields)  # type: ignore[arg-type]


def keys(event: Event | None) -> list[str]:
    return [] if event is None else [c.finding.key for c in event.changes]


def test_min_severity_with_unrated_as_high_and_malicious_and_kev_always() -> None:
    high = chan(min_severity="high")
    assert accepts(high, vuln("a", "critical")) and accepts(high, vuln("a", "high"))
    assert not accepts(high, vuln("a", "medium"))
    assert accepts(high, vuln("a", "unknown"))  # unrated counts as high
    assert not accepts(high, vuln("a", "unknown"), unrated_as="medium")
    assert not accepts(chan(), vuln("a", "unknown"), unrated_as="ignore")
    assert accepts(high, vuln("a", "low", malicious=True))
    assert accepts(high, vuln("a", "low", kev=True))


def test_a_scan_message_keeps_only_what_alerts_on_that_channel() -> None:
    event = scan_event(
        vuln("low", "low"), vuln("high", "high"), vuln("evil", "low", malicious=True)
    )
    decision = route(event, chan(min_severity="high"), alerted=(), now=NOW)
    assert decision is not None and keys(decision.event) == ["high", "evil"]
    assert decision.critical  # malicious counts as critical: mentions apply
    assert decision.alerted == ("evil", "high")
    assert (
        route(scan_event(vuln("low", "low")), chan(min_severity="high"), alerted=(), now=NOW)
        is None
    )


def test_severity_rises_alert_only_when_they_cross_the_threshold() -> None:
    high = chan(min_severity="high")
    crossed = scan_event(vuln("a", "high"), kind=ChangeKind.SEVERITY_RAISED, previous="medium")
    assert keys(route(crossed, high, alerted=(), now=NOW).event) == ["a"]  # type: ignore[union-attr]
    within = scan_event(vuln("a", "critical"), kind=ChangeKind.SEVERITY_RAISED, previous="high")
    assert route(within, high, alerted={"a"}, now=NOW) is None  # already told at high
    assert route(within, high, alerted=(), now=NOW) is not None  # never told: it is news here
    below = scan_event(vuln("a", "medium"), kind=ChangeKind.SEVERITY_RAISED, previous="low")
    assert route(below, high, alerted=(), now=NOW) is None


def test_resolved_and_retracted_notes_only_where_alerted_fixes_and_overdue() -> None:
    c = chan(min_severity="high")
    for kind in (ChangeKind.RESOLVED, ChangeKind.RETRACTED):
        event = scan_event(vuln("a", "medium"), kind=kind)
        assert route(event, c, alerted=(), now=NOW) is None
        assert route(event, c, alerted={"a"}, now=NOW) is not None
    fixed = scan_event(vuln("a", "medium"), kind=ChangeKind.FIX_AVAILABLE)
    assert route(fixed, c, alerted=(), now=NOW) is None
    assert route(fixed, c, alerted={"a"}, now=NOW) is not None
    violation = FindingView(key="v", kind="violation", package="x", rule="max-age", overdue=True)
    overdue = scan_event(violation, kind=ChangeKind.OVERDUE)
    assert route(overdue, c, alerted=(), now=NOW) is not None
    update = FindingView(key="u", kind="update", package="x", target="2.0")
    assert route(scan_event(update), chan(), alerted=(), now=NOW) is None  # updates: the digest


def test_baselines_keep_vulnerabilities_at_the_channels_level_and_the_rest() -> None:
    update = FindingView(key="u", kind="update", package="x", target="2.0")
    event = scan_event(
        vuln("low", "low"), vuln("high", "high"), update, event_kind=EventKind.BASELINE
    )
    decision = route(event, chan(min_severity="high"), alerted=(), now=NOW)
    assert decision is not None and keys(decision.event) == ["high", "u"]


def test_quiet_hours_hold_until_they_end_in_the_channels_zone_unless_critical() -> None:
    quiet = chan(quiet_hours=(time(22, 0), time(8, 0)), timezone="Asia/Shanghai")
    at_night = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    release = quiet_until(quiet, at_night)
    assert release == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # 08:00 the next morning there
    assert quiet_until(quiet, datetime(2026, 12, 2, 4, 0, tzinfo=UTC)) is None  # 12:00 there
    held = route(scan_event(vuln("a", "high")), quiet, alerted=(), now=at_night)
    assert held is not None and held.hold_until == release
    urgent = route(scan_event(vuln("a", "critical")), quiet, alerted=(), now=at_night)
    assert urgent is not None and urgent.hold_until is None
    strict = replace(quiet, critical_overrides_quiet=False)
    assert (
        route(scan_event(vuln("a", "critical")), strict, alerted=(), now=at_night).hold_until
        == release
    )  # type: ignore[union-attr]


def test_a_project_routes_to_its_own_channels_else_to_the_channels_globs() -> None:
    a, b = chan("a"), chan("b", projects=("billing-*",))
    listed = ProjectSettings(name="search", schedule=None, channels=("b",))  # type: ignore[arg-type]
    assert [c.name for c in channels_for("search", listed, [a, b])] == ["b"]
    assert [c.name for c in channels_for("billing-eu", None, [a, b])] == ["a", "b"]
    assert [c.name for c in channels_for("search", None, [a, b])] == ["a"]


def test_triage_rules_match_every_condition_they_set() -> None:
    dev = TriageRule(
        reason="tolerable_risk", dev_only=True, severities=("low", "medium"), name="dev"
    )
    ids = TriageRule(reason="inaccurate", ids=("CVE-2024-*",), name="ids")
    epss = TriageRule(
        reason="tolerable_risk", epss_below=0.01, packages=("py*",), projects=("app",)
    )
    rules = [dev, ids, epss]
    assert matching_rule(vuln("a", "low", dev_only=True), "app", rules) is dev
    assert matching_rule(vuln("a", "high", dev_only=True), "app", rules) is None
    assert matching_rule(vuln("a", "high", aliases=("CVE-2024-1",)), "app", rules) is ids
    assert matching_rule(vuln("a", "high", package="pyyaml", epss=0.001), "app", rules) is epss
    assert matching_rule(vuln("a", "high", package="pyyaml", epss=0.001), "web", rules) is None
    assert matching_rule(vuln("a", "high", package="pyyaml"), "app", rules) is None  # no EPSS
    evil = vuln("a", "low", dev_only=True, malicious=True)
    assert matching_rule(evil, "app", rules) is None  # never dismiss malware by accident
    update = FindingView(key="u", kind="update", package="x", dev_only=True, severity="low")
    assert matching_rule(update, "app", rules) is None  # rules take vulnerabilities by default


def test_config_reports_triage_and_alerts_errors_by_key(tmp_path: Path) -> None:
    config = tmp_path / "depsentry.toml"
    config.write_text(
        '[alerts]\ngive_up_after = "soon"\nunrated_as = "huge"\nbogus = 1\n'
        '[[triage]]\nname = "x"\nreason = "because"\nseverity = "sever"\nepss_below = 3\n'
        '[[triage]]\nreason = "not_used"\n'
        '[[channel]]\nname = "c"\nkind = "webhook"\nurl_env = "NOT_SET_ANYWHERE"\n'
        'quiet_override = "sometimes"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigErrors) as caught:
        load_settings(config)
    text = "\n".join(caught.value.problems)
    for key in (
        "alerts.give_up_after:", "alerts.unrated_as: expected one of", "alerts.bogus: unknown key",
        "triage[x].reason: expected one of", "triage[x].severity: not a severity",
        "triage[x].epss_below:", "triage[1]: a rule needs a condition",
        "channel[0].url_env: variable NOT_SET_ANYWHERE is not set",
        'channel[0].quiet_override: expected "critical" or "none"',
    ):  # fmt: skip
        assert key in text


def test_good_alerts_and_triage_config_is_read(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path,
        '[alerts]\ngive_up_after = "2h"\nunrated_as = "medium"\n'
        '[[triage]]\nname = "dev"\nreason = "tolerable_risk"\ndev_only = true\n'
        'severity = ["low"]\ncomment = "dev tools"\n'
        '[[channel]]\nname = "c"\nkind = "webhook"\nurl = "http://127.0.0.1:9/x"\n'
        'quiet_hours = "22:00-08:00"\nquiet_override = "none"\n',
    )
    assert settings.triage[0].severities == ("low",) and settings.triage[0].comment == "dev tools"
    (channel,) = settings.alert_channels
    assert channel.quiet_hours == (time(22), time(8)) and not channel.critical_overrides_quiet
    raw = load_settings(settings.config_path)
    assert raw.alerts.give_up_after == 7200 and raw.alerts.unrated_as == "medium"


def _report(vulns: list[Vulnerability]) -> ProjectReport:
    deps = [Dependency(v.package, v.version, True, Source("requirements.txt", 1)) for v in vulns]
    return ProjectReport(path="/srv/app", dependencies=deps, vulnerabilities=vulns)


def _vuln(package: str, vid: str, severity: Severity) -> Vulnerability:
    return Vulnerability(package, "1.0", vid, (), severity, None, ("2.0",), "summary",
                         Source("requirements.txt", 1))  # fmt: skip


def _scan(store: Store, vulns: list[Vulnerability], when: datetime) -> None:
    run_id = store.start_run("app", "/srv/app", "schedule", when)
    store.record_scan("app", run_id, _report(vulns), now=when, duration=0.1)


def test_triage_rules_dismiss_before_any_alert_and_new_routes_get_a_baseline(
    tmp_path: Path,
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    with WebhookReceiver() as first, WebhookReceiver() as later:
        rules = '[[triage]]\nname = "pytest"\nreason = "not_used"\npackage = "pytest*"\n'
        one = f'[[channel]]\nname = "first"\nkind = "webhook"\nurl = "{first.url}"\n'
        two = f'[[channel]]\nname = "later"\nkind = "webhook"\nurl = "{later.url}"\n'
        settings = settings_for(tmp_path, rules + one)
        store.ensure_projects([("app", "/srv/app")])
        _scan(store, [_vuln("jinja2", "PYSEC-1", Severity.HIGH)], NOW)
        run_relay(store, settings)
        (baseline,) = [r.json() for r in first.received]
        assert baseline["kind"] == "baseline"
        _scan(store, [_vuln("jinja2", "PYSEC-1", Severity.HIGH),
                      _vuln("pytest", "PYSEC-2", Severity.CRITICAL)], NOW)  # fmt: skip
        run_relay(store, settings)
        assert len(first.received) == 1  # the pytest finding was dismissed, not alerted
        (dismissed,) = store.findings(FindingFilter(state="dismissed"))
        assert dismissed.package == "pytest" and dismissed.triage_reason == "not_used"
        assert dismissed.triage_by == "auto-triage:pytest"
        # A channel added later gets one baseline of what exists, not the history.
        run_relay(store, settings_for(tmp_path, rules + one + two))
        (summary,) = [r.json() for r in later.received]
        assert summary["kind"] == "baseline" and summary["extra"] == {"route": "later"}
        assert [c["finding"]["package"] for c in summary["changes"]] == ["jinja2"]
        assert len(first.received) == 1
        run_relay(store, settings_for(tmp_path, rules + one + two))
        assert len(later.received) == 1  # once
    store.close()


def test_one_review_becomes_a_fleet_digest_on_a_channel_routing_many_projects(
    tmp_path: Path,
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    with WebhookReceiver() as fleet, WebhookReceiver() as single:
        projects = "".join(f'[[project]]\nname = "p{i}"\npath = "{tmp_path}"\n' for i in range(3))
        channels = (
            f'[[channel]]\nname = "fleet"\nkind = "webhook"\nurl = "{fleet.url}"\n'
            f'[[channel]]\nname = "single"\nkind = "webhook"\nurl = "{single.url}"\n'
            'projects = ["p0"]\n'
        )
        settings = settings_for(tmp_path, projects + channels)
        review = {"policy": "monthly", "review": uuid7(), "count": 3}
        now = datetime.now(UTC)  # the relay waits for the rest of a review by the real clock
        for name in ("p0", "p1"):
            store.write_digest(name, now, since=None, extra=review)
        run_relay(store, settings, timeout=0.5)
        assert fleet.received == [] and single.received == []  # waits for the third digest
        store.write_digest("p2", now, since=None, extra=review)
        run_relay(store, settings)
        (message,) = [r.json() for r in fleet.received]
        assert message["kind"] == "digest" and message["extra"]["fleet"] == ["p0", "p1", "p2"]
        assert message["id"] == review["review"]
        (own,) = [r.json() for r in single.received]
        assert own["project"] == "p0" and "fleet" not in own["extra"]
    store.close()


def test_fleet_events_tag_each_finding_with_its_project_and_sum_counts() -> None:
    def digest(project: str, libyears: float) -> Event:
        update = FindingView(key="u", kind="update", package="requests", target="3.0")
        return Event(
            id=uuid7(), kind=EventKind.DIGEST, project=project, created_at=NOW.isoformat(),
            digest=ProjectDigest(outdated=(update,), libyears=libyears, dismissed=1),
        )  # fmt: skip

    import json

    import jsonschema

    from depsentry.daemon import notify

    event = fleet_event([digest("a", 1.5), digest("b", 2.0)], "rid", NOW.isoformat())
    assert event.digest is not None and event.project == "2 projects"
    schema = json.loads((Path(notify.__file__).parent / "event.schema.json").read_text())
    jsonschema.validate(json.loads(event.to_json()), schema)  # webhook receivers can read it
    assert [f.package for f in event.digest.outdated] == ["a: requests", "b: requests"]
    assert event.digest.libyears == 3.5 and event.digest.dismissed == 2


def test_digest_commands_offer_fix_and_the_codemods_that_apply() -> None:
    views = [
        vuln("a", "high", package="jinja2"),
        vuln("b", "high", package="nofix", fixed_in=()),
        FindingView(key="u", kind="update", package="openai", version="0.28.0", target="1.30.0"),
        FindingView(key="w", kind="update", package="requests", version="2.0", target="2.1"),
    ]
    assert commands_for(views) == (
        "depsentry fix . --package jinja2",
        "depsentry codemod run openai-v1 .  # openai 0.28.0 -> 1.30.0",
    )
    assert commands_for([]) == ()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_fleet_digests_render_for_every_kind_and_language(language: str) -> None:
    from depsentry.daemon.notify import NOTIFIERS
    from depsentry.daemon.notify.channels import check_channels

    def digest(project: str) -> Event:
        update = FindingView(key="u", kind="update", package="requests", version="2.0",
                             target="3.0", libyears=1.0)  # fmt: skip
        return Event(
            id=uuid7(), kind=EventKind.DIGEST, project=project, created_at=NOW.isoformat(),
            digest=ProjectDigest(outdated=(update,), open_vulnerabilities=(vuln("a"),),
                                 libyears=1.0, commands=("depsentry fix . --package jinja2",)),
        )  # fmt: skip

    event = fleet_event([digest(f"p{i}") for i in range(3)], uuid7(), NOW.isoformat())
    tables = {
        "slack": {"url": "https://hooks.slack.com/services/T0/B0/x"},
        "dingtalk": {"url": "https://oapi.dingtalk.com/robot/send?access_token=t"},
        "feishu": {"url": "https://open.feishu.cn/open-apis/bot/v2/hook/x"},
        "wecom": {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
        "webhook": {"url": "https://hooks.example.internal/x"},
    }
    for kind, notifier in NOTIFIERS.items():
        (channel,), errors = check_channels(
            [{"name": f"c-{kind}", "kind": kind, "language": language, **tables[kind]}]
        )
        assert errors == []
        payloads = notifier().build(event, channel)
        text = " ".join(p.body.decode() for p in payloads)
        assert payloads and "p2: requests" in text, kind
        if kind != "webhook":  # chat text names the fleet in the channel's language
            assert ("3 个项目" if language == "zh" else "3 projects") in text, kind
            assert language == "en" or "3 projects" not in text, kind


def test_a_channel_removed_by_a_reload_keeps_its_deliveries_waiting(tmp_path: Path) -> None:
    from tests.daemon.relay_helpers import open_store, write_events

    store = open_store(tmp_path)
    with WebhookReceiver() as hook:
        settings = settings_for(
            tmp_path, f'[[channel]]\nname = "gone"\nkind = "webhook"\nurl = "{hook.url}"\n'
        )
        write_events(store, [scan_event(vuln("a"))])
        without = replace(settings, alert_channels=())
        calls = [settings, without]  # routed with the channel, sent after it was removed
        run_relay(store, lambda: calls.pop(0) if len(calls) > 1 else calls[0], timeout=0.5)
        assert hook.received == []
    (delivery,) = store.deliveries()
    assert delivery.state == "pending" and delivery.attempts == 0
    store.close()


def test_kev_or_epss_rising_is_news_where_the_finding_qualifies(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    store.ensure_projects([("app", "/srv/app")])
    base = _vuln("jinja2", "PYSEC-1", Severity.MEDIUM)
    _scan(store, [base], NOW)
    _scan(store, [replace(base, epss=0.05)], NOW)  # below the mark: history only
    _scan(store, [replace(base, epss=0.5)], NOW)
    _scan(store, [replace(base, epss=0.5, kev=True)], NOW)
    events = [p.event for p in store.pending_events()]
    assert [e.kind for e in events] == [EventKind.BASELINE, EventKind.SCAN, EventKind.SCAN]
    for event in events[1:]:
        (change,) = event.changes
        assert change.kind is ChangeKind.SEVERITY_RAISED and change.previous is None
    epss_rise, kev_rise = events[1], events[2]
    high = chan(min_severity="high")
    assert route(epss_rise, high, alerted={change.finding.key}, now=NOW) is None
    assert route(kev_rise, high, alerted={change.finding.key}, now=NOW) is not None  # KEV: always
    assert route(epss_rise, chan(), alerted={change.finding.key}, now=NOW) is not None
    store.close()


def test_dev_only_pins_are_those_only_dev_groups_declare() -> None:
    from depsentry.daemon.store.desired import dev_only_pins

    def dep(name: str, *groups: str) -> Dependency:
        return Dependency(name, "1.0", True, Source("pyproject.toml", 1), groups=groups)

    pins = dev_only_pins([dep("pytest", "dev"), dep("ruff", "lint", "dev"), dep("jinja2"),
                          dep("click", "main"), dep("attrs", "test"), dep("attrs", "main")])  # fmt: skip
    assert pins == {("pytest", "1.0"), ("ruff", "1.0")}


def test_a_stored_dependency_set_keeps_its_groups_for_a_rematch() -> None:
    from depsentry.daemon.store.runs import decode_dependencies, encode_dependencies

    deps = [
        Dependency("pytest", "8.0", True, Source("pyproject.toml", 3), groups=("dev",)),
        Dependency("jinja2", "2.11.3", True, Source("requirements.txt", 1)),
    ]
    assert decode_dependencies(encode_dependencies(deps)) == deps
    assert decode_dependencies([["old", "1.0", True, "requirements.txt", 2]])[0].groups == ()


def test_the_digest_names_what_is_not_ready_for_the_target_python() -> None:
    from depsentry.daemon.digests import readiness_for

    def not_ready(package: str) -> FindingView:
        return FindingView(key=f"r{package}", kind="violation", package=package, rule="readiness")

    assert readiness_for([vuln("a")]) is None
    assert readiness_for([not_ready("numpy"), not_ready("lxml")]) == "✗ lxml, numpy"
    many = [not_ready(f"p{i}") for i in range(7)]
    assert readiness_for(many) == "✗ p0, p1, p2, p3, p4 (+2)"
