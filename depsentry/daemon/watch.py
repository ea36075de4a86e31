"""`watch = true`: reload when the config file or a file in `projects_dir` changes, once the
change has settled (editors and config management write in several steps).

It polls `stat()` once a second rather than using inotify: a Kubernetes ConfigMap update swaps
a symlink that an inotify watch on the old file never sees, and one stat a second costs nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["ConfigWatcher"]

logger = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int, int], ...]


class ConfigWatcher:
    """Calls `on_change()` after the watched files changed and then stayed the same for `settle`."""

    def __init__(
        self, config: Path, projects_dir: Path | None, *, interval: float = 1.0, settle: float = 1.0
    ):
        self.config, self.projects_dir = config, projects_dir
        self.interval, self.settle = interval, settle

    def fingerprint(self) -> Fingerprint:
        paths = [self.config]
        if self.projects_dir is not None and self.projects_dir.is_dir():
            paths.extend(sorted(self.projects_dir.glob("*.toml")))
        out = []
        for path in paths:
            try:
                st = os.stat(path)  # follows symlinks: a swapped ConfigMap link counts as a change
                out.append((str(path), st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                out.append((str(path), -1, -1, -1))
        return tuple(out)

    async def run(self, on_change: Callable[[], None]) -> None:
        seen = self.fingerprint()
        while True:
            await asyncio.sleep(self.interval)
            now = self.fingerprint()
            if now == seen:
                continue
            while True:  # debounce: wait until it stops changing
                await asyncio.sleep(self.settle)
                later = self.fingerprint()
                if later == now:
                    break
                now = later
            seen = now
            logger.info(
                "configuration changed on disk: reloading", extra={"action": "config_changed"}
            )
            on_change()
