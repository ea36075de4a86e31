"""DingTalk against a loopback robot: 加签 verified independently, errcodes mapped, limits kept."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from depsentry.daemon.events import Change, ChangeKind
from depsentry.daemon.notify.dingtalk import MAX_BODY, DingTalkNotifier
from depsentry.daemon.notify.limits import Limiters
from depsentry.errors import RateLimited, Rejected, Unreachable
from tests.daemon.notify.samples import channel, many_changes, scan_event, vuln
from tests.servers.chat import Fault
from tests.servers.dingtalk_server import DingTalkStandIn, Robot

SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"


def _channel(
    server: DingTalkStandIn, token: str = "tok-a", secret: str | None = SECRET, **table: object
):
    env = {"DING_SECRET": secret} if secret else {}
    extra = {"secret_env": "DING_SECRET"} if secret else {}
    return channel("dingtalk", env, url=server.url(token), **extra, **table)


def _send_all(notifier: DingTalkNotifier, payloads: list) -> list:
    async def run() -> list:
        try:
            return [await notifier.send(p) for p in payloads]
        finally:
            await notifier.aclose()

    return asyncio.run(run())


def _one(notifier: DingTalkNotifier, payload):  # type: ignore[no-untyped-def]
    return _send_all(notifier, [payload])[0]


def test_signed_message_is_accepted_by_an_independent_verifier() -> None:
    robot = Robot("tok-a", secret=SECRET)
    with DingTalkStandIn([robot]) as server:
        ch = _channel(server)
        notifier = DingTalkNotifier()
        (receipt,) = _send_all(notifier, notifier.build(scan_event(), ch))
    assert receipt.answer == "errcode 0: ok" and receipt.status == 200
    (request,) = server.received
    assert set(request.query) == {"access_token", "timestamp", "sign"}
    assert abs(int(request.query["timestamp"]) - time.time() * 1000) < 60_000  # milliseconds, now
    assert len(robot.messages) == 1 and robot.messages[0]["msgtype"] == "markdown"


def test_wrong_secret_is_a_configuration_error_never_retried() -> None:
    with DingTalkStandIn([Robot("tok-a", secret=SECRET)]) as server:
        ch = _channel(server, secret="SECwrongwrongwrong")
        notifier = DingTalkNotifier()
        with pytest.raises(Rejected, match="signature does not match: check secret_env") as raised:
            _one(notifier, notifier.build(scan_event(), ch)[0])
    assert raised.value.retryable is False and raised.value.answer is not None
    assert "SECwrong" not in str(raised.value)


def test_stale_timestamp_says_check_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    with DingTalkStandIn([Robot("tok-a", secret=SECRET)]) as server:
        ch = _channel(server)
        notifier = DingTalkNotifier()
        payload = notifier.build(scan_event(), ch)[0]
        monkeypatch.setattr(
            "depsentry.daemon.notify.dingtalk._now_ms", lambda: int((time.time() - 7200) * 1000)
        )
        with pytest.raises(Rejected, match="check this host's clock"):
            _one(notifier, payload)


def test_keyword_is_added_to_the_message_when_configured() -> None:
    robot = Robot("tok-a", keywords=("告警",))
    with DingTalkStandIn([robot]) as server:
        notifier = DingTalkNotifier()
        with pytest.raises(Rejected, match="set `keyword`"):
            _one(notifier, notifier.build(scan_event(), _channel(server, secret=None))[0])
        notifier = DingTalkNotifier()
        receipt = _one(
            notifier, notifier.build(scan_event(), _channel(server, secret=None, keyword="告警"))[0]
        )
    assert receipt.answer.startswith("errcode 0")
    assert robot.messages[0]["markdown"]["title"].startswith("告警 ")


def test_mentions_ride_on_the_first_part_of_critical_messages() -> None:
    robot = Robot("tok-a")
    with DingTalkStandIn([robot]) as server:
        ch = _channel(
            server, secret=None, mentions={"mobiles": ["13800000000"], "user_ids": ["manager4021"]}
        )
        notifier = DingTalkNotifier()
        event = many_changes(120)
        critical = Change(ChangeKind.NEW, vuln(severity="critical"))
        event = scan_event((critical, *event.changes))
        payloads = notifier.build(event, ch)
        assert len(payloads) > 1
        _send_all(notifier, payloads)
    first, *rest = robot.messages
    assert first["at"] == {
        "atMobiles": ["13800000000"],
        "atUserIds": ["manager4021"],
        "isAtAll": False,
    }
    assert "@13800000000" in first["markdown"]["text"]
    assert all("at" not in m for m in rest)


def test_long_lists_split_under_20000_bytes_and_none_is_refused() -> None:
    robot = Robot("tok-a", per_minute=1000)
    with DingTalkStandIn([robot]) as server:
        ch = _channel(server)
        notifier = DingTalkNotifier(windows=())
        payloads = notifier.build(many_changes(400), ch)
        assert len(payloads) >= 5
        assert all(len(p.body) <= MAX_BODY for p in payloads)
        assert [p.part for p in payloads] == list(range(1, len(payloads) + 1))
        receipts = _send_all(notifier, payloads)
    assert all(r.answer.startswith("errcode 0") for r in receipts)
    assert all(json.loads(r.answer)["errcode"] == 0 for r in server.received)
    texts = "".join(m["markdown"]["text"] for m in robot.messages)
    assert all(f"package-{i:04d}" in texts for i in range(400))  # nothing lost in the split
    assert f"(1/{len(payloads)})" in robot.messages[0]["markdown"]["title"]
    assert "(continued)" in robot.messages[1]["markdown"]["text"]


def test_an_oversized_body_is_never_sent() -> None:
    with DingTalkStandIn([Robot("tok-a")]) as server:
        ch = _channel(server, secret=None)
        notifier = DingTalkNotifier()
        payload = notifier.build(scan_event(), ch)[0]
        huge = type(payload)(
            payload.channel, payload.event_id, 1, 1, b"{" + b" " * MAX_BODY + b"}", "x"
        )
        with pytest.raises(Rejected, match="not sent"):
            _one(notifier, huge)
    assert server.received == []


def test_throttled_130101_pauses_the_robot_and_is_retried_later() -> None:
    with DingTalkStandIn([Robot("tok-a", per_minute=2)]) as server:
        ch = _channel(server, secret=None)
        notifier = DingTalkNotifier(
            windows=(), limiters=Limiters()
        )  # our own limit off: the robot's bites
        payloads = [notifier.build(scan_event(id=f"e{i}"), ch)[0] for i in range(4)]

        async def run() -> list[object]:
            out: list[object] = []
            for p in payloads:
                try:
                    out.append(await notifier.send(p))
                except RateLimited as exc:
                    out.append(exc)
            await notifier.aclose()
            return out

        results = asyncio.run(run())
    assert isinstance(results[2], RateLimited) and results[2].retry_after == 600
    assert results[2].retryable
    assert isinstance(results[3], RateLimited)  # held by the pause, not sent
    assert len(server.received) == 3


def test_a_retried_message_shows_once() -> None:
    robot = Robot("tok-a")
    with DingTalkStandIn([robot]) as server:
        ch = _channel(server, secret=None)
        notifier = DingTalkNotifier()
        payload = notifier.build(scan_event(), ch)[0]
        _send_all(notifier, [payload, payload])
    assert len(server.received) == 2 and len(robot.messages) == 1


@pytest.mark.parametrize(
    ("fault", "error", "match"),
    [
        (Fault(200, {"errcode": -1, "errmsg": "系统繁忙"}), Unreachable, "errcode -1"),
        (
            Fault(200, {"errcode": 400102, "errmsg": "机器人已停用"}),
            Rejected,
            "the robot is disabled",
        ),
        (
            Fault(200, {"errcode": 310000, "errmsg": "ip 10.1.2.3 not in whitelist"}),
            Rejected,
            "IP allowlist",
        ),
        (Fault(500, "<html>busy</html>"), Unreachable, "HTTP 500"),
        (Fault(200, "<html>proxy login</html>"), Unreachable, "proxy login"),
        (Fault(403, "forbidden"), Rejected, "HTTP 403"),
        (Fault(hang=1.5), Unreachable, "no answer within 0.3s"),
        (Fault(reset=True), Unreachable, "dingtalk channel 'test-dingtalk'"),
    ],
)
def test_error_answers_map_to_the_right_error(fault: Fault, error: type, match: str) -> None:
    with DingTalkStandIn([Robot("tok-a")]) as server:
        server.fail(fault)
        ch = _channel(server, secret=None, timeout=0.3)
        notifier = DingTalkNotifier()
        with pytest.raises(error, match=match) as raised:
            _one(notifier, notifier.build(scan_event(), ch)[0])
    assert "tok-a" not in str(raised.value)


def test_unknown_token() -> None:
    with DingTalkStandIn([Robot("tok-a")]) as server:
        notifier = DingTalkNotifier()
        with pytest.raises(Rejected, match="access_token does not exist"):
            _one(
                notifier,
                notifier.build(scan_event(), _channel(server, token="tok-gone", secret=None))[0],
            )


@pytest.mark.slow
def test_burst_of_25_to_one_robot_is_spread_and_another_robot_is_not_delayed() -> None:
    # The 20-a-minute window scaled to 20 in 3 s, on our side and the stand-in's alike.
    robots = [Robot("tok-a", per_minute=20, window=3.0), Robot("tok-b", per_minute=20, window=3.0)]
    with DingTalkStandIn(robots) as server:
        a, b = _channel(server, "tok-a", secret=None), _channel(server, "tok-b", secret=None)
        # As in production (20 per 61 s against DingTalk's 60), a margin for the trip.
        notifier = DingTalkNotifier(windows=((20, 3.6),), limiters=Limiters())
        burst = [notifier.build(scan_event(id=f"a{i}"), a)[0] for i in range(25)]
        other = notifier.build(scan_event(id="b0"), b)[0]

        async def run() -> float:
            start = time.monotonic()
            tasks = [asyncio.create_task(notifier.send(p)) for p in burst]
            await asyncio.sleep(0.05)  # robot A's window is full and its sends are waiting
            await notifier.send(other)
            b_done = time.monotonic() - start
            await asyncio.gather(*tasks)
            await notifier.aclose()
            return b_done

        b_done = asyncio.run(run())
    assert all(json.loads(r.answer)["errcode"] == 0 for r in server.received)
    a_times = sorted(r.at for r in server.received if r.query["access_token"] == "tok-a")
    assert len(a_times) == 25
    assert a_times[20] - a_times[0] >= 2.5  # the last five waited for the window
    b_time = next(r.at for r in server.received if r.query["access_token"] == "tok-b")
    assert b_time < a_times[20] and b_done < 2.0  # robot B did not wait for robot A
