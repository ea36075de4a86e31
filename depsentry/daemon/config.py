"""Read `depsentry.toml` (plus a directory of one-file-per-project TOML) into `Settings`.

Validation collects every problem before failing, each naming its file and key, so one
`depsentry daemon validate` run shows all that is wrong (`ConfigErrors`, exit 2).
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from depsentry.advisories.osv_sync import DEFAULT_URL
from depsentry.cpus import usable_cpus
from depsentry.daemon.schedule import Schedule, parse_duration, parse_schedule
from depsentry.daemon.settings import (
    AlertSettings,
    GitSource,
    ProjectSettings,
    Settings,
    TriageRule,
)
from depsentry.errors import ConfigError, ConfigErrors, DepsentryError, reading

__all__ = ["CONFIG_ENV", "DEFAULT_CONFIG", "config_path", "load_settings"]

CONFIG_ENV = "DEPSENTRY_CONFIG"
DEFAULT_CONFIG = Path("/etc/depsentry/depsentry.toml")
DEFAULT_SCHEDULE = "daily 02:00"
STORE_NAME = "depsentry.sqlite3"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_TOP = {"daemon", "advisories", "index", "defaults", "project", "channel", "alerts", "triage"}
_ALERTS = {
    "give_up_after",
    "backoff_initial",
    "backoff_max",
    "unrated_as",
    "poll",
    "fleet_digest_min",
}
_TRIAGE = {
    "name", "reason", "comment", "kind", "project", "severity", "package", "id", "dev_only",
    "epss_below", "malicious_too",
}  # fmt: skip
_UNRATED = ("critical", "high", "medium", "low", "ignore")
_DAEMON = {
    "state_dir", "store", "store_password_env", "store_password_file", "listen", "concurrency",
    "workers", "timezone", "token_file", "token_credential", "drain_timeout", "scan_timeout", "watch",
    "log_format", "projects_dir", "offline",
}  # fmt: skip
_ADVISORIES = {"source", "sync", "embedded_fallback"}
_INDEX = {"url", "extra_urls"}
_PROJECT_DEFAULTS = {"schedule", "jitter", "policy", "channels", "excludes", "outdated"}
_PROJECT = _PROJECT_DEFAULTS | {
    "name", "path", "git", "branch", "subdir", "username", "token_env", "token_file",
    "credential", "ssh_key_file",
}  # fmt: skip
_LOG_FORMATS = ("auto", "json", "human")


def config_path(explicit: Path | None = None) -> Path:
    """`--config`, else `$DEPSENTRY_CONFIG`, else /etc/depsentry/depsentry.toml."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get(CONFIG_ENV)
    return Path(from_env) if from_env else DEFAULT_CONFIG


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.warnings: list[str] = []

    def add(self, file: Path, key: str, message: str) -> None:
        self.lines.append(f"{file}: {key}: {message}" if key else f"{file}: {message}")


class _Table:
    """One TOML table being read: typed getters that record problems instead of raising."""

    def __init__(
        self, data: dict[str, Any], file: Path, prefix: str, problems: _Problems, known: set[str]
    ):
        self.data, self.file, self.prefix, self.problems = data, file, prefix, problems
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.problem(key, f"unknown key{hint}")

    def problem(self, key: str, message: str) -> None:
        self.problems.add(self.file, f"{self.prefix}{key}", message)

    def text(self, key: str, default: str | None = None) -> str | None:
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, str) or not value.strip():
            self.problem(key, "expected a non-empty string")
            return default
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.problem(key, "expected true or false")
            return default
        return value

    def whole(self, key: str, default: int, low: int, high: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(key, f"expected a whole number from {low} to {high}")
            return default
        return value

    def seconds(self, key: str, default: float) -> float:
        if key not in self.data:
            return default
        try:
            return parse_duration(self.data[key]).total_seconds()
        except ValueError as exc:
            self.problem(key, str(exc))
            return default

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.data.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problem(key, "expected a list of strings")
            return default
        return tuple(value)

    def path(self, key: str, base: Path) -> Path | None:
        value = self.text(key)
        return None if value is None else (base / Path(value).expanduser()).resolve()

    def schedule(self, key: str, default: str) -> Schedule:
        try:
            return parse_schedule(self.data.get(key, default))
        except ValueError as exc:
            self.problem(key, str(exc))
            return parse_schedule(default)


def _read_toml(path: Path) -> dict[str, Any]:
    with reading(path, ConfigError):
        if not path.is_file():
            raise ConfigError("not a regular file" if path.exists() else "no such file", path)
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))


