"""Where depsentry keeps its state: `DEPSENTRY_HOME`, else the XDG state directory."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def state_dir() -> Path:
    """The directory for the advisory database, HTTP cache and store (created on demand)."""
    home = os.environ.get("DEPSENTRY_HOME")
    path = Path(home) if home else Path(platformdirs.user_state_dir("depsentry"))
    path.mkdir(parents=True, exist_ok=True)
    return path
