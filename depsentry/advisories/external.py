"""Shared by the sources that run an external auditor (pip-audit, Safety): find the tool, and turn
pinned dependencies into requirements files it reads.

Such tools reject a file that pins one name twice ("package X has duplicate requirements",
pip_audit/_dependency_source/requirement.py), so pins are split into layers: the first version of
each name, then the second, and so on; usually there is one layer.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from packaging.version import InvalidVersion, Version

from depsentry.errors import AdvisoryDbError
from depsentry.models import Dependency

__all__ = ["PinKey", "Pins", "find_tool"]

PinKey = tuple[str, Version]


@dataclass
class Pins:
    """Dependencies grouped by (name, Version), in layers of distinct names."""

    by_key: dict[PinKey, list[Dependency]] = field(default_factory=dict)
    layers: list[list[PinKey]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, dependencies: Sequence[Dependency]) -> Pins:
        pins = cls()
        depth: dict[str, int] = {}
        for dep in dependencies:
            try:
                key = (dep.name, Version(dep.version))
            except InvalidVersion:
                pins.warnings.append(
                    f"{dep.name} {dep.version}: not a PEP 440 version, not audited"
                )
                continue
            if key not in pins.by_key:
                level = depth.get(dep.name, 0)
                depth[dep.name] = level + 1
                if level == len(pins.layers):
                    pins.layers.append([])
                pins.layers[level].append(key)
            pins.by_key.setdefault(key, []).append(dep)
        return pins

    def requirements(self, layer: Sequence[PinKey]) -> str:
        """The text of a requirements file pinning every key of `layer`, as the inputs spelled it."""
        return "".join(f"{name}=={self.by_key[(name, v)][0].version}\n" for name, v in layer)

    def lookup(self, name: str, version: Version) -> list[Dependency]:
        """The dependencies a tool's (name, version) answer is about."""
        return self.by_key.get((name, version), [])


def find_tool(python: str, module: str, script: str, install_hint: str) -> list[str]:
    """`python -m module` when that interpreter has it, else `script` on PATH, else AdvisoryDbError."""
    if python == sys.executable:
        found = importlib.util.find_spec(module) is not None
    else:
        probe = (
            f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
        )
        try:
            found = (
                subprocess.run([python, "-c", probe], capture_output=True, check=False).returncode
                == 0
            )
        except OSError:
            found = False
    if found:
        return [python, "-m", module]
    on_path = shutil.which(script)
    if on_path:
        return [on_path]
    raise AdvisoryDbError(install_hint)
