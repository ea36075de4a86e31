"""The advisory-source registry: `--source` names -> configured `AdvisorySource` objects.

Several sources may be combined; scan.py merges their findings with `merge_vulnerabilities`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from depsentry.advisories.interface import AdvisorySource
from depsentry.errors import AdvisoryDbError

__all__ = ["SOURCE_NAMES", "build_sources"]

# "osv" first: it is the default and the one that works offline out of the box.
SOURCE_NAMES = ("osv", "osv-api", "pip-audit", "safety")


def build_sources(
    names: Sequence[str],
    *,
    osv_db: Path | None = None,
    offline: bool = False,
    osv_api_url: str | None = None,
    pip_audit_osv_url: str | None = None,
    safety_db: Path | None = None,
    allow_embedded: bool = True,
) -> list[AdvisorySource]:
    """Build each named source once, in the order given (default: the local OSV database).

    Raises AdvisoryDbError for an unknown name, or a source that cannot work as configured
    (e.g. `osv-api` with `offline`, `safety` without a database or API key, a missing extra:
    pip-audit, or safety when its CLI is needed).
    """
    unknown = [n for n in names if n not in SOURCE_NAMES]
    if unknown:
        raise AdvisoryDbError(
            f"unknown advisory source {unknown[0]!r}; choose from {', '.join(SOURCE_NAMES)}"
        )
    sources: list[AdvisorySource] = []
    for name in dict.fromkeys(names or ("osv",)):
        if name == "osv":
            # Imported here: the local database pulls in sync/download code the others never need.
            from depsentry.advisories.resolve import open_advisories

            sources.append(
                open_advisories(osv_db=osv_db, offline=offline, allow_embedded=allow_embedded)
            )
        elif name == "osv-api":
            # Each source is imported on use: a plain `scan` must not pay for httpx and friends.
            from depsentry.advisories.osv_api_source import DEFAULT_OSV_API, OsvApiSource

            sources.append(OsvApiSource(osv_api_url or DEFAULT_OSV_API, offline=offline))
        elif name == "pip-audit":
            from depsentry.advisories.pip_audit_source import PipAuditSource

            pip_audit = PipAuditSource(osv_url=pip_audit_osv_url, offline=offline)
            pip_audit.command()  # a missing extra fails now, before any project is read
            sources.append(pip_audit)
        else:
            from depsentry.advisories.safety_source import SafetySource

            safety = SafetySource(safety_db, offline=offline)
            safety.command()
            sources.append(safety)
    return sources
