"""Feishu against a loopback bot: signature in the body verified independently, codes mapped."""

from __future__ import annotations

import time

import pytest

from depsentry.daemon.notify.feishu import MAX_BODY, FeishuNotifier
from depsentry.errors import RateLimited, Rejected, Unreachable
from tests.daemon.notify.helpers import send_all
from tests.daemon.notify.samples import channel, many_changes, scan_event
from tests.servers.chat import Fault
from tests.servers.feishu_server import Bot, FeishuStandIn

SECRET = "feishu-signing-secret-0123"


def _channel(server: FeishuStandIn, secret: str | None = SECRET, **table: object):
    env = {"FS_SECRET": secret} if secret else {}
    return channel(
        "feishu",
        env,
        url=server.url("hook-a"),
        **({"secret_env": "FS_SECRET"} if secret else {}),
        **table,
    )


def test_signed_card_is_accepted_by_an_independent_verifier() -> None:
    bot = Bot("hook-a", secret=SECRET)
    with FeishuStandIn([bot]) as server:
        ch = _channel(server, mentions={"user_ids": ["ou_1234"]})
        notifier = FeishuNotifier()
        (receipt,) = send_all(notifier, notifier.build(scan_event(), ch))
    assert receipt.answer == "code 0: success"
    (message,) = bot.messages
    assert abs(int(message["timestamp"]) - time.time()) < 60  # seconds, not milliseconds
    assert message["msg_type"] == "interactive"
    assert message["card"]["header"]["template"] == "red"  # a critical finding
    assert "<at id=ou_1234></at>" in message["card"]["elements"][0]["content"]


def test_wrong_secret_and_missing_keyword_are_rejected_with_what_to_fix() -> None:
    with FeishuStandIn([Bot("hook-a", secret=SECRET, keywords=("安全",))]) as server:
        notifier = FeishuNotifier()
        with pytest.raises(Rejected, match="check secret_env"):
            send_all(
                notifier,
                notifier.build(scan_event(), _channel(server, secret="other-secret-xyz"))[:1],
            )
        notifier = FeishuNotifier()
        with pytest.raises(Rejected, match="set `keyword`"):
            send_all(notifier, notifier.build(scan_event(), _channel(server))[:1])
        notifier = FeishuNotifier()
        (receipt,) = send_all(
            notifier, notifier.build(scan_event(), _channel(server, keyword="安全"))
        )
    assert receipt.answer.startswith("code 0")


def test_split_cards_stay_under_20_kb_after_signing() -> None:
    bot = Bot("hook-a", secret=SECRET)
    with FeishuStandIn([bot]) as server:
        notifier = FeishuNotifier()
        payloads = notifier.build(many_changes(300), _channel(server))
        assert len(payloads) > 3
        send_all(notifier, payloads)
    assert len(bot.messages) == len(payloads)
    assert all(r.status == 200 and b'"code": 0' in r.answer for r in server.received)
    assert max(len(r.body) for r in server.received) <= MAX_BODY


@pytest.mark.parametrize(
    ("fault", "error", "match"),
    [
        (Fault(200, {"code": 11232, "msg": "frequency limited"}), RateLimited, "11232"),
        (Fault(200, {"code": 9499, "msg": "too many request"}), RateLimited, "9499"),
        (Fault(200, {"code": 19022, "msg": "Ip Not Allowed"}), Rejected, "allowlist"),
        (Fault(200, {"code": 9499, "msg": "Bad Request"}), Rejected, "Bad Request"),
        (Fault(502, "bad gateway"), Unreachable, "HTTP 502"),
        (Fault(reset=True), Unreachable, "feishu channel"),
    ],
)
def test_error_answers_map_to_the_right_error(fault: Fault, error: type, match: str) -> None:
    with FeishuStandIn([Bot("hook-a")]) as server:
        server.fail(fault)
        notifier = FeishuNotifier()
        with pytest.raises(error, match=match):
            send_all(notifier, notifier.build(scan_event(), _channel(server, secret=None))[:1])


def test_rate_limit_of_5_a_second_is_kept_client_side() -> None:
    bot = Bot("hook-a")
    with FeishuStandIn([bot]) as server:
        # A wider margin than production's 0.2 s: a loaded CI machine delays arrivals more.
        notifier = FeishuNotifier(windows=((5, 1.6), (100, 61.0)))
        ch = _channel(server, secret=None)
        payloads = [notifier.build(scan_event(id=f"e{i}"), ch)[0] for i in range(7)]
        send_all(notifier, payloads)
    assert len(bot.messages) == 7  # none answered 11232
    times = sorted(r.at for r in server.received)
    assert times[5] - times[0] >= 0.9
