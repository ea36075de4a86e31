"""Sorted sets: aioredis 1.x takes the score before the member."""

import asyncio
import os

import aioredis

URL = os.environ["REDIS_URL"]


async def main() -> None:
    redis = await aioredis.create_redis(URL, encoding="utf-8")
    print(await redis.zadd("board", 10, "ann", 20, "bob", 5, "cid"))
    print(await redis.zadd("board", 99, "ann", exist=redis.ZSET_IF_NOT_EXIST))
    print(await redis.zadd("board", 30, "cid", 1, "dan", changed=True))
    print(await redis.zincrby("board", 2.5, "bob"))
    for member, score in await redis.zrange("board", 0, -1, withscores=True):
        print(member, float(score))
    redis.close()
    await redis.wait_closed()


asyncio.run(main())
