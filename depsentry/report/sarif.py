"""SARIF 2.1.0 for GitHub code scanning: one rule per advisory, one result per (project, advisory).

Locations are relative to the repository root (`uriBaseId` `%SRCROOT%`, declared in the run's
`originalUriBaseIds`), so GitHub attaches alerts to files that exist in the checkout; a result's
further pins of the same advisory are its `relatedLocations`. The log follows the rules
github/codeql-action's upload-sarif checks: every result has a `ruleId` found in
`tool.driver.rules` (and its `ruleIndex`), a message, and one physical location.

GitHub's requirements: https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
`security-severity` is the CVSS base score when the advisory has one, else a fixed value per
severity (SEVERITY_SCORES) that lands in the same GitHub band: critical 9.5, high 8.0,
medium 5.5, low 2.0, unrated 5.0 (shown as medium: unrated is not assumed harmless; the
result's message and `properties.severity` say "unrated").
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from itertools import groupby
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from depsentry import __version__
from depsentry.models import ProjectReport, ScanResult, Severity, Source, Vulnerability
from depsentry.report.escaping import printable_json
from depsentry.report.interface import Renderer, RenderOptions
from depsentry.report.markdown import escape
from depsentry.report.ordering import (
    sorted_versions,
    upgrade_target,
)
from depsentry.report.summary import priority_text, severity_label, severity_text, summary_of

__all__ = ["SEVERITY_SCORES", "SarifRenderer"]

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/depsentry/"
OSV_URL = "https://osv.dev/vulnerability/"

SEVERITY_SCORES = {
    Severity.CRITICAL: 9.5,
    Severity.HIGH: 8.0,
    Severity.MEDIUM: 5.5,
    Severity.LOW: 2.0,
    Severity.UNKNOWN: 5.0,
}

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.UNKNOWN: "warning",
    Severity.LOW: "note",
}

TAGS = ("security", "vulnerability", "dependency")
MAX_DESCRIPTION = 1024  # GitHub truncates fullDescription beyond this
MAX_LOCATIONS = 1000  # GitHub rejects a result with more locations (related ones count)


class SarifRenderer(Renderer):
    """One SARIF log with one run.

    `root` is the repository root: source paths under it become relative URIs (GitHub
    resolves those against the checkout); absolute paths elsewhere become `file://` URIs.
    `base` is the directory relative source paths are relative to (the working directory;
    default: `root`). `category` sets `automationDetails.id`, to tell apart several uploads
    for one commit.
    """

    @classmethod
    def from_options(cls, options: RenderOptions) -> SarifRenderer:
        return cls(root=options.root, base=options.base)

    def __init__(
        self, *, root: str | None = None, base: str | None = None, category: str | None = None
    ) -> None:
        self.root = root
        self.base = base
        self.category = category

    def render(self, result: ScanResult) -> str:
        text = json.dumps(self.log(result), indent=2, ensure_ascii=False)
        return printable_json(text) + "\n"  # undecodable file names as "\\xff"

    def log(self, result: ScanResult) -> dict[str, Any]:
        """The SARIF log as JSON-ready data."""
        rules: dict[str, dict[str, Any]] = {}
        results: list[dict[str, Any]] = []
        # One result per (project, advisory): its pins in (package, version, source) order.
        groups = [
            list(pins)
            for project in result.projects
            for _, pins in groupby(
                sorted(
                    (v.at(_from_scan(project, v.source)) for v in project.vulnerabilities),
                    key=lambda v: (v.id, _order(v)),
                ),
                key=lambda v: v.id,
            )
        ]
        groups.sort(key=lambda pins: _order(pins[0]))
        # Rules in id order, each described by its first finding in (package, version) order.
        for pins in sorted(groups, key=lambda pins: pins[0].id):
            rules.setdefault(pins[0].id, _rule(pins[0]))
        index = {rule_id: i for i, rule_id in enumerate(rules)}
        seen: Counter[str] = Counter()
        for pins in groups:
            first = pins[0]
            uri = self._uri(first.source)
            fingerprint = _fingerprint(first.id, first.package, uri)
            # GitHub's own form is "hash:occurrence"; a second result for the same key gets :2.
            seen[fingerprint] += 1
            item = _result(pins, index[first.id], uri, f"{fingerprint}:{seen[fingerprint]}")
            related = [
                {
                    "id": n,
                    "physicalLocation": _physical(self._uri(v.source), v),
                    "message": {"text": f"{v.package} {v.version}"},
                }
                for n, v in enumerate(pins[1:MAX_LOCATIONS], start=1)
            ]
            if related:
                item["relatedLocations"] = related
            results.append(item)
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "depsentry",
                    "version": __version__,
                    "semanticVersion": __version__,
                    "informationUri": INFORMATION_URI,
                    "rules": list(rules.values()),
                }
            },
            "invocations": [_invocation(result)],
            "results": results,
        }
        if self.root is not None:
            root = PurePosixPath(self.root).as_uri().rstrip("/") + "/"
            run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": root}}
        if self.category:
            run["automationDetails"] = {"id": f"{self.category.rstrip('/')}/"}
        return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}

    def _uri(self, source: Source) -> dict[str, str]:
        """`artifactLocation` for a source path: relative to %SRCROOT% when it can be."""
        raw = source.path
        if "\\" in raw:
            windows = PureWindowsPath(raw)
            if windows.is_absolute():
                return {"uri": windows.as_uri()}
            raw = windows.as_posix()
        path = PurePosixPath(raw)
        if not path.is_absolute() and self.base is not None and self.base != self.root:
            path = PurePosixPath(self.base) / path
        if path.is_absolute():
            if self.root is not None and path.is_relative_to(self.root):
                path = path.relative_to(self.root)
            else:
                return {"uri": path.as_uri()}
        parts = [part for part in path.parts if part != "."]
        return {
            "uri": "/".join(quote(part, errors="surrogateescape") for part in parts) or ".",
            "uriBaseId": "%SRCROOT%",
        }


def _from_scan(project: ProjectReport, source: Source) -> Source:
    """`source` (relative to its project's directory) relative to where the scan ran.

    A project named by a file (`scan app/requirements.txt`) has its directory as the base; a
    source already under the project's path is taken as it is.
    """
    raw = source.path
    if "\\" in raw or raw.startswith("/"):
        return source
    folder = PurePosixPath(project.path)
    if folder.name in project.inputs:  # the project is a file: its inputs sit beside it
        folder = folder.parent
    if folder.as_posix() in (".", "") or raw.startswith(folder.as_posix().rstrip("/") + "/"):
        return source
    return Source((folder / raw).as_posix(), source.line)


def _order(v: Vulnerability) -> tuple[str, ...]:
    return (v.package, v.version, v.id, v.source.path, f"{v.source.line or 0:09d}")


def _physical(location: dict[str, str], vuln: Vulnerability) -> dict[str, Any]:
    return {"artifactLocation": location, "region": {"startLine": vuln.source.line or 1}}


def _invocation(result: ScanResult) -> dict[str, Any]:
    """Unreadable projects and advisory DB warnings, for GitHub's tool status page."""
    notes = [
        {"level": "error", "message": {"text": f"{p.path}: {p.error}"}}
        for p in result.projects
        if p.error
    ]
    notes += [{"level": "warning", "message": {"text": w}} for w in result.advisory_db.warnings]
    invocation: dict[str, Any] = {"executionSuccessful": not any(p.error for p in result.projects)}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def _fingerprint(rule_id: str, package: str, location: dict[str, str]) -> str:
    # Leaves the line out on purpose: the alert must survive lines moving in the file.
    key = "\0".join((rule_id, package, location["uri"]))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _security_severity(vuln: Vulnerability) -> str:
    score = vuln.cvss if vuln.cvss else SEVERITY_SCORES[vuln.severity]
    return f"{min(max(score, 0.1), 10.0):.1f}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rule(vuln: Vulnerability) -> dict[str, Any]:
    own = summary_of(vuln)
    summary = own or f"{vuln.id} in {vuln.package}"
    fixed = ", ".join(sorted_versions(vuln.fixed_in)) or "no fixed version yet"
    aliases = ", ".join(sorted(vuln.aliases)) or "none"
    link = OSV_URL + quote(vuln.id, safe="")
    text = f"{summary}\n\nPackage: {vuln.package}\nFixed in: {fixed}\nAliases: {aliases}\n{link}"
    title = f"**{escape(vuln.id)}**: {escape(own)}" if own else f"**{escape(summary)}**"
    markdown = (
        f"{title}\n\n"
        f"| Package | Fixed in | Aliases |\n| --- | --- | --- |\n"
        f"| {escape(vuln.package)} | {escape(fixed)} | {escape(aliases)} |\n\n"
        f"Upgrade to a fixed version. Details: [{escape(vuln.id)}]({link})"
    )
    tags = [*TAGS, "malicious"] if vuln.malicious else list(TAGS)
    if vuln.kev:
        tags.append("known-exploited")
    return {
        "id": vuln.id,
        "shortDescription": {
            "text": _clip(f"{vuln.id}: {own}" if own else summary, MAX_DESCRIPTION)
        },
        "fullDescription": {"text": _clip(summary, MAX_DESCRIPTION)},
        "helpUri": link,
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS[vuln.severity]},
        "properties": {
            "security-severity": _security_severity(vuln),
            "tags": tags,
            "precision": "very-high",
        },
    }


