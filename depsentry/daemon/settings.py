"""The daemon's validated settings: frozen, built once per load or reload by `config.py`.

A reload builds a whole new `Settings` beside the old one and swaps one reference, so nothing
ever sees half of each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from depsentry.daemon.schedule import Schedule, parse_schedule

__all__ = ["AlertSettings", "GitSource", "ProjectSettings", "Settings", "TriageRule"]


@dataclass(frozen=True, slots=True)
class GitSource:
    """A project the daemon clones: the URL never carries credentials (they come from
    `token_env`, `token_file`, `credential` or `ssh_key_file`)."""

    url: str
    branch: str | None = None
    subdir: str = ""
    username: str = "x-access-token"
    token_env: str | None = None
    token_file: Path | None = None
    credential: str | None = None  # a file name in $CREDENTIALS_DIRECTORY (systemd LoadCredential)
    ssh_key_file: Path | None = None

    @property
    def display(self) -> str:
        """The URL as shown in logs, errors and the status page."""
        from depsentry.daemon.checkout import redact_url

        suffix = f"#{self.branch}" if self.branch else ""
        return redact_url(self.url) + suffix


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    """One watched project."""

    name: str
    schedule: Schedule
    path: Path | None = None
    git: GitSource | None = None
    jitter: float | None = None  # None: a tenth of the schedule's period, at most 5 minutes
    policy: str | None = None  # a bundled policy name or a file; None: the project's own choice
    channels: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    outdated: bool = True
    defined_in: Path | None = None

    @property
    def location(self) -> str:
        """A local path, or the git URL with credentials removed."""
        if self.git is not None:
            return self.git.display
        return str(self.path)


@dataclass(frozen=True, slots=True)
class TriageRule:
    """One `[[triage]]` rule: findings matching every condition set are dismissed with `reason`
    before any alert."""

    reason: str
    comment: str = ""
    kinds: tuple[str, ...] = ("vulnerability",)
    projects: tuple[str, ...] = ()  # globs; empty: every project
    severities: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()  # globs
    ids: tuple[str, ...] = ()  # advisory ids or aliases (globs)
    dev_only: bool | None = None
    epss_below: float | None = None
    malicious_too: bool = False  # a known-malicious package is never dismissed unless this says so
    name: str = ""


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """`[alerts]`: how the relay retries and when it gives up."""

    give_up_after: float = 48 * 3600.0
    backoff_initial: float = 30.0
    backoff_max: float = 3600.0
    unrated_as: str = "high"  # what an unrated vulnerability counts as for min_severity
    poll: float = 5.0  # seconds between outbox checks when nothing wakes the relay
    fleet_digest_min: int = 3  # a channel routing this many projects gets one fleet digest


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything one daemon process runs from."""

    config_path: Path
    state_dir: Path
    store_url: str
    listen_host: str = "127.0.0.1"
    listen_port: int = 8787
    concurrency: int = 4
    workers: int = 0  # scan processes; 0: scans run in the daemon's threads
    timezone: str = "UTC"
    token_file: Path | None = None
    token_credential: str | None = None
    store_password_env: str | None = None
    store_password_file: Path | None = None
    drain_timeout: float = 30.0
    scan_timeout: float = 600.0
    watch: bool = False
    log_format: str = "auto"  # auto (JSON unless a terminal), json, human
    projects_dir: Path | None = None
    advisory_source: str = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
    sync: Schedule = field(default_factory=lambda: parse_schedule("every 6h"))
    embedded_fallback: bool = True
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    offline: bool = False
    projects: tuple[ProjectSettings, ...] = ()
    channels: tuple[dict[str, Any], ...] = ()  # raw [[channel]] tables, for the notify code
    alert_channels: tuple[Any, ...] = ()  # the parsed notify.Channel of each [[channel]]
    alerts: AlertSettings = field(default_factory=AlertSettings)
    triage: tuple[TriageRule, ...] = ()
    warnings: tuple[str, ...] = ()  # what validation noticed but does not refuse

    def project(self, name: str) -> ProjectSettings | None:
        return next((p for p in self.projects if p.name == name), None)

    @property
    def listen(self) -> str:
        host = f"[{self.listen_host}]" if ":" in self.listen_host else self.listen_host
        return f"{host}:{self.listen_port}"

    @property
    def clones_dir(self) -> Path:
        return self.state_dir / "clones"
