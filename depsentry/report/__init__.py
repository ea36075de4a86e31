"""Report formats: the registry (registry.py), one renderer per format, and `summarize`."""

from __future__ import annotations

from depsentry.report.interface import Renderer, RenderOptions
from depsentry.report.registry import FORMATS, get_renderer
from depsentry.report.summary import summarize

__all__ = ["FORMATS", "RenderOptions", "Renderer", "get_renderer", "summarize"]
