"""Splitting a rendered message into parts under a service's limits, never one over them.

A part is a list of chunks (Slack: section blocks; markdown robots: paragraphs), a chunk is
lines joined by newlines. Costs are the service's own measure (characters for Slack, UTF-8 bytes
of the JSON-escaped text for DingTalk and Feishu, UTF-8 bytes for WeCom) and add up per character,
so a part's size is known without encoding it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from .render import Rendered

__all__ = ["Layout", "json_bytes", "pack", "truncate", "utf8_bytes"]

ELLIPSIS = "…"
PART_PLACEHOLDER = " (999/999)"  # title room reserved while packing, longer than any real suffix


def json_bytes(text: str) -> int:
    """Bytes `text` takes inside a JSON string (ensure_ascii=False), without the quotes."""
    return len(json.dumps(text, ensure_ascii=False).encode()) - 2


def utf8_bytes(text: str) -> int:
    return len(text.encode())


@dataclass(frozen=True, slots=True)
class Layout:
    """The limits of one part: `budget` for all its chunks, `chunk_limit` for one, `max_chunks`."""

    budget: int
    cost: Callable[[str], int] = len
    chunk_limit: int = 1 << 30
    max_chunks: int = 1 << 30
    sep_cost: int = 0  # what joining two chunks costs (e.g. "\n\n")


def truncate(text: str, room: int, cost: Callable[[str], int]) -> str:
    """`text` cut (with an ellipsis) so that its cost is at most `room`."""
    if cost(text) <= room:
        return text
    budget = room - cost(ELLIPSIS)
    out: list[str] = []
    used = 0
    for char in text:
        c = cost(char)
        if used + c > budget:
            break
        out.append(char)
        used += c
    return "".join(out).rstrip() + ELLIPSIS if budget > 0 else ""


class _Packer:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.nl = layout.cost("\n")
        self.parts: list[list[str]] = []
        self.chunks: list[str] = []
        self.used = 0  # closed chunks of this part, separators included
        self.lines: list[str] = []
        self.open = 0  # cost of the open chunk

    def close_chunk(self) -> None:
        if self.lines:
            self.chunks.append("\n".join(self.lines))
            self.used += self.open + self.layout.sep_cost
            self.lines, self.open = [], 0

    def close_part(self) -> None:
        self.close_chunk()
        if self.chunks:
            self.parts.append(self.chunks)
        self.chunks, self.used = [], 0

    def room_in_chunk(self) -> int:
        """What one more line may cost in the open chunk (or a new one, when none is open)."""
        join = self.nl if self.lines else 0
        by_chunk = self.layout.chunk_limit - self.open - join
        by_part = self.layout.budget - self.used - self.layout.sep_cost - self.open - join
        if not self.lines and len(self.chunks) >= self.layout.max_chunks:
            return -1
        return min(by_chunk, by_part)

    def add(self, line: str, *, new_chunk: bool, restart: Callable[[], None]) -> None:
        """Add `line`, opening a new chunk or part when it does not fit; `restart` begins a part."""
        if new_chunk:
            self.close_chunk()
        c = self.layout.cost(line)
        if c > self.room_in_chunk() and self.lines:
            self.close_chunk()
        if c > self.room_in_chunk():
            self.close_part()
            restart()
        room = self.room_in_chunk()
        if c > room:
            line = truncate(line, room, self.layout.cost)
            c = self.layout.cost(line)
        if line:
            self.open += (self.nl if self.lines else 0) + c
            self.lines.append(line)


def pack(rendered: Rendered, layout: Layout) -> list[list[str]]:
    """The chunks of each part: the intro opens part 1, a section's heading comes again, marked
    as continued, at the top of each part it spills into."""
    packer = _Packer(layout)
    heading = ""

    def restart() -> None:
        if heading:
            packer.add(heading, new_chunk=True, restart=lambda: None)

    if rendered.intro:
        packer.add(rendered.intro, new_chunk=True, restart=lambda: None)
    for section in rendered.sections:
        heading = ""
        # Keep a heading with its first entry rather than alone at the foot of a part.
        packer.close_chunk()
        first = section.entries[0] if section.entries else ""
        need = layout.cost(section.heading) + (packer.nl + layout.cost(first) if first else 0)
        if packer.chunks and need > packer.room_in_chunk():
            packer.close_part()
        packer.add(section.heading, new_chunk=True, restart=restart)
        heading = section.continued
        for entry in section.entries:
            packer.add(entry, new_chunk=False, restart=restart)
    packer.close_part()
    return packer.parts or [[]]
