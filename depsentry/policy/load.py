"""Read policy files (tomllib), resolve `extends`, validate every key, build a `Policy`.

Each file is checked on its own before merging, so an error names the file that holds the
bad key: "policies/x.toml: vulnerabilities.deadline_days.critcal: unknown key". Files stay
inside their root (the project, or the directory of a policy named on the command line).
"""

from __future__ import annotations

import math
import os
import stat
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from depsentry.errors import PolicyError, reading
from depsentry.paths import confined
from depsentry.policy.model import (
    FINDING_KINDS,
    Assessment,
    LibyearRules,
    PinningRules,
    Policy,
    ReadinessRules,
    ReviewSchedule,
    UpdateRules,
    VulnerabilityRules,
    Waiver,
)
from depsentry.policy.schedule import parse_day

__all__ = [
    "DEFAULT_POLICY",
    "PRESETS_DIR",
    "bundled_policies",
    "load_policy",
    "resolve_policy_path",
]

DEFAULT_POLICY = "monthly"
# The ready-made files ship inside the package so that an installed depsentry finds them;
# `policies/` at the repo root holds the same files (tests/policy asserts they are equal).
PRESETS_DIR = Path(__file__).parent / "presets"
SEVERITIES = ("critical", "high", "medium", "low", "unknown")
MAX_EXTENDS = 16  # files in one `extends` chain
MAX_POLICY_BYTES = 1024 * 1024
MAX_DAYS = 36500  # a hundred years: beyond that a date overflows, and no deadline means it
MAX_NUMBER = 1_000_000.0


class _Bad(Exception):
    """A problem with one key; turned into a PolicyError naming the file."""

    def __init__(self, key: str, problem: str):
        super().__init__(f"{key}: {problem}")


def bundled_policies() -> dict[str, Path]:
    """The ready-made policies by name (monthly, relaxed, strict, ...)."""
    return {p.stem: p for p in sorted(PRESETS_DIR.glob("*.toml"))}


def resolve_policy_path(ref: Path | str | None, relative_to: Path | None = None) -> Path:
    """A path as given, or a bare name ("strict") -> next to `relative_to`, else a bundled policy."""
    if ref is None:
        ref = DEFAULT_POLICY
    text = str(ref)
    is_name = (
        isinstance(ref, str) and "/" not in text and "\\" not in text and not text.endswith(".toml")
    )
    if not is_name:
        path = Path(text)
        return path if relative_to is None or path.is_absolute() else relative_to / path
    if relative_to is not None and (relative_to / f"{text}.toml").is_file():
        return relative_to / f"{text}.toml"
    bundled = bundled_policies()
    if text in bundled:
        return bundled[text]
    names = ", ".join(bundled) or "none"
    raise PolicyError(f"no policy named {text!r} (bundled: {names}); give a path to a .toml file")


def load_policy(path: Path | str | None = None, *, root: Path | None = None) -> Policy:
    """Load a policy file (None: the bundled default `monthly`; "strict": a bundled one by name).

    `root` is the project a policy came from (its `[tool.depsentry] policy`, or a `--policy`
    file inside it): the file and every file it `extends` must lie inside it, symlinks
    resolved; bundled policies may always be extended. Without `root` (the operator's own
    file) `extends` may name any file. Chains longer than MAX_EXTENDS files are refused.
    """
    top = resolve_policy_path(path)
    roots: tuple[Path, ...] | None = None
    if root is not None:
        roots = (root, PRESETS_DIR)
        if not _is_bundled(top):
            confined(top, [root], what="policy", error=PolicyError)
    merged, chain = _load_chain(top, (), roots)
    name = merged.get("name") or top.stem
    return _build(merged, name=name, sources=chain)


def _is_bundled(path: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(PRESETS_DIR))


