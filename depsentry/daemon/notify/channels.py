"""`[[channel]]` tables of depsentry.toml -> frozen `Channel`s, every error at once, each naming its key.

Secrets come by reference (`*_env`, `*_file`, `*_credential` = a systemd credential name); a
literal `url` is accepted for URLs that carry no secret. Values are wrapped in `Secret`.
"""

from __future__ import annotations

import os
import re
import stat
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from depsentry.errors import ConfigError

from .secrets import Secret

__all__ = [
    "LANGUAGES",
    "SEVERITIES",
    "Channel",
    "Mentions",
    "check_channels",
    "parse_channels",
]

SEVERITIES = ("critical", "high", "medium", "low", "unknown")
_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "unknown": 0}
LANGUAGES = ("en", "zh")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CREDENTIAL = re.compile(r"^[A-Za-z0-9_.@-]{1,255}$")
_MENTION_ID = re.compile(r"^[A-Za-z0-9_.@+-]{1,64}$")
_MAX_SECRET_FILE = 64 * 1024
MENTION_KEYS = ("user_ids", "mobiles", "user_groups", "all")


@dataclass(frozen=True, slots=True)
class Mentions:
    """Who to mention on critical findings; which keys a kind accepts is the notifier's choice."""

    user_ids: tuple[str, ...] = ()  # DingTalk atUserIds, Feishu open ids, WeCom userids, Slack U…
    mobiles: tuple[str, ...] = ()  # DingTalk atMobiles
    user_groups: tuple[str, ...] = ()  # Slack user group ids (S…)
    all: bool = False  # DingTalk isAtAll, Feishu <at id=all>, Slack <!channel>

    def __bool__(self) -> bool:
        return bool(self.user_ids or self.mobiles or self.user_groups or self.all)


@dataclass(frozen=True, slots=True)
class Channel:
    """One destination. Its repr shows where secrets came from, never their values."""

    name: str
    kind: str
    url: Secret | None = None  # webhook URL (Slack incoming webhook, robots, generic webhook)
    secret: Secret | None = None  # signing secret (DingTalk 加签, Feishu, generic webhook)
    token: Secret | None = None  # Slack bot token (chat.postMessage)
    slack_channel: str | None = None  # Slack channel id for the bot token
    api_url: str | None = None  # Slack Web API base URL (tests, Enterprise Grid proxies)
    min_severity: str = "low"
    language: str = "en"
    timezone: str = "UTC"
    quiet_hours: tuple[time, time] | None = None
    critical_overrides_quiet: bool = True
    mentions: Mentions = field(default_factory=Mentions)
    keyword: str | None = None  # DingTalk/Feishu custom keyword the robot requires
    templates_dir: Path | None = None
    projects: tuple[str, ...] = ("*",)
    timeout: float = 10.0

    @property
    def destination(self) -> str:
        """What identifies the robot behind this channel (shared rate limits); never printed."""
        if self.token is not None:
            return f"{self.kind}:{self.token.get()}:{self.slack_channel}"
        assert self.url is not None
        return f"{self.kind}:{self.url.get()}"

    def accepts(self, severity: str) -> bool:
        """Whether a finding of `severity` reaches this channel (unknown counts as high)."""
        effective = "high" if severity == "unknown" else severity
        return _RANK[effective] >= _RANK[self.min_severity]

    def routes(self, project: str) -> bool:
        return any(fnmatchcase(project, pattern) for pattern in self.projects)

    def is_quiet(self, now: datetime) -> bool:
        """Whether `now` (aware) falls in the channel's quiet hours, in the channel's time zone."""
        if self.quiet_hours is None:
            return False
        start, end = self.quiet_hours
        local = now.astimezone(ZoneInfo(self.timezone)).time()
        if start <= end:
            return start <= local < end
        return local >= start or local < end  # spans midnight, e.g. 22:00-07:00


_COMMON = {
    "name",
    "kind",
    "min_severity",
    "language",
    "timezone",
    "quiet_hours",
    "critical_overrides_quiet",
    "quiet_override",
    "mentions",
    "templates_dir",
    "projects",
    "timeout",
}
_SOURCES = ("", "_env", "_file", "_credential")


class _Collector:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.errors.append(f"{key}: {message}")


