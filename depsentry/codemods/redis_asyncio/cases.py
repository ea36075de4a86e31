"""Before/after examples of the redis-asyncio codemod; tests/codemods run every one.

Each rule of transform.py has a case; `after=None` means the code is left exactly as it is.
"""

from __future__ import annotations

from depsentry.codemods.interface import Case

CASES: tuple[Case, ...] = (
    Case(
        name="import-module",
        before=(
            "import asyncio\n"
            "\n"
            "import aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    redis = await aioredis.create_redis_pool("redis://localhost")\n'
            '    await redis.set("a", "1")\n'
            "    redis.close()\n"
            "    await redis.wait_closed()\n"
        ),
        after=(
            "import asyncio\n"
            "\n"
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    redis = aioredis.from_url("redis://localhost", max_connections=10)\n'
            '    await redis.set("a", "1")\n'
            "    await redis.aclose()\n"
        ),
    ),
    Case(
        name="import-alias",
        before=(
            "import aioredis as ar\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = await ar.create_redis_pool("redis://localhost", maxsize=5, minsize=2)\n'
            "    await r.ping()\n"
        ),
        after=(
            "from redis import asyncio as ar\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = ar.from_url("redis://localhost", max_connections=5)\n'
            "    await r.ping()\n"
        ),
    ),
    Case(
        name="encoding-decodes",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = await aioredis.create_redis_pool("redis://h", encoding="utf-8", db=1, password=secret)\n'
            '    return await r.get("a", encoding="utf-8")\n'
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = aioredis.from_url("redis://h", encoding="utf-8", decode_responses=True, db=1, password=secret, max_connections=10)\n'
            '    return await r.get("a")\n'
        ),
    ),
    Case(
        name="address-tuple",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main(port):\n"
            '    a = await aioredis.create_redis(("localhost", 6379), timeout=3)\n'
            '    b = await aioredis.create_redis_pool(("localhost", port))\n'
            '    c = await aioredis.create_connection("/tmp/redis.sock", loop=loop)\n'
            "    d = await aioredis.create_redis_pool(address, ssl=context)\n"
            '    e = await aioredis.create_redis_pool("redis://h", ssl=True)\n'
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main(port):\n"
            '    a = aioredis.from_url("redis://localhost:6379", socket_connect_timeout=3, single_connection_client=True)\n'
            '    b = aioredis.from_url(f"redis://localhost:{port}", max_connections=10)\n'
            '    c = aioredis.from_url("unix:///tmp/redis.sock", single_connection_client=True)\n'
            "    # TODO(depsentry): from_url() takes a redis:// URL: check that address is one (aioredis also took (host, port) tuples and socket paths)\n"
            "    # TODO(depsentry): aioredis took ssl=True or an SSLContext: use a rediss:// URL and the ssl_* keywords\n"
            "    d = aioredis.from_url(address, ssl=context, max_connections=10)\n"
            '    e = aioredis.from_url("rediss://h", max_connections=10)\n'
        ),
    ),
    Case(
        name="create-pool",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    pool = await aioredis.create_pool("redis://localhost", maxsize=4)\n'
            "    redis = aioredis.Redis(pool)\n"
            '    await redis.get("a")\n'
            "    redis.close()\n"
            "    await redis.wait_closed()\n"
            "    pool.close()\n"
            "    await pool.wait_closed()\n"
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    pool = aioredis.ConnectionPool.from_url("redis://localhost", max_connections=4)\n'
            "    redis = aioredis.Redis(connection_pool=pool)\n"
            '    await redis.get("a")\n'
            "    await redis.aclose()\n"
            "    await pool.aclose()\n"
        ),
    ),
    Case(
        name="create-pool-raw",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    pool = await aioredis.create_pool("redis://localhost")\n'
            "    with await pool as conn:\n"
            '        await conn.execute("get", "a")\n'
            '    await pool.execute("set", "a", 1)\n'
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    pool = aioredis.ConnectionPool.from_url("redis://localhost", max_connections=10)\n'
            "    # TODO(depsentry): aioredis 1.x `with await pool as conn`: redis.asyncio clients take commands directly (a connection per command from the pool)\n"
            "    with await pool as conn:\n"
            '        await conn.execute("get", "a")\n'
            "    # TODO(depsentry): aioredis 1.x pool.execute(): redis.asyncio pools do not run commands; use a Redis(connection_pool=pool) client\n"
            '    await pool.execute("set", "a", 1)\n'
        ),
    ),
    Case(
        name="from-import-factories",
        before=(
            "from aioredis import ReplyError, create_pool, create_redis_pool\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = await create_redis_pool("redis://h")\n'
            '    p = await create_pool("redis://h")\n'
            "    try:\n"
            '        await r.get("a")\n'
            "    except ReplyError:\n"
            "        pass\n"
        ),
        after=(
            "from redis.asyncio import ConnectionPool, ResponseError, from_url\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = from_url("redis://h", max_connections=10)\n'
            '    p = ConnectionPool.from_url("redis://h", max_connections=10)\n'
            "    try:\n"
            '        await r.get("a")\n'
            "    except ResponseError:\n"
            "        pass\n"
        ),
    ),
    Case(
        name="errors-renamed",
        before=(
            "import aioredis\n"
            "from aioredis.errors import ConnectionClosedError as Closed\n"
            "\n"
            "\n"
            "def handle(exc):\n"
            "    return isinstance(exc, (aioredis.ReplyError, aioredis.errors.WatchVariableError, Closed))\n"
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "from redis.exceptions import ConnectionError as Closed\n"
            "\n"
            "\n"
            "def handle(exc):\n"
            "    return isinstance(exc, (aioredis.ResponseError, aioredis.WatchError, Closed))\n"
        ),
    ),
    Case(
        name="errors-more",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "def handle(exc):\n"
            "    return isinstance(exc, (aioredis.exceptions.LockError, aioredis.exceptions.DataError))\n"
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "from redis.exceptions import LockError\n"
            "\n"
            "\n"
            "def handle(exc):\n"
            "    return isinstance(exc, (LockError, aioredis.DataError))\n"
        ),
    ),
    Case(
        name="no-equivalent",
        before=(
            "import aioredis\n"
            "from aioredis import Channel\n"
            "\n"
            "\n"
            "def f(ch: Channel) -> aioredis.MultiExecError:\n"
            "    return aioredis.GeoPoint\n"
        ),
        after=(
            "# TODO(depsentry): aioredis.Channel: redis-py pub/sub has no channel objects: use r.pubsub() and get_message()\n"
            "from aioredis import Channel\n"
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "# TODO(depsentry): aioredis.MultiExecError: redis-py raises the failing command's own error from execute()\n"
            "def f(ch: Channel) -> aioredis.MultiExecError:\n"
            "    # TODO(depsentry): aioredis.GeoPoint: redis-py returns plain lists for GEO replies\n"
            "    return aioredis.GeoPoint\n"
        ),
    ),
    Case(
        name="not-awaited-factory",
        before=(
            "import asyncio\n"
            "\n"
            "import aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = await asyncio.wait_for(aioredis.create_redis_pool("redis://h"), 5)\n'
        ),
        after=(
            "import asyncio\n"
            "\n"
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            "    # TODO(depsentry): aioredis 1.x create_redis_pool() is a coroutine; its redis.asyncio replacement is not: call it without await\n"
            '    r = await asyncio.wait_for(aioredis.create_redis_pool("redis://h"), 5)\n'
        ),
    ),
    Case(
        name="one-line-close",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = await aioredis.create_redis("redis://h")\n'
            "    r.close(); await r.wait_closed()\n"
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = aioredis.from_url("redis://h", single_connection_client=True)\n'
            "    await r.aclose()\n"
        ),
    ),
    Case(
        name="close-in-sync-function",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "class App:\n"
            "    async def start(self):\n"
            '        self.redis = await aioredis.create_redis_pool("redis://h")\n'
            "\n"
            "    def stop(self):\n"
            "        self.redis.close()\n"
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "class App:\n"
            "    async def start(self):\n"
            '        self.redis = aioredis.from_url("redis://h", max_connections=10)\n'
            "\n"
            "    def stop(self):\n"
            "        # TODO(depsentry): redis.asyncio closes with a coroutine: `await self.redis.aclose()`\n"
            "        self.redis.close()\n"
        ),
    ),
    Case(
        name="wait-closed-only-statement",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def stop(redis):\n"
            "    redis.close()\n"
            "    if redis:\n"
            "        await redis.wait_closed()\n"
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def stop(redis):\n"
            "    await redis.aclose()\n"
            "    if redis:\n"
            "        pass\n"
        ),
    ),
    Case(
        name="commands-set",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main(ttl):\n"
            '    r = await aioredis.create_redis_pool("redis://h")\n'
            '    await r.set("a", 1, expire=10)\n'
            '    await r.set("a", 1, pexpire=500, exist=r.SET_IF_NOT_EXIST)\n'
            '    await r.set("a", 1, expire=0)\n'
            '    await r.set("a", 1, expire=ttl)\n'
            '    await r.set("a", 1, exist=flag)\n'
            '    created = await r.set("a", 1, exist=r.SET_IF_NOT_EXIST)\n'
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main(ttl):\n"
            '    r = aioredis.from_url("redis://h", max_connections=10)\n'
            '    await r.set("a", 1, ex=10)\n'
            '    await r.set("a", 1, px=500, nx=True)\n'
            '    await r.set("a", 1)\n'
            '    await r.set("a", 1, ex=ttl or None)\n'
            "    # TODO(depsentry): aioredis 1.x set(exist=...): use nx=True or xx=True\n"
            '    await r.set("a", 1, exist=flag)\n'
            '    created = bool(await r.set("a", 1, nx=True))\n'
        ),
    ),
    Case(
        name="commands-zadd",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = await aioredis.create_redis_pool("redis://h")\n'
            '    await r.zadd("z", 1, "a")\n'
            '    await r.zadd("z", 1, "a", 2, "b", exist=aioredis.Redis.ZSET_IF_EXIST, changed=True)\n'
            '    await r.zadd("z", 1, "a", incr=True)\n'
            '    await r.zadd("z", *pairs)\n'
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = aioredis.from_url("redis://h", max_connections=10)\n'
            '    await r.zadd("z", {"a": 1})\n'
            '    await r.zadd("z", {"a": 1, "b": 2}, xx=True, ch=True)\n'
            '    await r.zadd("z", {"a": 1}, incr=True)\n'
            "    # TODO(depsentry): aioredis 1.x zadd(key, score, member, ...): use zadd(key, {member: score})\n"
            '    await r.zadd("z", *pairs)\n'
        ),
    ),
    Case(
        name="commands-eval",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main(keys, argv):\n"
            '    r = await aioredis.create_redis_pool("redis://h")\n'
            '    await r.eval("return 1", keys=["a", "b"], args=[1, 2])\n'
            '    await r.eval("return 1", keys, argv)\n'
            "    await r.evalsha(sha, args=argv)\n"
            '    await r.eval("return 1")\n'
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main(keys, argv):\n"
            '    r = aioredis.from_url("redis://h", max_connections=10)\n'
            '    await r.eval("return 1", 2, "a", "b", 1, 2)\n'
            '    await r.eval("return 1", len(keys), *keys, *argv)\n'
            "    await r.evalsha(sha, 0, *argv)\n"
            '    await r.eval("return 1", 0)\n'
        ),
    ),
    Case(
        name="commands-hashes",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main(d):\n"
            '    r = await aioredis.create_redis_pool("redis://h")\n'
            '    await r.hmset_dict("h", d)\n'
            '    await r.hmset_dict("h", d, c=3)\n'
            '    await r.hmset_dict("h", a=1, **extra)\n'
            '    await r.hmset("h", "a", 1, "b", 2)\n'
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main(d):\n"
            '    r = aioredis.from_url("redis://h", max_connections=10)\n'
            '    await r.hset("h", mapping=d)\n'
            '    await r.hset("h", mapping={**d, "c": 3})\n'
            '    await r.hset("h", mapping={"a": 1, **extra})\n'
            '    await r.hset("h", mapping={"a": 1, "b": 2})\n'
        ),
    ),
    Case(
        name="commands-scan-and-execute",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = await aioredis.create_redis("redis://h")\n'
            '    async for key in r.iscan(match="a*"):\n'
            "        print(key)\n"
            '    async for field, value in r.ihscan("h", count=10):\n'
            "        print(field, value)\n"
            '    await r.execute("PING")\n'
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = aioredis.from_url("redis://h", single_connection_client=True)\n'
            '    async for key in r.scan_iter(match="a*"):\n'
            "        print(key)\n"
            '    async for field, value in r.hscan_iter("h", count=10):\n'
            "        print(field, value)\n"
            '    await r.execute_command("PING")\n'
        ),
    ),
    Case(
        name="commands-encoding",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = await aioredis.create_redis_pool("redis://h", encoding="utf-8")\n'
            '    raw = await aioredis.create_redis_pool("redis://h")\n'
            '    await r.get("a", encoding="utf-8")\n'
            '    await r.get("a", encoding=None)\n'
            '    await raw.hgetall("h", encoding="utf-8")\n'
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = aioredis.from_url("redis://h", encoding="utf-8", decode_responses=True, max_connections=10)\n'
            '    raw = aioredis.from_url("redis://h", max_connections=10)\n'
            '    await r.get("a")\n'
            "    # TODO(depsentry): encoding=None asked for raw bytes from a decoding client: use a second client without decode_responses for these reads\n"
            '    await r.get("a", encoding=None)\n'
            "    # TODO(depsentry): redis-py has no per-call encoding=: create the client with decode_responses=True (this decodes every reply)\n"
            '    await raw.hgetall("h", encoding="utf-8")\n'
        ),
    ),
    Case(
        name="commands-transactions-pubsub",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = await aioredis.create_redis_pool("redis://h")\n'
            "    tr = r.multi_exec()\n"
            '    tr.set("a", 1)\n'
            "    await tr.execute()\n"
            '    ch, = await r.subscribe("news")\n'
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = aioredis.from_url("redis://h", max_connections=10)\n'
            "    # TODO(depsentry): aioredis 1.x transactions return futures: use `async with r.pipeline(transaction=True) as p:` (calls not awaited) and `await p.execute()`\n"
            "    tr = r.multi_exec()\n"
            '    tr.set("a", 1)\n'
            "    await tr.execute()\n"
            "    # TODO(depsentry): aioredis 1.x returned Channel objects: use `ps = r.pubsub()`, `await ps.subscribe(...)` and `ps.get_message()`\n"
            '    ch, = await r.subscribe("news")\n'
        ),
    ),
    Case(
        name="unrecognised-1x-calls",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main(redis):\n"
            '    await redis.zadd("z", 1, "a")\n'
            '    await redis.set("a", 1, expire=5)\n'
            '    await redis.eval("return 1", keys=["a"])\n'
            '    await redis.get("a")\n'
            "    redis.close()\n"
            "    await redis.wait_closed()\n"
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main(redis):\n"
            "    # TODO(depsentry): if redis is an aioredis 1.x client, zadd() takes other arguments in redis-py (see the README's redis-asyncio table)\n"
            '    await redis.zadd("z", 1, "a")\n'
            "    # TODO(depsentry): if redis is an aioredis 1.x client, set() takes other arguments in redis-py (see the README's redis-asyncio table)\n"
            '    await redis.set("a", 1, expire=5)\n'
            "    # TODO(depsentry): if redis is an aioredis 1.x client, eval() takes other arguments in redis-py (see the README's redis-asyncio table)\n"
            '    await redis.eval("return 1", keys=["a"])\n'
            '    await redis.get("a")\n'
            "    await redis.aclose()\n"
        ),
    ),
    Case(
        name="aioredis2-module",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    redis = aioredis.from_url("redis://localhost", decode_responses=True)\n'
            '    await redis.set("a", "1", ex=5)\n'
            "    await redis.close()\n"
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    redis = aioredis.from_url("redis://localhost", decode_responses=True)\n'
            '    await redis.set("a", "1", ex=5)\n'
            "    await redis.aclose()\n"
        ),
    ),
    Case(
        name="aioredis2-pool-owned",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    pool = aioredis.ConnectionPool.from_url("redis://localhost", max_connections=10)\n'
            "    redis = aioredis.Redis(connection_pool=pool)\n"
            '    await redis.get("a")\n'
            "    await redis.close()\n"
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    pool = aioredis.ConnectionPool.from_url("redis://localhost", max_connections=10)\n'
            "    redis = aioredis.Redis.from_pool(pool)\n"
            '    await redis.get("a")\n'
            "    await redis.aclose()\n"
        ),
    ),
    Case(
        name="pool-shared-never-closed",
        before=(
            "from redis.asyncio import ConnectionPool, Redis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    pool = ConnectionPool.from_url("redis://localhost")\n'
            "    a = Redis(connection_pool=pool)\n"
            "    b = Redis(connection_pool=pool)\n"
        ),
        after=(
            "from redis.asyncio import ConnectionPool, Redis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    pool = ConnectionPool.from_url("redis://localhost")\n'
            "    # TODO(depsentry): pool is never closed: Redis(connection_pool=...) does not close its pool; `await pool.aclose()` when its clients are done\n"
            "    a = Redis(connection_pool=pool)\n"
            "    # TODO(depsentry): pool is never closed: Redis(connection_pool=...) does not close its pool; `await pool.aclose()` when its clients are done\n"
            "    b = Redis(connection_pool=pool)\n"
        ),
    ),
    Case(
        name="pool-closed-left-alone",
        before=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    pool = aioredis.ConnectionPool.from_url("redis://localhost")\n'
            "    redis = aioredis.Redis(connection_pool=pool)\n"
            "    await redis.aclose()\n"
            "    await pool.aclose()\n"
        ),
    ),
    Case(
        name="aioredis2-submodules",
        before=(
            "from aioredis.client import Redis\n"
            "from aioredis.exceptions import ResponseError, LockError\n"
            "from aioredis import StrictRedis\n"
            "\n"
            "\n"
            "def f() -> StrictRedis:\n"
            "    return Redis\n"
        ),
        after=(
            "from redis.asyncio import StrictRedis\n"
            "from redis.asyncio.client import Redis\n"
            "from redis.exceptions import LockError, ResponseError\n"
            "\n"
            "\n"
            "def f() -> StrictRedis:\n"
            "    return Redis\n"
        ),
    ),
    Case(
        name="nested-import",
        before=(
            "def connect():\n"
            "    import aioredis\n"
            "    from aioredis import ReplyError, Redis\n"
            "\n"
            '    return aioredis.from_url("redis://h"), ReplyError\n'
        ),
        after=(
            "def connect():\n"
            "    from redis import asyncio as aioredis\n"
            "    from redis.asyncio import Redis, ResponseError\n"
            "\n"
            '    return aioredis.from_url("redis://h"), ResponseError\n'
        ),
    ),
    Case(
        name="strict-redis",
        before=(
            "import redis\n"
            "from redis import StrictRedis\n"
            "\n"
            'a = redis.StrictRedis(host="localhost")\n'
            'b = StrictRedis.from_url("redis://h")\n'
        ),
        after=(
            "import redis\n"
            "from redis import Redis\n"
            "\n"
            'a = redis.Redis(host="localhost")\n'
            'b = Redis.from_url("redis://h")\n'
        ),
    ),
    Case(
        name="strict-redis-alias",
        before=("from redis import StrictRedis as SR\n\na = SR()\n"),
        after=("from redis import Redis as SR\n\na = SR()\n"),
    ),
    Case(
        name="pool-ignores-host",
        before=(
            "import redis\n"
            "\n"
            'pool = redis.ConnectionPool(host="a")\n'
            'r = redis.Redis(host="b", port=6380, db=1, connection_pool=pool)\n'
            "s = redis.Redis(connection_pool=pool, single_connection_client=True)\n"
        ),
        after=(
            "import redis\n"
            "\n"
            'pool = redis.ConnectionPool(host="a")\n'
            "# TODO(depsentry): db, host, port ignored: redis-py uses the connection_pool's settings (set them on the pool)\n"
            'r = redis.Redis(host="b", port=6380, db=1, connection_pool=pool)\n'
            "s = redis.Redis(connection_pool=pool, single_connection_client=True)\n"
        ),
    ),
    Case(
        name="redis2-order",
        before=(
            "import redis\n"
            "\n"
            "r = redis.Redis()\n"
            "s = redis.StrictRedis()\n"
            'r.setex("k", "v", 10)\n'
            'r.lrem("l", "v")\n'
            'r.lrem("l", "v", num=2)\n'
            'r.zadd("z", "m1", 1.5, m2=2)\n'
            's.zadd("z", 1.5, "m1")\n'
            's.setex("k", 10, "v")\n'
            's.lrem("l", 1, "v")\n'
            'r.zincrby("z", "m1")\n'
            's.zincrby("z", "m1", 2)\n'
            "r.mset(a=1, b=2)\n"
            'r.mset({"a": 1})\n'
        ),
        after=(
            "import redis\n"
            "\n"
            "r = redis.Redis()\n"
            "s = redis.StrictRedis()\n"
            'r.setex("k", time=10, value="v")\n'
            'r.lrem("l", count=0, value="v")\n'
            'r.lrem("l", count=2, value="v")\n'
            'r.zadd("z", {"m1": 1.5, "m2": 2})\n'
            's.zadd("z", {"m1": 1.5})\n'
            's.setex("k", time=10, value="v")\n'
            's.lrem("l", count=1, value="v")\n'
            'r.zincrby("z", amount=1, value="m1")\n'
            's.zincrby("z", amount=2, value="m1")\n'
            'r.mset({"a": 1, "b": 2})\n'
            'r.mset({"a": 1})\n'
        ),
        options={"from": "2.10"},
    ),
    Case(
        name="redis2-unrecognised",
        before=(
            "import redis\n"
            "\n"
            "\n"
            "def f(client):\n"
            '    client.setex("k", "v", 10)\n'
            '    client.lrem("l", "v")\n'
            '    client.zincrby("z", "m")\n'
            '    client.zadd("z", "m", 1)\n'
            '    client.get("k")\n'
        ),
        after=(
            "import redis\n"
            "\n"
            "\n"
            "def f(client):\n"
            "    # TODO(depsentry): if client is a redis-py 2.x client, setex() takes its arguments in another order in 3.0\n"
            '    client.setex("k", "v", 10)\n'
            "    # TODO(depsentry): if client is a redis-py 2.x client, lrem() takes its arguments in another order in 3.0\n"
            '    client.lrem("l", "v")\n'
            "    # TODO(depsentry): if client is a redis-py 2.x client, zincrby() takes its arguments in another order in 3.0\n"
            '    client.zincrby("z", "m")\n'
            "    # TODO(depsentry): if client is a redis-py 2.x client, zadd() takes its arguments in another order in 3.0\n"
            '    client.zadd("z", "m", 1)\n'
            '    client.get("k")\n'
        ),
        options={"from": "2"},
    ),
    Case(
        name="redis2-order-off-by-default",
        before=('import redis\n\nr = redis.Redis()\nr.setex("k", "v", 10)\n'),
    ),
    Case(
        name="redis3-already",
        before=(
            'import redis\n\nr = redis.Redis()\nr.setex("k", 10, "v")\nr.zadd("z", {"a": 1})\n'
        ),
        options={"from": "3"},
    ),
    Case(
        name="unrelated-redis-word",
        before=(
            "import os\n"
            "\n"
            'REDIS_URL = os.environ["REDIS_URL"]\n'
            "\n"
            "\n"
            "def redis_close(x):\n"
            "    x.close()\n"
        ),
    ),
    Case(
        name="redis-asyncio-already",
        before=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main():\n"
            '    r = aioredis.from_url("redis://h")\n'
            "    await r.aclose()\n"
        ),
    ),
    Case(
        name="other-close-untouched",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main(f, writer, pg_pool):\n"
            "    f.close()\n"
            "    writer.close()\n"
            "    await writer.wait_closed()\n"
            "    pg_pool.close()\n"
            "    await pg_pool.wait_closed()\n"
            "    await asyncio.gather(writer.wait_closed())\n"
            '    r = aioredis.from_url("redis://h")\n'
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main(f, writer, pg_pool):\n"
            "    f.close()\n"
            "    writer.close()\n"
            "    await writer.wait_closed()\n"
            "    pg_pool.close()\n"
            "    await pg_pool.wait_closed()\n"
            "    await asyncio.gather(writer.wait_closed())\n"
            '    r = aioredis.from_url("redis://h")\n'
        ),
    ),
    Case(
        name="edge-imports",
        before=(
            "import aioredis.commands\n"
            "from aioredis import StrictRedis, LockError, Frobnicator\n"
            "from aioredis.pool import ConnectionsPool\n"
            "from . import aioredis_helpers\n"
            "\n"
            "handler = lambda exc: isinstance(exc, aioredis.StrictRedis)\n"
            "\n"
            "\n"
            "def f():\n"
            "    import os, aioredis\n"
            "    from aioredis import Channel, ReplyError\n"
            "    from redis import StrictRedis as Strict\n"
            "    return aioredis.Frobnicator, StrictRedis, Strict\n"
        ),
        after=(
            "# TODO(depsentry): import aioredis.commands: import the redis-py module it moved to instead\n"
            "from redis.asyncio import Redis\n"
            "from redis.exceptions import LockError\n"
            "\n"
            "import aioredis.commands\n"
            "# TODO(depsentry): aioredis.Frobnicator: no redis.asyncio name of that name\n"
            "from aioredis import Frobnicator\n"
            "# TODO(depsentry): from aioredis.pool import ...: no redis-py module with the same names\n"
            "from aioredis.pool import ConnectionsPool\n"
            "from . import aioredis_helpers\n"
            "\n"
            "handler = lambda exc: isinstance(exc, aioredis.Redis)\n"
            "\n"
            "\n"
            "def f():\n"
            "    # TODO(depsentry): import aioredis: use `from redis import asyncio as aioredis`\n"
            "    import os, aioredis\n"
            "    # TODO(depsentry): aioredis.Channel: redis-py pub/sub has no channel objects: use r.pubsub() and get_message()\n"
            "    from redis.asyncio import ResponseError; from aioredis import Channel\n"
            "    from redis import Redis as Strict\n"
            "    # TODO(depsentry): aioredis.Frobnicator: no redis.asyncio name of that name\n"
            "    return aioredis.Frobnicator, Redis, Strict\n"
        ),
    ),
    Case(
        name="edge-star-import",
        before=("from aioredis import *\n"),
        after=(
            "# TODO(depsentry): from aioredis import ...: no redis-py module with the same names\n"
            "from aioredis import *\n"
        ),
    ),
    Case(
        name="edge-nested-strict",
        before=("def make():\n    from redis import StrictRedis\n\n    return StrictRedis()\n"),
        after=("def make():\n    from redis import Redis\n\n    return Redis()\n"),
    ),
    Case(
        name="edge-shadowed-strict",
        before=("from redis import StrictRedis\n\n\ndef f(StrictRedis):\n    return StrictRedis\n"),
        after=("from redis import Redis\n\n\ndef f(StrictRedis):\n    return StrictRedis\n"),
    ),
    Case(
        name="edge-factories",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "class Cache:\n"
            "    async def start(self, settings, cfg, enc, args):\n"
            "        self.redis: aioredis.Redis = await aioredis.create_redis_pool(settings.REDIS_URL, encoding=enc)\n"
            '        a = await aioredis.create_redis_pool("/tmp/my redis.sock")\n'
            '        b = await aioredis.create_redis_pool((cfg["host"], 6379))\n'
            '        c = await aioredis.create_redis_pool(address="redis://h", ssl=True)\n'
            "        d = await aioredis.create_redis_pool('redis://h', ssl=True)\n"
            "        e = await aioredis.create_redis_pool(*args)\n"
            '        f = await aioredis.create_redis_pool("redis://h", "x")\n'
            '        g = await aioredis.create_redis_pool(("my host", 1))\n'
            '        h = await aioredis.create_redis_pool("redis://h", parser=p, name="n", bogus=1)\n'
            '        await self.redis.get("k", encoding=enc)\n'
            '        i = aioredis.Redis("localhost")\n'
            "        await asyncio.gather(self.redis.wait_closed())\n"
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "class Cache:\n"
            "    async def start(self, settings, cfg, enc, args):\n"
            "        self.redis: aioredis.Redis = aioredis.from_url(settings.REDIS_URL, encoding=enc, decode_responses=True, max_connections=10)\n"
            '        # TODO(depsentry): from_url() takes a redis:// URL: check that "/tmp/my redis.sock" is one (aioredis also took (host, port) tuples and socket paths)\n'
            '        a = aioredis.from_url("/tmp/my redis.sock", max_connections=10)\n'
            '        b = aioredis.from_url("redis://{}:{}".format(cfg["host"], 6379), max_connections=10)\n'
            '        c = aioredis.from_url("rediss://h", max_connections=10)\n'
            "        d = aioredis.from_url('rediss://h', max_connections=10)\n"
            "        # TODO(depsentry): aioredis 1.x create_redis_pool(): rewrite by hand (keyword arguments only)\n"
            "        e = await aioredis.create_redis_pool(*args)\n"
            "        # TODO(depsentry): aioredis 1.x create_redis_pool(): rewrite by hand (keyword arguments only)\n"
            '        f = await aioredis.create_redis_pool("redis://h", "x")\n'
            '        g = aioredis.from_url("redis://{}:{}".format("my host", 1), max_connections=10)\n'
            "        # TODO(depsentry): redis-py picks its parser itself (hiredis when installed)\n"
            "        # TODO(depsentry): redis-py takes client_name=\n"
            "        # TODO(depsentry): aioredis 1.x create_redis_pool(bogus=...): no redis-py equivalent\n"
            '        h = aioredis.from_url("redis://h", parser=p, name="n", bogus=1, max_connections=10)\n'
            "        # TODO(depsentry): redis-py has no per-call encoding=: create the client with decode_responses=True (this decodes every reply)\n"
            '        await self.redis.get("k", encoding=enc)\n'
            '        i = aioredis.Redis("localhost")\n'
            "        # TODO(depsentry): wait_closed() is gone: `await x.aclose()` closes and waits\n"
            "        await asyncio.gather(self.redis.wait_closed())\n"
        ),
    ),
    Case(
        name="edge-commands-1x",
        before=(
            "import aioredis\n"
            "\n"
            "\n"
            "async def main(s, a, keys, flag):\n"
            '    r = await aioredis.create_redis_pool("redis://h")\n'
            '    await r.set("a", expire=5)\n'
            '    await r.set("a", 1, expire=5, extra=True)\n'
            '    await r.zadd("z", 1, "a", exist=flag)\n'
            '    await r.zadd("z", 1, "a", 2)\n'
            "    await r.eval(s, *a)\n"
            "    await r.eval(s, keys, keys=keys)\n"
            '    await r.hmset_dict("h", *a)\n'
            '    await r.hmset("h", {"a": 1})\n'
            '    await r.hmset("h", "a")\n'
            '    await r.psubscribe("p*")\n'
            "    await r.get_connection()\n"
        ),
        after=(
            "from redis import asyncio as aioredis\n"
            "\n"
            "\n"
            "async def main(s, a, keys, flag):\n"
            '    r = aioredis.from_url("redis://h", max_connections=10)\n'
            "    # TODO(depsentry): aioredis 1.x set(): expire= -> ex=, pexpire= -> px=, exist= -> nx=/xx=\n"
            '    await r.set("a", expire=5)\n'
            '    await r.set("a", 1, ex=5, extra=True)\n'
            "    # TODO(depsentry): aioredis 1.x zadd(exist=...): use nx=True or xx=True\n"
            '    await r.zadd("z", {"a": 1}, exist=flag)\n'
            "    # TODO(depsentry): aioredis 1.x zadd(key, score, member, ...): use zadd(key, {member: score})\n"
            '    await r.zadd("z", 1, "a", 2)\n'
            "    # TODO(depsentry): aioredis 1.x eval(script, keys=, args=): use eval(script, numkeys, *keys, *args)\n"
            "    await r.eval(s, *a)\n"
            "    # TODO(depsentry): aioredis 1.x eval(): keys given twice\n"
            "    await r.eval(s, keys, keys=keys)\n"
            "    # TODO(depsentry): aioredis 1.x hmset_dict(key, mapping): use hset(key, mapping=mapping)\n"
            '    await r.hmset_dict("h", *a)\n'
            '    await r.hset("h", mapping={"a": 1})\n'
            "    # TODO(depsentry): aioredis 1.x hmset(key, field, value, ...): use hset(key, mapping={...})\n"
            '    await r.hmset("h", "a")\n'
            "    # TODO(depsentry): aioredis 1.x returned Channel objects: use `ps = r.pubsub()`, `await ps.psubscribe(...)` and `ps.get_message()`\n"
            '    await r.psubscribe("p*")\n'
            "    # TODO(depsentry): redis-py pools hand out connections with get_connection()/release()\n"
            "    await r.get_connection()\n"
        ),
    ),
    Case(
        name="edge-commands-2x",
        before=(
            "import redis\n"
            "\n"
            "r = redis.Redis()\n"
            "s = redis.StrictRedis()\n"
            'r.setex("k", "v")\n'
            's.lrem("l", "v")\n'
            'r.lrem("l", "v", 1, 2)\n'
            'r.zincrby("z")\n'
            'r.zadd("z", "m")\n'
            'r.zadd("z", m=1)\n'
            'r.get("k")\n'
        ),
        after=(
            "import redis\n"
            "\n"
            "r = redis.Redis()\n"
            "s = redis.StrictRedis()\n"
            "# TODO(depsentry): redis-py 3.0 setex() takes (name, time, value)\n"
            'r.setex("k", "v")\n'
            "# TODO(depsentry): redis-py 3.0 lrem() takes (name, count, value)\n"
            's.lrem("l", "v")\n'
            "# TODO(depsentry): redis-py 3.0 lrem() takes (name, count, value)\n"
            'r.lrem("l", "v", 1, 2)\n'
            "# TODO(depsentry): redis-py 3.0 zincrby() takes (name, amount, value)\n"
            'r.zincrby("z")\n'
            "# TODO(depsentry): redis-py 3.0 zadd() takes (name, {member: score, ...})\n"
            'r.zadd("z", "m")\n'
            'r.zadd("z", {"m": 1})\n'
            'r.get("k")\n'
        ),
        options={"from": "2"},
    ),
    Case(
        name="edge-factory-import-kept",
        before=(
            "from aioredis import create_redis_pool, create_pool\n"
            "\n"
            "\n"
            "async def main(args):\n"
            "    r = await create_redis_pool(*args)\n"
            '    p = await create_pool("redis://h")\n'
        ),
        after=(
            "from aioredis import create_redis_pool\n"
            "from redis.asyncio import ConnectionPool\n"
            "\n"
            "\n"
            "async def main(args):\n"
            "    # TODO(depsentry): aioredis 1.x create_redis_pool(): rewrite by hand (keyword arguments only)\n"
            "    r = await create_redis_pool(*args)\n"
            '    p = ConnectionPool.from_url("redis://h", max_connections=10)\n'
        ),
    ),
)
