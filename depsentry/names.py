"""PEP 503 project names (`canonical_name`), as `packaging.utils.canonicalize_name` gives them.

Hand-written (one regex, the same as packaging's) because importing `packaging.utils` pulls in
`packaging.tags`, `subprocess` and `sysconfig`: a scan of plain pins needs none of them.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["canonical_name"]

_SEPARATORS = re.compile(r"[-_.]+")


@lru_cache(maxsize=1 << 14)  # a big scan asks for the same few hundred names 40,000 times
def canonical_name(name: str) -> str:
    """`name` lower-cased with every run of "-", "_" and "." made one "-"."""
    return _SEPARATORS.sub("-", name).lower()
