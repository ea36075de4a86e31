"""The shared data types every stage of a scan passes along (frozen, so stages cannot edit each other's findings).

Readers produce `Dependency` and `Skipped`; advisory sources produce `Vulnerability`; the index
produces `ProjectReleases` (`releases.py`) and `outdated.py` turns them into `Outdated`; the policy
produces `Violation`; `ScanResult` holds it all and is what reports render and the store records.
The readiness report's types are in `readiness.py`. Those two modules are apart because an
offline scan uses neither: each class here costs its definition at every scan's start-up.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, Literal, TypeVar

__all__ = [
    "AdvisoryDbInfo",
    "DataSetInfo",
    "Dependency",
    "Outdated",
    "ProjectReport",
    "ScanResult",
    "Severity",
    "Skipped",
    "SkipKind",
    "Source",
    "UpdateType",
    "Violation",
    "Vulnerability",
]

_T = TypeVar("_T")


def _quick_init(cls: type[_T]) -> type[_T]:
    """`cls`, a frozen slots dataclass, built about as fast as a plain one: a frozen __init__
    sets each field through `object.__setattr__`: a finding's 18 took 2.1 us (0.8 us this way),
    and a big scan builds 40,000 findings and 20,000 pins. While a mutable twin's __init__
    (same slots, same defaults) fills the instance it is the twin; then a `cls` again, frozen."""
    draft: dict[str, Any] = {
        "__annotations__": {f.name: f.type for f in fields(cls)},  # type: ignore[arg-type]
        "__qualname__": cls.__qualname__,  # what a TypeError from its __init__ names
    }
    for f in fields(cls):  # type: ignore[arg-type]
        draft[f.name] = field(
            default=f.default, default_factory=f.default_factory, init=f.init, kw_only=f.kw_only
        )
    twin: type[Any] = dataclass(slots=True, eq=False, repr=False, match_args=False)(
        type(f"_{cls.__name__}Draft", (), draft)
    )
    if twin.__slots__ != cls.__slots__:  # type: ignore[attr-defined]  # __class__ needs one layout
        raise TypeError(f"{cls.__name__}: not a frozen slots dataclass")
    fill = twin.__init__

    @functools.wraps(cls.__init__)
    def __init__(self: _T, *args: Any, **kwargs: Any) -> None:
        object.__setattr__(self, "__class__", twin)
        fill(self, *args, **kwargs)
        self.__class__ = cls

    setattr(cls, "__init__", __init__)  # noqa: B010 - mypy types no replaced __init__
    return cls


class Severity(enum.Enum):
    """Severity of a vulnerability; ordered so that `max()` and thresholds work.

    UNKNOWN means unrated (no record of the alias group carries a rating); it ranks lowest so
    that `max()` prefers any rating, and the `--fail-on` gate decides what unrated means.
    """

    UNKNOWN = "unknown"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    @classmethod
    def from_score(cls, score: float | None) -> Severity:
        """CVSS base score -> severity, with the qualitative bands of CVSS v3/v4 (and GitHub's)."""
        if score is None:
            return cls.UNKNOWN
        if score >= 9.0:
            return cls.CRITICAL
        if score >= 7.0:
            return cls.HIGH
        if score >= 4.0:
            return cls.MEDIUM
        if score > 0.0:
            return cls.LOW
        return cls.UNKNOWN


# UNKNOWN (unrated) ranks lowest: a rating always beats none. It is not harmless: the gate
# (policy/gate.py) fails every level on it unless `unrated_as` says otherwise.
_SEVERITY_RANK = {
    Severity.UNKNOWN: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


@dataclass(frozen=True, slots=True)
class Source:
    """Where something was declared: a file and, when known, a 1-based line."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path


@_quick_init
@dataclass(frozen=True, slots=True)
class Dependency:
    """One pinned (or resolved) distribution of a project.

    `name` is PEP 503-normalised; `version` is the exact version string as pinned.
    `pinned` is False when the version was resolved from a range (a guess at what a fresh
    install gets today), True when a file or environment fixes it.
    """

    name: str
    version: str
    direct: bool
    source: Source
    markers: str | None = None
    extras: tuple[str, ...] = ()
    hashes: tuple[str, ...] = ()
    pinned: bool = True
    specifier: str | None = None
    groups: tuple[str, ...] = ()


class SkipKind(enum.Enum):
    """Why a requirement could not be turned into a pinned `Dependency`."""

    UNPINNED = "unpinned"  # a range; later stages may resolve it
    URL = "url"  # URL, VCS or local path requirement
    EDITABLE = "editable"
    INVALID = "invalid"  # a line or entry we could not parse; the rest of the file stands
    UNREADABLE = "unreadable"  # a whole input that failed while others were fine
    NOT_FOUND = "not-found"  # e.g. a private package missing from the index
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A requirement that was seen but not audited, and why (never dropped silently)."""

    requirement: str
    reason: str
    source: Source
    kind: SkipKind = SkipKind.OTHER
    name: str | None = None
    specifier: str | None = None
    direct: bool = True
    markers: str | None = None
    # Kept for when an unpinned range is resolved; not part of equality (the same requirement).
    groups: tuple[str, ...] = field(default=(), compare=False)


@_quick_init
@dataclass(frozen=True, slots=True)
class Vulnerability:
    """A known vulnerability affecting one pinned dependency (aliases already merged).

    `severity` and `cvss` are the best rating of the alias group (CVSS v4, else v3, else GHSA's
    qualitative one) and `severity_source` the id of the record it came from (None: unrated, or
    a source that does not say). `epss`/`epss_percentile` are FIRST's scores of the group's
    CVEs (the highest), `kev` whether CISA lists one of them as known exploited.
    """

    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    severity: Severity
    cvss: float | None
    fixed_in: tuple[str, ...]
    summary: str
    source: Source
    reported_by: tuple[str, ...] = ("osv",)
    published: datetime | None = None
    modified: datetime | None = None
    malicious: bool = False
    severity_source: str | None = None
    epss: float | None = None
    epss_percentile: float | None = None
    kev: bool = False
    # Codemods that migrate code across the upgrade to the lowest fixed release (scan.py asks
    # the codemods' table through ScanOptions.codemod_hints).
    codemods: tuple[str, ...] = ()
    # The finding this one copies for another pin (`at`): such copies differ only in `source`,
    # so a report encodes the rest once. Not part of the value: equality, repr and
    # `dataclasses.replace` (whose result is a finding of its own) leave it out.
    origin: Vulnerability | None = field(
        default=None, init=False, compare=False, repr=False, hash=False
    )

    def __getstate__(self) -> tuple[object, ...]:
        # Pickled (a daemon worker's answer) as a finding of its own: `origin` stays behind.
        return tuple(getattr(self, name) for name in _VALUE_FIELDS)

    def __setstate__(self, state: tuple[object, ...]) -> None:
        for name, value in zip(_VALUE_FIELDS, state, strict=True):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "origin", None)

    @property
    def template(self) -> Vulnerability:
        """The finding this one was copied from for its pin (itself when it is no copy)."""
        return self if self.origin is None else self.origin

    @property
    def ids(self) -> frozenset[str]:
        return frozenset((self.id, *self.aliases))

    @property
    def rated(self) -> bool:
        """False when no record rated it: shown as `unrated`, and it fails every gate level."""
        return self.severity is not Severity.UNKNOWN

    def at(self, source: Source) -> Vulnerability:
        """This finding for another pin of the same (package, version).

        Positional on purpose: `dataclasses.replace` costs 3x as much, once per pin. Identity,
        not equality: comparing two Sources field by field costs as much as the copy."""
        if source is self.source:
            return self
        copy = Vulnerability(
            self.package, self.version, self.id, self.aliases, self.severity, self.cvss,
            self.fixed_in, self.summary, source, self.reported_by, self.published,
            self.modified, self.malicious, self.severity_source, self.epss,
            self.epss_percentile, self.kev, self.codemods,
        )  # fmt: skip
        object.__setattr__(copy, "origin", self.template)  # frozen: set once, here
        return copy


_VALUE_FIELDS = tuple(f.name for f in fields(Vulnerability) if f.name != "origin")

UpdateType = Literal["major", "minor", "patch", "other"]


@dataclass(frozen=True, slots=True)
class Outdated:
    """A dependency with a newer stable release than the one in use."""

    package: str
    current: str
    latest: str
    update_type: UpdateType
    current_released: datetime | None
    latest_released: datetime | None
    libyears: float
    source: Source
    pinned: bool = True
    codemods: tuple[str, ...] = ()  # codemods for the upgrade to `latest` (see Vulnerability)


@dataclass(frozen=True, slots=True)
class Violation:
    """A finding past its due date under the policy (or due soon, with `overdue` False)."""

    rule: str
    package: str
    finding: str
    due: date
    overdue: bool
    message: str


@dataclass(frozen=True, slots=True)
class DataSetInfo:
    """One imported prioritisation data set (FIRST EPSS, CISA KEV): the data's own date."""

    name: str  # "epss" or "kev"
    date: datetime | None  # EPSS score_date, KEV dateReleased
    version: str | None  # EPSS model_version, KEV catalogVersion
    entries: int


@dataclass(frozen=True, slots=True)
class AdvisoryDbInfo:
    """Which advisory data a scan used; `updated` is the data's own date (newest record)."""

    source: str
    records: int
    updated: datetime | None
    warnings: tuple[str, ...] = ()
    epss: DataSetInfo | None = None
    kev: DataSetInfo | None = None


@dataclass(slots=True)
class ProjectReport:
    """The findings of one scanned project. Built up by scan.py stage by stage."""

    path: str
    inputs: list[str] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    outdated: list[Outdated] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    first_seen: dict[str, datetime] = field(default_factory=dict)
    requires_python: str | None = None
    policy: str | None = None  # the project's own choice ([tool.depsentry] policy), if any
    # The scanned directory this project was found under (None: the scanned path itself).
    root: str | None = None


@dataclass(slots=True)
class ScanResult:
    """One scan of one or more projects."""

    generated_at: datetime
    advisory_db: AdvisoryDbInfo
    projects: list[ProjectReport] = field(default_factory=list)
