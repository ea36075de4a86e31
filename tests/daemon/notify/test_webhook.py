"""The generic webhook: the event document, signed, validated against the shipped JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import depsentry.daemon.notify as notify
from depsentry.daemon.events import Event
from depsentry.daemon.notify.webhook import WebhookNotifier
from depsentry.errors import RateLimited, Rejected, Unreachable
from tests.daemon.notify.helpers import send_all
from tests.daemon.notify.samples import channel, every_event, scan_event
from tests.servers.chat import Fault
from tests.servers.webhook_server import WebhookReceiver

SCHEMA = json.loads((Path(notify.__file__).parent / "event.schema.json").read_text())


def test_schema_is_valid_and_every_event_kind_matches_it() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    for event in every_event():
        jsonschema.validate(json.loads(event.to_json()), SCHEMA)


def test_schema_rejects_what_is_not_an_event() -> None:
    document = json.loads(scan_event().to_json())
    document["kind"] = "surprise"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)
    del document["id"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_signed_post_is_verified_and_deduplicated_by_id() -> None:
    with WebhookReceiver(secret="hook-secret-123") as receiver:
        env = {"HOOK_SECRET": "hook-secret-123"}
        ch = channel("webhook", env, url=receiver.url, secret_env="HOOK_SECRET")
        notifier = WebhookNotifier()
        payloads = notifier.build(scan_event(), ch)
        receipts = send_all(notifier, [*payloads, *payloads])
    assert [r.status for r in receipts] == [202, 202]
    assert len(receiver.events) == 1 and receiver.duplicates == 1
    request = receiver.received[0]
    assert request.headers["x-depsentry-event-id"] == scan_event().id
    assert request.headers["x-depsentry-signature"].startswith("sha256=")
    assert Event.from_json(request.body.decode()) == scan_event()


def test_wrong_secret_is_rejected() -> None:
    with WebhookReceiver(secret="right-secret-1") as receiver:
        ch = channel("webhook", {"S": "wrong-secret-1"}, url=receiver.url, secret_env="S")
        notifier = WebhookNotifier()
        with pytest.raises(Rejected, match="HTTP 401"):
            send_all(notifier, notifier.build(scan_event(), ch))


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault(429, "", {"Retry-After": "30"}), RateLimited),
        (Fault(503, "down"), Unreachable),
        (Fault(408, ""), Unreachable),
        (Fault(302, "", {"Location": "http://elsewhere.example/"}), Rejected),
        (Fault(404, "nope"), Rejected),
        (Fault(reset=True), Unreachable),
    ],
)
def test_http_answers_map_to_the_right_error(fault: Fault, error: type) -> None:
    with WebhookReceiver() as receiver:
        receiver.fail(fault)
        notifier = WebhookNotifier()
        with pytest.raises(error):
            send_all(notifier, notifier.build(scan_event(), channel("webhook", url=receiver.url)))
