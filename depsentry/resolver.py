"""A real resolver for fix plans: uv, run as a subprocess (`uv pip compile`, `uv lock --dry-run`).

uv is a dependency of depsentry; `DEPSENTRY_UV` or a `uv` on PATH may replace the bundled one.
Index URLs (which may carry credentials) reach uv through its environment, never its argv,
which every user of the machine can read; nothing uv prints is shown without redaction.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from depsentry.errors import ResolverError

__all__ = ["Conflict", "LockChanges", "Resolved", "Uv", "find_uv", "python_floor"]

# uv's own settings in the caller's environment would change what is resolved (another index,
# a resolution strategy, constraints): only these few pass through.
_KEPT_UV_VARIABLES = frozenset({"UV_CACHE_DIR", "UV_NATIVE_TLS", "UV_SYSTEM_CERTS"})
_NO_SOLUTION = "No solution found when resolving dependencies"
# Failures that say nothing about the plan: the resolver could not see the packages.
_UNAVAILABLE = (
    ("was not found in the cache", "a package is not in uv's cache (offline)"),
    ("network was disabled", "a package is not in uv's cache (offline)"),
    ("was not found in the package registry", "a package is not on the index"),
    ("building from source is disabled", "a package has only a source distribution"),
)
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_PIN_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;]+)")
_LOCK_LINE = re.compile(r"^(Update|Add|Remove) (\S+) v(\S+)(?: -> v(\S+))?\s*$")
_PREMISES = re.compile(r"(?:And )?[Bb]ecause (.*?), we can conclude that")
_PYTHONS = [Version(f"3.{minor}") for minor in range(0, 41)]


@dataclass(frozen=True)
class Resolved:
    """A resolution uv found: every package's version(s) (several when markers fork it)."""

    versions: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Conflict:
    """No resolution exists: `chain` is uv's explanation, on one line."""

    chain: str

    @property
    def summary(self) -> str:
        """The facts of the chain without uv's conclusions: "flask>=2.2.5 depends on
        jinja2>=3.0; you require jinja2==2.11.3" (the whole chain when it has another shape)."""
        premises: list[str] = []
        for sentence in re.split(r"(?<=\.)\s+", self.chain):
            match = _PREMISES.match(sentence)
            if match:
                premises += [p.strip() for p in match.group(1).split(" and ") if p.strip()]
        return "; ".join(dict.fromkeys(premises)) or self.chain


@dataclass(frozen=True)
class LockChanges:
    """What `uv lock` would change: name -> (old, new); None for an added or removed package."""

    changes: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)


def find_uv(env: Mapping[str, str] | None = None) -> str:
    """`DEPSENTRY_UV`, else the uv installed with depsentry, else `uv` on PATH."""
    env = os.environ if env is None else env
    named = env.get("DEPSENTRY_UV")
    if named:
        if not (os.path.isfile(named) and os.access(named, os.X_OK)):
            raise ResolverError(f"DEPSENTRY_UV={named}: not an executable file")
        return named
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found is None:
        raise ResolverError(
            "cannot check the plan: uv is not installed (pip install uv, or set DEPSENTRY_UV); "
            "--no-verify skips the check"
        )
    return found


def python_floor(python: str | None) -> str | None:
    """'3.11' -> '3.11'; a range like '>=3.9,<4' -> its lowest 3.x ('3.9'); None when unknown."""
    if not python:
        return None
    try:
        version = Version(python)
        return f"{version.major}.{version.minor}"
    except InvalidVersion:
        pass
    try:
        spec = SpecifierSet(python)
    except InvalidSpecifier:
        return None
    floor = next((v for v in _PYTHONS if spec.contains(v, prereleases=True)), None)
    return str(floor) if floor is not None else None


