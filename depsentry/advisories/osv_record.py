"""Parse one OSV record (JSON or YAML text, or a dict) into the compact form the matcher uses.

Parsing is defensive (research §0.4): real records have `affected` without `ranges`, empty `{}`
events and unparsable versions. Such parts are dropped and counted in `ParsedRecord.warnings`;
a record is only rejected (None) when it has no id, is withdrawn, or affects no PyPI package.
Spec: ossf/osv-schema docs/schema.md, "Evaluation".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from depsentry.advisories.severity import is_malicious, rate
from depsentry.models import Severity

__all__ = ["EVENT_KINDS", "AffectedEntry", "ParsedRecord", "is_pypi", "load_text", "parse_record"]

EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")


@dataclass(frozen=True, slots=True)
class AffectedEntry:
    """One `affected[]` entry for one PyPI package.

    `versions` holds normalised version strings (str(Version(v)), raw when unparsable); `ranges`
    holds the ECOSYSTEM/SEMVER ranges as (kind, version) events in the record's order.
    """

    package: str
    versions: tuple[str, ...]
    ranges: tuple[tuple[tuple[str, str], ...], ...]

    def to_json(self) -> dict[str, Any]:
        return {"v": list(self.versions), "r": [[list(e) for e in r] for r in self.ranges]}


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """A usable OSV record: the facts for matching and listing, plus the original dict."""

    id: str
    aliases: tuple[str, ...]
    modified: str | None
    published: str | None
    summary: str
    severity: Severity
    cvss: float | None
    malicious: bool
    affected: tuple[AffectedEntry, ...]
    record: Mapping[str, Any]
    warnings: tuple[str, ...] = field(default=())


def load_text(text: str | bytes, name: str) -> object:
    """Decode a JSON or YAML record by file name (.json, else YAML, which is a JSON superset)."""
    if name.endswith(".json"):
        return json.loads(text)
    import yaml  # only an import of YAML records needs it, not a scan

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster
    return yaml.load(text, Loader=loader)


def is_pypi(ecosystem: object) -> bool:
    """True for "PyPI" and its "PyPI:<suffix>" variants."""
    return isinstance(ecosystem, str) and (ecosystem == "PyPI" or ecosystem.startswith("PyPI:"))


def normalise_version(text: str) -> str:
    """A string equal for PEP 440-equal versions ("1.0" and "1.0.0"); `text` itself when unparsable."""
    try:
        v = Version(text)
    except InvalidVersion:
        return text
    release = list(v.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    out = (f"{v.epoch}!" if v.epoch else "") + ".".join(map(str, release))
    if v.pre is not None:
        out += f"{v.pre[0]}{v.pre[1]}"
    if v.post is not None:
        out += f".post{v.post}"
    if v.dev is not None:
        out += f".dev{v.dev}"
    return out + (f"+{v.local}" if v.local else "")


def iso(value: object) -> str | None:
    """An RFC 3339 string for a date field (unquoted YAML timestamps load as datetime)."""
    if isinstance(value, datetime):
        text = value.isoformat()
        return text + "Z" if value.tzinfo is None else text.replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if value else None


def _summary(raw: Mapping[str, Any], record_id: str) -> str:
    for key in ("summary", "details"):
        value = raw.get(key)
        if isinstance(value, str) and value.strip():
            line = " ".join(value.split())
            return line if len(line) <= 200 else line[:197] + "..."
    return record_id


def _parse_events(events: object, warn: list[str]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    if not isinstance(events, list):
        warn.append("range without an events list")
        return ()
    for event in events:
        if not isinstance(event, dict) or len(event) != 1:
            warn.append(f"malformed event {event!r}")  # e.g. the `{}` of PYSEC-2026-89
            continue
        ((kind, value),) = event.items()
        if kind not in EVENT_KINDS or not isinstance(value, str | int | float):
            warn.append(f"malformed event {event!r}")
            continue
        value = str(value)
        special = (kind == "introduced" and value == "0") or (kind == "limit" and value == "*")
        if not special:
            try:
                Version(value)
            except InvalidVersion:
                warn.append(f"unparsable version {value!r} in {kind} event")
                continue
        out.append((kind, value))
    if not any(kind == "introduced" for kind, _ in out):
        warn.append("range without an introduced event")
        return ()
    return tuple(out)


def _parse_affected(entry: object, warn: list[str]) -> AffectedEntry | None:
    if not isinstance(entry, dict):
        warn.append("affected entry is not a mapping")
        return None
    package = entry.get("package")
    if not isinstance(package, dict) or not is_pypi(package.get("ecosystem")):
        return None
    name = package.get("name")
    if not isinstance(name, str) or not name:
        warn.append("affected entry without a package name")
        return None
    versions_raw = entry.get("versions") or []
    versions = tuple(
        normalise_version(str(v)) for v in versions_raw if isinstance(v, str | int | float)
    )
    ranges: list[tuple[tuple[str, str], ...]] = []
    for rng in entry.get("ranges") or []:
        kind = rng.get("type") if isinstance(rng, dict) else None
        if kind == "GIT":
            continue  # commit ranges need the repository history; osv.dev expands them into `versions`
        if kind not in ("ECOSYSTEM", "SEMVER"):
            warn.append(f"unknown range type {kind!r}")
            continue
        # SEMVER ranges of PyPI packages are compared with PEP 440 too: the versions are PyPI's.
        events = _parse_events(rng.get("events"), warn)
        if events:
            ranges.append(events)
    if not versions and not ranges:
        warn.append(f"affected entry for {name} has no usable ranges or versions")
        return None
    return AffectedEntry(canonicalize_name(name), versions, tuple(ranges))


def parse_record(raw: object) -> tuple[ParsedRecord | None, list[str]]:
    """Parse a decoded OSV record; return (record or None, warnings about what was dropped)."""
    warn: list[str] = []
    if not isinstance(raw, dict):
        return None, ["record is not a mapping"]
    record_id = raw.get("id")
    if not isinstance(record_id, str) or not record_id:
        return None, ["record without an id"]
    if raw.get("withdrawn"):
        return None, []
    affected_raw = raw.get("affected")
    if not isinstance(affected_raw, list):
        return None, [f"{record_id}: no affected list"]
    entries = [e for a in affected_raw if (e := _parse_affected(a, warn)) is not None]
    warn = [f"{record_id}: {w}" for w in warn]
    if not entries:
        return None, warn
    aliases_raw = raw.get("aliases")
    aliases = (
        tuple(a for a in aliases_raw if isinstance(a, str)) if isinstance(aliases_raw, list) else ()
    )
    severity, cvss = rate(raw)
    modified, published = raw.get("modified"), raw.get("published")
    return (
        ParsedRecord(
            id=record_id,
            aliases=aliases,
            modified=iso(modified),
            published=iso(published),
            summary=_summary(raw, record_id),
            severity=severity,
            cvss=cvss,
            malicious=is_malicious(record_id, aliases),
            affected=tuple(entries),
            record=raw,
            warnings=tuple(warn),
        ),
        warn,
    )
