"""Attach `# TODO(depsentry): ...` lines to a statement, once each (so a rerun adds none)."""

from __future__ import annotations

import libcst as cst

from depsentry.codemods.interface import todo_comment


def with_todos(node: cst.CSTNode, messages: list[str], header: set[str]) -> cst.CSTNode:
    """`node` with a TODO line per message not already above it (or in `header`)."""
    leading = getattr(node, "leading_lines", None)
    if leading is None:
        return node
    present = header | {line.comment.value for line in leading if line.comment is not None}
    lines = list(leading)
    for message in dict.fromkeys(messages):
        line = todo_comment(message)
        if line.comment is not None and line.comment.value not in present:
            lines.append(line)
    return node.with_changes(leading_lines=lines)
