"""Chat and webhook channels: parse `[[channel]]`, build messages per service, send them.

`Notifier.build(event, channel)` is pure (messages split under the service's limits) and
`Notifier.send(payload)` is one async attempt whose failures are RateLimited, Rejected or Unreachable.
"""

from __future__ import annotations

from .channels import Channel, Mentions, check_channels, parse_channels
from .interface import DeliveryReceipt, Notifier, Payload
from .limits import Limiters
from .registry import KINDS, NOTIFIERS
from .sample import sample_event, send_test

__all__ = [
    "KINDS",
    "NOTIFIERS",
    "Channel",
    "DeliveryReceipt",
    "Limiters",
    "Mentions",
    "Notifier",
    "Payload",
    "check_channels",
    "create_notifiers",
    "parse_channels",
    "sample_event",
    "send_test",
]


def create_notifiers(limiters: Limiters | None = None) -> dict[str, Notifier]:
    """One notifier per kind, sharing `limiters` (so two channels on one robot share its limit)."""
    shared = limiters or Limiters()
    return {kind: cls(limiters=shared) for kind, cls in NOTIFIERS.items()}
