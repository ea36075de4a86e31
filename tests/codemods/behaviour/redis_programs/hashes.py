"""Hashes through a raw pool wrapped in a client; both closed at the end."""

import asyncio
import os

import aioredis

HOST, PORT = "127.0.0.1", int(os.environ["REDIS_PORT"])


async def main() -> None:
    pool = await aioredis.create_pool((HOST, PORT), db=1, encoding="utf-8", maxsize=3)
    redis = aioredis.Redis(pool)
    await redis.hmset_dict("user:1", {"name": "ann", "age": "31"})
    await redis.hmset_dict("user:2", name="bob")
    await redis.hmset("user:3", "name", "cid", "age", "7")
    for key in ("user:1", "user:2", "user:3"):
        print(key, sorted((await redis.hgetall(key)).items()))
    redis.close()
    await redis.wait_closed()
    pool.close()
    await pool.wait_closed()


asyncio.run(main())
