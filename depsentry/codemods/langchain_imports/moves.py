"""The move table: `langchain...Name` -> where the name lives now, chains followed to the end.

moves.json holds the edges scripts/make_langchain_moves.py read from the published wheels (its
`sources` names their versions): langchain -> langchain_community, langchain_core,
langchain_text_splitters or langchain_classic, and langchain_community -> partner packages or
langchain_core. `target()` follows A -> B -> C in one look-up, so one run writes the final import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["Move", "Table", "distribution", "table"]


@dataclass(frozen=True)
class Move:
    """Where `old_module.old_name` went: `from module import name`, installed by `requirement`."""

    module: str
    name: str
    requirement: str
    # Set when the chain ends at a different name (HuggingFaceHub -> HuggingFaceEndpoint,
    # a class -> a factory function): a different API, so the move stops at the last place
    # that kept the name and this names the replacement for a TODO.
    replaced_by: str | None = None

    @property
    def path(self) -> str:
        return f"{self.module}.{self.name}"


def distribution(module: str) -> str:
    """The pip distribution that provides `module` (langchain_openai -> langchain-openai)."""
    # Every LangChain package, partners included, is named so (langchain_google_genai too).
    return module.partition(".")[0].replace("_", "-")


@dataclass(frozen=True)
class Table:
    """The loaded moves, with chains resolved, and the modules they come from."""

    sources: dict[str, str]
    moves: dict[str, Move]
    modules: frozenset[str]  # every old module (and its parents) some move comes from

    def target(self, module: str, name: str) -> Move | None:
        """Where `from module import name` must come from now (None: it did not move)."""
        return self.moves.get(f"{module}.{name}")

    def is_module(self, dotted: str) -> bool:
        """Whether `dotted` is an old module some name moved out of (or a parent of one)."""
        return dotted in self.modules


def _resolve(edges: dict[str, str], old: str) -> tuple[str, str]:
    """(the chain's end, its last stop with the old name): equal when the name never changed."""
    name = old.rpartition(".")[2]
    seen = {old}
    new = edges[old]
    same = new if new.rpartition(".")[2] == name else old
    while new in edges and new not in seen:  # a cycle in the data stops where it closes
        seen.add(new)
        new = edges[new]
        if new.rpartition(".")[2] == name and same.rpartition(".")[2] == name:
            same = new
    return new, same


def load(document: dict[str, Any]) -> Table:
    """A Table from the JSON document the generator writes."""
    edges: dict[str, str] = document["moves"]
    moves = {}
    modules: set[str] = set()
    for old in edges:
        new, same = _resolve(edges, old)
        replaced_by = None if new == same else new
        module, _, name = same.rpartition(".")
        moves[old] = Move(module, name, distribution(module), replaced_by)
        parts = old.split(".")[:-1]
        modules.update(".".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return Table(dict(document["sources"]), moves, frozenset(modules))


@cache
def table() -> Table:
    """The shipped table (read once per process)."""
    text = resources.files(__package__).joinpath("moves.json").read_text(encoding="utf-8")
    return load(json.loads(text))
