"""Read FIRST's EPSS scores: `epss_scores-YYYY-MM-DD.csv.gz` (or the plain CSV).

The file opens with a comment `#model_version:v2025.03.14,score_date:2026-05-18T00:00:00Z`, then
the header `cve,epss,percentile` and one row per CVE (https://www.first.org/epss/data_stats).
The file comes from outside: the decompressed size, the line length and the row count are
capped, and a bad row is an error naming the file and the line (the import is all or nothing).
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from depsentry.advisories.files import check_regular
from depsentry.errors import AdvisoryDbError

__all__ = ["DEFAULT_EPSS_URL", "EpssData", "MAX_EPSS_BYTES", "read_epss"]

# FIRST's daily file (https://www.first.org/epss/data_stats), served by Empirical Security.
DEFAULT_EPSS_URL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"

MAX_EPSS_BYTES = 256 << 20  # decompressed; today's file is ~10 MB for ~300k CVEs
MAX_LINE = 512
MAX_ROWS = 5_000_000
CVE = re.compile(r"CVE-\d{4}-\d{4,19}\Z")
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True, slots=True)
class EpssData:
    """The scores of one file: (cve, probability, percentile), and the file's own date."""

    model: str | None
    score_date: datetime | None
    rows: list[tuple[str, float, float | None]]


def _date(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _lines(handle: IO[bytes], path: Path) -> Iterator[tuple[int, str]]:
    total = 0
    for number in range(1, MAX_ROWS + 3):
        line = handle.readline(MAX_LINE + 1)
        if not line:
            return
        total += len(line)
        if total > MAX_EPSS_BYTES:
            raise AdvisoryDbError(
                f"decompresses to more than {MAX_EPSS_BYTES >> 20} MiB; not an EPSS file", path
            )
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            raise AdvisoryDbError(f"line longer than {MAX_LINE} bytes", path, number)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise AdvisoryDbError("not UTF-8 text", path, number) from None
        yield number, text.rstrip("\r\n").lstrip("\ufeff") if number == 1 else text.rstrip("\r\n")
    raise AdvisoryDbError(f"more than {MAX_ROWS} rows; not an EPSS file", path)


def _score(text: str, what: str, path: Path, number: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise AdvisoryDbError(f"{what} {text[:20]!r} is not a number", path, number) from None
    if not 0.0 <= value <= 1.0:  # also rejects nan
        raise AdvisoryDbError(f"{what} {text[:20]!r} is not between 0 and 1", path, number)
    return value


def _parse(handle: IO[bytes], path: Path) -> EpssData:
    model: str | None = None
    score_date: datetime | None = None
    columns: dict[str, int] | None = None
    best: dict[str, tuple[float, float | None]] = {}
    for number, line in _lines(handle, path):
        if not line.strip():
            continue
        if line.startswith("#"):
            for part in line[1:].split(","):
                key, _, value = part.partition(":")
                if key.strip() == "model_version":
                    model = value.strip()[:64] or None
                elif key.strip() == "score_date":
                    score_date = _date(value.strip())
            continue
        cells = [cell.strip() for cell in line.split(",")]
        if columns is None:
            columns = {name.lower(): i for i, name in enumerate(cells)}
            if "cve" not in columns or "epss" not in columns:
                raise AdvisoryDbError(
                    f"expected the header cve,epss,percentile, got {line[:60]!r}", path, number
                )
            continue
        if len(cells) != len(columns):
            raise AdvisoryDbError(
                f"expected {len(columns)} columns, got {len(cells)}", path, number
            )
        cve = cells[columns["cve"]]
        if not CVE.match(cve):
            raise AdvisoryDbError(f"{cve[:30]!r} is not a CVE id", path, number)
        epss = _score(cells[columns["epss"]], "epss", path, number)
        pct = (
            _score(cells[columns["percentile"]], "percentile", path, number)
            if "percentile" in columns
            else None
        )
        old = best.get(cve)
        if old is None or epss > old[0]:
            best[cve] = (epss, pct)
    if columns is None:
        raise AdvisoryDbError("no header line (cve,epss,percentile); not an EPSS file", path)
    if score_date is None and (match := _DATE_IN_NAME.search(path.name)):
        score_date = _date(match.group(1))  # epss_scores-YYYY-MM-DD.csv.gz
    return EpssData(model, score_date, [(c, e, p) for c, (e, p) in best.items()])


def read_epss(path: Path) -> EpssData:
    """Every score in `path` (gzip or plain CSV); AdvisoryDbError naming the file (and line)."""
    check_regular(path, "EPSS file")
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            if not gzipped:
                return _parse(raw, path)
            with gzip.GzipFile(fileobj=raw) as unpacked:
                return _parse(io.BufferedReader(unpacked), path)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise AdvisoryDbError(f"not a readable gzip file ({exc or 'truncated'})", path) from exc
    except OSError as exc:
        raise AdvisoryDbError(f"cannot read the EPSS file: {exc.strerror or exc}", path) from exc
