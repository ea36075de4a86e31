"""Every event kind and change kind renders in en and zh for every chat kind, with outside text inert."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsentry.daemon.events import Change, ChangeKind, EventKind
from depsentry.daemon.notify import NOTIFIERS
from depsentry.errors import Rejected
from tests.daemon.notify.samples import channel, every_event, scan_event, vuln

CHAT = ("slack", "dingtalk", "feishu", "wecom")
URLS = {
    "slack": "https://hooks.slack.com/services/T0/B0/secretsecret",
    "dingtalk": "https://oapi.dingtalk.com/robot/send?access_token=tokentoken",
    "feishu": "https://open.feishu.cn/open-apis/bot/v2/hook/hookhookhook",
    "wecom": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=keykeykey",
}
# Words each language must use for each change kind's section heading.
HEADINGS = {
    "en": {
        "new": "new finding",
        "severity_raised": "rose in severity",
        "fix_available": "A fix is now available",
        "overdue": "now overdue",
        "resolved": "resolved",
        "retracted": "retracted",
        "reopened": "open again",
    },
    "zh": {
        "new": "新发现",
        "severity_raised": "严重程度上升",
        "fix_available": "已有修复版本",
        "overdue": "已逾期",
        "resolved": "已解决",
        "retracted": "已撤回",
        "reopened": "重新打开",
    },
}
TITLES = {
    "en": {
        "scan": "billing:",
        "baseline": "is now monitored",
        "digest": "review",
        "expiry": "open again",
        "test": "test message",
    },
    "zh": {
        "scan": "billing：",
        "baseline": "已开始监控",
        "digest": "评审摘要",
        "expiry": "重新打开",
        "test": "测试消息",
    },
}


def _text(kind: str, language: str, event_index: int) -> str:
    ch = channel(kind, url=URLS[kind], language=language)
    payloads = NOTIFIERS[kind]().build(every_event()[event_index], ch)
    return "\n".join(p.body.decode() for p in payloads)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("kind", CHAT)
def test_every_event_kind_renders(kind: str, language: str) -> None:
    for index, event in enumerate(every_event()):
        text = _text(kind, language, index)
        assert TITLES[language][event.kind.value] in text, (event.kind, text[:300])
        assert "jinja2" in text or event.kind is EventKind.DIGEST
        assert "{{" not in text and "{%" not in text


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("kind", CHAT)
def test_every_change_kind_has_its_section(kind: str, language: str) -> None:
    text = _text(kind, language, 0)
    for change_kind in ChangeKind:
        assert HEADINGS[language][change_kind.value] in text, change_kind


def test_entry_shows_severity_score_package_version_advisory_link_fix_and_command() -> None:
    ch = channel("dingtalk", url=URLS["dingtalk"])
    event = scan_event((Change(ChangeKind.NEW, vuln(severity="critical")),))
    (payload,) = NOTIFIERS["dingtalk"]().build(event, ch)
    text = payload.document()["markdown"]["text"]
    assert "**Critical 9.8**" in text
    assert "`jinja2` 2.11.3" in text
    assert "[GHSA-h5c8-rqwp-cp95](https://osv.dev/vulnerability/GHSA-h5c8-rqwp-cp95)" in text
    assert "fixed in 3.1.3: `depsentry fix . --package jinja2`" in text


def test_one_message_per_project_groups_its_findings() -> None:
    changes = tuple(
        Change(ChangeKind.NEW, vuln(f"pkg-{i}", advisory_id=f"GHSA-{i}")) for i in range(12)
    )
    for kind in CHAT:
        payloads = NOTIFIERS[kind]().build(scan_event(changes), channel(kind, url=URLS[kind]))
        assert len(payloads) == 1, kind
        assert all(f"pkg-{i}" in payloads[0].body.decode() for i in range(12))


def test_findings_are_ordered_by_severity_malicious_first() -> None:
    changes = (
        Change(ChangeKind.NEW, vuln("low-one", "low", advisory_id="A-1")),
        Change(ChangeKind.NEW, vuln("crit-one", "critical", advisory_id="A-2")),
        Change(ChangeKind.NEW, vuln("evil-one", "unknown", advisory_id="MAL-1", malicious=True)),
    )
    (payload,) = NOTIFIERS["wecom"]().build(
        scan_event(changes), channel("wecom", url=URLS["wecom"])
    )
    text = payload.document()["markdown"]["content"]
    assert text.index("evil-one") < text.index("crit-one") < text.index("low-one")
    assert "known malicious package" in text


HOSTILE = "pwn <!channel> <at id=all></at> <@U1> [click](http://evil.example) `x`\n# heading"


@pytest.mark.parametrize("kind", CHAT)
def test_outside_text_cannot_mention_link_or_break_layout(kind: str) -> None:
    event = scan_event((Change(ChangeKind.NEW, vuln(summary=HOSTILE, package="evil<pkg>")),))
    (payload,) = NOTIFIERS[kind]().build(event, channel(kind, url=URLS[kind]))
    text = payload.body.decode()
    # Slack links are <url|text>; markdown robots' are [text](url).
    link = "<http://evil" if kind == "slack" else "[click](http"
    for needle in ("<!channel>", "<at id=all>", "<@U1>", link, "\\n# heading", "<pkg>"):
        assert needle not in text, (kind, needle)


def test_slack_escapes_the_three_mrkdwn_characters() -> None:
    event = scan_event((Change(ChangeKind.NEW, vuln(summary="a & b < c > d")),))
    (payload,) = NOTIFIERS["slack"]().build(event, channel("slack", url=URLS["slack"]))
    assert "a &amp; b &lt; c &gt; d" in payload.body.decode()


def test_operator_override_replaces_one_template(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "scan.j2").write_text(
        '{% import "en/_common.j2" as c with context %}\n'
        "{% macro title() %}SECURITY {{ project_name }}{% endmacro %}\n"
        "{% macro intro() %}Team override for {{ project }}{% endmacro %}\n"
        "{% macro group(key, n, continued) %}== {{ key }} ({{ n }}){% endmacro %}\n"
        "{% macro entry(item) %}{{ item.f.package }}@{{ item.f.version }}{% endmacro %}\n"
        "{% macro footer() %}{% endmacro %}\n"
    )
    ch = channel("wecom", url=URLS["wecom"], templates_dir=str(tmp_path))
    (payload,) = NOTIFIERS["wecom"]().build(scan_event((Change(ChangeKind.NEW, vuln()),)), ch)
    content = payload.document()["markdown"]["content"]
    assert content.startswith("**SECURITY billing**")
    assert "== new (1)" in content and "jinja2@2.11.3" in content
    # Other events still use the shipped templates.
    (digest,) = NOTIFIERS["wecom"]().build(every_event()[2], ch)
    assert "review" in digest.document()["markdown"]["content"]


@pytest.mark.parametrize(
    "body",
    [
        "{% macro title() %}{{ ''.__class__.__mro__[1].__subclasses__() }}{% endmacro %}",
        "{% macro title() %}{{ undefined_name }}{% endmacro %}",
        "{% macro title( %}",
    ],
)
def test_broken_or_hostile_override_is_rejected_naming_the_template(
    tmp_path: Path, body: str
) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "scan.j2").write_text(body)
    ch = channel("slack", url=URLS["slack"], templates_dir=str(tmp_path))
    with pytest.raises(Rejected, match=r"template .*scan\.j2"):
        NOTIFIERS["slack"]().build(scan_event(), ch)


def test_mentions_only_for_critical_findings() -> None:
    ch = channel("slack", url=URLS["slack"], mentions={"user_groups": ["S0SECURITY"]})
    (critical,) = NOTIFIERS["slack"]().build(
        scan_event((Change(ChangeKind.NEW, vuln(severity="critical")),)), ch
    )
    (high,) = NOTIFIERS["slack"]().build(
        scan_event((Change(ChangeKind.NEW, vuln(severity="high")),)), ch
    )
    (resolved,) = NOTIFIERS["slack"]().build(
        scan_event((Change(ChangeKind.RESOLVED, vuln(severity="critical")),)), ch
    )
    assert "<!subteam^S0SECURITY>" in critical.body.decode()
    assert "subteam" not in high.body.decode()
    assert "subteam" not in resolved.body.decode()


def test_baseline_is_one_summary_not_a_flood() -> None:
    changes = tuple(
        Change(ChangeKind.NEW, vuln(f"pkg-{i:03d}", advisory_id=f"GHSA-{i}")) for i in range(200)
    )
    event = scan_event(changes, kind=EventKind.BASELINE)
    for kind in CHAT:
        payloads = NOTIFIERS[kind]().build(event, channel(kind, url=URLS[kind]))
        assert len(payloads) == 1, kind
        text = payloads[0].body.decode()
        assert "190 more" in text and "pkg-010" not in text


def test_time_is_shown_in_the_channel_time_zone() -> None:
    ch = channel("wecom", url=URLS["wecom"], timezone="Asia/Shanghai", language="zh")
    (payload,) = NOTIFIERS["wecom"]().build(scan_event(), ch)
    assert "2026-12-01 10:00 CST" in payload.document()["markdown"]["content"]
