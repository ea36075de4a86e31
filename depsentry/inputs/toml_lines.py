"""Line numbers for TOML values: tomllib keeps no positions, so a light scan of the text finds
where each table, key and array item was written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from depsentry.errors import reading
from depsentry.inputs.files import read_input

__all__ = ["TomlLines", "load_toml"]

_TOML_KEY = re.compile(r"""\s*("([^"\\]*)"|'([^']*)'|[A-Za-z0-9_.-]+)\s*=""")


def load_toml(path: Path) -> tuple[dict[str, Any], TomlLines]:
    """Parse `path` as TOML (errors become one-line InputErrors) and index its lines."""
    import tomllib  # a scan of requirements files alone never loads it

    text = read_input(path)
    with reading(path):
        data = tomllib.loads(text)
    return data, TomlLines(text)


class TomlLines:
    """Finds the lines of tables, keys and array items by a light scan of the text.

    tomllib keeps no positions and tomlkit's do not give line numbers cheaply, so the reader
    parses with tomllib and this finds where each value was written (falling back to its table).
    """

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.tables: dict[tuple[str, ...], int] = {}
        self.arrays: dict[tuple[str, ...], list[int]] = {}
        for number, line in enumerate(self.lines, 1):
            stripped = line.lstrip()
            if not stripped.startswith("["):
                continue
            if stripped.startswith("[["):
                end = stripped.find("]]")
                if end > 0:
                    self.arrays.setdefault(_dotted(stripped[2:end]), []).append(number)
            else:
                end = stripped.find("]")
                if end > 0:
                    self.tables.setdefault(_dotted(stripped[1:end]), number)

    def table(self, *key: str) -> int | None:
        """The line of the `[a.b]` header, when written as a header."""
        return self.tables.get(key)

    def keys(self, start: int | None) -> dict[str, int]:
        """The line of each `key = ...` in the table whose header is on line `start`."""
        found: dict[str, int] = {}
        if start is None:
            return found
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if line.lstrip().startswith("["):
                break
            match = _TOML_KEY.match(line)
            if match is not None:
                key = match.group(2) or match.group(3) or match.group(1)
                found.setdefault(key, number)
        return found

    def find_string(self, value: str, start: int) -> int | None:
        """The first line at or after `start` holding `value` as a quoted string."""
        double, single = f'"{value}"', f"'{value}'"
        for number in range(max(start, 1), len(self.lines) + 1):
            line = self.lines[number - 1]
            if double in line or single in line:
                return number
        return None

    def array_item_lines(self, header: str, key: str = "name") -> list[int]:
        """For each `[[header]]` block, the line of its first `key = ...` (else the header)."""
        result = []
        prefix = f"{key} ="
        prefix_tight = f"{key}="
        for start in self.arrays.get(_dotted(header), []):
            line_of = start
            for number in range(start + 1, len(self.lines) + 1):
                stripped = self.lines[number - 1].lstrip()
                if stripped.startswith("["):
                    break
                if stripped.startswith((prefix, prefix_tight)):
                    line_of = number
                    break
            result.append(line_of)
        return result


def _dotted(header: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in header.split("."))