@dataclass(frozen=True)
class Uv:
    """How to run uv for one project: its indexes (first wins), its Python, offline or not."""

    executable: str
    indexes: tuple[str, ...]  # may carry credentials: only ever passed through the environment
    python: str | None = None  # "3.11": resolve for this Python
    offline: bool = False
    allow_build: bool = False  # False: never run a package's build scripts to learn its metadata
    timeout: float = 300.0
    env: Mapping[str, str] | None = None

    def compile(
        self, requirements: Sequence[str], *, lowest: bool = False, workdir: Path
    ) -> Resolved | Conflict:
        """Resolve `requirements` for every platform; `lowest`: the lowest versions that fit."""
        args = ["pip", "compile", "-", "--universal", "--no-header", "--no-annotate"]
        args += ["--no-config", "--no-python-downloads", *self._common()]
        if self.python:
            args += ["--python-version", self.python]
        if lowest:
            args += ["--resolution", "lowest-direct"]
        text = "".join(f"{line}\n" for line in requirements)
        done = self._run(args, text, workdir, self._index_env())
        if done.returncode == 0:
            return Resolved(_pins(done.stdout))
        return self._failure(done)

    def lock(self, project: Path, upgrades: Sequence[str]) -> LockChanges | Conflict:
        """What `uv lock --upgrade-package ...` would change in `project` (nothing is written)."""
        args = ["lock", "--dry-run", "--no-python-downloads", *self._common()]
        for upgrade in upgrades:
            args += ["--upgrade-package", upgrade]
        done = self._run(args, None, project, {})  # a uv project names its own indexes
        if done.returncode == 0:
            return _lock_changes(done.stderr + done.stdout)
        return self._failure(done)

    def _common(self) -> list[str]:
        args = ["--color", "never"]
        if not self.allow_build:
            args.append("--no-build")
        if self.offline:
            args.append("--offline")
        return args

    def _index_env(self) -> dict[str, str]:
        if not self.indexes:
            return {}
        *first, last = self.indexes
        # uv asks `--index` entries first, in order, and the default index last.
        env = {"UV_DEFAULT_INDEX": last}
        if first:
            env["UV_INDEX"] = " ".join(first)
        return env

    def _run(
        self, args: list[str], stdin: str | None, cwd: Path, extra: Mapping[str, str]
    ) -> subprocess.CompletedProcess[str]:
        source = os.environ if self.env is None else self.env
        env = {
            k: v for k, v in source.items() if not k.startswith("UV_") or k in _KEPT_UV_VARIABLES
        }
        env |= {"NO_COLOR": "1", **extra}
        try:
            return subprocess.run(
                [self.executable, *args],
                input=stdin,
                capture_output=True,
                text=True,
                cwd=cwd,
                env=env,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ResolverError(
                f"cannot check the plan: uv did not finish in {self.timeout:g}s"
            ) from None
        except OSError as exc:
            raise ResolverError(f"cannot run uv ({self.executable}): {exc.strerror}") from exc

    def _failure(self, done: subprocess.CompletedProcess[str]) -> Conflict:
        output = redact_text(done.stderr or done.stdout)
        if _NO_SOLUTION in output:
            chain = _chain(output)
            for needle, what in _UNAVAILABLE:
                if needle in output:
                    raise ResolverError(f"cannot check the plan: {what}: {chain}")
            return Conflict(chain)
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        first = next((line for line in lines if line.startswith("error:")), None)
        raise ResolverError(
            f"cannot check the plan: uv failed: {(first or (lines[0] if lines else 'no output'))}"
        )


def redact_text(text: str) -> str:
    """uv's output with any `user:password@` of a URL removed."""
    return _USERINFO.sub("", text)


def _chain(output: str) -> str:
    """uv's 'cause: Because ...' explanation, joined into one line."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if "cause:" in line or "╰─▶" in line), None)
    if start is None:
        return " ".join(line.strip() for line in lines if line.strip() and _NO_SOLUTION not in line)
    picked = []
    for line in lines[start:]:
        stripped = line.strip()
        if not stripped or stripped.startswith("hint:"):
            break
        picked.append(stripped.removeprefix("cause:").removeprefix("╰─▶").strip())
    return " ".join(picked)


def _pins(output: str) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        match = _PIN_LINE.match(line.strip())
        if match:
            versions = found.setdefault(canonicalize_name(match.group(1)), [])
            if match.group(2) not in versions:
                versions.append(match.group(2))
    return {name: tuple(versions) for name, versions in found.items()}


def _lock_changes(output: str) -> LockChanges:
    changes: dict[str, tuple[str | None, str | None]] = {}
    for line in output.splitlines():
        match = _LOCK_LINE.match(line.strip())
        if not match:
            continue
        verb, name, first, second = match.groups()
        old, new = (first, second) if verb == "Update" else (None, first)
        if verb == "Remove":
            old, new = first, None
        changes[canonicalize_name(name)] = (old, new)
    return LockChanges(changes)
