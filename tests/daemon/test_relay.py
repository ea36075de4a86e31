"""The relay against the loopback stand-ins: sent only on a confirmed answer, retried with
backoff on errors, 429s, timeouts and resets, DingTalk's 130101 waited out and 310000 given up,
one channel's outage never holding another, and no secret in any log line."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from depsentry.daemon.events import ChangeKind, Event
from depsentry.daemon.metrics import Metrics
from depsentry.daemon.relay import backoff
from depsentry.daemon.store.schema import deliveries
from tests.daemon.relay_helpers import (
    all_attempted,
    open_store,
    run_relay,
    scan_event,
    settings_for,
    vuln,
    write_events,
)
from tests.servers.chat import Fault
from tests.servers.dingtalk_server import DingTalkStandIn, Robot
from tests.servers.webhook_server import WebhookReceiver

HOOK_SECRET = "hook-signing-secret-77"
DING_SECRET = "SECdingtalk-signing-secret-99"
DING_TOKEN = "dingtoken0123456789"


def webhook_channel(name: str, url: str, extra: str = "") -> str:
    return f'[[channel]]\nname = "{name}"\nkind = "webhook"\nurl = "{url}"\ntimeout = 1\n{extra}\n'


def test_events_are_delivered_once_in_order_and_marked_sent(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with WebhookReceiver() as hook:
        settings = settings_for(tmp_path, webhook_channel("hook", hook.url))
        events = [scan_event(vuln(f"k{i}")) for i in range(5)]
        write_events(store, events)
        metrics = Metrics()
        run_relay(store, settings, metrics=metrics)
        run_relay(store, settings)  # a second pass (a restart) sends nothing again
        received = [r.json()["id"] for r in hook.received]
    assert received == [e.id for e in events]
    assert hook.duplicates == 0
    assert {d.state for d in store.deliveries()} == {"sent"}
    assert store.outbox_depth() == 0
    assert metrics.deliveries.labels("sent")._value.get() == 5
    store.close()


def test_server_errors_timeouts_and_resets_are_retried_until_confirmed(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with WebhookReceiver() as hook:
        hook.fail(Fault(status=503, body={"error": "down"}))
        hook.fail(Fault(hang=2.0))  # past the channel's 1 s timeout
        hook.fail(Fault(reset=True))
        settings = settings_for(tmp_path, webhook_channel("hook", hook.url))
        event = scan_event(vuln("a"))
        write_events(store, [event])
        run_relay(store, settings)
        accepted = [r for r in hook.received if r.status == 202]
    assert len(accepted) == 1 and accepted[0].json()["id"] == event.id
    (delivery,) = store.deliveries()
    assert delivery.state == "sent" and delivery.attempts == 4
    store.close()


def test_429_waits_the_retry_after_the_service_asked_for(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with WebhookReceiver() as hook:
        hook.fail(Fault(status=429, body={"error": "slow down"}, headers={"Retry-After": "120"}))
        settings = settings_for(tmp_path, webhook_channel("hook", hook.url))
        write_events(store, [scan_event(vuln("a"))])
        run_relay(store, settings, until=all_attempted(store))
    (delivery,) = store.deliveries()
    assert delivery.state == "pending" and delivery.attempts == 1
    assert delivery.next_attempt_at is not None and delivery.last_attempt_at is not None
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(seconds=119) <= wait <= timedelta(seconds=121)
    assert "429" in (delivery.last_error or "")
    store.close()


def test_dingtalk_throttle_is_waited_out_and_a_security_error_is_given_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path)
    throttled, refused = Robot(DING_TOKEN, DING_SECRET), Robot("other-token-1", "SECother")
    # Two stand-ins: each fault queue is per server, and the two channels send concurrently.
    with DingTalkStandIn([throttled]) as ding, DingTalkStandIn([refused]) as ding2:
        monkeypatch.setenv("DING_URL", ding.url(DING_TOKEN))
        monkeypatch.setenv("DING_SECRET", DING_SECRET)
        monkeypatch.setenv("DING_URL2", ding2.url("other-token-1"))
        monkeypatch.setenv("DING_SECRET2", "SECwrong")  # the robot's is SECother: sign not match
        ding.fail(Fault(status=200, body={"errcode": 130101, "errmsg": "send too fast"}))
        settings = settings_for(
            tmp_path,
            '[[channel]]\nname = "ding"\nkind = "dingtalk"\nurl_env = "DING_URL"\n'
            'secret_env = "DING_SECRET"\n'
            '[[channel]]\nname = "ding-bad"\nkind = "dingtalk"\nurl_env = "DING_URL2"\n'
            'secret_env = "DING_SECRET2"\n',
        )
        write_events(store, [scan_event(vuln("a"))])
        run_relay(store, settings, until=all_attempted(store))
    by_channel = {d.channel: d for d in store.deliveries()}
    waiting, failed = by_channel["ding"], by_channel["ding-bad"]
    assert waiting.state == "pending" and "130101" in (waiting.last_error or "")
    assert waiting.next_attempt_at is not None and waiting.last_attempt_at is not None
    assert waiting.next_attempt_at - waiting.last_attempt_at >= timedelta(seconds=599)
    assert failed.state == "failed" and failed.attempts == 1
    assert "310000" in (failed.last_error or "") and "signature" in (failed.last_error or "")
    assert [d.id for d in store.deliveries(state="failed")] == [failed.id]
    assert not throttled.messages and not refused.messages
    store.close()


def test_one_channels_outage_never_delays_another(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with WebhookReceiver() as up:
        down = "http://127.0.0.1:1/hook"  # nothing listens: every attempt is refused
        settings = settings_for(
            tmp_path, webhook_channel("up", up.url) + webhook_channel("down", down),
            backoff_initial=30.0, backoff_max=60.0,
        )  # fmt: skip
        events = [scan_event(vuln(f"k{i}")) for i in range(3)]
        write_events(store, events)
        run_relay(
            store, settings,
            until=lambda: len(store.deliveries(channel="up", state="sent")) == 3
            and store.deliveries(channel="down")[-1].attempts > 0,
        )  # fmt: skip
        got = [r.json()["id"] for r in up.received]
    assert got == [e.id for e in events]
    states = {(d.channel, d.state) for d in store.deliveries()}
    assert states == {("up", "sent"), ("down", "pending")}
    # The head of `down` waits its backoff; the two behind it were never tried (order holds).
    attempts = sorted(d.attempts for d in store.deliveries(channel="down"))
    assert attempts == [0, 0, 1]
    store.close()


def test_a_receiver_down_for_a_while_gets_everything_in_order(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with WebhookReceiver() as hook:
        hook.fail(Fault(status=502, times=6))
        settings = settings_for(tmp_path, webhook_channel("hook", hook.url))
        events = [scan_event(vuln(f"k{i}")) for i in range(4)]
        write_events(store, events)
        run_relay(store, settings)
        accepted = [r.json()["id"] for r in hook.received if r.status == 202]
    assert accepted == [e.id for e in events]
    store.close()


def test_nothing_is_retried_past_give_up_after(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    later = [datetime.now(UTC)]
    settings = settings_for(
        tmp_path, webhook_channel("down", "http://127.0.0.1:1/hook"), give_up_after=60.0
    )
    write_events(store, [scan_event(vuln("a"))])
    metrics = Metrics()
    run_relay(store, settings, clock=lambda: later[0], until=all_attempted(store), metrics=metrics)
    (delivery,) = store.deliveries()
    assert delivery.state == "pending" and delivery.attempts >= 1
    later[0] += timedelta(seconds=61)
    run_relay(
        store, settings, clock=lambda: later[0], metrics=metrics,
        # the metrics are refreshed after the store says failed: stop only once both have
        until=lambda: store.deliveries()[0].state == "failed"
        and metrics.deliveries_failed._value.get() == 1,
    )  # fmt: skip
    (delivery,) = store.deliveries()
    assert delivery.state == "failed" and delivery.failed_at is not None
    assert metrics.deliveries_failed._value.get() == 1
    assert metrics.give_up_after._value.get() == 60.0
    # `alerts retry` puts it back, with a fresh give-up clock.
    again = store.retry_delivery(delivery.id, later[0])
    assert again is not None and again.state == "pending" and again.retried_at == later[0]
    assert store.retry_delivery(99999, later[0]) is None
    store.close()


def test_outbox_events_older_than_give_up_after_are_not_sent(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with WebhookReceiver() as hook:
        settings = settings_for(tmp_path, webhook_channel("hook", hook.url), give_up_after=60.0)
        old = replace(
            scan_event(vuln("a")),
            created_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        )
        write_events(store, [old])
        run_relay(store, settings, timeout=0.5)
        assert hook.received == []
    assert store.deliveries() == [] and store.outbox_depth() == 0
    store.close()


def test_a_split_message_resumes_after_its_last_confirmed_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path)
    robot = Robot(DING_TOKEN, DING_SECRET, per_minute=1000)
    with DingTalkStandIn([robot]) as ding:
        monkeypatch.setenv("DING_URL", ding.url(DING_TOKEN))
        monkeypatch.setenv("DING_SECRET", DING_SECRET)
        settings = settings_for(
            tmp_path,
            '[[channel]]\nname = "ding"\nkind = "dingtalk"\nurl_env = "DING_URL"\n'
            'secret_env = "DING_SECRET"\n',
        )
        many = [vuln(f"k{i:03d}", summary="x" * 200) for i in range(300)]
        write_events(store, [scan_event(*many)])
        ding.fail(Fault(status=200, body={"errcode": 0, "errmsg": "ok"}))  # part 1 lands
        ding.fail(Fault(status=503))  # part 2 does not, the first time
        run_relay(store, settings)
        parts = [r.json()["markdown"]["title"] for r in ding.received if r.status == 200]
    (delivery,) = store.deliveries()
    assert delivery.state == "sent"
    total = len(parts)
    assert total >= 3
    # Part 1 was sent once; part 2 twice (503, then ok); the rest once each.
    assert sum("(1/" in p for p in parts) == 1
    assert len(robot.messages) == total - 1  # the faked first answer was not shown in the group
    store.close()


def test_secrets_never_reach_the_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = open_store(tmp_path)
    robot = Robot(DING_TOKEN, DING_SECRET)
    with DingTalkStandIn([robot]) as ding, WebhookReceiver(secret=HOOK_SECRET) as hook:
        monkeypatch.setenv("DING_URL", ding.url(DING_TOKEN))
        monkeypatch.setenv("DING_SECRET", DING_SECRET)
        monkeypatch.setenv("HOOK_SECRET", HOOK_SECRET)
        ding.fail(Fault(status=500, body="internal error"))
        hook.fail(Fault(reset=True))
        settings = settings_for(
            tmp_path,
            '[[channel]]\nname = "ding"\nkind = "dingtalk"\nurl_env = "DING_URL"\n'
            'secret_env = "DING_SECRET"\n'
            + webhook_channel("hook", hook.url, 'secret_env = "HOOK_SECRET"'),
        )
        write_events(store, [scan_event(vuln("a", "critical"))])
        run_relay(store, settings)
        assert len(robot.messages) == 1 and len(hook.events) == 1
    assert "retrying" in caplog.text and "sent to ding" in caplog.text
    for secret in (DING_TOKEN, DING_SECRET, HOOK_SECRET):
        assert secret not in caplog.text
        assert all(secret not in (d.last_error or "") for d in store.deliveries())
    store.close()


def test_routed_payload_is_what_the_channel_was_meant_to_get(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with WebhookReceiver() as hook:
        settings = settings_for(
            tmp_path, webhook_channel("hook", hook.url, 'min_severity = "high"')
        )
        write_events(store, [scan_event(vuln("low", "low"), vuln("crit", "critical"))])
        run_relay(store, settings)
        (received,) = hook.received
    keys = [c["finding"]["key"] for c in received.json()["changes"]]
    assert keys == ["crit"]
    (delivery,) = store.deliveries()
    assert Event.from_json(delivery.payload).changes[0].finding.key == "crit"
    assert delivery.critical
    with store.engine.connect() as conn:
        assert conn.execute(deliveries.select()).first() is not None
    store.close()


def test_resolved_notes_go_only_where_the_finding_was_alerted(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with WebhookReceiver() as high, WebhookReceiver() as everything:
        settings = settings_for(
            tmp_path,
            webhook_channel("high", high.url, 'min_severity = "high"')
            + webhook_channel("all", everything.url),
        )
        write_events(store, [scan_event(vuln("m", "medium"))])
        run_relay(store, settings)
        write_events(store, [scan_event(vuln("m", "medium"), kind=ChangeKind.RESOLVED)])
        run_relay(store, settings)
        assert high.received == []
        kinds = [r.json()["changes"][0]["kind"] for r in everything.received]
    assert kinds == ["new", "resolved"]
    store.close()


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    assert backoff(0, 30, 3600, lambda: 0.0) == 15
    assert backoff(0, 30, 3600, lambda: 1.0) == 30
    assert backoff(3, 30, 3600, lambda: 1.0) == 240
    assert backoff(40, 30, 3600, lambda: 1.0) == 3600


def test_deliveries_serialise_for_the_cli(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    settings = settings_for(tmp_path, webhook_channel("down", "http://127.0.0.1:1/hook"))
    write_events(store, [scan_event(vuln("a"))])
    run_relay(store, settings, until=all_attempted(store))
    (delivery,) = store.deliveries()
    data = delivery.to_json()
    assert data["channel"] == "down" and data["state"] == "pending"
    assert json.dumps(data)  # plain JSON
    assert store.delivery_counts() == {"down": {"pending": 1, "sent": 0, "failed": 0}}
    store.close()


def test_a_resolution_routed_in_the_same_batch_as_its_alert_still_reaches_the_channel(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path)
    with WebhookReceiver() as hook:
        settings = settings_for(tmp_path, webhook_channel("hook", hook.url))
        write_events(
            store,
            [scan_event(vuln("a")), scan_event(vuln("a"), kind=ChangeKind.RESOLVED)],
        )
        run_relay(store, settings)
        kinds = [r.json()["changes"][0]["kind"] for r in hook.received]
    assert kinds == ["new", "resolved"]
    store.close()


def test_the_run_loop_wakes_on_new_events_and_stops_cleanly(tmp_path: Path) -> None:
    import asyncio

    from depsentry.daemon.relay import Relay

    store = open_store(tmp_path)
    with WebhookReceiver() as hook:
        settings = settings_for(tmp_path, webhook_channel("hook", hook.url), poll=30.0)

        async def go() -> list[str]:
            relay = Relay(store, lambda: settings)
            task = asyncio.create_task(relay.run())
            await asyncio.sleep(0.2)
            event = scan_event(vuln("a"))
            await asyncio.to_thread(write_events, store, [event])
            relay.wake()  # long before the 30 s poll
            for _ in range(200):
                if store.deliveries(state="sent"):
                    break
                await asyncio.sleep(0.05)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return [event.id]

        ids = asyncio.run(go())
        assert [r.json()["id"] for r in hook.received] == ids
    store.close()


def test_a_store_error_while_routing_is_logged_and_the_relay_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio

    from depsentry.daemon.relay import Relay, _parse_time
    from depsentry.errors import StoreError

    store = open_store(tmp_path)
    settings = settings_for(tmp_path, webhook_channel("hook", "http://127.0.0.1:1/x"))

    class Broken(type(store)):  # type: ignore[misc]
        def pending_events(self, **kwargs: object) -> list[object]:
            raise StoreError("database is locked", "test")

    broken = Broken(store.engine, store.where)
    relay = Relay(broken, lambda: settings)
    assert asyncio.run(relay.step()) == 0
    assert "relay: " in caplog.text and "database is locked" in caplog.text
    assert _parse_time("not a time") is None
    assert _parse_time("2026-12-01T02:00:00") == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    store.close()


def test_quiet_hours_hold_a_delivery_until_they_end_and_critical_goes_through(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path)
    night = [datetime(2026, 12, 2, 23, 30, tzinfo=UTC)]
    with WebhookReceiver() as hook:
        settings = settings_for(
            tmp_path, webhook_channel("hook", hook.url, 'quiet_hours = "22:00-07:00"')
        )
        calm, urgent = scan_event(vuln("a", "high")), scan_event(vuln("b", "critical"))
        write_events(store, [calm, urgent])
        run_relay(
            store, settings, clock=lambda: night[0],
            until=lambda: bool(store.deliveries(state="sent")),
        )  # fmt: skip
        assert [r.json()["id"] for r in hook.received] == [urgent.id]
        held = store.deliveries(state="pending")
        assert [d.event_id for d in held] == [calm.id]
        assert held[0].hold_until == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
        night[0] = datetime(2026, 12, 3, 7, 1, tzinfo=UTC)
        run_relay(store, settings, clock=lambda: night[0])
        assert [r.json()["id"] for r in hook.received] == [urgent.id, calm.id]
    store.close()


def test_an_unexpected_error_in_a_send_is_retried_like_an_outage(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio

    from depsentry.daemon.notify.webhook import WebhookNotifier
    from depsentry.daemon.relay import Relay

    class Buggy(WebhookNotifier):
        failures = 1

        async def send(self, payload):  # type: ignore[no-untyped-def]
            if self.failures:
                self.failures -= 1
                raise RuntimeError("a bug, with http://secret.example/token in it")
            return await super().send(payload)

    store = open_store(tmp_path)
    with WebhookReceiver() as hook:
        settings = settings_for(tmp_path, webhook_channel("hook", hook.url))
        write_events(store, [scan_event(vuln("a"))])

        async def go() -> None:
            relay = Relay(store, lambda: settings, notifiers={"webhook": Buggy()}, rand=lambda: 0.0)
            await relay.step()
            await relay.idle(20)
            await relay.stop()

        asyncio.run(go())
        assert len(hook.received) == 1
    (delivery,) = store.deliveries()
    assert delivery.state == "sent" and delivery.attempts == 2
    assert "RuntimeError" in caplog.text and "secret.example" not in caplog.text
    store.close()


def test_a_broken_template_override_fails_the_delivery_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path)
    overrides = tmp_path / "templates" / "en"
    overrides.mkdir(parents=True)
    (overrides / "scan.j2").write_text("{% macro title() %}{{ nope }}{% endmacro %}", "utf-8")
    monkeypatch.setenv("DING_URL", "http://127.0.0.1:1/robot/send?access_token=t")
    settings = settings_for(
        tmp_path,
        '[[channel]]\nname = "ding"\nkind = "dingtalk"\nurl_env = "DING_URL"\n'
        'templates_dir = "templates"\n',
    )
    write_events(store, [scan_event(vuln("a"))])
    run_relay(store, settings, until=lambda: bool(store.deliveries(state="failed")))
    (delivery,) = store.deliveries()
    assert delivery.state == "failed" and "template" in (delivery.last_error or "")
    store.close()


def test_a_stop_that_races_a_wake_still_stops_the_relay() -> None:
    # Python 3.11's asyncio.wait_for swallows a cancel that comes with the event being set (a
    # scan's outbox write just as SIGTERM arrives): the relay then never ended and the daemon
    # hung in its stop.
    from depsentry.daemon.relay import _woken

    async def race() -> int:
        stopped = 0
        for _ in range(20):
            event = asyncio.Event()
            task = asyncio.ensure_future(_woken(event, 10.0))
            await asyncio.sleep(0)
            event.set()
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                stopped += 1
        return stopped

    assert asyncio.run(race()) == 20


def test_events_no_channel_routes_are_marked_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fleet's projects without channels cost the relay one mark, not a parse of every
    finding their scans wrote."""
    store = open_store(tmp_path)
    with WebhookReceiver() as hook:
        settings = settings_for(tmp_path, webhook_channel("hook", hook.url, 'projects = ["app"]'))
        routed = scan_event(vuln("a"))
        quiet = [scan_event(vuln(f"q{i}"), project="other") for i in range(3)]
        write_events(store, [quiet[0], routed, *quiet[1:]])
        parsed: list[str] = []
        from_json = Event.from_json

        def counting(text: str) -> Event:
            event = from_json(text)
            parsed.append(event.project)
            return event

        monkeypatch.setattr(Event, "from_json", staticmethod(counting))
        run_relay(store, settings)
        received = [r.json()["id"] for r in hook.received]
    assert received == [routed.id]
    assert "other" not in parsed
    assert store.outbox_depth() == 0  # the quiet ones are handed on all the same
    assert [d.project for d in store.deliveries()] == ["app"]
    store.close()
