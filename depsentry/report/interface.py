"""The interface every report format implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

from depsentry.models import ScanResult


class Renderer(ABC):
    """Turns a `ScanResult` into text. Pure: no I/O, no clock, no environment."""

    @abstractmethod
    def render(self, result: ScanResult) -> str:
        """Return the whole report."""
