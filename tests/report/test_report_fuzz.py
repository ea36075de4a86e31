"""Every format renders any text (wide characters, markup, undecodable file names) at any width:
valid UTF-8 out, every id whole, the table within the width whenever its ids fit."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from depsentry.models import Source
from depsentry.report.json import JsonRenderer
from depsentry.report.markdown import MarkdownRenderer
from depsentry.report.sarif import SarifRenderer
from depsentry.report.table import TableRenderer
from tests.report.conftest import make_result

TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(["|", "*", "\\", "…", "界"]),
    max_size=60,
)
PATH = st.builds(
    lambda parts, raw: "/".join(parts) + os.fsdecode(raw),
    st.lists(st.text("abcdefghij-_.", min_size=1, max_size=30), min_size=1, max_size=6),
    st.binary(max_size=3).filter(lambda b: b"/" not in b and b"\0" not in b),
)


@settings(max_examples=60, deadline=None)
@given(summary=TEXT, path=PATH, width=st.integers(40, 240), alias=TEXT)
def test_any_text_renders_in_every_format(summary: str, path: str, width: int, alias: str) -> None:
    result = make_result()
    project = result.projects[0]
    first = project.vulnerabilities[0]
    project.vulnerabilities[0] = replace(
        first, summary=summary, source=Source(path, 3), aliases=(*first.aliases, alias)
    )
    table = TableRenderer(width=width).render(result)
    table.encode("utf-8")
    for v in project.vulnerabilities:
        assert v.id in table
    ids = max(len(v.package) + len(v.version) + len(v.id) for v in project.vulnerabilities)
    if ids + 40 <= width:
        assert max(cell_len(line) for line in table.splitlines()) <= width
    for renderer in (MarkdownRenderer(), JsonRenderer(), SarifRenderer(root="/")):
        text = renderer.render(result)
        text.encode("utf-8")
    document: Any = json.loads(JsonRenderer().render(result))
    assert document["projects"][0]["vulnerabilities"]
