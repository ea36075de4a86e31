"""Dependency inputs: one reader per file format, and the project reader that merges them."""

from __future__ import annotations

from depsentry.daemon.inputs.environment import EnvironmentReader
from depsentry.daemon.inputs.interface import InputReader
from depsentry.daemon.inputs.pdm_lock import PdmLockReader
from depsentry.daemon.inputs.pipfile import PipfileReader
from depsentry.daemon.inputs.pipfile_lock import PipfileLockReader
from depsentry.daemon.inputs.poetry_lock import PoetryLockReader
from depsentry.daemon.inputs.pylock import PylockReader
from depsentry.daemon.inputs.pyproject import PyprojectReader
from depsentry.daemon.inputs.requirements import RequirementsReader
from depsentry.daemon.inputs.uv_lock import UvLockReader

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
from depsentry.daemon.inputs.project import ProjectInputs, discover, read_project, reader_for  # noqa: E402

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
