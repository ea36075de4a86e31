"""The one-line human summary of a scan (stderr in the CLI, the heading line of markdown)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from depsentry.models import AdvisoryDbInfo, ProjectReport, ScanResult, Severity, Vulnerability

__all__ = [
    "data_line",
    "plural",
    "priority_text",
    "severity_label",
    "severity_text",
    "summarize",
    "summary_of",
    "Tally",
]

# Most severe first; UNKNOWN (shown as "unrated") last because it is the least informative,
# not the least severe: the gate fails every level on it by default.
SEVERITY_ORDER = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.UNKNOWN,
)


def severity_label(severity: Severity) -> str:
    """The word shown for a level: `unrated` for UNKNOWN (the JSON keeps "unknown")."""
    return "unrated" if severity is Severity.UNKNOWN else severity.value


def severity_text(v: Vulnerability) -> str:
    """The level with the CVSS score beside it: "critical 9.8", "high", "unrated"."""
    text = severity_label(v.severity)
    return f"{text} {v.cvss:.1f}" if v.cvss is not None else text


def summary_of(v: Vulnerability) -> str | None:
    """The advisory's summary, or None when it has none or only repeats its id (or an alias)."""
    text = " ".join(v.summary.split())
    return text if text and text not in v.ids else None


def priority_text(v: Vulnerability) -> str:
    """EPSS and KEV in a few characters: "KEV, EPSS 91% (p99)"; "" without data."""
    parts = ["KEV"] if v.kev else []
    if v.epss is not None:
        epss = f"EPSS {v.epss * 100:.{0 if v.epss >= 0.1 else 1}f}%"
        if v.epss_percentile is not None:
            epss += f" (p{int(v.epss_percentile * 100)})"
        parts.append(epss)
    return ", ".join(parts)


def data_line(db: AdvisoryDbInfo) -> str:
    """Which data the scan used and how current it is, e.g. "Advisory data: osv (2651
    records) of 2024-10-10; EPSS scores of 2026-05-18; KEV catalogue 2026.05.18"."""
    when = f" of {db.updated.date().isoformat()}" if db.updated else ""
    parts = [f"Advisory data: {db.source} ({plural(db.records, 'record')}){when}"]
    if db.epss is not None:
        parts.append(
            f"EPSS scores of {db.epss.date.date().isoformat()}" if db.epss.date else "EPSS scores"
        )
    if db.kev is not None:
        parts.append(f"KEV catalogue {db.kev.version or ''}".rstrip())
    return "; ".join(parts)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 project`, `2 projects`; `nouns` for irregular plurals (vulnerability -> vulnerabilities)."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def summarize(result: ScanResult) -> str:
    """One line, e.g. "Found 3 vulnerabilities (1 critical, 2 high) in 2 packages across 1 project;
    5 outdated; 2 skipped"."""
    return Tally.of(result.projects).text()


@dataclass(slots=True)
class Tally:
    """What the summary line counts, kept apart so that the tallies of a scan's parts add up
    (a scan split across processes sums them, `tally + tally`) and travel as JSON."""

    severities: Counter[str] = field(default_factory=Counter)  # Severity values
    packages: set[str] = field(default_factory=set)
    affected: int = 0  # projects with a vulnerability
    projects: int = 0
    dependencies: int = 0
    outdated: int = 0
    violations: int = 0
    overdue: int = 0
    skipped: int = 0
    errors: int = 0

    @classmethod
    def of(cls, projects: Iterable[ProjectReport]) -> Tally:
        tally = cls()
        for p in projects:
            tally.severities.update(v.severity.value for v in p.vulnerabilities)
            tally.packages.update(v.package for v in p.vulnerabilities)
            tally.affected += bool(p.vulnerabilities)
            tally.projects += 1
            tally.dependencies += len(p.dependencies)
            tally.outdated += len(p.outdated)
            tally.violations += len(p.violations)
            tally.overdue += sum(1 for v in p.violations if v.overdue)
            tally.skipped += len(p.skipped)
            tally.errors += bool(p.error)
        return tally

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.severities + other.severities,
            self.packages | other.packages,
            *(getattr(self, name) + getattr(other, name) for name in _COUNTS),
        )

    def to_json(self) -> dict[str, Any]:
        return {"severities": dict(self.severities), "packages": sorted(self.packages)} | {
            name: getattr(self, name) for name in _COUNTS
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tally:
        return cls(Counter(data["severities"]), set(data["packages"]), *(data[n] for n in _COUNTS))

    def text(self) -> str:
        found = sum(self.severities.values())
        if found:
            by_severity = ", ".join(
                f"{self.severities[s.value]} {severity_label(s)}"
                for s in SEVERITY_ORDER
                if self.severities[s.value]
            )
            head = (
                f"Found {plural(found, 'vulnerability', 'vulnerabilities')} ({by_severity})"
                f" in {plural(len(self.packages), 'package')}"
                f" across {plural(self.affected, 'project')}"
            )
        else:
            deps = plural(self.dependencies, "dependency", "dependencies")
            head = f"No known vulnerabilities found in {deps}"
            if self.projects > 1:
                head += f" across {plural(self.projects, 'project')}"
        parts = [head]
        if self.outdated:
            parts.append(f"{self.outdated} outdated")
        if self.violations:
            text = plural(self.violations, "policy violation")
            parts.append(f"{text} ({self.overdue} overdue)" if self.overdue else text)
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        if self.errors:
            parts.append(f"{plural(self.errors, 'project')} unreadable")
        return "; ".join(parts)


_COUNTS = tuple(f.name for f in fields(Tally) if f.type == "int")  # the plain counts, summed
