"""Which imports the openai-v1 rewrite made unused (`from openai import ChatCompletion`, ...).

The scope analysis of the original module lists every read of a name; a name all of whose reads
the rewrite replaced (`dropped`) is no longer used, unless the inserted code reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from .tables import RESOURCE_NAMES

if TYPE_CHECKING:
    from libcst.metadata import Scope as LibcstScope

    from depsentry.codemods.imports import ImportEdits

    from .analysis import Analysis
    from .client import ClientPlan


class CleanupRules:
    """A mixin of OpenAIV1Codemod: drops the openai imports its rewrite left unused."""

    if TYPE_CHECKING:
        analysis: Analysis
        edits: ImportEdits
        plan: ClientPlan
        dropped: set[cst.CSTNode]
        openai_needed: bool
        _global_scope: LibcstScope | None

    def drop_unused_imports(self, tree: cst.Module) -> None:
        """Remove `from openai import ChatCompletion` (or `import openai`) whose every read the
        rewrite replaced; the scope analysis of the original module tells which reads there were."""
        for statement in tree.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for item in statement.body:
                if isinstance(item, cst.ImportFrom) and not item.relative:
                    module = cst.Module(body=[]).code_for_node(item.module) if item.module else ""
                    if module != "openai" or isinstance(item.names, cst.ImportStar):
                        continue
                    for alias in item.names:
                        name = alias.evaluated_name
                        if (name in RESOURCE_NAMES or name == "error") and self._unused(alias):
                            self.edits.remove("openai", name, alias.evaluated_alias)
                elif isinstance(item, cst.Import):
                    for alias in item.names:
                        if (
                            alias.evaluated_name == "openai"
                            and self.analysis.calls
                            and not self.edits_use_openai()
                            and self._unused(alias)
                        ):
                            self.edits.remove("openai", None, alias.evaluated_alias)

    def edits_use_openai(self) -> bool:
        """Whether code this rewrite adds reads the openai module."""
        plan = self.plan
        return bool(plan.mode == "global" or plan.per_call or self.openai_needed)

    def _unused(self, alias: cst.ImportAlias) -> bool:
        name = alias.evaluated_alias or alias.evaluated_name
        assignments = self._global_scope.assignments[name] if self._global_scope else ()
        reads = {access.node for a in assignments for access in a.references}
        return bool(reads) and reads <= self.dropped
