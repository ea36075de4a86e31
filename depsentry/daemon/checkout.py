"""Git checkouts of watched projects: a partial clone (`--filter=blob:none`, depth 1) with a
sparse checkout of only the files the scanner reads, refreshed by a fetch and a hard reset.

Credentials reach git through a credential helper that reads them from the child's environment,
never through the URL or the command line (both show up in `ps` and in git's own errors).
Symlinks are checked out as plain files (`core.symlinks=false`): a repository other people push
to must not make the scanner read files outside the checkout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from depsentry.daemon.credentials import read_secret
from depsentry.daemon.settings import GitSource
from depsentry.errors import DepsentryError

__all__ = ["CheckoutError", "Interrupted", "checkout", "redact_url", "sparse_patterns"]

_HELPER = (
    '!f() { test "$1" = get || return 0; '
    'printf "username=%s\\npassword=%s\\n" "$DEPSENTRY_GIT_USERNAME" "$DEPSENTRY_GIT_TOKEN"; }; f'
)
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


class CheckoutError(DepsentryError):
    """git could not clone or update a project (recorded as the run's error)."""


class Interrupted(Exception):
    """The daemon is stopping: the work in progress was abandoned."""


def redact_url(url: str) -> str:
    """`url` without credentials or query string."""
    if "://" not in url:
        return url  # scp-like git@host:path carries no secret
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def sparse_patterns() -> list[str]:
    """Non-cone sparse-checkout patterns: every input file name the readers claim, plus any
    .txt and .toml (requirements include each other by any name; a project's policy file)."""
    from depsentry.inputs.registry import PATTERNS

    patterns = {"*.txt", "*.toml"}
    for claimed in PATTERNS.values():
        patterns.update(f"**/{pattern}" if "/" in pattern else pattern for pattern in claimed)
    return sorted(patterns)


def _environment(username: str, token: str | None, ssh_key: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_CONFIG_NOSYSTEM="1")
    env["GIT_ASKPASS"] = "true"  # never wait for a password nobody will type
    if token is not None:
        # The first empty value clears any helper the user's config adds (git-config(1)).
        env.update(
            GIT_CONFIG_COUNT="2",
            GIT_CONFIG_KEY_0="credential.helper",
            GIT_CONFIG_VALUE_0="",
            GIT_CONFIG_KEY_1="credential.helper",
            GIT_CONFIG_VALUE_1=_HELPER,
            DEPSENTRY_GIT_USERNAME=username,
            DEPSENTRY_GIT_TOKEN=token,
        )
    if ssh_key is not None:
        env["GIT_SSH_COMMAND"] = (
            f"ssh -i '{ssh_key}' -o IdentitiesOnly=yes -o BatchMode=yes "
            "-o StrictHostKeyChecking=accept-new"
        )
    return env


def _run(
    args: list[str],
    *,
    env: dict[str, str],
    cwd: Path | None,
    cancel: threading.Event,
    deadline: float,
    what: str,
) -> str:
    process = subprocess.Popen(
        ["git", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,  # a stop signal for the daemon is not one for git
    )
    try:
        while True:
            try:
                out, err = process.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if cancel.is_set():
                    raise Interrupted(what) from None
                if time.monotonic() > deadline:
                    raise CheckoutError(f"{what} timed out") from None
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    if process.returncode != 0:
        raise CheckoutError(f"{what} failed: {_last_line(err)}")
    return out


def _last_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    line = (fatal[:1] or lines[-1:] or ["no output"])[0]
    line = line.removeprefix("fatal: ").removeprefix("error: ")
    return _USERINFO.sub("", line)[:300]


def checkout(
    git: GitSource,
    directory: Path,
    *,
    cancel: threading.Event,
    timeout: float = 300.0,
) -> Path:
    """Clone or update the project's repository in `directory`; the folder to scan.

    Raises CheckoutError (with git's reason, without credentials), Interrupted on `cancel`.
    """
    if cancel.is_set():
        raise Interrupted("stopping")
    token = read_secret(
        what=f"git token for {git.display}",
        env=git.token_env,
        file=git.token_file,
        credential=git.credential,
    )
    env = _environment(git.username, token, git.ssh_key_file)
    deadline = time.monotonic() + timeout
    shown = git.display

    def run(*args: str, cwd: Path | None = directory) -> str:
        return _run(
            list(args),
            env=env,
            cwd=cwd,
            cancel=cancel,
            deadline=deadline,
            what=f"git {args[0]} {shown}",
        )

    if (directory / ".git").is_dir() and _same_remote(directory, git.url, env):
        try:
            branch = [git.branch] if git.branch else []
            run("fetch", "--quiet", "--filter=blob:none", "--depth=1", "origin", *branch)
            run("sparse-checkout", "set", "--no-cone", *sparse_patterns())
            run("reset", "--quiet", "--hard", "FETCH_HEAD")
            return _inside(directory, git.subdir)
        except CheckoutError:
            pass  # a damaged clone: start again from scratch below
    shutil.rmtree(directory, ignore_errors=True)
    directory.parent.mkdir(parents=True, exist_ok=True)
    branch = ["--branch", git.branch] if git.branch else []
    run(
        "clone", "--quiet", "--filter=blob:none", "--depth=1", "--sparse", "--no-tags",
        "-c", "core.symlinks=false", *branch, git.url, str(directory), cwd=directory.parent,
    )  # fmt: skip
    run("sparse-checkout", "set", "--no-cone", *sparse_patterns())
    return _inside(directory, git.subdir)


def _same_remote(directory: Path, url: str, env: dict[str, str]) -> bool:
    found = subprocess.run(
        ["git", "config", "--get", "remote.origin.url"],
        cwd=directory, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return found.returncode == 0 and found.stdout.strip() == url


def _inside(directory: Path, subdir: str) -> Path:
    target = (directory / subdir).resolve() if subdir else directory
    if subdir and not target.is_relative_to(directory.resolve()):
        raise CheckoutError(f"subdir {subdir!r} leaves the checkout")
    if not target.is_dir():
        raise CheckoutError(f"subdir {subdir!r}: no such directory in the repository")
    return target
