"""The one-line human summary of a scan (stderr in the CLI, the heading line of markdown)."""

from __future__ import annotations

from collections import Counter

from depsentry.models import ScanResult, Severity

__all__ = ["plural", "summarize"]

# Most severe first; UNKNOWN last because it is the least informative, not the least severe.
SEVERITY_ORDER = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.UNKNOWN,
)


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
        by_severity = ", ".join(f"{counts[s]} {s.value}" for s in SEVERITY_ORDER if counts[s])
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
