"""WeCom against a loopback group robot: markdown under 4,096 bytes, errcodes mapped."""

from __future__ import annotations

import pytest

from depsentry.daemon.notify.wecom import MAX_CONTENT, WeComNotifier
from depsentry.errors import RateLimited, Rejected, Unreachable
from tests.daemon.notify.helpers import send_all
from tests.daemon.notify.samples import channel, many_changes, scan_event
from tests.servers.chat import Fault
from tests.servers.wecom_server import GroupRobot, WeComStandIn


def test_message_and_mentions() -> None:
    robot = GroupRobot("key-a")
    with WeComStandIn([robot]) as server:
        notifier = WeComNotifier()
        ch = channel("wecom", url=server.url("key-a"), mentions={"user_ids": ["zhangsan"]})
        (receipt,) = send_all(notifier, notifier.build(scan_event(), ch))
    assert receipt.answer == "errcode 0: ok"
    assert "<@zhangsan>" in robot.messages[0]["markdown"]["content"]


def test_long_lists_split_under_4096_bytes() -> None:
    robot = GroupRobot("key-a")
    with WeComStandIn([robot]) as server:
        notifier = WeComNotifier(windows=())
        payloads = notifier.build(
            many_changes(60), channel("wecom", url=server.url("key-a"), language="zh")
        )
        assert len(payloads) > 5
        send_all(notifier, payloads)
    assert len(robot.messages) == len(payloads)
    assert max(len(m["markdown"]["content"].encode()) for m in robot.messages) <= MAX_CONTENT
    assert "（续）" in robot.messages[1]["markdown"]["content"]


@pytest.mark.parametrize(
    ("fault", "error", "match"),
    [
        (Fault(200, {"errcode": 45009, "errmsg": "api freq out of limit"}), RateLimited, "45009"),
        (
            Fault(200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
            Rejected,
            "key is invalid",
        ),
        (Fault(200, {"errcode": -1, "errmsg": "system busy"}), Unreachable, "errcode -1"),
        (Fault(503, ""), Unreachable, "HTTP 503"),
        (Fault(hang=1.5), Unreachable, "no answer within"),
    ],
)
def test_error_answers_map_to_the_right_error(fault: Fault, error: type, match: str) -> None:
    with WeComStandIn([GroupRobot("key-a")]) as server:
        server.fail(fault)
        notifier = WeComNotifier()
        ch = channel("wecom", url=server.url("key-a"), timeout=0.3)
        with pytest.raises(error, match=match):
            send_all(notifier, notifier.build(scan_event(), ch))


def test_unknown_key_is_rejected() -> None:
    with WeComStandIn([GroupRobot("key-a")]) as server:
        notifier = WeComNotifier()
        with pytest.raises(Rejected, match="93000"):
            send_all(
                notifier, notifier.build(scan_event(), channel("wecom", url=server.url("key-zz")))
            )
