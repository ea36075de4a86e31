"""Generate depsentry/advisories/data/embedded-osv.json.gz from an OSV source.

Keeps facts only (ids, aliases, affected ranges and versions, severity, dates) and no summary,
details or references, with a header naming the source, the dates and the licence.

    python scripts/make_embedded_snapshot.py ../shared/data/pypa-advisory-db
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from depsentry.advisories.embedded import SNAPSHOT_NAME
from depsentry.advisories.osv_record import is_pypi, iso, load_text, parse_record

OUTPUT = Path(__file__).resolve().parents[1] / "depsentry/advisories/data" / SNAPSHOT_NAME


def _facts(raw: dict[str, Any]) -> dict[str, Any]:
    affected = []
    for entry in raw.get("affected") or []:
        package = entry.get("package") or {}
        if not is_pypi(package.get("ecosystem")):
            continue
        ranges = [
            {"type": r["type"], "events": r.get("events", [])}
            for r in entry.get("ranges") or []
            if isinstance(r, dict) and r.get("type") in ("ECOSYSTEM", "SEMVER")
        ]
        out: dict[str, Any] = {
            "package": {"name": package.get("name"), "ecosystem": package.get("ecosystem")}
        }
        if ranges:
            out["ranges"] = ranges
        # A range already says which versions it covers; the list is kept only when it is all there is.
        if not ranges and entry.get("versions"):
            out["versions"] = entry["versions"]
        affected.append(out)
    facts: dict[str, Any] = {
        "id": raw["id"],
        "aliases": raw.get("aliases") or [],
        "affected": affected,
    }
    for key in ("modified", "published"):
        if raw.get(key):
            facts[key] = iso(raw[key])
    if raw.get("severity"):
        facts["severity"] = raw["severity"]
    specific = raw.get("database_specific")
    if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
        facts["database_specific"] = {"severity": specific["severity"]}
    return facts


def _describe(root: Path) -> dict[str, str]:
    source = "github.com/pypa/advisory-database"
    readme = root / "SOURCE.md"
    commit = ""
    if readme.is_file():
        found = re.search(r"\b([0-9a-f]{40})\b", readme.read_text())
        commit = found.group(1) if found else ""
    licence = (root / "LICENSE").read_text().splitlines()[0] if (root / "LICENSE").is_file() else ""
    if "Attribution 4.0" not in licence:
        sys.exit(
            f"{root}: LICENSE is not CC-BY 4.0; refusing to embed data under an unknown licence"
        )
    return {"source": source + (f"@{commit[:12]}" if commit else ""), "licence": "CC-BY-4.0"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source",
        type=Path,
        help="a directory of OSV records with a LICENSE (e.g. a pypa/advisory-database clone)",
    )
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    records = []
    for path in sorted(args.source.rglob("*")):
        if path.suffix not in (".json", ".yaml", ".yml") or not path.is_file():
            continue
        raw = load_text(path.read_bytes(), path.name)
        parsed, _ = parse_record(raw)
        if parsed is not None and isinstance(raw, dict):
            records.append(_facts(raw))
    described = _describe(args.source)
    data_date = max((r.get("modified", "") for r in records), default="")[:10]
    header = {
        **described,
        "data_date": data_date,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": len(records),
        "attribution": (
            "Advisory data from the Python Packaging Advisory Database "
            "(https://github.com/pypa/advisory-database), licensed CC-BY 4.0 "
            "(https://creativecommons.org/licenses/by/4.0/); reduced to facts (no descriptions)."
        ),
    }
    body = json.dumps({"header": header, "records": records}, separators=(",", ":"), sort_keys=True)
    args.output.write_bytes(gzip.compress(body.encode(), 9, mtime=0))
    print(
        f"{args.output}: {len(records)} records, {args.output.stat().st_size} bytes",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