def _load_chain(
    path: Path, seen: tuple[Path, ...], roots: tuple[Path, ...] | None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    key = path.resolve()
    raw = _read(path)
    try:
        own = _validate(raw, str(path))
    except _Bad as exc:
        raise PolicyError(str(exc), path) from None
    parent_ref = own.pop("extends", None)
    if parent_ref is None:
        return own, (str(path),)
    if len(seen) + 1 >= MAX_EXTENDS:
        raise PolicyError(f"extends: more than {MAX_EXTENDS} files in the chain", path)
    try:
        parent_path = resolve_policy_path(parent_ref, relative_to=path.parent)
    except PolicyError as exc:
        raise PolicyError(f"extends: {exc.message}", path) from None
    if roots is not None:
        # Before looking at the file: whether a path outside exists is not for a repository to learn.
        confined(parent_path, roots, what="extends", error=PolicyError, where=path)
    if not parent_path.is_file():
        raise PolicyError(f"extends: {parent_ref!r}: no such file ({parent_path})", path)
    if parent_path.resolve() in (*seen, key):  # named on the file whose `extends` closes the loop
        cycle = " -> ".join(str(p) for p in (*seen, key, parent_path.resolve()))
        raise PolicyError(f"extends: cyclic extends ({cycle})", path)
    parent, chain = _load_chain(parent_path, (*seen, key), roots)
    return _merge(parent, own), (str(path), *chain)


def _read(path: Path) -> dict[str, Any]:
    """One policy file: a regular file (a FIFO would block), at most MAX_POLICY_BYTES, TOML."""
    with reading(path, PolicyError):
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise PolicyError("not a regular file", path)
            if info.st_size > MAX_POLICY_BYTES:
                raise PolicyError(f"larger than {MAX_POLICY_BYTES // 1024} KiB", path)
            data = handle.read(MAX_POLICY_BYTES + 1)
        try:
            return tomllib.loads(data.decode("utf-8"))
        except RecursionError:
            raise PolicyError("invalid TOML: nested too deeply", path) from None


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key, scalars override, and lists of waivers/assessments add up."""
    out = {k: v for k, v in parent.items() if k not in ("name", "description")}  # never inherited
    for k, v in child.items():
        if k in ("waivers", "assessments"):
            out[k] = [*parent.get(k, []), *v]
        elif isinstance(v, dict) and isinstance(parent.get(k), dict):
            out[k] = _merge(parent[k], v)
        else:
            out[k] = v
    return out


# --- validation: each checker takes (value, dotted key) and returns the converted value ---

Checker = Callable[[Any, str], Any]


def _int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(key, f"expected a whole number of days, got {value!r}")
    if value < 0:
        raise _Bad(key, f"must not be negative, got {value}")
    if value > MAX_DAYS:
        raise _Bad(key, f"must be at most {MAX_DAYS} days (100 years), got {value}")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad(key, f"expected a number, got {value!r}")
    if isinstance(value, float) and math.isnan(value):
        raise _Bad(key, "expected a number, got nan")
    if value < 0:
        raise _Bad(key, f"must not be negative, got {value}")
    if value > MAX_NUMBER:
        raise _Bad(key, f"must be at most {MAX_NUMBER:g}, got {value}")
    return float(value)


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise _Bad(key, f"expected true or false, got {value!r}")
    return value


def _str(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise _Bad(key, f"expected a string, got {value!r}")
    return value


def _date(value: Any, key: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _Bad(key, f"bad date {value!r}, expected YYYY-MM-DD") from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _Bad(key, f"bad date {value!r}, expected YYYY-MM-DD")
    return value


def _time(value: Any, key: str) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise _Bad(key, f"bad time {value!r}, expected HH:MM")


def _timezone(value: Any, key: str) -> str:
    name = _str(value, key)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _Bad(
            key, f"unknown time zone {name!r} (use an IANA name like 'Europe/Berlin')"
        ) from None
    return name


def _every(value: Any, key: str) -> str:
    if value not in ("month", "quarter", "week"):
        raise _Bad(key, f"expected 'month', 'quarter' or 'week', got {value!r}")
    return str(value)


def _day(value: Any, key: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = _str(value, key)
    try:
        parse_day(text)
    except ValueError as exc:
        raise _Bad(key, str(exc)) from None
    return text.strip().lower()


def _python(value: Any, key: str) -> str:
    text = _str(value, key).strip()
    parts = text.split(".")
    if text and (len(parts) != 2 or not all(p.isdigit() for p in parts)):
        raise _Bad(key, f"expected a Python version like '3.14' (or '' for off), got {value!r}")
    return text


def _specifier(value: Any, key: str) -> str:
    text = _str(value, key)
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        raise _Bad(key, f"bad version range {text!r}, expected e.g. '>=4.2,<5'") from None
    return text


def _fail_on(value: Any, key: str) -> tuple[str, ...]:
    from depsentry.policy.gate import GateError, parse_gate

    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise _Bad(key, f'expected a gate expression like "high, kev", got {value!r}')
    try:
        parse_gate(items)
    except GateError as exc:
        raise _Bad(key, str(exc)) from None
    return tuple(items)


def _unrated_as(value: Any, key: str) -> str:
    from depsentry.policy.gate import UNRATED_CHOICES

    if value not in UNRATED_CHOICES:
        raise _Bad(key, f"expected one of {', '.join(UNRATED_CHOICES)}, got {value!r}")
    return str(value)


def _rules(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Bad(key, f"expected a list of finding kinds, got {value!r}")
    for v in value:
        if v not in FINDING_KINDS:
            raise _Bad(key, f"unknown finding kind {v!r} (one of: {', '.join(FINDING_KINDS)})")
    return tuple(value)


def _table(schema: Mapping[str, Checker]) -> Checker:
    def check(value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _Bad(key, f"expected a table, got {value!r}")
        out = {}
        for k, v in value.items():
            where = f"{key}.{k}" if key else k
            if k not in schema:
                raise _Bad(where, "unknown key")
            out[k] = schema[k](v, where)
        return out

    return check


def _array_of(build: Checker) -> Checker:
    def check(value: Any, key: str) -> list[Any]:
        if not isinstance(value, list):
            raise _Bad(key, f"expected an array of tables ([[{key}]]), got {value!r}")
        return [build(v, f"{key}[{i}]") for i, v in enumerate(value)]

    return check


_WAIVER_KEYS: dict[str, Checker] = {
    "id": _str,
    "package": _str,
    "versions": _specifier,
    "rules": _rules,
    "reason": _str,
    "expires": _date,
    "until_fixed": _bool,
}


def _major(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**9:
        raise _Bad(key, f"expected a major version number like 5, got {value!r}")
    return value


_ASSESSMENT_KEYS: dict[str, Checker] = {"package": _str, "major": _major, "decision": _str}


def _waiver(value: Any, key: str) -> Waiver:
    entry = _table(_WAIVER_KEYS)(value, key)
    if not entry.get("id") and not entry.get("package"):
        raise _Bad(key, "needs an advisory 'id' or a 'package'")
    if not entry.get("reason", "").strip():
        raise _Bad(f"{key}.reason", "missing: say why this waiver is acceptable")
    if "expires" not in entry and not entry.get("until_fixed", False):
        raise _Bad(f"{key}.expires", "missing: give an expiry date, or until_fixed = true")
    if entry.get("until_fixed") and not entry.get("id"):
        raise _Bad(f"{key}.until_fixed", "only applies to an advisory 'id'")
    if "versions" in entry and not entry.get("package"):
        raise _Bad(f"{key}.versions", "needs a 'package'")
    if entry.get("package"):
        entry["package"] = canonicalize_name(entry["package"])
    return Waiver(**entry)


def _assessment(value: Any, key: str) -> Assessment:
    entry = _table(_ASSESSMENT_KEYS)(value, key)
    for required in ("package", "major", "decision"):
        if required not in entry:
            raise _Bad(f"{key}.{required}", "missing")
    entry["package"] = canonicalize_name(entry["package"])
    return Assessment(**entry)


_SCHEMA: dict[str, Checker] = {
    "name": _str,
    "description": _str,
    "extends": _str,
    "review": _table({"every": _every, "day": _day, "time": _time, "timezone": _timezone}),
    "vulnerabilities": _table(
        {
            "deadline_days": _table(dict.fromkeys(SEVERITIES, _int)),
            "needs_fix": _bool,
            "fail_on": _fail_on,
            "unrated_as": _unrated_as,
        }
    ),
    "updates": _table(
        {
            "patch_days": _int,
            "minor_days": _int,
            "major_assessment_days": _int,
            "min_release_age_days": _int,
        }
    ),
    "libyears": _table({"max_per_dependency": _number, "max_per_project": _number, "days": _int}),
    "pinning": _table({"direct": _bool, "hashes": _bool, "days": _int}),
    "readiness": _table({"python": _python, "days": _int}),
    # `exceptions` is the name users wrote first; `waivers` says what they are. Both are read.
    "exceptions": _array_of(_waiver),
    "waivers": _array_of(_waiver),
    "assessments": _array_of(_assessment),
}


def _validate(raw: dict[str, Any], path: str) -> dict[str, Any]:
    out: dict[str, Any] = _table(_SCHEMA)(raw, "")
    if "exceptions" in out:
        out["waivers"] = [*out.pop("exceptions"), *out.get("waivers", [])]
    # Record the file on each entry so `policy show` and messages can say where it came from.
    for k, cls in (("waivers", Waiver), ("assessments", Assessment)):
        if k in out:
            out[k] = [_with_source(e, path, cls) for e in out[k]]
    return out


def _with_source(entry: Any, path: str, cls: type) -> Any:
    values = {f.name: getattr(entry, f.name) for f in fields(cls)}
    values["source"] = path
    return cls(**values)


def _build(merged: dict[str, Any], *, name: str, sources: tuple[str, ...]) -> Policy:
    review = ReviewSchedule(**merged.get("review", {}))
    # Checked after merging: `every` and `day` may come from different files.
    weekly_day = parse_day(review.day)[0] == 0
    if weekly_day != (review.every == "week"):
        hint = (
            "a weekday like 'monday'" if review.every == "week" else "e.g. 'first monday' or 1-28"
        )
        raise PolicyError(
            f"review.day: {review.day!r} does not fit every = {review.every!r} ({hint})", sources[0]
        )
    vulns = dict(merged.get("vulnerabilities", {}))
    deadlines = vulns.pop("deadline_days", {})
    vulns.update({f"{sev}_days": days for sev, days in deadlines.items()})
    return Policy(
        name=name,
        description=merged.get("description", ""),
        sources=sources,
        review=review,
        vulnerabilities=VulnerabilityRules(**vulns),
        updates=UpdateRules(**merged.get("updates", {})),
        libyears=LibyearRules(**merged.get("libyears", {})),
        pinning=PinningRules(**merged.get("pinning", {})),
        readiness=ReadinessRules(**merged.get("readiness", {})),
        waivers=tuple(merged.get("waivers", ())),
        assessments=tuple(merged.get("assessments", ())),
    )
