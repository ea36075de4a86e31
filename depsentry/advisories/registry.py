"""The advisory-source registry: `--source` names -> source classes, opened with `SourceOptions`.

Several sources may be combined; scan.py merges their findings with `merge_vulnerabilities`.
"""

from __future__ import annotations

from collections.abc import Sequence

from depsentry.advisories.interface import AdvisorySource, SourceOptions
from depsentry.errors import AdvisoryDbError
from depsentry.registry import Registry

__all__ = ["SOURCES", "open_sources"]

# "osv" first: it is the default and the one that works offline out of the box. Each source is
# imported on use: a plain `scan` must not pay for httpx, pip-audit or safety.
SOURCES: Registry[AdvisorySource] = Registry(
    "advisory source",
    AdvisorySource,
    {
        "osv": "depsentry.advisories.osv_db:OsvDbSource",
        "osv-api": "depsentry.advisories.osv_api_source:OsvApiSource",
        "pip-audit": "depsentry.advisories.pip_audit_source:PipAuditSource",
        "safety": "depsentry.advisories.safety_source:SafetySource",
    },
    error=AdvisoryDbError,
)


def open_sources(names: Sequence[str], options: SourceOptions) -> list[AdvisorySource]:
    """Open each named source once, in the order given (default: the local OSV database).

    Raises AdvisoryDbError for an unknown name, or a source that cannot work as configured
    (e.g. `osv-api` with `offline`, `safety` without a database or API key, a missing extra).
    """
    classes = [SOURCES.load(name) for name in dict.fromkeys(names or ("osv",))]
    return [cls.open(options) for cls in classes]
