"""Secrets the daemon reads: from an environment variable, a file, or a systemd credential
(`$CREDENTIALS_DIRECTORY/NAME`, from `LoadCredential=`). Never from the config file itself.

Error messages name where a secret was looked for, never what it holds.
"""

from __future__ import annotations

import os
from pathlib import Path

from depsentry.errors import ConfigError

__all__ = ["read_secret"]

_MAX = 64 * 1024  # a token, not a file to slurp: refuse anything this large


def read_secret(
    *,
    what: str,
    env: str | None = None,
    file: Path | None = None,
    credential: str | None = None,
) -> str | None:
    """The secret from the first source given; None when no source is given.

    Raises ConfigError when the named source is missing, unreadable or empty.
    """
    if env is not None:
        value = os.environ.get(env)
        if not value:
            raise ConfigError(f"{what}: environment variable {env} is not set")
        return value.strip()
    if credential is not None:
        directory = os.environ.get("CREDENTIALS_DIRECTORY")
        if not directory:
            raise ConfigError(
                f"{what}: credential {credential!r} needs $CREDENTIALS_DIRECTORY "
                "(systemd LoadCredential=); use a file or environment variable elsewhere"
            )
        if "/" in credential or credential in (".", ".."):
            raise ConfigError(f"{what}: bad credential name {credential!r}")
        file = Path(directory) / credential
    if file is None:
        return None
    try:
        if not file.is_file():
            raise ConfigError(f"{what}: not a regular file", file)
        if file.stat().st_size > _MAX:
            raise ConfigError(f"{what}: larger than {_MAX} bytes; expected a token", file)
        value = file.read_text(encoding="utf-8-sig").strip()
    except OSError as exc:
        raise ConfigError(f"{what}: {exc.strerror or type(exc).__name__}", file) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what}: not UTF-8 text", file) from exc
    if not value:
        raise ConfigError(f"{what}: the file is empty", file)
    return value
