"""Which waiver covers a finding, and which waivers have expired."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from depsentry.policy.model import Waiver

__all__ = ["covering", "is_expired"]


def is_expired(exc: Waiver, today: date) -> bool:
    """Past its expiry date (a waiver is still good on the day it expires)."""
    return exc.expires is not None and today > exc.expires


def covering(
    waivers: Iterable[Waiver],
    *,
    kind: str,
    package: str,
    version: str,
    ids: Iterable[str] = (),
    fixed: bool = False,
    today: date,
) -> Waiver | None:
    """The first live waiver covering this finding, or None.

    An id matches the advisory's id or any alias (case-insensitive). `until_fixed` stops
    applying once the advisory has a fixed version.
    """
    wanted = {i.casefold() for i in ids}
    for exc in waivers:
        if is_expired(exc, today) or (exc.until_fixed and fixed):
            continue
        rules = exc.rules or (("vulnerability",) if exc.id else ())
        if rules and kind not in rules:
            continue
        if exc.id and exc.id.casefold() not in wanted:
            continue
        if exc.package and exc.package != package:
            continue
        if exc.versions and not _in_range(version, exc.versions):
            continue
        return exc
    return None


def _in_range(version: str, versions: str) -> bool:
    try:
        return SpecifierSet(versions).contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False
