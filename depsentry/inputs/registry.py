"""The input-format registry: every reader, by name, in the order discovery and sniffing use."""

from __future__ import annotations

from functools import cache

from depsentry.inputs.interface import InputReader
from depsentry.registry import Registry

__all__ = ["READERS", "reader", "readers"]

# Order matters twice: discovery claims a file for the first reader whose pattern matches, and a
# file named directly whose name matches no pattern is sniffed in this order (lockfiles first;
# requirements last, since it reads any text file).
READERS: Registry[InputReader] = Registry(
    "input format",
    InputReader,
    {
        "uv-lock": "depsentry.inputs.uv_lock:UvLockReader",
        "poetry-lock": "depsentry.inputs.poetry_lock:PoetryLockReader",
        "pdm-lock": "depsentry.inputs.pdm_lock:PdmLockReader",
        "pylock": "depsentry.inputs.pylock:PylockReader",
        "pipfile-lock": "depsentry.inputs.pipfile_lock:PipfileLockReader",
        "pyproject": "depsentry.inputs.pyproject:PyprojectReader",
        "pipfile": "depsentry.inputs.pipfile:PipfileReader",
        "requirements": "depsentry.inputs.requirements:RequirementsReader",
        "environment": "depsentry.inputs.environment:EnvironmentReader",
    },
)


@cache
def readers() -> tuple[InputReader, ...]:
    """One instance of every reader, in registry order (readers hold no state)."""
    return tuple(cls() for cls in READERS.load_all())


def reader(name: str) -> InputReader:
    """The reader registered as `name`."""
    cls = READERS.load(name)
    return next(r for r in readers() if type(r) is cls)