def _result(
    pins: list[Vulnerability], rule_index: int, location: dict[str, str], fingerprint: str
) -> dict[str, Any]:
    vuln = pins[0]
    fixed = ", ".join(sorted_versions(vuln.fixed_in))
    target = upgrade_target(vuln.version, vuln.fixed_in)
    also = f" (also {', '.join(sorted(vuln.aliases))})" if vuln.aliases else ""
    if target:
        advice = f"Upgrade to {target} or later (fixed in {fixed})."
    else:
        advice = f"Fixed in {fixed}." if fixed else "No fixed version is known."
    rating = severity_text(vuln) + (f", {p}" if (p := priority_text(vuln)) else "")
    pinned = ", ".join(dict.fromkeys(f"{v.package} {v.version}" for v in pins))
    verb = "is" if len(pins) == 1 else "are"
    message = f"{pinned} {verb} affected by {vuln.id}{also} ({rating}). {advice}"
    if len(pins) > 1:
        message += f" Pinned in {len(pins)} places; the others are related locations."
    return {
        "ruleId": vuln.id,
        "ruleIndex": rule_index,
        "level": LEVELS[vuln.severity],
        "message": {"text": message},
        "locations": [{"physicalLocation": _physical(location, vuln)}],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint},
        "properties": {
            "package": vuln.package,
            "version": vuln.version,
            "severity": severity_label(vuln.severity),
            **({"epss": vuln.epss} if vuln.epss is not None else {}),
            **({"kev": True} if vuln.kev else {}),
        },
    }
