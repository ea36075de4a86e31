"""Advisories from Safety's database (pyupio/safety): a local copy, or the Safety CLI with an API key.

A local copy (safety_db.py reads it) is matched as Safety does: a pin is affected when a spec's
SpecifierSet contains it. Without one, `safety check --output json` runs with SAFETY_API_KEY.
The free database is CC BY-NC-SA 4.0 (non-commercial) and updated monthly (safety-db README).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from depsentry.advisories.external import Pins, find_tool
from depsentry.advisories.interface import AdvisorySource, SourceOptions
from depsentry.advisories.priorities import Prioritiser, attach_priorities, default_prioritiser
from depsentry.advisories.safety_db import (
    SafetyAdvisory,
    SafetyDb,
    load_safety_db,
    one_line,
    parse_date,
    pyup_id,
    rate_cvss,
    strings_of,
    text_of,
)
from depsentry.errors import AdvisoryDbError
from depsentry.models import AdvisoryDbInfo, Dependency, Severity, Vulnerability

__all__ = ["INSTALL_HINT", "SafetySource", "load_safety_db", "vulnerabilities_from_check"]

INSTALL_HINT = "safety is not installed: pip install 'depsentry[safety]'"


class SafetySource(AdvisorySource):
    """Match pins against a local Safety database, or run the Safety CLI when only a key is set."""

    name = "safety"

    @classmethod
    def open(cls, options: SourceOptions) -> SafetySource:
        source = cls(options.safety_db, offline=options.offline)
        source.command()  # a missing extra fails now, before any project is read
        source.priorities = default_prioritiser()
        return source

    def __init__(
        self,
        db: Path | None = None,
        *,
        api_key: str | None = None,
        offline: bool = False,
        python: str = sys.executable,
        run_timeout: float = 900.0,
    ) -> None:
        self.db_path = db
        self._api_key = api_key if api_key is not None else os.environ.get("SAFETY_API_KEY") or None
        if db is None and self._api_key is None:
            raise AdvisoryDbError(
                "the safety source needs a Safety-format database (--safety-db PATH) "
                "or SAFETY_API_KEY set for the Safety CLI"
            )
        if db is None and offline:
            raise AdvisoryDbError("--offline forbids the Safety CLI; pass --safety-db PATH instead")
        self.python = python
        self.run_timeout = run_timeout
        self._db: SafetyDb | None = None
        self._updated: datetime | None = None
        self._warnings: list[str] = []
        self.priorities: Prioritiser | None = None  # EPSS/KEV joined through each alias group

    def info(self) -> AdvisoryDbInfo:
        """The local database's size and timestamp, or the CLI run's time."""
        if self.db_path is not None:
            db = self._load()
            return AdvisoryDbInfo(
                source=f"safety {db.path}",
                records=db.count,
                updated=db.updated,
                warnings=db.warnings,
                epss=self.priorities.epss_info if self.priorities else None,
                kev=self.priorities.kev_info if self.priorities else None,
            )
        return AdvisoryDbInfo(
            source="safety (Safety CLI, API key)",
            records=0,
            updated=self._updated,
            warnings=tuple(self._warnings),
            epss=self.priorities.epss_info if self.priorities else None,
            kev=self.priorities.kev_info if self.priorities else None,
        )

    def match(self, dependencies: Sequence[Dependency]) -> list[Vulnerability]:
        """Return the advisories whose specs contain each pinned version."""
        if self.db_path is None:
            return attach_priorities(self._match_cli(dependencies), self.priorities)
        db = self._load()
        out: list[Vulnerability] = []
        for dep in dependencies:
            try:
                version = Version(dep.version)
            except InvalidVersion:
                continue
            for advisory in db.advisories.get(dep.name, ()):
                fixes = advisory.affects(version)
                if fixes is not None:
                    out.append(_vulnerability(advisory, dep, fixes))
        return attach_priorities(out, self.priorities)

    def command(self) -> list[str] | None:
        """The Safety CLI command line, or None with a local database.

        Raises AdvisoryDbError with the install command when the CLI is needed but missing.
        """
        if self.db_path is not None:
            return None
        return find_tool(self.python, "safety", "safety", INSTALL_HINT)

    def _load(self) -> SafetyDb:
        if self._db is None:
            assert self.db_path is not None
            self._db = load_safety_db(self.db_path)
        return self._db

    def _match_cli(self, dependencies: Sequence[Dependency]) -> list[Vulnerability]:
        command = self.command() or []
        pins = Pins.of(dependencies)
        self._warnings = list(pins.warnings)
        env = dict(os.environ)
        env["SAFETY_API_KEY"] = self._api_key or ""  # by environment: never on a command line
        out: list[Vulnerability] = []
        for layer in pins.layers:
            with tempfile.TemporaryDirectory(prefix="depsentry-safety-") as tmp:
                requirements = Path(tmp) / "requirements.txt"
                requirements.write_text(pins.requirements(layer), encoding="utf-8")
                argv = [*command, "check", "-r", str(requirements), "--output", "json"]
                report = _run_safety(argv, env, self.run_timeout)
            out.extend(vulnerabilities_from_check(report, pins.lookup))
        self._updated = datetime.now(UTC)
        return out


def _vulnerability(
    advisory: SafetyAdvisory, dep: Dependency, fixed: tuple[str, ...]
) -> Vulnerability:
    return Vulnerability(
        package=dep.name,
        version=dep.version,
        id=advisory.id,
        aliases=advisory.aliases,
        severity=advisory.severity,
        cvss=advisory.cvss,
        fixed_in=fixed,
        summary=advisory.summary,
        source=dep.source,
        reported_by=("safety",),
        published=advisory.published,
        severity_source=advisory.id if advisory.severity is not Severity.UNKNOWN else None,
    )


def vulnerabilities_from_check(
    report: Mapping[str, Any], lookup: Callable[[str, Version], list[Dependency]]
) -> list[Vulnerability]:
    """Map `safety check --output json` (`vulnerabilities[]`, safety/models.py to_dict) to findings."""
    out: list[Vulnerability] = []
    for raw in report.get("vulnerabilities") or []:
        if (
            not isinstance(raw, dict)
            or not raw.get("vulnerability_id")
            or not raw.get("package_name")
        ):
            continue
        try:
            version = Version(str(raw.get("analyzed_version")))
        except InvalidVersion:
            continue
        ids = [i for i in (pyup_id(raw["vulnerability_id"]), text_of(raw.get("CVE"))) if i]
        if not ids:
            continue
        rating = raw.get("severity")
        severity, cvss = rate_cvss(rating) if isinstance(rating, dict) else (Severity.UNKNOWN, None)
        fixed = strings_of(raw.get("fixed_versions"))
        advisory = SafetyAdvisory(
            id=ids[0],
            aliases=tuple(ids[1:]),
            specs=(),
            summary=one_line(raw.get("advisory")),
            fixed=fixed,
            severity=severity,
            cvss=cvss,
            published=parse_date(raw.get("published_date")),
        )
        deps = lookup(canonicalize_name(str(raw["package_name"])), version)
        out.extend(_vulnerability(advisory, dep, fixed) for dep in deps)
    return out


def _run_safety(argv: list[str], env: dict[str, str], run_timeout: float) -> dict[str, Any]:
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=run_timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise AdvisoryDbError(f"safety did not finish within {run_timeout:g}s") from exc
    except OSError as exc:
        raise AdvisoryDbError(f"cannot run safety: {exc.strerror or exc}") from exc
    # `check` exits 64 when it found vulnerabilities; it may print a deprecation banner first.
    start = done.stdout.find("{")
    if done.returncode in (0, 64) and start >= 0:
        try:
            report, _ = json.JSONDecoder().raw_decode(done.stdout[start:])
        except json.JSONDecodeError:
            report = None
        if isinstance(report, dict):
            return report
    lines = [
        line.strip() for line in (done.stderr + "\n" + done.stdout).splitlines() if line.strip()
    ]
    detail = lines[-1] if lines else f"exit code {done.returncode}"
    raise AdvisoryDbError(f"safety failed: {detail}")
