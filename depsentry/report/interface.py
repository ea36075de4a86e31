"""The interface every report format implements, and the options renderers are built with."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

from depsentry.models import ScanResult

if TYPE_CHECKING:
    from depsentry.models.readiness import ReadinessReport


@dataclass(frozen=True)
class RenderOptions:
    """What the caller knows about where the report goes; each renderer reads its own part.

    `color` and `width` are the terminal's (table); `root` is the repository root that paths are
    made relative to, and `base` the directory relative source paths start from (SARIF).
    """

    color: bool = False
    width: int | None = None
    root: str | None = None
    base: str | None = None


class Renderer(ABC):
    """Turns a `ScanResult` into text. Pure: no I/O, no clock, no environment."""

    @classmethod
    def from_options(cls, options: RenderOptions) -> Self:
        """Build this renderer for `options` (by default, ignoring them)."""
        return cls()

    @abstractmethod
    def render(self, result: ScanResult) -> str:
        """Return the whole report."""

    def chunks(self, result: ScanResult) -> Iterator[str]:
        """The report in pieces whose concatenation is `render(result)`, for a caller that
        writes them as they come (a big report never exists as one string)."""
        yield self.render(result)


class ReadinessRenderer(ABC):
    """Turns a `ReadinessReport` (`depsentry readiness`) into text. Pure, like `Renderer`."""

    @classmethod
    def from_options(cls, options: RenderOptions) -> Self:
        """Build this renderer for `options` (by default, ignoring them)."""
        return cls()

    @abstractmethod
    def render(self, report: ReadinessReport) -> str:
        """Return the whole report."""
