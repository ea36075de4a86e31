"""Report formats: the registry (`FORMATS`, `get_renderer`) and the one-line `summarize`."""

from __future__ import annotations

import enum
import importlib
from typing import TYPE_CHECKING, Any, assert_never

from depsentry.errors import ConfigError
from depsentry.report.interface import Renderer
from depsentry.report.summary import summarize

if TYPE_CHECKING:
    from depsentry.report.json import JsonRenderer, read_report
    from depsentry.report.markdown import MarkdownRenderer
    from depsentry.report.sarif import SarifRenderer
    from depsentry.report.table import TableRenderer

# Renderers are imported on first use: a JSON scan need not load rich's table machinery.
_LAZY = {
    "JsonRenderer": "json",
    "read_report": "json",
    "MarkdownRenderer": "markdown",
    "SarifRenderer": "sarif",
    "TableRenderer": "table",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FORMATS",
    "Format",
    "JsonRenderer",
    "MarkdownRenderer",
    "Renderer",
    "SarifRenderer",
    "TableRenderer",
    "get_renderer",
    "read_report",
    "summarize",
]


class Format(enum.Enum):
    """The report formats, in the order `--help` lists them (table is the default)."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"


FORMATS = tuple(f.value for f in Format)


def get_renderer(
    fmt: str, *, color: bool = False, width: int | None = None, root: str | None = None
) -> Renderer:
    """The renderer for `fmt`; `color` and `width` apply to the table, `root` (the repository
    root that absolute paths are made relative to) to SARIF. Unknown `fmt`: `ConfigError`."""
    try:
        chosen = Format(fmt)
    except ValueError:
        raise ConfigError(
            f"unknown report format {fmt!r}; choose one of: {', '.join(FORMATS)}"
        ) from None
    match chosen:
        case Format.TABLE:
            from depsentry.report.table import TableRenderer

            return TableRenderer(color=color, width=width)
        case Format.JSON:
            from depsentry.report.json import JsonRenderer

            return JsonRenderer()
        case Format.SARIF:
            from depsentry.report.sarif import SarifRenderer

            return SarifRenderer(root=root)
        case Format.MARKDOWN:
            from depsentry.report.markdown import MarkdownRenderer

            return MarkdownRenderer()
        case _:
            assert_never(chosen)
