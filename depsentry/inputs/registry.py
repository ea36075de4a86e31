"""The input-format registry: every reader, by name, in the order discovery and sniffing use."""

from __future__ import annotations

from functools import cache

from depsentry.inputs.interface import InputReader
from depsentry.registry import Registry

__all__ = ["PATTERNS", "READERS", "reader", "readers"]

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


# The file-name globs each reader claims in discovery (a glob with a folder, "requirements/*.txt",
# matches in that folder only), kept here so that a scan imports only the readers of the files
# it finds. A reader's `patterns` is its entry.
PATTERNS: dict[str, tuple[str, ...]] = {
    "uv-lock": ("uv.lock",),
    "poetry-lock": ("poetry.lock",),
    "pdm-lock": ("pdm.lock",),
    "pylock": ("pylock.toml", "pylock.*.toml"),
    "pipfile-lock": ("Pipfile.lock",),
    "pyproject": ("pyproject.toml",),
    "pipfile": ("Pipfile",),
    "requirements": ("requirements*.txt", "constraints*.txt", "requirements/*.txt"),
    "environment": (),
}


@cache
def reader(name: str) -> InputReader:
    """The one instance of the reader registered as `name` (readers hold no state)."""
    return READERS.load(name)()


def readers() -> tuple[InputReader, ...]:
    """Every reader, in registry order."""
    return tuple(reader(name) for name in READERS)
