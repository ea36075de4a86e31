"""`[[channel]]` tables: the issue's example works as written; every error at once, naming its key;
secrets by reference, never printed."""

from __future__ import annotations

import os
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from depsentry.daemon.notify import KINDS, check_channels, parse_channels
from depsentry.errors import ConfigError

ISSUE_EXAMPLE = """
[[channel]]
name = "team-slack"
kind = "slack"                       # slack | dingtalk | feishu | wecom | webhook
url_env = "SLACK_WEBHOOK_URL"        # or url_file = "...", or a systemd credential name
min_severity = "high"
language = "en"
[[channel]]
name = "ops-hook"
kind = "webhook"
url = "https://hooks.example.internal/depsentry"
secret_env = "DEPSENTRY_HOOK_SECRET" # signs each POST (headers above)
"""
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX"
ENV = {"SLACK_WEBHOOK_URL": SLACK_URL, "DEPSENTRY_HOOK_SECRET": "s3cr3t-hook-key"}


def test_issue_example_works_as_written() -> None:
    slack, hook = parse_channels(tomllib.loads(ISSUE_EXAMPLE)["channel"], environ=ENV)
    assert (slack.name, slack.kind, slack.min_severity, slack.language) == (
        "team-slack",
        "slack",
        "high",
        "en",
    )
    assert slack.url is not None and slack.url.get() == SLACK_URL
    assert hook.url is not None and hook.url.get() == "https://hooks.example.internal/depsentry"
    assert hook.secret is not None and hook.secret.get() == "s3cr3t-hook-key"


def test_kinds_come_from_the_registry() -> None:
    assert KINDS == ("slack", "dingtalk", "feishu", "wecom", "webhook")
    _, errors = check_channels([{"name": "x", "kind": "teams", "url": "https://x"}])
    assert errors == [
        "channel[0].kind: expected one of slack, dingtalk, feishu, wecom, webhook, got 'teams'"
    ]


def test_every_error_at_once_each_naming_its_key(tmp_path: Path) -> None:
    tables = [
        {
            "name": "team-slack",
            "kind": "slack",
            "url_env": "SLACK_WEBHOOK_URL",
            "min_severity": "severe",
        },
        {"name": "team-slack", "kind": "webhook", "url": "ftp://x", "colour": "red"},
        {
            "name": "ding",
            "kind": "dingtalk",
            "url_file": "missing.txt",
            "quiet_hours": "22-7",
            "language": "fr",
        },
        {
            "name": "wc",
            "kind": "wecom",
            "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
            "secret_env": "X",
        },
        {
            "name": "fs",
            "kind": "feishu",
            "url": "https://open.feishu.cn/x",
            "timezone": "Mars/Olympus",
            "mentions": {"mobiles": ["1"]},
        },
    ]
    _, errors = check_channels(tables, environ={}, base_dir=tmp_path)
    assert "channel[0].url_env: variable SLACK_WEBHOOK_URL is not set" in errors
    assert (
        "channel[0].min_severity: expected one of critical, high, medium, low, unknown, got 'severe'"
        in errors
    )
    assert "channel[1].name: 'team-slack' is already used by channel[0]" in errors
    assert "channel[1].colour: unknown key for a webhook channel" in errors
    assert f"channel[2].url_file: {tmp_path / 'missing.txt'}: no such file" in errors
    assert any(e.startswith('channel[2].quiet_hours: expected "HH:MM-HH:MM"') for e in errors)
    assert "channel[2].language: expected one of en, zh, got 'fr'" in errors
    assert "channel[3].secret_env: unknown key for a wecom channel" in errors
    assert any(e.startswith("channel[4].timezone: unknown time zone") for e in errors)
    assert any(
        e.startswith("channel[4].mentions.mobiles: feishu channels cannot mention this way")
        for e in errors
    )
    with pytest.raises(ConfigError) as raised:
        parse_channels(tables, environ={}, base_dir=tmp_path, path="depsentry.toml")
    assert str(raised.value).startswith("depsentry.toml: channel[0]")
    assert len(str(raised.value).splitlines()) == len(errors)


def test_kind_specific_checks() -> None:
    _, errors = check_channels(
        [
            {
                "name": "a",
                "kind": "dingtalk",
                "url": "https://oapi.dingtalk.com/robot/send",
                "secret_env": "S",
            },
            {"name": "b", "kind": "slack", "token_env": "T"},
            {
                "name": "c",
                "kind": "slack",
                "url": "https://hooks.slack.com/services/x",
                "token_env": "T",
                "slack_channel": "C1",
            },
            {
                "name": "d",
                "kind": "webhook",
                "secret": "literal-secret",
                "url": "https://x.example",
            },
        ],
        environ={"S": "not-a-sec-secret", "T": "xoxb-123"},
    )
    assert "channel[0].url: the DingTalk robot URL has no access_token query parameter" in errors
    assert "channel[0].secret_env: a DingTalk 加签 secret starts with SEC" in errors
    assert any(
        e.startswith("channel[1].slack_channel: a bot token needs the channel id") for e in errors
    )
    assert any(e.startswith("channel[2]: give a webhook") for e in errors)
    assert any(e.startswith("channel[3].secret: secrets are given by reference") for e in errors)


