"""Advisories from pip-audit itself (pypa/pip-audit), run as a subprocess with JSON output.

For what pip-audit alone covers: resolving an unpinned requirements file through pip
(`audit_requirements_file`) and auditing an installed environment (`audit_environment`). Pinned
dependencies go through a temporary requirements file with `--no-deps --disable-pip`, so pip never
resolves or installs anything ("If you wouldn't `pip install` it, you should not `pip audit` it",
pip-audit README). JSON shape: `{"dependencies": [{name, version, vulns: [{id, fix_versions,
aliases, description}]} | {name, skip_reason}]}` (pip_audit/_format/json.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from depsentry.advisories.external import Pins, find_tool
from depsentry.advisories.interface import AdvisorySource, SourceOptions
from depsentry.advisories.priorities import Prioritiser, attach_priorities, default_prioritiser
from depsentry.errors import AdvisoryDbError, InputError
from depsentry.models import AdvisoryDbInfo, Dependency, Severity, Source, Vulnerability

__all__ = ["INSTALL_HINT", "PipAuditSource"]

INSTALL_HINT = "pip-audit is not installed: pip install 'depsentry[pip-audit]'"
_SERVICES = ("osv", "pypi", "esms")


class PipAuditSource(AdvisorySource):
    """Run pip-audit (`python -m pip_audit`, else `pip-audit` on PATH) and read its JSON."""

    name = "pip-audit"

    @classmethod
    def open(cls, options: SourceOptions) -> PipAuditSource:
        source = cls(osv_url=options.pip_audit_osv_url, offline=options.offline)
        source.command()  # a missing extra fails now, before any project is read
        source.priorities = default_prioritiser()
        return source

    def __init__(
        self,
        *,
        service: str = "osv",
        osv_url: str | None = None,
        offline: bool = False,
        python: str = sys.executable,
        cache_dir: Path | None = None,
        index_url: str | None = None,
        timeout: int = 15,
        run_timeout: float = 900.0,
    ) -> None:
        if service not in _SERVICES:
            raise ValueError(f"unknown pip-audit service {service!r}")
        if osv_url is not None:
            service = "osv"
            osv_url = osv_url.rstrip("/")
            if not osv_url.endswith("/v1/query"):
                osv_url += "/v1/query"  # pip-audit wants the query endpoint, we take the API base
        if offline and osv_url is None:
            raise AdvisoryDbError(
                "--offline forbids the pip-audit source unless it asks a local OSV API "
                "(--pip-audit-osv-url, e.g. `depsentry db serve`)"
            )
        self.service = service
        self.osv_url = osv_url
        self.offline = offline
        self.python = python
        self.cache_dir = cache_dir
        self.index_url = index_url
        self.timeout = timeout
        self.run_timeout = run_timeout
        self._command: list[str] | None = None
        self._updated: datetime | None = None
        self._warnings: list[str] = []
        self.priorities: Prioritiser | None = None  # EPSS/KEV joined through each alias group

    def info(self) -> AdvisoryDbInfo:
        """pip-audit does not say how many records its service holds (pip-audit #504): 0."""
        where = f" {self.osv_url}" if self.osv_url else ""
        return AdvisoryDbInfo(
            source=f"pip-audit ({self.service}{where})",
            records=0,
            updated=self._updated,
            warnings=tuple(self._warnings),
            epss=self.priorities.epss_info if self.priorities else None,
            kev=self.priorities.kev_info if self.priorities else None,
        )

    def match(self, dependencies: Sequence[Dependency]) -> list[Vulnerability]:
        """Audit pinned dependencies without resolution (`--no-deps --disable-pip`)."""
        pins = Pins.of(dependencies)
        self._warnings = list(pins.warnings)
        out: list[Vulnerability] = []
        for layer in pins.layers:
            with tempfile.TemporaryDirectory(prefix="depsentry-pip-audit-") as tmp:
                requirements = Path(tmp) / "requirements.txt"
                requirements.write_text(pins.requirements(layer), encoding="utf-8")
                report = self._run(["-r", str(requirements), "--no-deps", "--disable-pip"], tmp)
            out.extend(self._vulnerabilities(report, pins.lookup))
        return attach_priorities(out, self.priorities)

    def audit_requirements_file(self, path: Path) -> list[Vulnerability]:
        """Let pip resolve `path` (unpinned is fine) and audit the result; needs the index."""
        if not path.is_file():
            raise InputError("no such file", path)
        if self.offline and not self.index_url:
            raise AdvisoryDbError("--offline forbids resolving a requirements file through pip")
        args = ["-r", str(path)]
        if self.index_url:
            args += ["--index-url", self.index_url]
        self._warnings = []
        with tempfile.TemporaryDirectory(prefix="depsentry-pip-audit-") as tmp:
            report = self._run(args, tmp)
        return self._vulnerabilities(report, _standalone(str(path)))

    def audit_environment(self, path: Path) -> list[Vulnerability]:
        """Audit the distributions installed in `path` (a site-packages directory)."""
        if not path.is_dir():
            raise InputError("no such directory", path)
        self._warnings = []
        with tempfile.TemporaryDirectory(prefix="depsentry-pip-audit-") as tmp:
            report = self._run(["--path", str(path)], tmp)
        return self._vulnerabilities(report, _standalone(str(path)))

    def command(self) -> list[str]:
        """The pip-audit command line to run, or AdvisoryDbError with the install command."""
        if self._command is None:
            self._command = find_tool(self.python, "pip_audit", "pip-audit", INSTALL_HINT)
        return self._command

    def _run(self, args: list[str], tmp: str) -> Any:
        output = Path(tmp) / "pip-audit.json"
        argv = [*self.command(), *args, "-f", "json", "--desc", "on", "--aliases", "on"]
        argv += ["--progress-spinner", "off", "--timeout", str(self.timeout), "-o", str(output)]
        argv += ["-s", self.service]
        if self.osv_url:
            argv += ["--osv-url", self.osv_url]
        if self.cache_dir is not None:
            argv += ["--cache-dir", str(self.cache_dir)]
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=self.run_timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise AdvisoryDbError(f"pip-audit did not finish within {self.run_timeout:g}s") from exc
        except OSError as exc:
            raise AdvisoryDbError(f"cannot run pip-audit: {exc.strerror or exc}") from exc
        # Exit 1 means "vulnerabilities found" as well as "failed": the report file tells them apart.
        text = output.read_text(encoding="utf-8") if output.is_file() else ""
        if done.returncode not in (0, 1) or not text.strip():
            detail = _failure(done.stderr) or f"exit code {done.returncode}"
            raise AdvisoryDbError(f"pip-audit failed: {detail}")
        try:
            report = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AdvisoryDbError(f"pip-audit wrote invalid JSON: {exc.msg}") from exc
        if not isinstance(report, dict) or not isinstance(report.get("dependencies"), list):
            raise AdvisoryDbError("pip-audit JSON has no dependencies list")
        self._updated = datetime.now(UTC)
        return report

    def _vulnerabilities(
        self, report: Any, lookup: Callable[[str, Version], list[Dependency]]
    ) -> list[Vulnerability]:
        out: list[Vulnerability] = []
        for entry in report["dependencies"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            name = canonicalize_name(entry["name"])
            if "skip_reason" in entry:
                self._warnings.append(f"pip-audit skipped {name}: {entry['skip_reason']}")
                continue
            try:
                version = Version(str(entry.get("version")))
            except InvalidVersion:
                continue
            vulns = [v for v in entry.get("vulns") or [] if isinstance(v, dict) and v.get("id")]
            for dep in lookup(name, version):
                out.extend(_vulnerability(v, dep) for v in vulns)
        return out


def _failure(stderr: str) -> str:
    # pip-audit's own errors are logged "ERROR:pip_audit._cli:<message>" and may be followed by
    # a caret diagram; an unexpected crash ends with the exception's line.
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    if errors:
        return errors[-1].split(":", 2)[-1].strip()
    return lines[-1] if lines else ""


def _standalone(where: str) -> Callable[[str, Version], list[Dependency]]:
    # Resolved or installed packages are not in our inputs: the file or directory is the source.
    def lookup(name: str, version: Version) -> list[Dependency]:
        return [Dependency(name, str(version), direct=False, source=Source(where))]

    return lookup


def _vulnerability(raw: dict[str, Any], dep: Dependency) -> Vulnerability:
    aliases = raw.get("aliases") or []
    description = raw.get("description") or ""
    return Vulnerability(
        package=dep.name,
        version=dep.version,
        id=str(raw["id"]),
        aliases=tuple(sorted(str(a) for a in aliases if a != raw["id"])),
        # pip-audit has no severity (pip-audit #654); merging with another source supplies it.
        severity=Severity.UNKNOWN,
        cvss=None,
        fixed_in=tuple(str(v) for v in raw.get("fix_versions") or []),
        summary="" if description == "N/A" else " ".join(description.split()),
        source=dep.source,
        reported_by=("pip-audit",),
    )
