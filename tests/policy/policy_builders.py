"""Small builders for policy tests: findings, releases from wheel file names, policy files."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from depsentry.models import Dependency, Outdated, ProjectReport, Severity, Source, Vulnerability
from depsentry.models.releases import DistFile, ProjectReleases, Release
from depsentry.policy import Policy

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SRC = Source("requirements.txt", 1)


def vuln(
    package: str = "django",
    version: str = "4.2.1",
    id: str = "PYSEC-2024-1",
    severity: Severity = Severity.HIGH,
    *,
    aliases: tuple[str, ...] = (),
    fixed_in: tuple[str, ...] = ("4.2.2",),
    **extra: Any,
) -> Vulnerability:
    return Vulnerability(
        package=package,
        version=version,
        id=id,
        aliases=aliases,
        severity=severity,
        cvss=None,
        fixed_in=fixed_in,
        summary="",
        source=SRC,
        **extra,
    )


def outdated(
    package: str = "requests",
    current: str = "2.31.0",
    latest: str = "2.32.3",
    update_type: str = "minor",
    *,
    libyears: float = 0.5,
    latest_released: datetime | None = NOW - timedelta(days=60),
) -> Outdated:
    return Outdated(
        package=package,
        current=current,
        latest=latest,
        update_type=update_type,  # type: ignore[arg-type]
        current_released=None,
        latest_released=latest_released,
        libyears=libyears,
        source=SRC,
    )


def dep(
    name: str,
    version: str = "1.0",
    *,
    direct: bool = True,
    pinned: bool = True,
    hashes: tuple[str, ...] = (),
) -> Dependency:
    return Dependency(
        name=name, version=version, direct=direct, source=SRC, pinned=pinned, hashes=hashes
    )


def report(path: str = "proj", **parts: Any) -> ProjectReport:
    return ProjectReport(path=path, **parts)


def releases(
    name: str, *versions: tuple[str, list[str], str | None, datetime | None]
) -> ProjectReleases:
    """(version, file names, requires-python, upload time) per release."""
    return ProjectReleases(
        name=name,
        releases=tuple(
            Release(
                version=v,
                upload_time=up,
                yanked=False,
                requires_python=rp,
                files=tuple(DistFile(f, requires_python=rp, upload_time=up) for f in files),
            )
            for v, files, rp, up in versions
        ),
    )


def policy(**sections: dict[str, Any]) -> Policy:
    """The default policy with some sections' fields replaced: policy(updates={"patch_days": 5})."""
    base = Policy()
    return replace(base, **{k: replace(getattr(base, k), **v) for k, v in sections.items()})


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def first_seen(mapping: dict[str, datetime]) -> Any:
    return mapping.get