def test_secret_from_file_strips_bom_and_newline_relative_to_config(tmp_path: Path) -> None:
    (tmp_path / "hook.url").write_bytes(b"\xef\xbb\xbfhttps://hooks.example/abcdef\n")
    (channel,) = parse_channels(
        [{"name": "h", "kind": "webhook", "url_file": "hook.url"}], base_dir=tmp_path
    )
    assert channel.url is not None and channel.url.get() == "https://hooks.example/abcdef"


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: os.mkfifo(p), "not a regular file"),
        (lambda p: p.mkdir(), "not a regular file"),
        (lambda p: p.write_bytes(b""), "is empty"),
        (lambda p: p.write_bytes(b"\xff\xfe"), "not UTF-8 text"),
        (lambda p: p.write_bytes(b"a" * 70_000), "larger than 64 KiB, not a secret"),
        (lambda p: p.write_text("line one\nline two\n"), "holds more than one line"),
    ],
)
def test_bad_secret_files_are_errors_never_hangs(
    tmp_path: Path, make: object, problem: str
) -> None:
    target = tmp_path / "secret"
    make(target)  # type: ignore[operator]
    _, errors = check_channels(
        [{"name": "h", "kind": "webhook", "url": "https://x.example", "secret_file": str(target)}]
    )
    assert errors == [f"channel[0].secret_file: {target}: {problem}"]


def test_systemd_credential(tmp_path: Path) -> None:
    (tmp_path / "ding-secret").write_text("SECabcdef123456\n")
    tables = [
        {
            "name": "ding",
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=abc123",
            "secret_credential": "ding-secret",
        }
    ]
    (channel,) = parse_channels(tables, environ={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert channel.secret is not None and channel.secret.get() == "SECabcdef123456"
    _, errors = check_channels(tables, environ={})
    assert errors[0].startswith("channel[0].secret_credential: $CREDENTIALS_DIRECTORY is not set")
    tables[0]["secret_credential"] = "../etc/passwd"
    _, errors = check_channels(tables, environ={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert errors == ["channel[0].secret_credential: not a credential name: '../etc/passwd'"]


def test_repr_and_errors_never_show_secrets(tmp_path: Path) -> None:
    env = {
        "HOOK": "https://hooks.slack.com/services/T1/B1/topsecretvalue",
        "TOKEN": "xoxb-very-secret",
    }
    (channel,) = parse_channels([{"name": "s", "kind": "slack", "url_env": "HOOK"}], environ=env)
    text = repr(channel) + str(channel)
    assert "topsecretvalue" not in text and "<secret from url_env HOOK>" in text
    # A secret in a bad place is named by its key, not shown.
    _, errors = check_channels(
        [{"name": "s", "kind": "slack", "token_env": "TOKEN", "url_env": "HOOK"}], environ=env
    )
    assert errors and not any("very-secret" in e or "topsecret" in e for e in errors)


def test_quiet_hours_span_midnight_in_the_channel_time_zone() -> None:
    (channel,) = parse_channels(
        [
            {
                "name": "w",
                "kind": "webhook",
                "url": "https://x.example",
                "quiet_hours": "22:00-07:00",
                "timezone": "Asia/Shanghai",
            }
        ]
    )
    assert channel.critical_overrides_quiet is True
    assert channel.is_quiet(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    assert channel.is_quiet(datetime(2026, 12, 1, 22, 30, tzinfo=UTC))  # 06:30
    assert not channel.is_quiet(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # 10:00


def test_min_severity_counts_unrated_as_high_and_projects_route_by_glob() -> None:
    (channel,) = parse_channels(
        [
            {
                "name": "w",
                "kind": "webhook",
                "url": "https://x.example",
                "min_severity": "high",
                "projects": ["billing-*"],
            }
        ]
    )
    assert (
        channel.accepts("critical") and channel.accepts("unknown") and not channel.accepts("medium")
    )
    assert channel.routes("billing-api") and not channel.routes("web")


def test_not_an_array_of_tables() -> None:
    assert check_channels({"name": "x"}) == (
        (),
        ["channel: expected an array of tables ([[channel]])"],
    )
