"""Every channel kind and its notifier, one line each; the config's `kind` choices derive from it."""

from __future__ import annotations

from .dingtalk import DingTalkNotifier
from .feishu import FeishuNotifier
from .interface import Notifier
from .slack import SlackNotifier
from .webhook import WebhookNotifier
from .wecom import WeComNotifier

__all__ = ["KINDS", "NOTIFIERS"]

NOTIFIERS: dict[str, type[Notifier]] = {
    "slack": SlackNotifier,
    "dingtalk": DingTalkNotifier,
    "feishu": FeishuNotifier,
    "wecom": WeComNotifier,
    "webhook": WebhookNotifier,
}
KINDS = tuple(NOTIFIERS)
