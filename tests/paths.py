"""Where the tests find the repository, their data and the shared advisory snapshot."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
INPUTS = DATA / "inputs"
EXAMPLE = REPO / "examples" / "vulnerable-app"
# The real OSV snapshot lives beside the checkout, never inside it.
PYPA_DB = REPO.parent / "shared" / "data" / "pypa-advisory-db"
