"""Slack against a loopback stand-in: incoming webhooks and chat.postMessage through slack-sdk."""

from __future__ import annotations

import json

import pytest

from depsentry.daemon.notify.slack import SlackNotifier
from depsentry.errors import RateLimited, Rejected, Unreachable
from tests.daemon.notify.helpers import send_all
from tests.daemon.notify.samples import channel, many_changes, scan_event
from tests.servers.chat import Fault
from tests.servers.slack_server import SlackStandIn, blocks_problem

HOOK = "T000/B000/XXXXXXXXXXXX"


def test_webhook_message_with_blocks_and_fallback_text() -> None:
    with SlackStandIn(hooks=[HOOK]) as server:
        notifier = SlackNotifier()
        ch = channel("slack", url=server.url(HOOK), mentions={"user_groups": ["S0SEC"]})
        (receipt,) = send_all(notifier, notifier.build(scan_event(), ch))
    assert receipt.answer == "ok" and receipt.status == 200
    (message,) = server.messages
    assert message["text"].startswith("depsentry · billing")
    assert message["blocks"][0]["type"] == "header"
    assert "<!subteam^S0SEC>" in json.dumps(message)


def test_bot_token_posts_with_chat_post_message() -> None:
    with SlackStandIn(tokens={"xoxb-test-token": ["C0SEC"]}) as server:
        notifier = SlackNotifier()
        env = {"SLACK_TOKEN": "xoxb-test-token"}
        ch = channel(
            "slack", env, token_env="SLACK_TOKEN", slack_channel="C0SEC", api_url=server.api_url
        )
        (receipt,) = send_all(notifier, notifier.build(scan_event(), ch))
        assert receipt.message_id == "1700000000.000001"
        wrong = channel(
            "slack", env, token_env="SLACK_TOKEN", slack_channel="C0OTHER", api_url=server.api_url
        )
        notifier = SlackNotifier()
        with pytest.raises(Rejected, match="channel_not_found"):
            send_all(notifier, notifier.build(scan_event(), wrong))
    assert server.received[0].headers["authorization"] == "Bearer xoxb-test-token"


def test_long_lists_split_within_block_kit_limits() -> None:
    with SlackStandIn(hooks=[HOOK]) as server:
        notifier = SlackNotifier(windows=())
        payloads = notifier.build(many_changes(200), channel("slack", url=server.url(HOOK)))
        assert len(payloads) > 3
        assert all(blocks_problem(p.document()["blocks"]) is None for p in payloads)
        send_all(notifier, payloads)
    assert len(server.messages) == len(payloads)
    assert all(len(m["blocks"][0]["text"]["text"]) <= 150 for m in server.messages)
    text = json.dumps(server.messages)
    assert all(f"package-{i:04d}" in text for i in range(200))


@pytest.mark.parametrize(
    ("fault", "error", "match"),
    [
        (Fault(429, "rate limited", {"Retry-After": "7"}), RateLimited, "retry after 7s"),
        (Fault(400, "invalid_blocks"), Rejected, "invalid_blocks"),
        (Fault(400, "invalid_payload"), Rejected, "invalid_payload"),
        (Fault(400, "no_text"), Rejected, "no_text"),
        (Fault(410, "channel_is_archived"), Rejected, "archived"),
        (Fault(500, "rollup_error"), Unreachable, "rollup_error"),
        (Fault(hang=1.5), Unreachable, "no answer within"),
        (Fault(reset=True), Unreachable, "slack channel"),
    ],
)
def test_error_answers_map_to_the_right_error(fault: Fault, error: type, match: str) -> None:
    with SlackStandIn(hooks=[HOOK]) as server:
        server.fail(fault)
        notifier = SlackNotifier()
        ch = channel("slack", url=server.url(HOOK), timeout=0.3)
        with pytest.raises(error, match=match) as raised:
            send_all(notifier, notifier.build(scan_event(), ch))
    assert "XXXXXXXXXXXX" not in str(raised.value)


def test_revoked_webhook_is_no_service() -> None:
    with SlackStandIn(hooks=[]) as server:
        notifier = SlackNotifier()
        with pytest.raises(Rejected, match="no_service: the webhook was revoked"):
            send_all(notifier, notifier.build(scan_event(), channel("slack", url=server.url(HOOK))))


def test_429_pauses_the_channel() -> None:
    with SlackStandIn(hooks=[HOOK]) as server:
        server.fail(Fault(429, "", {"Retry-After": "120"}))
        notifier = SlackNotifier()
        ch = channel("slack", url=server.url(HOOK))
        payload = notifier.build(scan_event(), ch)[0]
        with pytest.raises(RateLimited):
            send_all(SlackNotifier(limiters=notifier._limiters), [payload])
        with pytest.raises(RateLimited, match="next send in"):
            send_all(SlackNotifier(limiters=notifier._limiters), [payload])
    assert len(server.received) == 1  # the second never left
