"""Read Safety's vulnerability database (pyupio/safety) into advisories ready to match.

Safety's schema 2.0.0 `insecure_full.json` (what `safety check --db` accepts:
`meta.schema_version == "2.0.0"`, `vulnerable_packages{name: [{specs, advisory, ids, ...}]}`,
`meta.severities{id: {cvssv2, cvssv3}}`; safety/safety.py, tests/test_db), or the older layout of
the pyupio/safety-db repository and its PyPI package (`$meta` plus `{name: [{id, cve, specs,
advisory}]}`). A bad entry is skipped and counted; a file that is not such a database is an
AdvisoryDbError naming it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from depsentry.errors import AdvisoryDbError, reading
from depsentry.models import Severity

__all__ = [
    "SafetyAdvisory",
    "SafetyDb",
    "load_safety_db",
    "one_line",
    "parse_date",
    "pyup_id",
    "rate_cvss",
    "strings_of",
    "text_of",
]

# A mirror directory, a pyupio/safety-db checkout, or an unpacked safety-db package.
_DB_FILES = ("insecure_full.json", "data/insecure_full.json", "safety_db/insecure_full.json")
_SEVERITIES = {s.name: s for s in Severity if s is not Severity.UNKNOWN}


@dataclass(frozen=True, slots=True)
class SafetyAdvisory:
    """One advisory of a Safety database, ready to match."""

    id: str
    aliases: tuple[str, ...]
    specs: tuple[SpecifierSet, ...]
    summary: str
    fixed: tuple[str, ...]
    severity: Severity
    cvss: float | None
    published: datetime | None

    def affects(self, version: Version) -> tuple[str, ...] | None:
        """None when `version` is outside every spec; else the fix versions to offer."""
        hit = [s for s in self.specs if s.contains(version, prereleases=True)]
        if not hit:
            return None
        if self.fixed:
            return tuple(f for f in self.fixed if _above(f, version)) or self.fixed
        # Without fixed_versions, the exclusive upper bound of the matching spec is the first fix.
        bounds = {s.version for spec in hit for s in spec if s.operator == "<"}
        return tuple(sorted((b for b in bounds if _above(b, version)), key=Version))


@dataclass(frozen=True, slots=True)
class SafetyDb:
    """A loaded Safety database: advisories by PEP 503 name."""

    path: Path
    advisories: Mapping[str, tuple[SafetyAdvisory, ...]]
    updated: datetime | None
    warnings: tuple[str, ...]

    @property
    def count(self) -> int:
        return sum(len(a) for a in self.advisories.values())


def load_safety_db(path: Path) -> SafetyDb:
    """Read a Safety database file, or a directory holding `insecure_full.json`."""
    if path.is_dir():
        found = next((path / f for f in _DB_FILES if (path / f).is_file()), None)
        if found is None:
            raise AdvisoryDbError("no insecure_full.json in this Safety database directory", path)
        path = found
    with reading(path, AdvisoryDbError):
        data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise AdvisoryDbError("not a Safety database: the top level is not an object", path)
    if isinstance(data.get("meta"), dict) and "vulnerable_packages" in data:
        return _load_v2(path, data)
    if isinstance(data.get("$meta"), dict):
        return _load_legacy(path, data)
    raise AdvisoryDbError(
        "not a Safety database: expected meta.schema_version 2.0.0 with vulnerable_packages, "
        "or the safety-db $meta layout",
        path,
    )


def _load_v2(path: Path, data: dict[str, Any]) -> SafetyDb:
    meta = data["meta"]
    schema = meta.get("schema_version")
    if schema != "2.0.0":
        raise AdvisoryDbError(
            f"unsupported Safety schema_version {schema!r} (expected 2.0.0)", path
        )
    packages = data["vulnerable_packages"]
    if not isinstance(packages, dict):
        raise AdvisoryDbError("vulnerable_packages is not an object", path)
    severities = meta.get("severities") if isinstance(meta.get("severities"), dict) else {}
    warnings: list[str] = []

    def parse(entry: dict[str, Any]) -> SafetyAdvisory | None:
        ids = [i for i in entry.get("ids") or [] if isinstance(i, dict)]
        native = [pyup_id(i.get("id")) for i in ids if i.get("type") == "pyup"]
        xves = [text_of(i.get("id")) for i in ids if i.get("type") in ("cve", "pve")]
        return _advisory(entry, native + xves, severities, warnings)

    return SafetyDb(path, _collect(packages, parse, warnings), _timestamp(meta), tuple(warnings))


def _load_legacy(path: Path, data: dict[str, Any]) -> SafetyDb:
    meta = data["$meta"]
    severities = meta.get("cve") if isinstance(meta.get("cve"), dict) else {}
    packages = {k: v for k, v in data.items() if k != "$meta"}
    warnings: list[str] = []
    if packages and all(
        isinstance(v, list) and all(isinstance(s, str) for s in v) for v in packages.values()
    ):
        raise AdvisoryDbError("this is insecure.json (specs only); use insecure_full.json", path)

    def parse(entry: dict[str, Any]) -> SafetyAdvisory | None:
        cves = [c.strip() for c in (text_of(entry.get("cve")) or "").split(",")]
        return _advisory(entry, [pyup_id(entry.get("id")), *cves], severities, warnings)

    return SafetyDb(path, _collect(packages, parse, warnings), _timestamp(meta), tuple(warnings))


def _collect(
    packages: Mapping[str, Any],
    parse: Callable[[dict[str, Any]], SafetyAdvisory | None],
    warnings: list[str],
) -> dict[str, tuple[SafetyAdvisory, ...]]:
    # A bad entry is skipped and counted, like a malformed OSV record; the database stands.
    out: dict[str, tuple[SafetyAdvisory, ...]] = {}
    for name, entries in packages.items():
        if not isinstance(entries, list):
            warnings.append(f"{name}: advisories are not a list")
            continue
        parsed = []
        for entry in entries:
            advisory = parse(entry) if isinstance(entry, dict) else None
            if advisory is None:
                warnings.append(f"{name}: skipped a malformed advisory")
            else:
                parsed.append(advisory)
        if parsed:
            out.setdefault(canonicalize_name(name), ())
            out[canonicalize_name(name)] += tuple(parsed)
    return out


def _advisory(
    entry: dict[str, Any],
    ids: list[str | None],
    severities: Mapping[str, Any],
    warnings: list[str],
) -> SafetyAdvisory | None:
    known = list(dict.fromkeys(i for i in ids if i))
    specs_raw = entry.get("specs")
    if not known or not isinstance(specs_raw, list):
        return None
    specs = []
    for spec in specs_raw:
        try:
            if not isinstance(spec, str):
                raise InvalidSpecifier(repr(spec))
            specs.append(SpecifierSet(spec))
        except InvalidSpecifier:
            warnings.append(f"{known[0]}: unparsable spec {spec!r}")
    if not specs:
        return None
    severity, cvss = _rate(severities.get(i) for i in known)
    fixed = strings_of(entry.get("fixed_versions"))
    return SafetyAdvisory(
        id=known[0],
        aliases=tuple(known[1:]),
        specs=tuple(specs),
        summary=one_line(entry.get("advisory")),
        fixed=fixed,
        severity=severity,
        cvss=cvss,
        published=parse_date(entry.get("published_date")),
    )


def text_of(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None


def strings_of(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else []
    return tuple(t for v in items if (t := text_of(v)))


def pyup_id(value: object) -> str | None:
    # Safety shows bare numbers ("42194"); the safety-db files spell them "pyup.io-42194".
    text = text_of(value)
    return f"pyup.io-{text}" if text is not None and text.isdigit() else text


def _rate(entries: Iterable[object]) -> tuple[Severity, float | None]:
    best: tuple[Severity, float | None] = (Severity.UNKNOWN, None)
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        rated = rate_cvss(entry)
        if rated[0] != Severity.UNKNOWN and (best[0] is Severity.UNKNOWN or rated[0] > best[0]):
            best = rated
    return best


def rate_cvss(entry: dict[str, Any]) -> tuple[Severity, float | None]:
    v3, v2 = entry.get("cvssv3"), entry.get("cvssv2")
    if isinstance(v3, dict):
        score = _float(v3.get("base_score"))
        named = _SEVERITIES.get(str(v3.get("base_severity", "")).upper())
        if named is not None or score is not None:
            return named or Severity.from_score(score), score
    if isinstance(v2, dict):
        score = _float(v2.get("base_score"))
        if score is not None:
            # CVSS v2 has no "critical" band: 7.0-10.0 is high.
            return min(Severity.from_score(score), Severity.HIGH), score
    return Severity.UNKNOWN, None


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def one_line(text: object) -> str:
    line = " ".join(text.split()) if isinstance(text, str) else ""
    return line if len(line) <= 200 else line[:197] + "..."


def parse_date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _timestamp(meta: Mapping[str, Any]) -> datetime | None:
    stamp = meta.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        return datetime.fromtimestamp(stamp, UTC)
    return parse_date(meta.get("last_updated"))


def _above(text: str, version: Version) -> bool:
    try:
        return Version(text) > version
    except InvalidVersion:
        return False
