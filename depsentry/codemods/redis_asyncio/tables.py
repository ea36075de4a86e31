"""What the redis-asyncio codemod knows: aioredis 1.x/2.x names, factories, commands; redis-py setup.

Sources: aioredis-py tags v1.3.1 (`aioredis/__init__.py`, `pool.py`, `commands/*.py`) and v2.0.1
(`docs/migration.md`), redis-py `redis/asyncio/__init__.py`, `redis/client.py` and `CHANGES`
(3.0.0 and 5.0.1 to 8.0.0). shared/research/codemod-anchors.md section 3 has the details.
"""

from __future__ import annotations

from dataclasses import dataclass

# What `import aioredis` becomes: the aioredis 2.x README's own advice.
NEW_MODULE = "redis.asyncio"

# aioredis submodules -> their redis-py home (`None`: nothing equivalent, a TODO).
SUBMODULES: dict[str, str | None] = {
    "aioredis": "redis.asyncio",
    "aioredis.client": "redis.asyncio.client",
    "aioredis.connection": "redis.asyncio.connection",
    "aioredis.lock": "redis.asyncio.lock",
    "aioredis.utils": "redis.asyncio.utils",
    "aioredis.sentinel": "redis.asyncio.sentinel",
    "aioredis.exceptions": "redis.exceptions",
    "aioredis.errors": "redis.exceptions",
    "aioredis.commands": None,
    "aioredis.pool": None,
    "aioredis.pubsub": None,
    "aioredis.abc": None,
    "aioredis.parser": None,
    "aioredis.locks": None,
}

# Names `from redis.asyncio import ...` offers (redis-py 5.0.1+), beside the exceptions below.
ASYNCIO_NAMES = frozenset(
    {
        "Redis", "StrictRedis", "RedisCluster", "BlockingConnectionPool", "Connection",
        "ConnectionPool", "SSLConnection", "UnixDomainSocketConnection", "Sentinel",
        "SentinelConnectionPool", "SentinelManagedConnection", "SentinelManagedSSLConnection",
        "from_url", "default_backoff",
    }
)  # fmt: skip

# redis.exceptions names that redis.asyncio re-exports, and those only redis.exceptions has.
EXCEPTIONS = frozenset(
    {
        "AuthenticationError", "AuthenticationWrongNumberOfArgsError", "BusyLoadingError",
        "ChildDeadlockedError", "ConnectionError", "DataError", "InvalidResponse",
        "OutOfMemoryError", "PubSubError", "ReadOnlyError", "RedisError", "ResponseError",
        "TimeoutError", "WatchError",
    }
)  # fmt: skip
MORE_EXCEPTIONS = frozenset(
    {"LockError", "LockNotOwnedError", "NoScriptError", "ExecAbortError", "ModuleError"}
)

# aioredis 1.x error classes -> the redis-py class raised in the same situations.
RENAMED_ERRORS = {
    "ReplyError": "ResponseError",
    "ConnectionClosedError": "ConnectionError",
    "ConnectionForcedCloseError": "ConnectionError",
    "MaxClientsError": "ConnectionError",
    "ProtocolError": "InvalidResponse",
    "WatchVariableError": "WatchError",
    "AuthError": "AuthenticationError",
}

# aioredis 1.x names with no redis.asyncio counterpart: the import keeps a TODO.
NO_EQUIVALENT = {
    "MultiExecError": "redis-py raises the failing command's own error from execute()",
    "PipelineError": "redis-py raises the failing command's own error from execute()",
    "ChannelClosedError": "redis-py pub/sub has no channel objects: use r.pubsub()",
    "PoolClosedError": "redis-py has no closed-pool error",
    "Channel": "redis-py pub/sub has no channel objects: use r.pubsub() and get_message()",
    "ConnectionsPool": "use redis.asyncio.ConnectionPool (no minsize, no execute())",
    "RedisConnection": "use redis.asyncio.Redis(single_connection_client=True)",
    "create_sentinel": "use redis.asyncio.sentinel.Sentinel",
    "RedisSentinel": "use redis.asyncio.sentinel.Sentinel",
    "MasterNotFoundError": "use redis.asyncio.sentinel.MasterNotFoundError",
    "SlaveNotFoundError": "use redis.asyncio.sentinel.SlaveNotFoundError",
    "GeoPoint": "redis-py returns plain lists for GEO replies",
    "GeoMember": "redis-py returns plain lists for GEO replies",
}


@dataclass(frozen=True)
class Factory:
    """An aioredis 1.x factory coroutine and what replaces it."""

    kind: str  # "client", "pool" or "connection": what the returned object is
    pool: bool  # it pooled connections (maxsize defaulted to 10)
    single: bool  # one connection only: single_connection_client=True


FACTORIES = {
    "create_redis_pool": Factory("client", pool=True, single=False),
    "create_redis": Factory("client", pool=False, single=True),
    "create_pool": Factory("pool", pool=True, single=False),
    "create_connection": Factory("connection", pool=False, single=True),
}
FACTORY_MODULES = ("aioredis", "aioredis.commands", "aioredis.pool", "aioredis.connection")
MAXSIZE_1X = "10"  # aioredis 1.x's default pool cap, kept explicit (redis-py: unlimited, 8.0: 100)

