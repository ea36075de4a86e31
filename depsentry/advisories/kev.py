"""Read CISA's Known Exploited Vulnerabilities catalogue (`known_exploited_vulnerabilities.json`).

Schema: github.com/cisagov/kev-data `known_exploited_vulnerabilities_schema.json`: top-level
`catalogVersion`, `dateReleased`, `vulnerabilities[]` with `cveID`, `dateAdded` (YYYY-MM-DD) and
`knownRansomwareCampaignUse` (Known|Unknown). Size and nesting are capped; a bad entry is an
error naming the file and the entry (the import is all or nothing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from depsentry.advisories.epss import CVE
from depsentry.advisories.files import check_regular
from depsentry.errors import AdvisoryDbError

__all__ = ["DEFAULT_KEV_URL", "KevData", "MAX_KEV_BYTES", "read_kev"]

DEFAULT_KEV_URL = (
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
)
MAX_KEV_BYTES = 64 << 20  # the catalogue is ~1.3 MB for ~1,400 entries


@dataclass(frozen=True, slots=True)
class KevData:
    """The catalogue: (cve, date added, known ransomware use) per entry, and its own date."""

    version: str | None
    released: datetime | None
    entries: list[tuple[str, str | None, bool]]


def _released(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def read_kev(path: Path) -> KevData:
    """Every entry of the catalogue at `path`; AdvisoryDbError naming the file (and the entry)."""
    check_regular(path, "KEV catalogue")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_KEV_BYTES + 1)
    except OSError as exc:
        raise AdvisoryDbError(
            f"cannot read the KEV catalogue: {exc.strerror or exc}", path
        ) from exc
    if len(data) > MAX_KEV_BYTES:
        raise AdvisoryDbError(f"larger than {MAX_KEV_BYTES >> 20} MiB; not a KEV catalogue", path)
    try:
        raw = json.loads(data)
    except RecursionError:
        raise AdvisoryDbError("invalid JSON: nested too deeply", path) from None
    except json.JSONDecodeError as exc:
        raise AdvisoryDbError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
    except ValueError as exc:  # not UTF-8
        raise AdvisoryDbError(f"invalid JSON: {str(exc)[:100]}", path) from None
    vulns = raw.get("vulnerabilities") if isinstance(raw, dict) else None
    if not isinstance(vulns, list):
        raise AdvisoryDbError("no `vulnerabilities` list; not a CISA KEV catalogue", path)
    entries: dict[str, tuple[str | None, bool]] = {}
    for index, entry in enumerate(vulns):
        where = f"vulnerabilities[{index}]"
        cve = entry.get("cveID") if isinstance(entry, dict) else None
        if not isinstance(cve, str) or not CVE.match(cve):
            shown = repr(cve)[:30] if cve is not None else "missing"
            raise AdvisoryDbError(f"{where}.cveID: {shown} is not a CVE id", path)
        added = entry.get("dateAdded")
        if added is not None:
            try:
                date.fromisoformat(str(added))
            except ValueError:
                raise AdvisoryDbError(
                    f"{where}.dateAdded: {str(added)[:30]!r} is not YYYY-MM-DD", path
                ) from None
        ransomware = entry.get("knownRansomwareCampaignUse") == "Known"
        entries[cve] = (str(added) if added is not None else None, ransomware)
    assert isinstance(raw, dict)
    version = raw.get("catalogVersion")
    return KevData(
        str(version)[:64] if version is not None else None,
        _released(raw.get("dateReleased")),
        [(cve, added, ransom) for cve, (added, ransom) in entries.items()],
    )
