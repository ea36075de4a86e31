"""The first pass: which names hold which kind of client, what gets closed, what is imported.

A receiver is recognised by its text (`r`, `self.redis`, `app.state.pool`): a name or attribute
assigned the result of a factory or constructor somewhere in the file. That is coarse (two
functions may reuse a name), so only rewrites that are right for every client of that kind are
made on a recognised receiver.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import libcst as cst

from .commands import code, split
from .tables import (
    ASYNC_CLIENTS,
    ASYNC_POOLS,
    CLIENT_CLASSES,
    FACTORIES,
    FACTORY_MODULES,
    SYNC_LEGACY,
    SYNC_POOLS,
    SYNC_STRICT,
)

QNames = Callable[[cst.CSTNode], Collection[str]]

AIO1 = ("aio1-client", "aio1-pool", "aio1-connection")
ASYNC = ("async", "async-pool")
SYNC = ("sync-legacy", "sync-strict", "sync-pool")

_FACTORY_QNAMES = {f"{module}.{name}": name for module in FACTORY_MODULES for name in FACTORIES}


def normalised(name: str) -> str:
    """A qualified name as it reads once `aioredis` is `redis.asyncio` (2.x's API is the same)."""
    if name == "aioredis" or name.startswith("aioredis."):
        return "redis.asyncio" + name[len("aioredis") :]
    return name


def factory_of(qnames: Collection[str]) -> str | None:
    """The aioredis 1.x factory (`create_redis_pool`, ...) a call's qualified names name."""
    for name in qnames:
        if name in _FACTORY_QNAMES:
            return _FACTORY_QNAMES[name]
    return None


def kind_of(qnames: Collection[str]) -> str | None:
    """What a call to something with these qualified names builds (None: nothing we track)."""
    factory = factory_of(qnames)
    if factory is not None:
        return "aio1-" + FACTORIES[factory].kind
    names = {normalised(name) for name in qnames}
    for table, kind in (
        (ASYNC_CLIENTS, "async"),
        (ASYNC_POOLS, "async-pool"),
        (SYNC_LEGACY, "sync-legacy"),
        (SYNC_STRICT, "sync-strict"),
        (SYNC_POOLS, "sync-pool"),
    ):
        if names & table:
            return kind
    return None


def redis_named(receiver: str) -> bool:
    """Whether a receiver's text names redis (`redis`, `self.redis_pool`, `app.state.Redis`)."""
    return "redis" in receiver.lower()


@dataclass(frozen=True)
class Receiver:
    """A recognised client or pool: its kind and the encoding it decodes replies with."""

    kind: str
    encoding: str | None  # the literal encoding; "" when set but not a literal; None: bytes


def _encoding(call: cst.Call, kind: str) -> str | None:
    _, named, _ = split(call)
    arg = named.get("encoding")
    decoded = kind.startswith("aio1") or (
        "decode_responses" in named
        and not (
            isinstance(named["decode_responses"].value, cst.Name)
            and named["decode_responses"].value.value == "False"
        )
    )
    if not decoded or (kind.startswith("aio1") and arg is None):
        return None
    if arg is None:
        return "utf-8"
    if isinstance(arg.value, cst.SimpleString):
        value = arg.value.evaluated_value
        return value if isinstance(value, str) else ""
    return ""


@dataclass
class Analysis(cst.CSTVisitor):
    """What transform.py needs to know before it rewrites anything (see the module docstring)."""

    qnames: QNames
    receivers: dict[str, Receiver] = field(default_factory=dict)
    wait_closed: set[str] = field(default_factory=set)  # receivers awaited with wait_closed()
    pool_uses: Counter[str] = field(default_factory=Counter)  # Redis(connection_pool=P) count
    closed: set[str] = field(default_factory=set)  # receivers something closes
    bound: set[str] = field(default_factory=set)  # names that imports bind
    imports_aioredis: bool = False
    imports_redis: bool = False
    aio1: bool = False  # uses an aioredis 1.x factory or the close()/wait_closed() pair

    # libcst looks up a visit_<Node>_<attribute> method for every attribute of every node: this
    # visitor has none, so the lookups are skipped.
    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        pass

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        pass

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self._imported(alias.evaluated_name)
            self.bound.add(alias.evaluated_alias or alias.evaluated_name.partition(".")[0])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None and not node.relative:
            self._imported(code(node.module))
        if not isinstance(node.names, cst.ImportStar):
            self.bound.update(alias.evaluated_alias or alias.evaluated_name for alias in node.names)

    def _imported(self, module: str) -> None:
        top = module.partition(".")[0]
        self.imports_aioredis |= top == "aioredis"
        self.imports_redis |= top == "redis"

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self._assigned(node.targets[0].target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assigned(node.target, node.value)

    def _assigned(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call) or not isinstance(target, cst.Name | cst.Attribute):
            return
        kind = kind_of(self.qnames(value.func))
        if kind is None:
            return
        receiver = Receiver(kind, _encoding(value, kind))
        if kind == "async" and len(value.args) == 1 and value.args[0].keyword is None:
            pool = self.receivers.get(code(value.args[0].value))
            if pool is not None and pool.kind == "aio1-pool":
                receiver = Receiver("aio1-client", pool.encoding)  # 1.x Redis(pool)
        self.receivers[code(target)] = receiver

    def visit_Call(self, node: cst.Call) -> None:
        qnames = self.qnames(node.func)
        if factory_of(qnames) is not None:
            self.aio1 = True
        if {normalised(name) for name in qnames} & CLIENT_CLASSES:
            _, named, _ = split(node)
            pool = named.get("connection_pool")
            plain = [arg for arg in node.args if arg.keyword is None and not arg.star]
            if pool is None and len(plain) == 1 and len(node.args) == 1:
                pool = plain[0]  # aioredis 1.x Redis(pool)
            if pool is not None:
                self.pool_uses[code(pool.value)] += 1
        func = node.func
        if isinstance(func, cst.Attribute):
            method, receiver = func.attr.value, code(func.value)
            if method == "wait_closed":
                self.wait_closed.add(receiver)
                # asyncio streams and servers, aiopg and aiomysql pools close the same way.
                self.aio1 |= redis_named(receiver)
            if method in ("close", "aclose", "disconnect", "wait_closed"):
                self.closed.add(receiver)