def _sub(data: dict[str, Any], key: str, file: Path, problems: _Problems) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.add(file, key, "expected a table")
        return {}
    return value


def load_settings(path: Path) -> Settings:
    """Read and validate the configuration at `path` (and its `projects_dir`).

    Raises ConfigError when the file cannot be read, ConfigErrors listing every problem otherwise.
    """
    path = path.expanduser().resolve()
    data = _read_toml(path)
    problems = _Problems()
    base = path.parent
    for key in data:
        if key not in _TOP:
            close = difflib.get_close_matches(key, sorted(_TOP), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.add(path, key, f"unknown table{hint}")

    daemon = _Table(_sub(data, "daemon", path, problems), path, "daemon.", problems, _DAEMON)
    state_dir = daemon.path("state_dir", base) or _default_state_dir()
    timezone = daemon.text("timezone", "UTC") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        daemon.problem("timezone", f"unknown time zone {timezone!r} (e.g. UTC, Asia/Shanghai)")
        timezone = "UTC"
    host, port = _listen(daemon)
    token_file = daemon.path("token_file", base)
    token_credential = daemon.text("token_credential")
    if token_file is None and token_credential is None and not _is_loopback(host):
        daemon.problem(
            "listen",
            f"{host} is reachable from other machines: set daemon.token_file or "
            "daemon.token_credential so the API asks for a bearer token",
        )
    store_url = _store_url(daemon, state_dir)
    log_format = daemon.text("log_format", "auto") or "auto"
    if log_format not in _LOG_FORMATS:
        daemon.problem("log_format", f"expected one of {', '.join(_LOG_FORMATS)}")
        log_format = "auto"
    projects_dir = daemon.path("projects_dir", base)

    advisories = _Table(
        _sub(data, "advisories", path, problems), path, "advisories.", problems, _ADVISORIES
    )
    source = advisories.text("source") or DEFAULT_URL
    if not source.startswith(("http://", "https://")):
        source = str((base / Path(source).expanduser()).resolve())
    index = _Table(_sub(data, "index", path, problems), path, "index.", problems, _INDEX)
    defaults = _Table(
        _sub(data, "defaults", path, problems), path, "defaults.", problems, _PROJECT_DEFAULTS
    )

    channels = _channels(data.get("channel", []), path, problems)
    parsed_channels = _check_channels(channels, path, problems)
    alerts = _alerts(
        _Table(_sub(data, "alerts", path, problems), path, "alerts.", problems, _ALERTS)
    )
    triage = _triage(data.get("triage", []), path, problems)
    projects = _projects(data, path, projects_dir, defaults, problems)
    names = {str(c["name"]) for c in channels if isinstance(c.get("name"), str)}
    for project in projects:
        for channel in project.channels:
            if channel not in names:
                where = project.defined_in or path
                key = "channels" if where != path else f"project[{project.name}].channels"
                problems.add(where, key, f"no [[channel]] named {channel!r}")

    settings = Settings(
        config_path=path,
        state_dir=state_dir,
        store_url=store_url,
        listen_host=host,
        listen_port=port,
        concurrency=daemon.whole("concurrency", 4, 1, 64),
        workers=daemon.whole("workers", min(usable_cpus(), 2), 0, 64),
        timezone=timezone,
        token_file=token_file,
        token_credential=token_credential,
        store_password_env=daemon.text("store_password_env"),
        store_password_file=daemon.path("store_password_file", base),
        drain_timeout=daemon.seconds("drain_timeout", 30.0),
        scan_timeout=daemon.seconds("scan_timeout", 600.0),
        watch=daemon.flag("watch", False),
        log_format=log_format,
        projects_dir=projects_dir,
        advisory_source=source,
        sync=advisories.schedule("sync", "every 6h"),
        embedded_fallback=advisories.flag("embedded_fallback", True),
        index_url=index.text("url"),
        extra_index_urls=index.strings("extra_urls"),
        offline=daemon.flag("offline", False),
        projects=tuple(projects),
        channels=tuple(channels),
        alert_channels=parsed_channels,
        alerts=alerts,
        triage=triage,
        warnings=tuple(problems.warnings),
    )
    if problems.lines:
        raise ConfigErrors(problems.lines)
    return settings


def _default_state_dir() -> Path:
    # systemd's StateDirectory= sets $STATE_DIRECTORY; otherwise depsentry's own state directory.
    from_systemd = os.environ.get("STATE_DIRECTORY")
    if from_systemd:
        return Path(from_systemd.split(":")[0])
    from depsentry import paths

    home = os.environ.get("DEPSENTRY_HOME")
    return Path(home) if home else paths.state_dir()


def _listen(daemon: _Table) -> tuple[str, int]:
    value = daemon.text("listen", "127.0.0.1:8787") or "127.0.0.1:8787"
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536 or not host:
        daemon.problem("listen", f"expected HOST:PORT such as 127.0.0.1:8787, got {value!r}")
        return "127.0.0.1", 8787
    return host, int(port)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _store_url(daemon: _Table, state_dir: Path) -> str:
    value = daemon.text("store")
    if value is None:
        return f"sqlite:///{state_dir / STORE_NAME}"
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except ArgumentError:
        daemon.problem("store", "expected a database URL such as postgresql+psycopg://host/db")
        return f"sqlite:///{state_dir / STORE_NAME}"
    if url.password:
        daemon.problem(
            "store",
            "the URL carries a password: remove it and set daemon.store_password_env or "
            "daemon.store_password_file",
        )
    return value


def _channels(raw: object, file: Path, problems: _Problems) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        problems.add(file, "channel", "expected [[channel]] tables")
        return []
    seen: set[str] = set()
    for number, channel in enumerate(raw, 1):
        name = channel.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            problems.add(
                file, f"channel[{number}].name", "expected a name of letters, digits, . _ -"
            )
        elif name in seen:
            problems.add(file, f"channel[{name}].name", "two channels have this name")
        else:
            seen.add(name)
    return list(raw)


def _projects(
    data: dict[str, Any],
    path: Path,
    projects_dir: Path | None,
    defaults: _Table,
    problems: _Problems,
) -> list[ProjectSettings]:
    tables: list[tuple[dict[str, Any], Path, str | None]] = []
    raw = data.get("project", [])
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        problems.add(path, "project", "expected [[project]] tables")
        raw = []
    tables.extend((table, path, None) for table in raw)
    if projects_dir is not None:
        tables.extend(_project_files(projects_dir, problems))

    projects: list[ProjectSettings] = []
    seen: dict[str, Path] = {}
    for number, (table, file, stem) in enumerate(tables, 1):
        with _one_project(problems, file):
            project = _project(table, file, stem, number, defaults, problems)
            if project is None:
                continue
            if project.name in seen:
                problems.add(
                    file,
                    _project_key(file, path, project.name, "name"),
                    f"project {project.name!r} is also defined in {seen[project.name]}",
                )
                continue
            seen[project.name] = file
            projects.append(project)
    return projects


@contextmanager
def _one_project(problems: _Problems, file: Path) -> Iterator[None]:
    try:
        yield
    except DepsentryError as exc:
        problems.add(file, "", str(exc))


def _project_files(
    directory: Path, problems: _Problems
) -> Iterator[tuple[dict[str, Any], Path, str]]:
    if not directory.is_dir():
        problems.add(directory, "", "daemon.projects_dir: no such directory")
        return
    for file in sorted(directory.glob("*.toml")):
        if file.name.startswith("."):
            continue  # editors' and config management's temp files
        try:
            yield _read_toml(file), file, file.stem
        except ConfigError as exc:
            problems.lines.append(str(exc))


def _project_key(file: Path, main: Path, name: str, key: str) -> str:
    # In the main file a project is one of many tables; in its own file the key says enough.
    return f"project[{name}].{key}" if file == main else key


def _project(
    table: dict[str, Any],
    file: Path,
    stem: str | None,
    number: int,
    defaults: _Table,
    problems: _Problems,
) -> ProjectSettings | None:
    name = table.get("name", stem)
    label = name if isinstance(name, str) and name else str(number)
    prefix = f"project[{label}]." if stem is None else ""
    t = _Table(table, file, prefix, problems, _PROJECT)
    if not isinstance(name, str) or not _NAME.match(name):
        t.problem("name", "expected a name of letters, digits, . _ - (at most 100)")
        return None
    merged = {**defaults.data, **table}
    t.data = merged  # defaults fill what the project leaves out
    base = file.parent
    local = t.path("path", base)
    git_url = t.text("git")
    if (local is None) == (git_url is None):
        t.problem("path", "set exactly one of path or git")
    git = _git(t, git_url, base) if git_url is not None else None
    if git is None:
        for key in ("branch", "subdir", "username", "token_env", "token_file", "credential"):
            if key in table:
                t.problem(key, "only applies to a git project")
    if local is not None and not local.is_dir():
        # Not an error: a missing folder fails that project's scans (recorded and shown),
        # and must not stop a reload of every other project.
        problems.warnings.append(f"{file}: {prefix}path: no such directory: {local}")
    policy = t.text("policy")
    if policy is not None:
        policy = _policy(t, policy, base)
    jitter = t.seconds("jitter", -1.0) if "jitter" in merged else None
    return ProjectSettings(
        name=name,
        schedule=t.schedule("schedule", DEFAULT_SCHEDULE),
        path=local,
        git=git,
        jitter=jitter if jitter is None or jitter >= 0 else None,
        policy=policy,
        channels=t.strings("channels"),
        excludes=t.strings("excludes"),
        outdated=t.flag("outdated", True),
        defined_in=file,
    )


def _policy(t: _Table, value: str, base: Path) -> str:
    from depsentry.policy import load_policy

    is_path = "/" in value or "\\" in value or value.endswith(".toml")
    ref = str((base / value).resolve()) if is_path else value
    try:
        load_policy(ref)
    except DepsentryError as exc:
        t.problem("policy", exc.message if exc.path in (None, ref) else str(exc))
    return ref


def _git(t: _Table, url: str, base: Path) -> GitSource | None:
    parts = urlsplit(url)
    if parts.password or (parts.scheme in ("http", "https") and parts.username):
        t.problem(
            "git",
            "the URL carries credentials: remove them and set token_env, token_file or "
            "credential (the token never belongs in the config)",
        )
        return None
    if parts.scheme not in ("https", "http", "ssh", "git", "file") and not re.match(
        r"^[\w.-]+@[\w.-]+:", url
    ):
        t.problem("git", "expected an https://, ssh://, git@host:path or file:// URL")
        return None
    subdir = t.text("subdir", "") or ""
    if subdir.startswith("/") or ".." in Path(subdir).parts:
        t.problem("subdir", "expected a relative path inside the repository")
        subdir = ""
    sources = [k for k in ("token_env", "token_file", "credential") if k in t.data]
    if len(sources) > 1:
        t.problem(sources[1], f"set only one of {', '.join(sources)}")
    return GitSource(
        url=url,
        branch=t.text("branch"),
        subdir=subdir,
        username=t.text("username", "x-access-token") or "x-access-token",
        token_env=t.text("token_env"),
        token_file=t.path("token_file", base),
        credential=t.text("credential"),
        ssh_key_file=t.path("ssh_key_file", base),
    )


def _check_channels(raw: list[dict[str, Any]], file: Path, problems: _Problems) -> tuple[Any, ...]:
    """The channels as the relay uses them; their errors (secrets not set, bad keys) join the
    config's, each naming its key."""
    from depsentry.daemon.notify.channels import check_channels

    channels, errors = check_channels(raw, base_dir=file.parent)
    for error in errors:
        key, _, message = error.partition(": ")
        if not key.endswith(".name"):  # names were checked above, counting from 1
            problems.add(file, key, message)
    return channels


def _alerts(t: _Table) -> AlertSettings:
    default = AlertSettings()
    unrated = t.text("unrated_as", default.unrated_as) or default.unrated_as
    if unrated not in _UNRATED:
        t.problem("unrated_as", f"expected one of {', '.join(_UNRATED)}, got {unrated!r}")
        unrated = default.unrated_as
    settings = AlertSettings(
        give_up_after=t.seconds("give_up_after", default.give_up_after),
        backoff_initial=t.seconds("backoff_initial", default.backoff_initial),
        backoff_max=t.seconds("backoff_max", default.backoff_max),
        unrated_as=unrated,
        poll=t.seconds("poll", default.poll),
        fleet_digest_min=t.whole("fleet_digest_min", default.fleet_digest_min, 2, 100000),
    )
    for key in ("give_up_after", "backoff_initial", "backoff_max", "poll"):
        if key in t.data and getattr(settings, key) <= 0:
            t.problem(key, "expected a duration above zero")
    if settings.backoff_max < settings.backoff_initial:
        t.problem("backoff_max", "is shorter than backoff_initial")
    return settings


def _triage(raw: object, file: Path, problems: _Problems) -> tuple[TriageRule, ...]:
    from depsentry.daemon.store.triage import DISMISS_REASONS

    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        problems.add(file, "triage", "expected [[triage]] tables")
        return ()
    rules: list[TriageRule] = []
    for number, table in enumerate(raw):
        label = table.get("name") if isinstance(table.get("name"), str) else str(number)
        t = _Table(table, file, f"triage[{label}].", problems, _TRIAGE)
        before = len(problems.lines)
        reason = t.text("reason")
        if reason is None:
            t.problem("reason", f"required: one of {', '.join(DISMISS_REASONS)}")
        elif reason not in DISMISS_REASONS:
            t.problem("reason", f"expected one of {', '.join(DISMISS_REASONS)}, got {reason!r}")
        kinds = _one_or_many(t, "kind", ("vulnerability",))
        for kind in kinds:
            if kind not in ("vulnerability", "update", "violation"):
                t.problem("kind", f"expected vulnerability, update or violation, got {kind!r}")
        severities = _one_or_many(t, "severity", ())
        for severity in severities:
            if severity not in ("critical", "high", "medium", "low", "unknown"):
                t.problem("severity", f"not a severity: {severity!r}")
        epss: float | None = None
        if "epss_below" in table:
            value = table["epss_below"]
            if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1:
                epss = float(value)
            else:
                t.problem("epss_below", "expected a probability between 0 and 1, such as 0.01")
        dev_only = table.get("dev_only")
        if dev_only is not None and not isinstance(dev_only, bool):
            t.problem("dev_only", "expected true or false")
            dev_only = None
        rule = TriageRule(
            reason=reason or "", comment=t.text("comment", "") or "", kinds=kinds,
            projects=_one_or_many(t, "project", ()), severities=severities,
            packages=_one_or_many(t, "package", ()), ids=_one_or_many(t, "id", ()),
            dev_only=dev_only, epss_below=epss, malicious_too=t.flag("malicious_too", False),
            name=label,
        )  # fmt: skip
        if not (rule.severities or rule.packages or rule.ids or rule.dev_only is not None
                or rule.epss_below is not None or rule.projects):  # fmt: skip
            problems.add(
                file, f"triage[{label}]",
                "a rule needs a condition (severity, package, id, dev_only, epss_below, project)",
            )  # fmt: skip
        if len(problems.lines) == before:
            rules.append(rule)
    return tuple(rules)


def _one_or_many(t: _Table, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = t.data.get(key)
    if value is None:
        return default
    if isinstance(value, str) and value:
        return (value,)
    return t.strings(key, default)