def check_channels(
    tables: object,
    *,
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> tuple[tuple[Channel, ...], list[str]]:
    """Parse `[[channel]]` tables; return the valid channels and every error found (key: message)."""
    from .registry import KINDS, NOTIFIERS  # late: the registry imports the notifier modules

    env = os.environ if environ is None else environ
    base = base_dir or Path.cwd()
    out = _Collector()
    channels: list[Channel] = []
    seen: dict[str, int] = {}
    if not isinstance(tables, list | tuple):
        return (), ["channel: expected an array of tables ([[channel]])"]
    for index, table in enumerate(tables):
        where = f"channel[{index}]"
        before = len(out.errors)
        if not isinstance(table, Mapping):
            out.add(where, "expected a table")
            continue
        kind = table.get("kind")
        if kind not in KINDS:
            out.add(f"{where}.kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
            continue
        notifier = NOTIFIERS[kind]
        allowed = _COMMON | set(notifier.config_keys)
        allowed |= {prefix + suffix for prefix in notifier.secret_keys for suffix in _SOURCES}
        for key in sorted(set(table) - allowed):
            out.add(f"{where}.{key}", f"unknown key for a {kind} channel")
        name = table.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            out.add(f"{where}.name", "expected a name of letters, digits, '.', '_' or '-'")
            name = f"#{index}"
        elif name in seen:
            out.add(f"{where}.name", f"{name!r} is already used by channel[{seen[name]}]")
        else:
            seen[name] = index
        values = _common(table, where, out, base, kind, notifier.mention_keys)
        secrets: dict[str, Any] = {
            prefix: _secret(table, where, prefix, out, env, base)
            for prefix in ("url", "secret", "token")
            if prefix in notifier.secret_keys
        }
        extra = {
            key: table[key]
            for key in ("slack_channel", "api_url", "keyword")
            if key in notifier.config_keys and key in table
        }
        for key, value in extra.items():
            if not isinstance(value, str) or not value.strip():
                out.add(f"{where}.{key}", "expected a non-empty string")
        if len(out.errors) > before:
            continue
        channel = Channel(name=name, kind=kind, **values, **secrets, **extra)
        for key, message in notifier.check(channel, table):
            out.add(f"{where}.{key}" if key else where, message)
        if len(out.errors) == before:
            channels.append(channel)
    return tuple(channels), out.errors


def parse_channels(
    tables: Sequence[Mapping[str, Any]],
    *,
    path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> tuple[Channel, ...]:
    """Like `check_channels`, but raise one ConfigError listing every error (one per line)."""
    channels, errors = check_channels(tables, environ=environ, base_dir=base_dir)
    if errors:
        error = ConfigError("\n".join(errors), path)
        error.errors = errors  # type: ignore[attr-defined]
        raise error
    return channels


def _common(
    table: Mapping[str, Any],
    where: str,
    out: _Collector,
    base: Path,
    kind: str,
    mention_keys: frozenset[str],
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    pick: Callable[[str, tuple[str, ...]], str | None] = lambda key, choices: _choice(  # noqa: E731
        table, where, key, choices, out
    )
    if (severity := pick("min_severity", SEVERITIES)) is not None:
        values["min_severity"] = severity
    if (language := pick("language", LANGUAGES)) is not None:
        values["language"] = language
    if "timezone" in table:
        tz = table["timezone"]
        try:
            ZoneInfo(tz)
            values["timezone"] = tz
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            out.add(
                f"{where}.timezone",
                f"unknown time zone {tz!r} (use an IANA name like Asia/Shanghai)",
            )
    if "quiet_hours" in table:
        values["quiet_hours"] = _quiet_hours(table["quiet_hours"], f"{where}.quiet_hours", out)
    if "critical_overrides_quiet" in table:
        flag = table["critical_overrides_quiet"]
        if isinstance(flag, bool):
            values["critical_overrides_quiet"] = flag
        else:
            out.add(f"{where}.critical_overrides_quiet", "expected true or false")
    if "quiet_override" in table:
        # The spelling: quiet_override = "critical" | "none" (critical_overrides_quiet).
        override = table["quiet_override"]
        if override in ("critical", "none") and "critical_overrides_quiet" not in table:
            values["critical_overrides_quiet"] = override == "critical"
        elif override in ("critical", "none"):
            out.add(
                f"{where}.quiet_override",
                "give only one of quiet_override, critical_overrides_quiet",
            )
        else:
            out.add(f"{where}.quiet_override", f'expected "critical" or "none", got {override!r}')
    if "timeout" in table:
        timeout = table["timeout"]
        if (
            isinstance(timeout, int | float)
            and not isinstance(timeout, bool)
            and 0 < timeout <= 300
        ):
            values["timeout"] = float(timeout)
        else:
            out.add(f"{where}.timeout", "expected seconds between 0 and 300")
    if "projects" in table:
        projects = table["projects"]
        if _strings(projects) and projects:
            values["projects"] = tuple(projects)
        else:
            out.add(f"{where}.projects", "expected a non-empty list of project names or globs")
    if "templates_dir" in table:
        raw = table["templates_dir"]
        folder = base / raw if isinstance(raw, str) else None
        if folder is None or not folder.is_dir():
            out.add(f"{where}.templates_dir", f"not a directory: {raw}")
        else:
            values["templates_dir"] = folder.resolve()
    if "mentions" in table:
        values["mentions"] = _mentions(
            table["mentions"], f"{where}.mentions", kind, mention_keys, out
        )
    return values


def _choice(
    table: Mapping[str, Any], where: str, key: str, choices: tuple[str, ...], out: _Collector
) -> str | None:
    if key not in table:
        return None
    value = table[key]
    if value not in choices:
        out.add(f"{where}.{key}", f"expected one of {', '.join(choices)}, got {value!r}")
        return None
    return str(value)


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _quiet_hours(value: object, key: str, out: _Collector) -> tuple[time, time] | None:
    match = re.fullmatch(
        r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", value if isinstance(value, str) else ""
    )
    if match is None:
        out.add(key, f'expected "HH:MM-HH:MM" such as "22:00-07:00", got {value!r}')
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        out.add(key, f"not a time of day: {value!r}")
        return None
    if (h1, m1) == (h2, m2):
        out.add(key, "start and end are the same time")
        return None
    return time(h1, m1), time(h2, m2)


def _mentions(
    value: object, key: str, kind: str, allowed: frozenset[str], out: _Collector
) -> Mentions:
    if not isinstance(value, Mapping):
        out.add(key, 'expected a table such as { mobiles = ["138…"] }')
        return Mentions()
    fields: dict[str, Any] = {}
    for name, item in value.items():
        if name not in MENTION_KEYS:
            out.add(f"{key}.{name}", f"unknown key (known: {', '.join(MENTION_KEYS)})")
        elif name not in allowed:
            supported = ", ".join(sorted(allowed)) or "none"
            out.add(
                f"{key}.{name}", f"{kind} channels cannot mention this way (supported: {supported})"
            )
        elif name == "all":
            if isinstance(item, bool):
                fields["all"] = item
            else:
                out.add(f"{key}.all", "expected true or false")
        elif _strings(item) and all(_MENTION_ID.match(v) for v in item):
            fields[name] = tuple(item)
        elif _strings(item):
            out.add(f"{key}.{name}", "ids may hold only letters, digits and _ . @ + -")
        else:
            out.add(f"{key}.{name}", "expected a list of strings")
    return Mentions(**fields)


def _secret(
    table: Mapping[str, Any],
    where: str,
    prefix: str,
    out: _Collector,
    env: Mapping[str, str],
    base: Path,
) -> Secret | None:
    given = [prefix + suffix for suffix in _SOURCES if prefix + suffix in table]
    if not given:
        return None
    if len(given) > 1:
        out.add(f"{where}.{given[1]}", f"give only one of {', '.join(given)}")
        return None
    key = given[0]
    ref = table[key]
    if not isinstance(ref, str) or not ref.strip():
        out.add(f"{where}.{key}", "expected a non-empty string")
        return None
    if key == prefix:
        if prefix != "url":
            out.add(
                f"{where}.{key}",
                f"secrets are given by reference: use {prefix}_env, {prefix}_file or {prefix}_credential",
            )
            return None
        return Secret(ref.strip(), "url")
    if key.endswith("_env"):
        value = env.get(ref)
        if value is None:
            out.add(f"{where}.{key}", f"variable {ref} is not set")
            return None
        if not value.strip():
            out.add(f"{where}.{key}", f"variable {ref} is empty")
            return None
        return Secret(value.strip(), f"{key} {ref}")
    if key.endswith("_credential"):
        if not _CREDENTIAL.match(ref):
            out.add(f"{where}.{key}", f"not a credential name: {ref!r}")
            return None
        folder = env.get("CREDENTIALS_DIRECTORY")
        if not folder:
            out.add(
                f"{where}.{key}",
                "$CREDENTIALS_DIRECTORY is not set (start the service with LoadCredential= or SetCredential=)",
            )
            return None
        path = Path(folder) / ref
    else:
        path = base / ref
    text, problem = _read_secret_file(path)
    if problem:
        out.add(f"{where}.{key}", f"{path}: {problem}")
        return None
    return Secret(text, f"{key} {ref}")


def _read_secret_file(path: Path) -> tuple[str, str | None]:
    """The file's stripped text, or a problem; never blocks on a FIFO, never reads a huge file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return "", "no such file"
    except PermissionError:
        return "", "permission denied"
    except OSError as exc:
        return "", exc.strerror or str(exc)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return "", "not a regular file"
        if info.st_size > _MAX_SECRET_FILE:
            return "", f"larger than {_MAX_SECRET_FILE // 1024} KiB, not a secret"
        data = os.read(fd, _MAX_SECRET_FILE + 1)
    finally:
        os.close(fd)
    try:
        text = data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        return "", "not UTF-8 text"
    if not text:
        return "", "is empty"
    if "\n" in text:
        return "", "holds more than one line"
    return text, None


def valid_http_url(value: str) -> str | None:
    """None when `value` is an absolute http(s) URL, else the problem (without the value)."""
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return "is not an http(s) URL"
    if any(c.isspace() for c in value):
        return "contains white space"
    return None
