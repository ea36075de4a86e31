"""The one registry shape: names in order, lazy import, the family's own error for a bad name."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from depsentry.advisories.registry import SOURCES
from depsentry.errors import AdvisoryDbError, ConfigError
from depsentry.inputs.registry import PATTERNS, READERS, reader, readers
from depsentry.registry import Registry
from depsentry.report.interface import Renderer
from depsentry.report.registry import FORMATS


def test_names_keep_the_registry_order() -> None:
    registry: Registry[Renderer] = Registry("thing", Renderer, {"b": "x:B", "a": "x:A"})
    assert registry.names() == ("b", "a") and list(registry) == ["b", "a"]
    assert "a" in registry and "c" not in registry and len(registry) == 2


def test_unknown_name_raises_the_familys_error_naming_the_choices() -> None:
    with pytest.raises(
        AdvisoryDbError, match=r"^unknown advisory source 'snyk'; choose from osv, "
    ):
        SOURCES.load("snyk")
    with pytest.raises(ConfigError, match=r"^unknown report format 'html'; choose from table, "):
        FORMATS.load("html")


def test_an_entry_that_is_not_of_the_family_is_refused() -> None:
    registry: Registry[Renderer] = Registry("thing", Renderer, {"x": "depsentry.models:Severity"})
    with pytest.raises(ConfigError, match=r"depsentry.models:Severity: not a Renderer subclass"):
        registry.load("x")


def test_members_are_imported_on_first_use_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lazy_renderer_xyz.py").write_text(
        "from depsentry.report.interface import Renderer\n"
        "class Lazy(Renderer):\n"
        "    def render(self, result):\n"
        "        return ''\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry: Registry[Renderer] = Registry("thing", Renderer, {"lazy": "lazy_renderer_xyz:Lazy"})
    assert "lazy_renderer_xyz" not in sys.modules
    assert registry.load("lazy").__name__ == "Lazy"
    assert "lazy_renderer_xyz" in sys.modules
    assert registry.load("lazy") is registry.load("lazy")
    monkeypatch.delitem(sys.modules, "lazy_renderer_xyz")


def test_every_family_names_its_members_as_they_name_themselves() -> None:
    assert [r.name for r in readers()] == list(READERS.names())
    assert [SOURCES.load(n).name for n in SOURCES] == list(SOURCES.names())


def test_every_reader_claims_its_discovery_patterns_in_registry_order() -> None:
    # Discovery claims a file for the first reader whose pattern matches, in PATTERNS' order;
    # sniffing walks READERS: the two must list the same readers in the same order.
    assert list(PATTERNS) == list(READERS.names())
    assert all(reader(name).patterns == PATTERNS[name] for name in READERS)
    assert reader("requirements").patterns == (
        "requirements*.txt",
        "constraints*.txt",
        "requirements/*.txt",
    )
    assert reader("uv-lock") is reader("uv-lock") and reader("uv-lock") in readers()
