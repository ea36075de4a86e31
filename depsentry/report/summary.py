"""The one-line human summary of a scan (stderr in the CLI, the heading line of markdown)."""

from __future__ import annotations

from collections import Counter

from depsentry.models import AdvisoryDbInfo, ScanResult, Severity, Vulnerability

__all__ = [
    "data_line",
    "plural",
    "priority_text",
    "severity_label",
    "severity_text",
    "summarize",
    "summary_of",
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
    projects = result.projects
    vulns = [v for p in projects for v in p.vulnerabilities]
    if vulns:
        counts = Counter(v.severity for v in vulns)
        by_severity = ", ".join(
            f"{counts[s]} {severity_label(s)}" for s in SEVERITY_ORDER if counts[s]
        )
        packages = {v.package for v in vulns}
        affected = sum(1 for p in projects if p.vulnerabilities)
        head = (
            f"Found {plural(len(vulns), 'vulnerability', 'vulnerabilities')} ({by_severity})"
            f" in {plural(len(packages), 'package')} across {plural(affected, 'project')}"
        )
    else:
        deps = sum(len(p.dependencies) for p in projects)
        head = f"No known vulnerabilities found in {plural(deps, 'dependency', 'dependencies')}"
        if len(projects) > 1:
            head += f" across {plural(len(projects), 'project')}"
    parts = [head]
    outdated = sum(len(p.outdated) for p in projects)
    if outdated:
        parts.append(f"{outdated} outdated")
    violations = [v for p in projects for v in p.violations]
    if violations:
        overdue = sum(1 for v in violations if v.overdue)
        text = plural(len(violations), "policy violation")
        parts.append(f"{text} ({overdue} overdue)" if overdue else text)
    skipped = sum(len(p.skipped) for p in projects)
    if skipped:
        parts.append(f"{skipped} skipped")
    errors = sum(1 for p in projects if p.error)
    if errors:
        parts.append(f"{plural(errors, 'project')} unreadable")
    return "; ".join(parts)
