"""Dependency inputs: one reader per file format, and the project reader that merges them."""

from __future__ import annotations

from depsentry.inputs.environment import EnvironmentReader
from depsentry.inputs.interface import InputReader
from depsentry.inputs.pdm_lock import PdmLockReader
from depsentry.inputs.pipfile import PipfileReader
from depsentry.inputs.pipfile_lock import PipfileLockReader
from depsentry.inputs.poetry_lock import PoetryLockReader
from depsentry.inputs.pylock import PylockReader
from depsentry.inputs.pyproject import PyprojectReader
from depsentry.inputs.requirements import RequirementsReader
from depsentry.inputs.uv_lock import UvLockReader

# The registry. Order matters in two places: discovery claims a file for the first reader whose
# pattern matches, and a file named directly whose name matches no pattern is sniffed in this
# order (lockfiles first; requirements last, since it reads any text file).
READERS: tuple[InputReader, ...] = (
    UvLockReader(),
    PoetryLockReader(),
    PdmLockReader(),
    PylockReader(),
    PipfileLockReader(),
    PyprojectReader(),
    PipfileReader(),
    RequirementsReader(),
    EnvironmentReader(),
)

# Imported after READERS: project.py looks the registry up here.
from depsentry.inputs.project import ProjectInputs, discover, read_project, reader_for  # noqa: E402

__all__ = [
    "READERS",
    "EnvironmentReader",
    "InputReader",
    "PdmLockReader",
    "PipfileLockReader",
    "PipfileReader",
    "PoetryLockReader",
    "ProjectInputs",
    "PylockReader",
    "PyprojectReader",
    "RequirementsReader",
    "UvLockReader",
    "discover",
    "read_project",
    "reader_for",
]
