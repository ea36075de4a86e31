"""Iterating keys and hash fields with the 1.x async iterators; replies left as bytes."""

import asyncio
import os

import aioredis

URL = os.environ["REDIS_URL"]


async def main() -> None:
    redis = await aioredis.create_redis_pool(URL)
    for number in range(12):
        await redis.set(f"item:{number}", number)
    await redis.set("other", "x")
    found = [key async for key in redis.iscan(match="item:*", count=5)]
    print(sorted(found))
    await redis.hmset_dict("h", {"a": "1", "b": "2"})
    print(sorted([pair async for pair in redis.ihscan("h")]))
    print(await redis.get("other"))
    redis.close()
    await redis.wait_closed()


asyncio.run(main())