# Factory keywords -> redis-py keywords (None: dropped, nothing to keep).
FACTORY_KEYWORDS: dict[str, str | None] = {
    "db": "db",
    "password": "password",
    "encoding": "encoding",
    "maxsize": "max_connections",
    "timeout": "socket_connect_timeout",
    "create_connection_timeout": "socket_connect_timeout",
    "minsize": None,  # redis-py pools open connections on demand
    "loop": None,  # asyncio has not taken loop arguments since 3.10
}
FACTORY_TODOS = {
    "ssl": "aioredis took ssl=True or an SSLContext: use a rediss:// URL and the ssl_* keywords",
    "parser": "redis-py picks its parser itself (hiredis when installed)",
    "pool_cls": "redis-py takes connection_pool=... built from your pool class",
    "connection_cls": "redis-py takes connection_class=... (a redis.asyncio.Connection subclass)",
    "commands_factory": "redis-py has one client class: subclass redis.asyncio.Redis",
    "name": "redis-py takes client_name=",
}

# aioredis 1.x command methods whose arguments changed, checked on unrecognised receivers too.
CHANGED_1X = frozenset(
    {"zadd", "set", "eval", "evalsha", "hmset_dict", "hmset", "multi_exec", "pipeline"}
)
SCAN_ITERATORS = {
    "iscan": "scan_iter",
    "isscan": "sscan_iter",
    "ihscan": "hscan_iter",
    "izscan": "zscan_iter",
}
# 1.x objects had these; a redis.asyncio client does not, or does something else.
RAW_1X = {
    "execute": "execute_command",
}
TODO_1X = {
    "multi_exec": "aioredis 1.x transactions return futures: use `async with r.pipeline("
    "transaction=True) as p:` (calls not awaited) and `await p.execute()`",
    "pipeline": "aioredis 1.x pipelines return futures: use `async with r.pipeline() as p:` "
    "(calls not awaited) and `await p.execute()`",
    "subscribe": "aioredis 1.x returned Channel objects: use `ps = r.pubsub()`, "
    "`await ps.subscribe(...)` and `ps.get_message()`",
    "psubscribe": "aioredis 1.x returned Channel objects: use `ps = r.pubsub()`, "
    "`await ps.psubscribe(...)` and `ps.get_message()`",
    "execute": "execute_command() parses replies as redis-py's methods do (SET gives True, "
    "not b'OK'): check what the code reads from it",
    "get_connection": "redis-py pools hand out connections with get_connection()/release()",
}
SET_EXIST = {"SET_IF_NOT_EXIST": "nx", "SET_IF_EXIST": "xx"}
ZSET_EXIST = {"ZSET_IF_NOT_EXIST": "nx", "ZSET_IF_EXIST": "xx"}

# Client and pool constructors (qualified names after `aioredis` became `redis.asyncio`).
ASYNC_CLIENTS = frozenset(
    {
        "redis.asyncio.Redis", "redis.asyncio.StrictRedis", "redis.asyncio.client.Redis",
        "redis.asyncio.client.StrictRedis", "redis.asyncio.Redis.from_url",
        "redis.asyncio.StrictRedis.from_url", "redis.asyncio.from_url",
        "redis.asyncio.utils.from_url", "redis.asyncio.Redis.from_pool",
    }
)  # fmt: skip
ASYNC_POOLS = frozenset(
    {
        "redis.asyncio.ConnectionPool", "redis.asyncio.BlockingConnectionPool",
        "redis.asyncio.ConnectionPool.from_url", "redis.asyncio.BlockingConnectionPool.from_url",
        "redis.asyncio.connection.ConnectionPool",
        "redis.asyncio.connection.BlockingConnectionPool",
    }
)  # fmt: skip
SYNC_LEGACY = frozenset({"redis.Redis", "redis.client.Redis", "redis.Redis.from_url"})
SYNC_STRICT = frozenset(
    {"redis.StrictRedis", "redis.client.StrictRedis", "redis.StrictRedis.from_url"}
)
SYNC_POOLS = frozenset(
    {
        "redis.ConnectionPool", "redis.BlockingConnectionPool", "redis.ConnectionPool.from_url",
        "redis.BlockingConnectionPool.from_url", "redis.connection.ConnectionPool",
        "redis.connection.BlockingConnectionPool", "redis.from_url",
    }
)  # fmt: skip
CLIENT_CLASSES = frozenset(
    {
        "redis.Redis", "redis.StrictRedis", "redis.client.Redis", "redis.client.StrictRedis",
        "redis.asyncio.Redis", "redis.asyncio.StrictRedis", "redis.asyncio.client.Redis",
        "redis.asyncio.client.StrictRedis",
    }
)  # fmt: skip

# Redis(...) keywords that configure the connection: ignored next to connection_pool=.
IGNORED_WITH_POOL = frozenset(
    {
        "host", "port", "db", "password", "username", "socket_timeout", "socket_connect_timeout",
        "socket_keepalive", "socket_keepalive_options", "unix_socket_path", "encoding",
        "encoding_errors", "decode_responses", "retry_on_timeout", "retry_on_error", "ssl",
        "ssl_keyfile", "ssl_certfile", "ssl_cert_reqs", "ssl_ca_certs", "ssl_check_hostname",
        "max_connections", "health_check_interval", "client_name", "protocol",
        "credential_provider", "lib_name", "lib_version",
    }
)  # fmt: skip

# redis-py 3.0 reordered these (legacy 2.x `Redis` only for setex and lrem).
ORDER_3X = frozenset({"setex", "lrem", "zadd", "zincrby", "mset", "msetnx"})

# Commands that block on the server: redis-py 8.0's 5 s default socket_timeout cuts them short.
BLOCKING = frozenset(
    {"blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax", "bzmpop"}
)
BLOCKING_KEYWORD = {"xread": "block", "xreadgroup": "block"}
SAFE_TIMEOUT = 5  # seconds: the 8.0 default socket_timeout
