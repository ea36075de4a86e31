"""Sample data and a settable clock shared by the index tests."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.servers.index_server import IndexFile


def when(year: int, month: int = 1, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def demo_files() -> list[IndexFile]:
    return [
        IndexFile("demo-1.0.tar.gz", upload_time=when(2022, 1, 1)),
        IndexFile("demo-1.0-py3-none-any.whl", upload_time=when(2022, 1, 2)),
        IndexFile("demo-1.1.tar.gz", requires_python=">=3.8", upload_time=when(2022, 6, 1)),
        IndexFile("demo-2.0.tar.gz", yanked="broken build", upload_time=when(2023, 1, 1)),
        IndexFile("demo-2.1b1.tar.gz", upload_time=when(2023, 3, 1)),
    ]


class Clock:
    """A settable clock for the cache, so tests age entries without sleeping."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now
