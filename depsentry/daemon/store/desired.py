"""What a scan says should be open: one `Desired` finding per identity, built from a report.

Identity: (package, alias group) for vulnerabilities, (package, target) for updates and
(rule, package) for violations; several hits of one identity (two pinned versions, two rules'
worth of the same violation) fold into one finding.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace

from depsentry.daemon.events import FindingView
from depsentry.models import Dependency, Outdated, Severity, Violation, Vulnerability
from depsentry.report.codemods import codemod_command

__all__ = ["KINDS", "Desired", "from_outdated", "from_violations", "from_vulnerabilities"]

KINDS = ("vulnerability", "update", "violation")


@dataclass(frozen=True, slots=True)
class Desired:
    """A finding the latest scan holds. `ident` is None for a vulnerability until its alias
    group is known (`ids` are every id it goes by)."""

    kind: str
    package: str
    ident: str | None
    view: FindingView
    ids: frozenset[str] = frozenset()
    present_versions: tuple[str, ...] = ()
    grouped_key: str | None = None  # a vulnerability's key once its group is known

    @property
    def severity(self) -> str:
        return self.view.severity

    @property
    def key(self) -> str:
        """The finding's stable key (kept apart from `view` until the finding is written: copying
        a view per finding cost more than the rest of grouping)."""
        return self.view.key if self.grouped_key is None else self.grouped_key


def _codemod(names: tuple[str, ...]) -> str | None:
    """The command a digest shows after the fix: run from the project's root."""
    return " && ".join(codemod_command(name, ".") for name in names) or None


def _severity_max(a: str, b: str) -> str:
    return max(Severity(a), Severity(b)).value


DEV_GROUPS = frozenset({"dev", "develop", "development", "test", "tests", "testing", "lint",
                        "docs", "typing"})  # fmt: skip


def dev_only_pins(dependencies: Iterable[Dependency]) -> set[tuple[str, str]]:
    """(name, version) of the pins that only dev groups declare (Poetry/PDM/uv `dev`, Pipfile
    `develop`, PEP 735 groups named like them); anything else counts as shipped."""
    groups: dict[tuple[str, str], set[str]] = {}
    for d in dependencies:
        groups.setdefault((d.name, d.version), set()).update(d.groups or ("main",))
    return {pin for pin, names in groups.items() if names and names <= DEV_GROUPS}


def from_vulnerabilities(
    vulns: Iterable[Vulnerability], dev_only: Collection[tuple[str, str]] = ()
) -> list[Desired]:
    """One per (package, advisory) as matched; alias groups may fold some later."""
    out: dict[tuple[str, str], Desired] = {}
    for v in vulns:
        view = FindingView(
            key="",
            kind="vulnerability",
            package=v.package,
            version=v.version,
            advisory_id=v.id,
            aliases=tuple(v.aliases),
            severity=v.severity.value,
            cvss=v.cvss,
            epss=v.epss,
            kev=v.kev,
            dev_only=(v.package, v.version) in dev_only,
            malicious=v.malicious,
            fixed_in=tuple(v.fixed_in),
            summary=v.summary,
            source=str(v.source),
            codemod=_codemod(v.codemods),
        )
        key = (v.package, v.id)
        if key in out:
            out[key] = fold(out[key], Desired("vulnerability", v.package, None, view, v.ids))
        else:
            out[key] = Desired("vulnerability", v.package, None, view, v.ids, (v.version,))
    return list(out.values())


def fold(a: Desired, b: Desired) -> Desired:
    """Two vulnerability hits of one identity (e.g. two versions of the package pinned)."""
    versions = tuple(sorted({*a.present_versions, *b.present_versions, b.view.version}))
    scores = [s for s in (a.view.cvss, b.view.cvss) if s is not None]
    view = replace(
        a.view,
        version=", ".join(versions),
        severity=_severity_max(a.view.severity, b.view.severity),
        cvss=max(scores) if scores else None,
        fixed_in=tuple(sorted({*a.view.fixed_in, *b.view.fixed_in})),
        aliases=tuple(sorted((set(a.view.aliases) | set(b.view.aliases)) - {a.view.advisory_id})),
        malicious=a.view.malicious or b.view.malicious,
        dev_only=a.view.dev_only and b.view.dev_only,
        kev=a.view.kev or b.view.kev,
    )
    return replace(a, view=view, ids=a.ids | b.ids, present_versions=versions)


def from_outdated(outdated: Sequence[Outdated]) -> list[Desired]:
    out: dict[tuple[str, str], Desired] = {}
    for o in outdated:
        view = FindingView(
            key=f"update:{o.package}:{o.latest}",
            kind="update",
            package=o.package,
            version=o.current,
            target=o.latest,
            update_type=o.update_type,
            libyears=round(o.libyears, 2),
            summary=f"{o.package} {o.current} -> {o.latest} ({o.update_type})",
            source=str(o.source),
            codemod=_codemod(o.codemods),
        )
        out.setdefault((o.package, o.latest), Desired("update", o.package, o.latest, view))
    return list(out.values())


def from_violations(violations: Sequence[Violation]) -> list[Desired]:
    out: dict[tuple[str, str], Desired] = {}
    for v in sorted(violations, key=lambda v: (v.due, v.finding)):
        key = (v.rule, v.package)
        if key in out:
            first = out[key]
            out[key] = replace(
                first, view=replace(first.view, overdue=first.view.overdue or v.overdue)
            )
            continue
        view = FindingView(
            key=f"violation:{v.rule}:{v.package}",
            kind="violation",
            package=v.package,
            rule=v.rule,
            due=v.due.isoformat(),
            overdue=v.overdue,
            summary=v.message,
        )
        out[key] = Desired("violation", v.package, v.rule, view)
    return list(out.values())
