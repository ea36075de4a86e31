"""Where depsentry keeps its state: `DEPSENTRY_HOME`, else the XDG state directory."""

from __future__ import annotations

import os
from pathlib import Path

from depsentry.errors import ConfigError


def state_dir() -> Path:
    """The directory for the advisory database, HTTP cache and store (created on demand).

    ConfigError (one line, exit 2) when it cannot be a directory: DEPSENTRY_HOME naming a file,
    or a parent that cannot be written."""
    home = os.environ.get("DEPSENTRY_HOME")
    if home:
        path, where = Path(home), "DEPSENTRY_HOME"
    else:
        import platformdirs  # 8 ms: only without DEPSENTRY_HOME

        path, where = Path(platformdirs.user_state_dir("depsentry")), "state directory"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"{where} is not a directory", path) from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot create it ({exc.strerror or exc})", path) from None
    if not path.is_dir():
        raise ConfigError(f"{where} is not a directory", path)
    return path
