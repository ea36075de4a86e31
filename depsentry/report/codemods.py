"""The codemods a report offers: per finding, the command that migrates the code across its
upgrade (json.py puts it on the finding, table.py and markdown.py list them under the project)."""

from __future__ import annotations

from typing import NamedTuple

from depsentry.models import ProjectReport

__all__ = ["CodemodOffer", "codemod_command", "offers"]


def codemod_command(name: str, project: str) -> str:
    """The command that runs codemod `name` over a project's code."""
    import shlex  # only findings that have a codemod need quoting

    return f"depsentry codemod run {name} {shlex.quote(project or '.')}"


# A NamedTuple, not a frozen dataclass: about 5x cheaper to define, on every scan's start-up.
class CodemodOffer(NamedTuple):
    """Upgrading `package` from `current` to `target` is codemod `name`'s job."""

    package: str
    current: str
    target: str
    name: str
    command: str


def offers(project: ProjectReport) -> list[CodemodOffer]:
    """One offer per (package, codemod), vulnerabilities first, in a stable order."""
    found: dict[tuple[str, str], CodemodOffer] = {}
    candidates = [
        (v.package, v.version, ", ".join(v.fixed_in), v.codemods)
        for v in sorted(project.vulnerabilities, key=lambda v: (v.package, v.version, v.id))
    ] + [(o.package, o.current, o.latest, o.codemods) for o in project.outdated]
    for package, current, target, names in candidates:
        for name in names:
            command = codemod_command(name, project.path)
            found.setdefault((package, name), CodemodOffer(package, current, target, name, command))
    return list(found.values())
