"""`depsentry alerts test|preview|failed|retry` on a real config and store, against loopback
receivers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from depsentry.cli import main
from depsentry.daemon.store import Store
from tests.daemon.relay_helpers import (
    all_attempted,
    run_relay,
    scan_event,
    settings_for,
    vuln,
    write_events,
)
from tests.servers.chat import Fault
from tests.servers.dingtalk_server import DingTalkStandIn, Robot
from tests.servers.webhook_server import WebhookReceiver


def channel(name: str, url: str, extra: str = "") -> str:
    return f'[[channel]]\nname = "{name}"\nkind = "webhook"\nurl = "{url}"\ntimeout = 1\n{extra}\n'


def store_of(tmp_path: Path, channels: str) -> tuple[Path, Store]:
    settings = settings_for(tmp_path, channels)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    return settings.config_path, Store.open(settings.store_url)


def test_alerts_test_prints_each_services_answer_and_fails_for_a_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    robot = Robot("tok-1", "SECgood")
    with WebhookReceiver() as hook, DingTalkStandIn([robot]) as ding:
        monkeypatch.setenv("DING_URL", ding.url("tok-1"))
        monkeypatch.setenv("DING_SECRET", "SECwrong")
        config, store = store_of(
            tmp_path,
            channel("hook", hook.url)
            + '[[channel]]\nname = "ding"\nkind = "dingtalk"\nurl_env = "DING_URL"\n'
            'secret_env = "DING_SECRET"\n',
        )
        store.close()
        assert main(["alerts", "test", "-c", str(config), "--channel", "hook"]) == 0
        out = capsys.readouterr().out
        assert "hook: ok: webhook hook: HTTP 202" in out
        assert hook.received[0].json()["kind"] == "test"
        assert main(["alerts", "test", "-c", str(config)]) == 1
        out = capsys.readouterr().out
        assert "ding: FAILED:" in out and "310000" in out and "SECwrong" not in out
        assert main(["alerts", "test", "-c", str(config), "--channel", "nope"]) == 2
        assert "no [[channel]] named 'nope'" in capsys.readouterr().err


def test_failed_deliveries_are_listed_and_retried(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with WebhookReceiver() as hook:
        hook.fail(Fault(status=400, body={"error": "bad"}))  # a 4xx is permanent
        config, store = store_of(tmp_path, channel("hook", hook.url))
        settings = settings_for(tmp_path, channel("hook", hook.url))
        event = scan_event(vuln("a"))
        write_events(store, [event])
        run_relay(store, settings, until=all_attempted(store))
        assert main(["alerts", "failed", "-c", str(config)]) == 0
        captured = capsys.readouterr()
        (line,) = captured.out.splitlines()
        delivery_id = int(line.split("\t")[0])
        assert "\thook\tapp\tscan\t" in line and "HTTP 400" in line
        assert "1 failed delivery, 0 pending" in captured.err
        assert main(["alerts", "failed", "-c", str(config), "--format", "json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["failed"][0]["event_id"] == event.id
        assert main(["alerts", "retry", str(delivery_id), "-c", str(config)]) == 0
        assert "queued again" in capsys.readouterr().out
        run_relay(store, settings)
        assert [r.status for r in hook.received] == [400, 202]
        assert main(["alerts", "retry", str(delivery_id), "-c", str(config)]) == 0
        assert "already sent" in capsys.readouterr().out
        assert main(["alerts", "retry", "999", "-c", str(config)]) == 2
        assert "no delivery 999" in capsys.readouterr().err
    store.close()


def test_preview_prints_the_channels_own_format_without_sending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    down = "http://127.0.0.1:1/hook"
    config, store = store_of(tmp_path, channel("hook", down))
    settings = settings_for(tmp_path, channel("hook", down), backoff_initial=60.0)
    write_events(store, [scan_event(vuln("a", "critical"))])
    run_relay(store, settings, until=all_attempted(store))
    store.close()
    assert main(["alerts", "preview", "-c", str(config), "--project", "app"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("--- webhook channel 'hook': ")
    document = json.loads(out.split("\n", 1)[1])
    assert document["schema"] == "depsentry.event/1" and document["kind"] == "scan"
    assert main(["alerts", "preview", "-c", str(config), "--project", "app", "--digest"]) == 0
    digest = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert digest["kind"] == "digest" and digest["digest"]["libyears"] == 0.0
    assert main(["alerts", "preview", "-c", str(config), "--project", "ghost"]) == 2
    assert "no project named 'ghost'" in capsys.readouterr().err


def test_preview_of_a_quiet_project_summarises_its_open_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, store = store_of(tmp_path, channel("hook", "http://127.0.0.1:1/hook"))
    store.close()
    assert main(["alerts", "preview", "-c", str(config), "--project", "app"]) == 0
    out = capsys.readouterr().out
    assert '"kind": "baseline"' in out


def test_alerts_commands_name_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, store = store_of(tmp_path, "")
    store.close()
    assert main(["alerts", "test", "-c", str(config)]) == 2
    assert "no [[channel]] configured" in capsys.readouterr().err
    assert main(["alerts", "preview", "-c", str(config), "--project", "app"]) == 2
    assert "no [[channel]] configured" in capsys.readouterr().err
    assert main(["alerts", "failed", "-c", str(config)]) == 0
    assert "0 failed deliveries, 0 pending" in capsys.readouterr().err


def test_preview_says_when_nothing_would_be_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = channel("hook", "http://127.0.0.1:1/hook", 'projects = ["other-*"]')
    high = channel("high", "http://127.0.0.1:1/high", 'min_severity = "critical"')
    config, store = store_of(tmp_path, hook + high)
    store.close()
    assert (
        main(["alerts", "preview", "-c", str(config), "--project", "app", "--channel", "hook"]) == 2
    )
    assert "routes to no channel" in capsys.readouterr().err
    assert main(["alerts", "preview", "-c", str(config), "--project", "app"]) == 0
    assert '"kind": "baseline"' in capsys.readouterr().out  # an empty summary is still a summary
