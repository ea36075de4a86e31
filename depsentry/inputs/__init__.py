"""Dependency inputs: one reader per file format (registry.py), and the project reader that merges them."""

from __future__ import annotations

from depsentry.inputs.interface import InputReader
from depsentry.inputs.project import ProjectInputs, discover, read_project, reader_for
from depsentry.inputs.registry import READERS, reader, readers

__all__ = [
    "READERS",
    "InputReader",
    "ProjectInputs",
    "discover",
    "read_project",
    "reader",
    "reader_for",
    "readers",
]
