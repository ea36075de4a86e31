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
    # "redis" finds the files; the rest keeps functions that may hold a 1.x or 2.x call on a
    # client passed in (a TODO) in the sub-file pre-filter's view.
    PREFILTER=(
        "redis",
        "wait_closed",
        "zadd",
        "hmset",
        "eval",
        "expire=",
        "exist=",
        "encoding=",
        "multi_exec",
        "iscan",
        "setex",
        "lrem",
        "zincrby",
        "mset",
        "blpop",
        "brpop",
        "bzpop",
        "blmove",
        "blmpop",
        "bzmpop",
        "xread",
    ),  # fmt: skip
    # `from`: the redis-py version the code was written for; `auto` reads the project's pin.
    OPTIONS={"from": ("auto", "2", "2.10", "3")},
)


def __getattr__(name: str) -> Any:
    if name == "RedisAsyncioCodemod":
        from .transform import RedisAsyncioCodemod

        return RedisAsyncioCodemod
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
