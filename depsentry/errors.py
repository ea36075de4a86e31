"""Every depsentry error, in one leaf module so any layer can raise them without import loops.

```
DepsentryError(message, path=None, line=None)   str() -> "path:line: message"; CLI exit 2
 ├─ InputError        requirements/pyproject/lock file or environment we cannot read
 ├─ ConfigError       depsentry config; ├─ ConfigErrors (every problem of a file at once)
 │                                       └─ PolicyError (policies/*.toml)
 ├─ AdvisoryDbError   DB missing or corrupt (a malformed OSV record is skipped and counted, not raised)
 ├─ PackageIndexError index unreachable or bad answer
 ├─ ResolverError     the resolver (uv) cannot check a fix plan: missing, offline, failed
 ├─ NotifyError       daemon only, never exit 2
 │   ├─ RateLimited   the service (or our own limiter) says wait `retry_after` seconds; retried
 │   ├─ Rejected      permanent: bad signature/keyword/IP, invalid blocks, other 4xx; never retried
 │   └─ Unreachable   timeouts, resets, 5xx, unknown answers; retried with backoff
 ├─ StoreError        the daemon's store cannot be opened, or was written by a newer depsentry
 ├─ TriageError       a triage request that cannot apply (unknown finding, bad reason, wrong state)
 └─ CodemodError      input or output would not parse; the file stays untouched
```
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "AdvisoryDbError",
    "CodemodError",
    "ConfigError",
    "ConfigErrors",
    "DepsentryError",
    "InputError",
    "NotifyError",
    "PackageIndexError",
    "PolicyError",
    "RateLimited",
    "Rejected",
    "ResolverError",
    "Unreachable",
    "StoreError",
    "TriageError",
    "reading",
]


class DepsentryError(Exception):
    """Base of every error the CLI turns into one line on stderr and exit code 2."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message


class InputError(DepsentryError):
    """A dependency input (requirements, pyproject, lockfile, environment) that cannot be read."""


class ConfigError(DepsentryError):
    """A depsentry configuration file that cannot be used."""


class ConfigErrors(ConfigError):
    """Every problem found in a configuration at once, one line each (the CLI prints each)."""

    def __init__(self, problems: list[str] | tuple[str, ...]):
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


class PolicyError(ConfigError):
    """A policy file that cannot be used."""


class AdvisoryDbError(DepsentryError):
    """The advisory database is missing, unreadable, or cannot be fetched."""


class PackageIndexError(DepsentryError):
    """The package index is unreachable or answered something we cannot use."""


class ResolverError(DepsentryError):
    """The resolver (uv) could not say whether a fix plan installs (not: it does not)."""


class NotifyError(DepsentryError):
    """A chat or webhook notification failed (daemon only); `retryable` tells the relay what to do.

    `status` is the HTTP status and `answer` the service's own error text, when there was one;
    neither ever holds a webhook URL, token or secret.
    """

    retryable = True

    def __init__(self, message: str, *, status: int | None = None, answer: str | None = None):
        super().__init__(message)
        self.status = status
        self.answer = answer


class RateLimited(NotifyError):
    """The service throttled us, or our own per-destination limit would be exceeded."""

    def __init__(
        self,
        message: str,
        retry_after: float,
        *,
        status: int | None = None,
        answer: str | None = None,
    ):
        super().__init__(message, status=status, answer=answer)
        self.retry_after = retry_after


class Rejected(NotifyError):
    """The service refused the message for good (configuration or payload); never retried."""

    retryable = False


class Unreachable(NotifyError):
    """The service did not answer usefully (timeout, reset, 5xx); retried later."""


class StoreError(DepsentryError):
    """The daemon's store cannot be opened or used (or was written by a newer depsentry)."""


class TriageError(DepsentryError):
    """A triage request that cannot apply: no such finding (`missing`), a bad argument, or a
    state that forbids it (`conflict`, e.g. dismissing a resolved finding)."""

    def __init__(self, message: str, *, missing: bool = False, conflict: bool = False):
        super().__init__(message)
        self.missing = missing
        self.conflict = conflict


class CodemodError(DepsentryError):
    """A file a codemod cannot parse, or whose rewrite would not parse."""


class _NeverRaised(Exception):
    """Stands for tomllib's error while tomllib is not loaded: nothing can raise it then."""


def _toml_decode_error() -> type[Exception]:
    # Evaluated only when an exception reaches that clause: a scan of requirements files alone
    # never imports tomllib (its regular expressions cost start-up).
    module = sys.modules.get("tomllib")
    return module.TOMLDecodeError if module is not None else _NeverRaised


@contextmanager
def reading(path: str | Path, error: type[DepsentryError] = InputError) -> Iterator[None]:
    """Translate the errors of reading and parsing `path` into `error`, keeping the line."""
    try:
        yield
    except DepsentryError:
        raise
    except FileNotFoundError as exc:
        raise error("no such file", path) from exc
    except IsADirectoryError as exc:
        raise error("is a directory, expected a file", path) from exc
    except PermissionError as exc:
        raise error("permission denied", path) from exc
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text ({exc.reason})", path) from exc
    except _toml_decode_error() as exc:
        # tomllib puts "(at line N, column M)" in the message; keep it as the line.
        msg = str(exc)
        line = None
        if "(at line " in msg:
            head, _, tail = msg.rpartition(" (at line ")
            try:
                line = int(tail.split(",")[0])
                msg = head
            except ValueError:
                pass
        raise error(f"invalid TOML: {msg}", path, line) from exc
    except json.JSONDecodeError as exc:
        raise error(f"invalid JSON: {exc.msg}", path, exc.lineno) from exc
    except OSError as exc:
        raise error(exc.strerror or str(exc), path) from exc
    except RecursionError as exc:  # tomllib, json and tomlkit recurse once per nesting level
        raise error("nested too deeply to parse (e.g. thousands of '[')", path) from exc
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            translated = _translate_library_error(exc, error, path)
            if translated is None:
                raise
            raise translated from exc
        # tomllib and json turn every integer literal into an int: Python refuses 4300+ digits.
        raise error("a number of thousands of digits; refused", path) from exc
    except Exception as exc:
        translated = _translate_library_error(exc, error, path)
        if translated is None:
            raise
        raise translated from exc


def _translate_library_error(
    exc: Exception, error: type[DepsentryError], path: str | Path
) -> DepsentryError | None:
    # Looked up in sys.modules, not imported: an error of a library that was never loaded cannot
    # have been raised, and importing yaml/tomlkit here would slow every start-up.
    yaml = sys.modules.get("yaml")
    if yaml is not None and isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return error(f"invalid YAML: {problem}", path, line)
    tomlkit_errors = sys.modules.get("tomlkit.exceptions")
    if tomlkit_errors is not None and isinstance(exc, tomlkit_errors.ParseError):
        return error(f"invalid TOML: {exc}", path, exc.line)
    for module, name, what in (
        ("packaging.requirements", "InvalidRequirement", "invalid requirement"),
        ("packaging.specifiers", "InvalidSpecifier", "invalid version specifier"),
        ("packaging.version", "InvalidVersion", "invalid version"),
    ):
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(exc, getattr(loaded, name)):
            return error(f"{what}: {exc}", path)
    return None
