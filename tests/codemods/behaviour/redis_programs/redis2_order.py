"""redis-py 2.x: the legacy Redis class and StrictRedis order setex/lrem/zadd differently.

# behaviour: before=redis2 from=2.10
"""

import os

import redis

PORT = int(os.environ["REDIS_PORT"])
r = redis.Redis(port=PORT)
s = redis.StrictRedis(port=PORT, db=1)
r.setex("session", "token", 100)
s.setex("strict", 100, "v")
r.rpush("l", "a", "b", "a", "c", "a")
print(r.lrem("l", "a", 2))
print(s.rpush("l2", "x", "y", "x"), s.lrem("l2", 1, "x"))
print(r.zadd("z", "ann", 1.5, "bob", 2, cid=3))
print(s.zadd("z2", 1.5, "ann", 2, "bob"))
print(r.zincrby("z", "ann", 2))
print(s.zincrby("z2", "bob"))
r.mset(a="1", b="2")
print(r.mget("a", "b"), r.ttl("session") > 0, s.ttl("strict") > 0)
print(r.zrange("z", 0, -1, withscores=True))
