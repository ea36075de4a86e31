"""sd_notify(3) for `Type=notify-reload` units: READY, RELOADING (with MONOTONIC_USEC), STOPPING,
STATUS and WATCHDOG pings, as datagrams to `$NOTIFY_SOCKET`.

The protocol is one datagram of KEY=VALUE lines (systemd ships a 20-line pure-Python example and
calls the protocol stable); a library would add a dependency for a dozen lines.
"""

from __future__ import annotations

import logging
import os
import socket
import time

__all__ = ["Notifier", "watchdog_interval"]

logger = logging.getLogger(__name__)


class Notifier:
    """Sends to `$NOTIFY_SOCKET` when systemd set it, and does nothing otherwise."""

    def __init__(self, address: str | None = None):
        self.address = address if address is not None else os.environ.get("NOTIFY_SOCKET")

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *lines: str) -> bool:
        if not self.address:
            return False
        target = self.address
        if target.startswith("@"):  # an abstract socket
            target = "\0" + target[1:]
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(target)
                sock.sendall("\n".join(lines).encode())
        except OSError as exc:
            logger.warning("sd_notify failed: %s", exc, extra={"action": "sd_notify_failed"})
            return False
        return True

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def reloading(self) -> bool:
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.send("RELOADING=1", f"MONOTONIC_USEC={usec}")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")


def watchdog_interval() -> float | None:
    """Half of `$WATCHDOG_USEC` in seconds (when the watchdog is meant for this process)."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None
    return int(usec) / 2_000_000
