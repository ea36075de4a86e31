"""Webhook URLs, tokens and signing secrets never reach logs, errors, receipts or reprs."""

from __future__ import annotations

import asyncio
import logging

import pytest

from depsentry.daemon.notify import NOTIFIERS, Channel, send_test
from depsentry.errors import NotifyError
from tests.daemon.notify.samples import channel, scan_event
from tests.servers.chat import Fault
from tests.servers.dingtalk_server import DingTalkStandIn, Robot
from tests.servers.feishu_server import Bot, FeishuStandIn
from tests.servers.slack_server import SlackStandIn
from tests.servers.webhook_server import WebhookReceiver
from tests.servers.wecom_server import GroupRobot, WeComStandIn

SECRETS = {
    "DING_TOKEN": "dingtoken0123456789",
    "DING_SECRET": "SECdingsecret0123456789",
    "FS_TOKEN": "feishuhook0123456789",
    "FS_SECRET": "feishusecret0123456789",
    "WC_KEY": "wecomkey0123456789",
    "SLACK_HOOK": "T0/B0/slackhook0123456789",
    "SLACK_TOKEN": "xoxb-slacktoken0123456789",
    "HOOK_SECRET": "hooksecret0123456789",
}
log = logging.getLogger("depsentry.daemon.relay-under-test")


def _channels(
    ding: DingTalkStandIn,
    fs: FeishuStandIn,
    wc: WeComStandIn,
    sl: SlackStandIn,
    wh: WebhookReceiver,
) -> list[Channel]:
    env = {
        "DING_URL": ding.url(SECRETS["DING_TOKEN"]),
        "FS_URL": fs.url(SECRETS["FS_TOKEN"]),
        "WC_URL": wc.url(SECRETS["WC_KEY"]),
        "SLACK_URL": sl.url(SECRETS["SLACK_HOOK"]),
        **SECRETS,
    }
    return [
        channel("dingtalk", env, url_env="DING_URL", secret_env="DING_SECRET", timeout=0.3),
        channel("feishu", env, url_env="FS_URL", secret_env="FS_SECRET", timeout=0.3),
        channel("wecom", env, url_env="WC_URL", timeout=0.3),
        channel("slack", env, url_env="SLACK_URL", timeout=0.3),
        channel(
            "slack",
            env,
            token_env="SLACK_TOKEN",
            slack_channel="C1",
            api_url=sl.api_url,
            timeout=0.3,
        ),
        channel("webhook", env, url=wh.url, secret_env="HOOK_SECRET", timeout=0.3),
    ]


def test_secrets_never_in_logs_errors_or_receipts(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ding = DingTalkStandIn([Robot(SECRETS["DING_TOKEN"], secret=SECRETS["DING_SECRET"])])
    fs = FeishuStandIn([Bot(SECRETS["FS_TOKEN"], secret=SECRETS["FS_SECRET"])])
    wc = WeComStandIn([GroupRobot(SECRETS["WC_KEY"])])
    sl = SlackStandIn(hooks=[SECRETS["SLACK_HOOK"]], tokens={SECRETS["SLACK_TOKEN"]: ["C1"]})
    wh = WebhookReceiver(secret=SECRETS["HOOK_SECRET"])
    outputs: list[str] = []
    with ding, fs, wc, sl, wh:
        channels = _channels(ding, fs, wc, sl, wh)
        outputs += [repr(c) for c in channels]
        # Successes, then each kind of failure, logged the way the relay will log them.
        for server in (ding, fs, wc, sl, wh):
            server.fail(Fault(500, "boom"))
            server.fail(Fault(reset=True))
            server.fail(Fault(hang=1.0))
            server.fail(
                Fault(
                    400,
                    {"errcode": 310000, "code": 19021, "errmsg": "sign not match", "msg": "sign"},
                )
            )

        async def run() -> None:
            for ch in channels:
                notifier = NOTIFIERS[ch.kind]()
                for _ in range(5):
                    for payload in notifier.build(scan_event(), ch):
                        outputs.append(repr(payload))
                        try:
                            receipt = await notifier.send(payload)
                            outputs.append(str(receipt))
                            log.info("sent %s: %s", payload.label, receipt)
                        except NotifyError as exc:
                            outputs.append(str(exc))
                            log.warning("failed %s: %s", payload.label, exc, exc_info=exc)
                await notifier.aclose()

        asyncio.run(run())
    everything = caplog.text + "\n".join(outputs)
    assert "HTTP Request: POST" in caplog.text  # httpx did log its requests, redacted
    assert "failed" in caplog.text and "sent" in caplog.text
    for name, value in SECRETS.items():
        assert value not in everything, name


def test_send_test_returns_each_service_answer() -> None:
    ding = DingTalkStandIn([Robot(SECRETS["DING_TOKEN"], secret=SECRETS["DING_SECRET"])])
    fs = FeishuStandIn([Bot(SECRETS["FS_TOKEN"], secret=SECRETS["FS_SECRET"])])
    wc = WeComStandIn([GroupRobot(SECRETS["WC_KEY"])])
    sl = SlackStandIn(hooks=[SECRETS["SLACK_HOOK"]], tokens={SECRETS["SLACK_TOKEN"]: ["C1"]})
    wh = WebhookReceiver(secret=SECRETS["HOOK_SECRET"])
    with ding, fs, wc, sl, wh:
        answers = [asyncio.run(send_test(ch)) for ch in _channels(ding, fs, wc, sl, wh)]
    assert [a[0].answer for a in answers[:4]] == [
        "errcode 0: ok",
        "code 0: success",
        "errcode 0: ok",
        "ok",
    ]
    assert answers[4][0].message_id and answers[5][0].status == 202
    assert "test message" in ding.robots[SECRETS["DING_TOKEN"]].messages[0]["markdown"]["title"]
    assert next(iter(wh.events.values()))["kind"] == "test"
