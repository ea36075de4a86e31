"""Render an effective policy as TOML (`depsentry policy show`); the output loads back unchanged."""

from __future__ import annotations

from typing import Any

import tomlkit

from depsentry.policy.model import Policy

__all__ = ["policy_to_toml"]


def policy_to_toml(policy: Policy) -> str:
    """The effective policy (after `extends`) as a self-contained TOML document."""
    doc = tomlkit.document()
    doc.add(
        tomlkit.comment(
            f"effective policy {policy.name!r}, from: {' <- '.join(policy.sources) or 'defaults'}"
        )
    )
    doc.add("name", policy.name)
    if policy.description:
        doc.add("description", policy.description)
    review = policy.review
    doc.add(
        "review",
        _table(
            every=review.every,
            day=review.day,
            time=review.time.strftime("%H:%M"),
            timezone=review.timezone,
        ),
    )
    vulns = policy.vulnerabilities
    deadlines = _table(
        critical=vulns.critical_days,
        high=vulns.high_days,
        medium=vulns.medium_days,
        low=vulns.low_days,
        unknown=vulns.unknown_days,
    )
    vt = _table(needs_fix=vulns.needs_fix)
    if vulns.fail_on:
        vt.add("fail_on", list(vulns.fail_on) if len(vulns.fail_on) > 1 else vulns.fail_on[0])
    vt.add("unrated_as", vulns.unrated_as)
    vt.add("deadline_days", deadlines)
    doc.add("vulnerabilities", vt)
    u = policy.updates
    doc.add(
        "updates",
        _table(
            patch_days=u.patch_days,
            minor_days=u.minor_days,
            major_assessment_days=u.major_assessment_days,
            min_release_age_days=u.min_release_age_days,
        ),
    )
    ly = policy.libyears
    doc.add(
        "libyears",
        _table(
            max_per_dependency=ly.max_per_dependency,
            max_per_project=ly.max_per_project,
            days=ly.days,
        ),
    )
    p = policy.pinning
    doc.add("pinning", _table(direct=p.direct, hashes=p.hashes, days=p.days))
    doc.add("readiness", _table(python=policy.readiness.python, days=policy.readiness.days))
    if policy.waivers:
        waivers = tomlkit.aot()
        for e in policy.waivers:
            entry: dict[str, Any] = {}
            if e.id:
                entry["id"] = e.id
            if e.package:
                entry["package"] = e.package
            if e.versions:
                entry["versions"] = e.versions
            if e.rules:
                entry["rules"] = list(e.rules)
            entry["reason"] = e.reason
            if e.expires is not None:
                entry["expires"] = e.expires
            if e.until_fixed:
                entry["until_fixed"] = True
            table = _table(**entry)
            table.comment(f"from {e.source}")
            waivers.append(table)
        doc.add("waivers", waivers)
    if policy.assessments:
        assessments = tomlkit.aot()
        for a in policy.assessments:
            table = _table(package=a.package, major=a.major, decision=a.decision)
            table.comment(f"from {a.source}")
            assessments.append(table)
        doc.add("assessments", assessments)
    return tomlkit.dumps(doc)


def _table(**values: Any) -> Any:
    table = tomlkit.table()
    for k, v in values.items():
        table.add(k, v)
    return table
