"""One raw connection: commands sent with execute() (replies redis-py parses the same way).

# behaviour: todos=3
"""

import asyncio
import os

import aioredis

HOST, PORT = "127.0.0.1", int(os.environ["REDIS_PORT"])


async def main() -> None:
    conn = await aioredis.create_connection((HOST, PORT), db=2)
    await conn.execute("SET", "raw", "value")
    print(await conn.execute("GET", "raw"))
    print(await conn.execute("RPUSH", "queue", "a", "b", "c"))
    print(await conn.execute("LRANGE", "queue", 0, -1))
    conn.close()
    await conn.wait_closed()


asyncio.run(main())
