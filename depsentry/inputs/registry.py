"""The input-format registry: every reader, by name, in the order discovery and sniffing use."""

from __future__ import annotations

from functools import cache

from depsentry.inputs.interface import InputReader
from depsentry.registry import Registry

__all__ = ["PATTERNS", "READERS", "reader", "readers"]

# Each reader's class and the file-name globs it claims in discovery (a glob with a folder,
# "requirements/*.txt", matches in that folder only): the globs are here, not in the readers'
# modules, so that discovery imports only the readers of the files it finds. Order matters
# twice: discovery claims a file for the first reader whose glob matches, and a file named
# directly whose name matches none is sniffed in this order (lockfiles first; requirements last,
# since it reads any text file).
_TABLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "uv-lock": ("depsentry.inputs.uv_lock:UvLockReader", ("uv.lock",)),
    "poetry-lock": ("depsentry.inputs.poetry_lock:PoetryLockReader", ("poetry.lock",)),
    "pdm-lock": ("depsentry.inputs.pdm_lock:PdmLockReader", ("pdm.lock",)),
    "pylock": ("depsentry.inputs.pylock:PylockReader", ("pylock.toml", "pylock.*.toml")),
    "pipfile-lock": ("depsentry.inputs.pipfile_lock:PipfileLockReader", ("Pipfile.lock",)),
    "pyproject": ("depsentry.inputs.pyproject:PyprojectReader", ("pyproject.toml",)),
    "pipfile": ("depsentry.inputs.pipfile:PipfileReader", ("Pipfile",)),
    "requirements": (
        "depsentry.inputs.requirements:RequirementsReader",
        ("requirements*.txt", "constraints*.txt", "requirements/*.txt"),
    ),
    "environment": ("depsentry.inputs.environment:EnvironmentReader", ()),
}

READERS: Registry[InputReader] = Registry(
    "input format", InputReader, {name: ref for name, (ref, _) in _TABLE.items()}
)
PATTERNS: dict[str, tuple[str, ...]] = {name: globs for name, (_, globs) in _TABLE.items()}


@cache
def reader(name: str) -> InputReader:
    """The one instance of the reader registered as `name` (readers hold no state)."""
    return READERS.load(name)()


def readers() -> tuple[InputReader, ...]:
    """Every reader, in registry order."""
    return tuple(reader(name) for name in READERS)
