"""The report-format registry: `--format` names -> renderer classes, imported on first use."""

from __future__ import annotations

from depsentry.registry import Registry
from depsentry.report.interface import ReadinessRenderer, Renderer, RenderOptions

__all__ = ["FORMATS", "READINESS_FORMATS", "get_renderer"]

# In the order `--help` lists them; table is the default. A JSON scan need not load rich.
FORMATS: Registry[Renderer] = Registry(
    "report format",
    Renderer,
    {
        "table": "depsentry.report.table:TableRenderer",
        "json": "depsentry.report.json:JsonRenderer",
        "sarif": "depsentry.report.sarif:SarifRenderer",
        "markdown": "depsentry.report.markdown:MarkdownRenderer",
    },
)


# The readiness report's formats (`depsentry readiness --format`); table is the default.
READINESS_FORMATS: Registry[ReadinessRenderer] = Registry(
    "readiness format",
    ReadinessRenderer,
    {
        "table": "depsentry.report.readiness:TableReadiness",
        "json": "depsentry.report.readiness:JsonReadiness",
        "markdown": "depsentry.report.readiness:MarkdownReadiness",
    },
)


def get_renderer(
    fmt: str,
    *,
    color: bool = False,
    width: int | None = None,
    root: str | None = None,
    base: str | None = None,
) -> Renderer:
    """The renderer for `fmt`, built for these options; an unknown `fmt` is a `ConfigError`."""
    options = RenderOptions(color=color, width=width, root=root, base=base)
    return FORMATS.load(fmt).from_options(options)
