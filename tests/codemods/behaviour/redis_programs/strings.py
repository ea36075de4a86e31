"""Strings with expiry and conditional sets, a Lua script, a pool closed with wait_closed()."""

import asyncio
import os

import aioredis

URL = os.environ["REDIS_URL"]


async def main() -> None:
    redis = await aioredis.create_redis_pool(URL, encoding="utf-8", minsize=1, maxsize=4)
    await redis.set("greeting", "hello", expire=100)
    await redis.set("plain", "no expiry", expire=0)
    print(await redis.set("greeting", "again", exist=redis.SET_IF_NOT_EXIST))
    print(await redis.set("missing", "x", exist=redis.SET_IF_EXIST))
    await redis.set("counter", 41)
    print(await redis.incr("counter"))
    print(await redis.get("greeting"), await redis.get("plain", encoding="utf-8"))
    print(await redis.ttl("plain"), (await redis.ttl("greeting")) > 0)
    script = "return {KEYS[1], KEYS[2], ARGV[1]}"
    print(await redis.eval(script, keys=["greeting", "plain"], args=["argument"]))
    redis.close()
    await redis.wait_closed()


asyncio.run(main())
