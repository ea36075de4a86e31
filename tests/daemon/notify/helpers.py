"""Running notifier sends from synchronous tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from depsentry.daemon.notify import DeliveryReceipt, Notifier, Payload


def send_all(notifier: Notifier, payloads: Sequence[Payload]) -> list[DeliveryReceipt]:
    async def run() -> list[DeliveryReceipt]:
        try:
            return [await notifier.send(p) for p in payloads]
        finally:
            await notifier.aclose()

    return asyncio.run(run())
