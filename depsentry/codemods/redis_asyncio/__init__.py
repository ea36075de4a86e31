"""The redis-asyncio codemod: aioredis 1.x/2.x -> redis.asyncio, and redis-py setup (transform.py).

`INFO` describes it without importing libcst; the class loads on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from depsentry.codemods.registry import CodemodInfo

if TYPE_CHECKING:
    from .transform import RedisAsyncioCodemod

__all__ = ["INFO", "RedisAsyncioCodemod"]

INFO = CodemodInfo(
    NAME="redis-asyncio",
    PACKAGE="aioredis",
    FROM=">=0",
    TO=">=0",
    DESCRIPTION="aioredis 1.x/2.x -> redis.asyncio; redis-py pool setup, 3.0 argument order",
    PREFILTER=("redis",),  # every rule needs an aioredis or redis import (see SUBTREE_KEEP)
    OPTIONS={"from": ("auto", "2", "2.10", "3")},
)


def __getattr__(name: str) -> Any:
    if name == "RedisAsyncioCodemod":
        from .transform import RedisAsyncioCodemod

        return RedisAsyncioCodemod
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
