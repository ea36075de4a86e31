"""The update policy as frozen dataclasses; the defaults are those of `policies/monthly.toml`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Literal

__all__ = [
    "FINDING_KINDS",
    "Assessment",
    "LibyearRules",
    "PinningRules",
    "Policy",
    "Waiver",
    "ReadinessRules",
    "ReviewSchedule",
    "UpdateRules",
    "VulnerabilityRules",
]

# The kinds of finding a policy judges; waivers may be limited to some of them with `rules`.
FINDING_KINDS = (
    "vulnerability",
    "outdated",
    "assessment",
    "libyears",
    "pinning",
    "hashes",
    "readiness",
)

Every = Literal["month", "quarter", "week"]


@dataclass(frozen=True, slots=True)
class ReviewSchedule:
    """When the periodic review runs: e.g. the first Monday of each month at 09:00 local time.

    `day` is "first monday" ... "fourth friday", "last sunday", or a day of the month 1-28
    (for `every = "month"`/`"quarter"`), or a weekday name (for `every = "week"`).
    """

    every: Every = "month"
    day: str = "first monday"
    time: time = time(9, 0)
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class VulnerabilityRules:
    """Security fixes are not tied to the review: each advisory is due N days after first seen."""

    critical_days: int = 1
    high_days: int = 7
    medium_days: int = 30
    low_days: int = 90
    unknown_days: int = 30
    # True: the clock starts when a fixed version first exists; an advisory with no fix is
    # reported but never a violation. False: no fix is no excuse (remove it or add a waiver).
    needs_fix: bool = True
    # The CI gate of `scan` (policy/gate.py); () leaves it to --fail-on (default "any").
    fail_on: tuple[str, ...] = ()
    unrated_as: str = "critical"  # what an unrated vulnerability counts as there; or "ignore"

    def days_for(self, severity: str) -> int:
        return int(getattr(self, f"{severity}_days"))


@dataclass(frozen=True, slots=True)
class UpdateRules:
    """Non-security updates, counted from the review that first saw them."""

    patch_days: int = 30
    minor_days: int = 30
    major_assessment_days: int = 30
    min_release_age_days: int = 7

    @property
    def min_release_age(self) -> timedelta:
        return timedelta(days=self.min_release_age_days)


@dataclass(frozen=True, slots=True)
class LibyearRules:
    """Freshness ceilings in libyears (0 turns a ceiling off)."""

    max_per_dependency: float = 0.0
    max_per_project: float = 0.0
    days: int = 30


@dataclass(frozen=True, slots=True)
class PinningRules:
    """Direct dependencies pinned (==) or locked; optionally every pin carrying hashes."""

    direct: bool = True
    hashes: bool = False
    days: int = 30


@dataclass(frozen=True, slots=True)
class ReadinessRules:
    """A target Python version ("3.14"; "" is off) that every dependency's latest release must support."""

    python: str = ""
    days: int = 90


@dataclass(frozen=True, slots=True)
class Waiver:
    """A documented decision not to act on some findings, until `expires` (or until fixed).

    Matches by advisory `id` (any alias of the advisory) or by `package` (+ `versions`, a
    specifier on the version in use). `rules` limits the finding kinds; empty means
    "vulnerability" for an id and every kind for a package.
    """

    reason: str
    id: str | None = None
    package: str | None = None
    versions: str = ""
    rules: tuple[str, ...] = ()
    expires: date | None = None
    until_fixed: bool = False
    source: str = ""  # the policy file it came from

    @property
    def label(self) -> str:
        what = self.id or f"{self.package}{self.versions}"
        return f"waiver:{what}"


@dataclass(frozen=True, slots=True)
class Assessment:
    """A major upgrade that has been assessed: acknowledges `assessment:PACKAGE:MAJOR`."""

    package: str
    major: int
    decision: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class Policy:
    """An effective policy (after `extends`)."""

    name: str = "monthly"
    description: str = ""
    sources: tuple[str, ...] = ()  # the files it was read from, the policy's own file first
    review: ReviewSchedule = field(default_factory=ReviewSchedule)
    vulnerabilities: VulnerabilityRules = field(default_factory=VulnerabilityRules)
    updates: UpdateRules = field(default_factory=UpdateRules)
    libyears: LibyearRules = field(default_factory=LibyearRules)
    pinning: PinningRules = field(default_factory=PinningRules)
    readiness: ReadinessRules = field(default_factory=ReadinessRules)
    waivers: tuple[Waiver, ...] = ()
    assessments: tuple[Assessment, ...] = ()

    @property
    def min_release_age(self) -> timedelta:
        """Releases younger than this are not proposed (pass to the index's `find_outdated`)."""
        return self.updates.min_release_age
