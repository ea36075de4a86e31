"""Helpers for the lockfile tests: compare entries apart from hashes, and pick one's hashes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from depsentry.models import Dependency, Skipped


def without_hashes(entries: Iterable[Dependency | Skipped]) -> list[Dependency | Skipped]:
    return [dataclasses.replace(e, hashes=()) if isinstance(e, Dependency) else e for e in entries]


def hashes_of(entries: Iterable[Dependency | Skipped], name: str) -> tuple[str, ...]:
    return next(e.hashes for e in entries if isinstance(e, Dependency) and e.name == name)
