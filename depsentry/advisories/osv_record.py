"""Parse one OSV record (JSON or YAML text, or a dict) into the compact form the matcher uses.

Parsing is defensive (research §0.4): real records have `affected` without `ranges`, empty `{}`
events and unparsable versions. Such parts are dropped and counted in `ParsedRecord.warnings`;
a record is only rejected (None) when it has no id, is withdrawn, or affects no PyPI package.
Hostile text (over `MAX_RECORD_BYTES`, nested past `MAX_DEPTH`, YAML anchors and aliases, which
let 12 KB expand to gigabytes) raises `RecordError`. Spec: ossf/osv-schema docs/schema.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from packaging.utils import canonicalize_name

from depsentry.advisories.severity import UNRATED, Rating, is_malicious, rate_record
from depsentry.advisories.versions import normalise_version, parse_version

__all__ = [
    "EVENT_KINDS",
    "MAX_DEPTH",
    "MAX_RECORD_BYTES",
    "AffectedEntry",
    "ParsedRecord",
    "RecordError",
    "is_pypi",
    "load_text",
    "normalise_version",
    "parse_record",
]

EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
MAX_RECORD_BYTES = 4 << 20  # the largest real OSV PyPI record is well under 1 MiB
MAX_DEPTH = 32  # an OSV record nests about 8 levels deep


class RecordError(ValueError):
    """A record file that is not a usable JSON/YAML document (counted as malformed)."""


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
    malicious: bool
    affected: tuple[AffectedEntry, ...]
    record: Mapping[str, Any]
    warnings: tuple[str, ...] = field(default=())
    rating: Rating = UNRATED


def load_text(text: str | bytes, name: str) -> object:
    """Decode a JSON or YAML record by file name (.json, else YAML); RecordError when hostile."""
    if len(text) > MAX_RECORD_BYTES:
        raise RecordError(f"record larger than {MAX_RECORD_BYTES >> 20} MiB")
    if name.endswith(".json"):
        try:
            return json.loads(text)
        except RecursionError:
            raise RecordError(f"nested deeper than {MAX_DEPTH} levels") from None
    return _load_yaml(text)


# YAML 1.2 core schema for plain scalars; everything else stays a string. A plain number is
# only a number when it prints back the same, so `fixed: 1.10` stays "1.10", not 1.1.
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SPECIAL_START = frozenset("~nNtTfF-0123456789")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?\Z")


def _plain(value: str) -> object:
    if not value or value[0] not in _SPECIAL_START:  # most scalars: plain text, decided at once
        return value if value else None
    if value in _NULLS:
        return None
    if value in _BOOLS:
        return _BOOLS[value]
    if _NUMBER.match(value):
        number: int | float = float(value) if "." in value else int(value)
        if str(number) == value:
            return number
    return value


def _load_yaml(text: str | bytes) -> object:
    # From libyaml's event stream rather than yaml.load: PyYAML's object construction is most
    # of a sync's time, and here anchors, aliases and depth are refused before anything grows.
    import yaml
    from yaml.events import (
        AliasEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
    )

    loader_class: Any = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    loader = loader_class(text)
    stack: list[Any] = []
    keys: list[str | None] = []
    current: Any = None
    key: str | None = None
    root: object = None
    documents = 0
    try:
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is ScalarEvent:
                if event.anchor is not None:
                    raise RecordError("YAML anchors and aliases are not allowed in OSV records")
                text = str(event.value)  # libyaml hands over str (types-PyYAML says bytes too)
                if type(current) is dict:
                    if key is None:
                        key = text
                    else:
                        current[key] = _plain(text) if event.implicit[0] else text
                        key = None
                elif type(current) is list:
                    current.append(_plain(text) if event.implicit[0] else text)
                else:
                    root = _plain(text) if event.implicit[0] else text
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None:
                    raise RecordError("YAML anchors and aliases are not allowed in OSV records")
                if len(stack) >= MAX_DEPTH:
                    raise RecordError(f"nested deeper than {MAX_DEPTH} levels")
                new: Any = {} if kind is MappingStartEvent else []
                if type(current) is list:
                    current.append(new)
                elif type(current) is dict:
                    if key is None:
                        raise RecordError("YAML mapping keys must be plain values")
                    current[key] = new
                    key = None
                else:
                    root = new
                stack.append(current)
                keys.append(key)
                current = new
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                current = stack.pop()
                key = keys.pop()
            elif kind is AliasEvent:
                raise RecordError("YAML anchors and aliases are not allowed in OSV records")
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise RecordError("more than one YAML document")
            elif kind is StreamEndEvent:
                return root
    finally:
        loader.dispose()


def is_pypi(ecosystem: object) -> bool:
    """True for "PyPI" and its "PyPI:<suffix>" variants."""
    return isinstance(ecosystem, str) and (ecosystem == "PyPI" or ecosystem.startswith("PyPI:"))


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


_MAX_NAME = 256
_MAX_ID = 200


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _parse_events(events: object, warn: list[str]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    if not isinstance(events, list):
        warn.append("range without an events list")
        return ()
    for event in events:
        if not isinstance(event, dict) or len(event) != 1:
            warn.append(f"malformed event {_short(event)}")  # e.g. the `{}` of PYSEC-2026-89
            continue
        ((kind, value),) = event.items()
        if kind not in EVENT_KINDS or not isinstance(value, str | int | float):
            warn.append(f"malformed event {_short(event)}")
            continue
        value = str(value)
        special = (kind == "introduced" and value == "0") or (kind == "limit" and value == "*")
        if not special and parse_version(value) is None:
            warn.append(f"unparsable version {value[:40]!r} in {kind} event")
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
    if not isinstance(name, str) or not name or len(name) > _MAX_NAME:
        warn.append("affected entry without a usable package name")
        return None
    versions_raw = _list(entry.get("versions"))
    versions = tuple(
        normalise_version(str(v)) for v in versions_raw if isinstance(v, str | int | float)
    )
    ranges: list[tuple[tuple[str, str], ...]] = []
    for rng in _list(entry.get("ranges")):
        kind = rng.get("type") if isinstance(rng, dict) else None
        if kind == "GIT":
            continue  # commit ranges need the repository history; osv.dev expands them into `versions`
        if kind not in ("ECOSYSTEM", "SEMVER"):
            warn.append(f"unknown range type {_short(kind)}")
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
    if len(record_id) > _MAX_ID:
        return None, [f"record id longer than {_MAX_ID} characters"]
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
    aliases = tuple(
        dict.fromkeys(
            a for a in _list(aliases_raw) if isinstance(a, str) and a and len(a) <= _MAX_ID
        )
    )
    modified, published = raw.get("modified"), raw.get("published")
    return (
        ParsedRecord(
            id=record_id,
            aliases=aliases,
            modified=iso(modified),
            published=iso(published),
            summary=_summary(raw, record_id),
            malicious=is_malicious(record_id, aliases),
            affected=tuple(entries),
            record=raw,
            warnings=tuple(warn),
            rating=rate_record(raw),
        ),
        warn,
    )
