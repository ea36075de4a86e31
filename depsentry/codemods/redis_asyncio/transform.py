"""aioredis 1.x/2.x -> redis.asyncio, and redis-py client setup.

Upstream: aioredis-py `docs/migration.md`; redis-py `CHANGES` (3.0.0, 5.0.1-8.0.0).

Rules: `import aioredis` -> `from redis import asyncio as aioredis` (names re-homed, 1.x error
classes renamed); 1.x factories -> `from_url` / `ConnectionPool.from_url` (factories.py);
`close()` + `await wait_closed()` -> `await aclose()`; 1.x command arguments on a recognised
client (commands.py, analysis.py), an unrecognised 1.x-looking call gets a TODO; a pool built
here and handed to one `Redis(connection_pool=...)` is owned by it (`Redis.from_pool`);
`StrictRedis` -> `Redis`; connection keywords ignored beside `connection_pool=` get a TODO;
redis-py 2.x argument order (setex, lrem, zadd, zincrby, mset) when the code is for 2.x
(option `from`, or the project's pin). What no rewrite settles (retries and timeouts on by
default, the 100-connection pool cap of 8.0, RESP3) becomes a warning naming the line.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange, PositionProvider, QualifiedNameProvider

from depsentry.codemods.imports import ImportEdits, member_key
from depsentry.codemods.interface import Codemod, with_todos

from . import INFO, commands
from .analysis import AIO1, ASYNC, Analysis, Receiver, factory_of, normalised, redis_named
from .cases import CASES
from .factories import new_func, rebuild
from .pins import pre3_pinned
from .tables import (
    ASYNC_CLIENTS,
    ASYNC_POOLS,
    ASYNCIO_NAMES,
    BLOCKING,
    BLOCKING_KEYWORD,
    CHANGED_1X,
    CLIENT_CLASSES,
    EXCEPTIONS,
    FACTORIES,
    IGNORED_WITH_POOL,
    MORE_EXCEPTIONS,
    NO_EQUIVALENT,
    RAW_1X,
    RENAMED_ERRORS,
    SAFE_TIMEOUT,
    SCAN_ITERATORS,
    SUBMODULES,
    SYNC_LEGACY,
    SYNC_POOLS,
    SYNC_STRICT,
    TODO_1X,
)

_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement, cst.ExceptHandler)
_STRICT = ("redis.StrictRedis", "redis.client.StrictRedis", "redis.asyncio.StrictRedis")
_STRICT_MODULES = ("redis", "redis.client", "redis.asyncio", "redis.asyncio.client")
_CONSTRUCTORS = ASYNC_CLIENTS | ASYNC_POOLS | SYNC_LEGACY | SYNC_STRICT | SYNC_POOLS
_READS_1X = frozenset(
    {
        "get", "mget", "getset", "getrange", "hget", "hgetall", "hmget", "hkeys", "hvals",
        "lrange", "lpop", "rpop", "lindex", "blpop", "brpop", "smembers", "spop", "srandmember",
        "zrange", "zrevrange", "zrangebyscore", "zrevrangebyscore", "keys", "scan", "xrange",
        "xread", "execute", "eval", "evalsha", "type", "info", "config_get", "sort",
    }
)  # fmt: skip


class RedisAsyncioCodemod(Codemod):
    """Migrate aioredis to redis.asyncio and tidy redis-py setup (see the module docstring)."""

    INFO = INFO
    CASES = CASES
    # Every rule starts from a PREFILTER string or a name bound next to one (Codemod.SUBTREES).
    SUBTREES = True
    # Functions that may hold a 1.x or 2.x call on a client passed in (a TODO) or a blocking
    # command (a warning) without naming redis stay in the sub-file pre-filter's view.
    SUBTREE_KEEP = (
        "wait_closed", ".zadd(", ".hmset", ".eval", "expire=", "exist=", "multi_exec", ".iscan",
        ".setex(", ".lrem(", ".zincrby(", ".mset", ".blpop(", ".brpop", ".bzpop", ".blmove(",
        ".blmpop(", ".bzmpop(", ".xread",
    )  # fmt: skip
    # PositionProvider is resolved only when a warning needs a line (see _line): declaring it
    # would cost a pass over every module and turn the sub-file pre-filter off.
    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        self.analysis = Analysis(self._qnames)
        tree.visit(self.analysis)
        if not (self.analysis.imports_aioredis or self.analysis.imports_redis):
            return tree
        version = self.options["from"]
        self.pre3 = version in ("2", "2.10") or (
            version == "auto" and pre3_pinned(self.context.filename)
        )
        self.edits = ImportEdits()
        self._top = {
            id(small)
            for statement in tree.body
            if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body
        }
        self._renamed: dict[str, str] = {}  # local names bound by a renamed from-import
        self._awaited: set[int] = set()
        self._rebuilt: set[int] = set()  # factory calls rewritten (their await goes)
        self._to_bool: set[int] = set()  # set(nx/xx) calls whose awaited value is read
        self._bare: set[int] = set()  # awaits (and their calls) that are whole statements
        self._reply_unread = False
        self._first = tree.body[0] if tree.body else None
        self._attrs: set[int] = set()
        self._todos: list[list[str]] = []
        self._async: list[bool] = [False]
        self._positions: Mapping[cst.CSTNode, CodeRange] | None = None
        self._header = {line.comment.value for line in tree.header if line.comment is not None}
        # Import edits may move a top-level import's comment lines to another import line.
        self._import_comments = self._header | {
            line.comment.value
            for statement in tree.body
            if isinstance(statement, cst.SimpleStatementLine)
            and all(isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body)
            for line in statement.leading_lines
            if line.comment is not None
        }
        self._factory_imports: list[tuple[str, str, str | None]] = []
        self._unrewritten: set[str] = set()  # local factory names some call still uses
        new = tree.visit(self)
        for module, name, asname in self._factory_imports:
            if (asname or name) not in self._unrewritten:
                self.edits.remove(module, name, asname)
        package = (self.context.full_package_name or "").partition(".")[0]
        return self.edits.apply(new, {package} if package else ())

    def _qnames(self, node: cst.CSTNode) -> Collection[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    def _line(self, node: cst.CSTNode) -> int:
        if self._positions is None:
            wrapper = self.context.wrapper
            assert wrapper is not None
            self._positions = wrapper.resolve(PositionProvider)
        # In a module with sub-file stubs this is the stubbed text's line: the runner maps
        # "line N:" at the start of a warning back to the file's own line.
        return int(self._positions[node].start.line)

    def todo(self, *messages: str) -> None:
        """Attach TODO lines to the innermost statement being rewritten."""
        if self._todos:
            self._todos[-1].extend(messages)

    # Bookkeeping: statements and their TODOs, async functions, awaited calls -----------------

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, _STATEMENTS):
            self._todos.append([])
        if isinstance(node, cst.FunctionDef):
            self._async.append(node.asynchronous is not None)
        elif isinstance(node, cst.Lambda):
            self._async.append(False)
        elif isinstance(node, cst.Await):
            self._awaited.add(id(node.expression))
        elif isinstance(node, cst.Expr) and isinstance(node.value, cst.Await):
            self._bare.add(id(node.value))
            self._bare.add(id(node.value.expression))
        elif isinstance(node, cst.Attribute):
            self._attrs.add(id(node.attr))
        return super().on_visit(node)

    def on_leave(  # type: ignore[override]  # statements may also be removed
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]:
        result: cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]
        result = super().on_leave(original_node, updated_node)
        if isinstance(original_node, cst.FunctionDef | cst.Lambda):
            self._async.pop()
        if isinstance(original_node, _STATEMENTS):
            todos = self._todos.pop()
            if todos and isinstance(result, cst.CSTNode):
                header: Collection[str] = ()
                if original_node is self._first:
                    header = self._header
                if isinstance(original_node, cst.SimpleStatementLine) and any(
                    id(small) in self._top for small in original_node.body
                ):
                    header = self._import_comments
                result = with_todos(result, todos, header)
            elif todos and self._todos:
                self._todos[-1].extend(todos)  # the statement went: its TODOs go up a level
        return result

    # Imports -------------------------------------------------------------------------------

    def leave_Import(
        self, original_node: cst.Import, updated_node: cst.Import
    ) -> cst.BaseSmallStatement:
        top = id(original_node) in self._top
        for alias in original_node.names:
            name, asname = alias.evaluated_name, alias.evaluated_alias
            if name != "aioredis":
                if name.startswith("aioredis."):
                    self.todo(f"import {name}: import the redis-py module it moved to instead")
                continue
            bound = asname or "aioredis"
            if top:
                self.edits.remove("aioredis", None, asname)
                self.edits.add("redis", "asyncio", bound)
            elif len(original_node.names) == 1:
                return _import_from("redis", [("asyncio", bound)])
            else:
                self.todo("import aioredis: use `from redis import asyncio as aioredis`")
        return updated_node

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.BaseSmallStatement | cst.FlattenSentinel[cst.BaseSmallStatement]:
        if original_node.module is None or original_node.relative:
            return updated_node
        module = commands.code(original_node.module)
        if module in SUBMODULES:
            return self._aioredis_from(original_node, updated_node, module)
        if module in _STRICT_MODULES and not isinstance(original_node.names, cst.ImportStar):
            return self._strict_from(original_node, updated_node, module)
        return updated_node

    def _aioredis_from(
        self, original: cst.ImportFrom, updated: cst.ImportFrom, module: str
    ) -> cst.BaseSmallStatement | cst.FlattenSentinel[cst.BaseSmallStatement]:
        target = SUBMODULES[module]
        if target is None or isinstance(original.names, cst.ImportStar):
            self.todo(f"from {module} import ...: no redis-py module with the same names")
            return updated
        moved: list[tuple[str, str, str | None]] = []  # (module, name, asname)
        factories: list[tuple[str, str]] = []  # imported when a call is rewritten (_factory)
        kept: list[cst.ImportAlias] = []
        for alias in original.names:
            name, asname = alias.evaluated_name, alias.evaluated_alias
            new = self._new_home(module, target, name)
            if new is None:
                kept.append(alias)
                continue
            new_module, new_name = new
            if new_name != name and asname is None and name not in FACTORIES:
                self._renamed[name] = new_name
            if name in FACTORIES:
                factories.append((new_module, new_name))
            else:
                moved.append((new_module, new_name, asname))
        if id(original) in self._top:
            for alias in original.names:
                request = (module, alias.evaluated_name, alias.evaluated_alias)
                if alias in kept:
                    continue
                if alias.evaluated_name in FACTORIES:
                    self._factory_imports.append(request)  # removed if every call was rewritten
                else:
                    self.edits.remove(*request)
            for new_module, new_name, asname in moved:
                self.edits.add(new_module, new_name, asname)
            return updated
        groups: dict[str, list[tuple[str, str | None]]] = {}
        for new_module, new_name, asname in [*moved, *((m, n, None) for m, n in factories)]:
            groups.setdefault(new_module, []).append((new_name, asname))
        statements: list[cst.BaseSmallStatement] = [
            _import_from(new_module, names) for new_module, names in groups.items()
        ]
        if kept:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            statements.append(updated.with_changes(names=kept))
        return statements[0] if len(statements) == 1 else cst.FlattenSentinel(statements)

    def _new_home(self, module: str, target: str, name: str) -> tuple[str, str] | None:
        """Where `from module import name` comes from now (None: kept, with a TODO)."""
        if name in NO_EQUIVALENT:
            self.todo(f"aioredis.{name}: {NO_EQUIVALENT[name]}")
            return None
        if name in FACTORIES and module in ("aioredis", "aioredis.commands", "aioredis.pool"):
            return "redis.asyncio", "ConnectionPool" if FACTORIES[
                name
            ].kind == "pool" else "from_url"
        if name in RENAMED_ERRORS:
            home = "redis.asyncio" if target == "redis.asyncio" else "redis.exceptions"
            return home, RENAMED_ERRORS[name]
        if name == "StrictRedis" and not self._keep_strict():
            return target, "Redis"
        if target == "redis.asyncio" and name not in ASYNCIO_NAMES | EXCEPTIONS:
            if name in MORE_EXCEPTIONS:
                return "redis.exceptions", name
            self.todo(f"aioredis.{name}: no redis.asyncio name of that name")
            return None
        return target, name

    def _keep_strict(self) -> bool:
        # StrictRedis is an alias of Redis in 3.0+. It stays when another Redis is imported, and
        # under a 2.x pin, so that a second run still knows which 2.x class the calls were for.
        return self.pre3 or "Redis" in self.analysis.bound

    def _strict_from(
        self, original: cst.ImportFrom, updated: cst.ImportFrom, module: str
    ) -> cst.ImportFrom:
        assert not isinstance(updated.names, cst.ImportStar)
        if self._keep_strict() or not any(
            alias.evaluated_name == "StrictRedis" for alias in updated.names
        ):
            return updated
        if id(original) in self._top:
            for alias in updated.names:
                if alias.evaluated_name == "StrictRedis":
                    self.edits.remove(module, "StrictRedis", alias.evaluated_alias)
                    self.edits.add(module, "Redis", alias.evaluated_alias)
                    if alias.evaluated_alias is None:
                        self._renamed["StrictRedis"] = "Redis"
            return updated
        names = []
        for alias in updated.names:
            if alias.evaluated_name == "StrictRedis":
                if alias.evaluated_alias is None:
                    self._renamed["StrictRedis"] = "Redis"
                alias = alias.with_changes(name=cst.Name("Redis"))
            names.append(alias)
        return updated.with_changes(names=names)

    # Names and attributes ------------------------------------------------------------------

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        new = self._renamed.get(original_node.value)
        if new is None or id(original_node) in self._attrs:
            return updated_node
        qnames = self._qnames(original_node)
        if any(name in _STRICT or name.startswith(("aioredis.", "redis.")) for name in qnames):
            return updated_node.with_changes(value=new)
        return updated_node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        qnames = self._qnames(original_node)
        if not qnames:
            return updated_node
        name = original_node.attr.value
        if any(q in _STRICT for q in qnames) and not self.pre3:
            return updated_node.with_changes(attr=cst.Name("Redis"))
        aio = [q for q in qnames if q.startswith("aioredis.")]
        if not aio or factory_of(qnames) is not None:
            return updated_node
        parts = aio[0].split(".")
        if parts[-1] in ("SET_IF_NOT_EXIST", "SET_IF_EXIST", "ZSET_IF_NOT_EXIST", "ZSET_IF_EXIST"):
            return updated_node  # read by the set()/zadd() rewrite
        if len(parts) == 3 and parts[1] in ("errors", "exceptions"):
            module = updated_node.value
            assert isinstance(module, cst.Attribute)
            return self._error(module.value, name, updated_node)
        if len(parts) != 2:
            return updated_node
        if name == "StrictRedis" and not self.pre3:
            return updated_node.with_changes(attr=cst.Name("Redis"))
        if name in RENAMED_ERRORS or name in NO_EQUIVALENT or name in MORE_EXCEPTIONS:
            return self._error(updated_node.value, name, updated_node)
        if name not in ASYNCIO_NAMES | EXCEPTIONS and f"aioredis.{name}" not in SUBMODULES:
            self.todo(f"aioredis.{name}: no redis.asyncio name of that name")
        return updated_node

    def _error(
        self, module: cst.BaseExpression, name: str, node: cst.Attribute
    ) -> cst.BaseExpression:
        if name in RENAMED_ERRORS:
            return cst.Attribute(module, cst.Name(RENAMED_ERRORS[name]))
        if name in EXCEPTIONS:
            return cst.Attribute(module, cst.Name(name))
        if name in MORE_EXCEPTIONS and name not in self.analysis.bound:
            self.edits.add("redis.exceptions", name)
            return cst.Name(name)
        self.todo(f"aioredis.{name}: {NO_EQUIVALENT.get(name, 'no redis-py equivalent')}")
        return node

    # Calls ---------------------------------------------------------------------------------

    def leave_Await(self, original_node: cst.Await, updated_node: cst.Await) -> cst.BaseExpression:
        if id(original_node.expression) in self._to_bool and id(original_node) not in self._bare:
            # aioredis 1.x set(exist=...) gave False where redis-py gives None.
            return cst.Call(cst.Name("bool"), [cst.Arg(updated_node)])
        if id(original_node.expression) in self._rebuilt:
            # from_url() and ConnectionPool.from_url() are not coroutines.
            return updated_node.expression.with_changes(
                lpar=updated_node.lpar, rpar=updated_node.rpar
            )
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        qnames = self._qnames(original_node.func)
        factory = factory_of(qnames)
        if factory is not None:
            return self._factory(original_node, updated_node, factory)
        names = {normalised(name) for name in qnames}
        if names & _CONSTRUCTORS:
            self._warn_defaults(original_node, names)
        if names & CLIENT_CLASSES:
            return self._client(original_node, updated_node, names)
        func = original_node.func
        if isinstance(func, cst.Attribute):
            return self._method(original_node, updated_node, func.attr.value)
        return updated_node

    def _factory(self, original: cst.Call, updated: cst.Call, factory: str) -> cst.BaseExpression:
        if id(original) not in self._awaited:
            self.todo(
                f"aioredis 1.x {factory}() is a coroutine; its redis.asyncio replacement is not: "
                "call it without await"
            )
            return self._kept(updated)
        func, name = new_func(factory, updated.func)
        call, todos = rebuild(updated, factory, func)
        self.todo(*todos)
        if call is None:
            return self._kept(updated)
        self._rebuilt.add(id(original))
        if isinstance(updated.func, cst.Name):
            self.edits.add("redis.asyncio", name)
        self._warn_defaults(original, {"factory"}, capped=True)
        return call

    def _kept(self, call: cst.Call) -> cst.Call:
        """A factory call left as it was: a factory imported by name keeps its import."""
        if isinstance(call.func, cst.Name):
            self._unrewritten.add(call.func.value)
        return call

    def _client(self, original: cst.Call, updated: cst.Call, names: set[str]) -> cst.BaseExpression:
        plain, named, starred = commands.split(updated)
        receivers = self.analysis.receivers
        if len(plain) == 1 and len(updated.args) == 1:
            pool = commands.code(plain[0].value)
            if receivers.get(pool, Receiver("", None)).kind == "aio1-pool":
                # aioredis 1.x Redis(pool); redis-py's first parameter is the host.
                updated = commands.with_args(
                    updated, [commands.keyword("connection_pool", plain[0].value)]
                )
                plain, named, starred = commands.split(updated)
        if "connection_pool" not in named:
            return updated
        ignored = sorted(set(named) & IGNORED_WITH_POOL)
        if ignored:
            self.todo(
                f"{', '.join(ignored)} ignored: redis-py uses the connection_pool's settings "
                "(set them on the pool)"
            )
        pool = commands.code(named["connection_pool"].value)
        built = receivers.get(pool)
        if built is None or built.kind not in ("async-pool", "aio1-pool"):
            return updated
        if pool in self.analysis.closed:
            return updated
        is_async = any(name.startswith("redis.asyncio") for name in names)
        if self.analysis.pool_uses[pool] == 1 and len(updated.args) == 1 and is_async:
            func = updated.func
            if isinstance(func, cst.Attribute | cst.Name) and not starred:
                # Redis(connection_pool=p) never closes p; from_pool(p) hands it over.
                new = cst.Attribute(func, cst.Name("from_pool"))
                return updated.with_changes(
                    func=new, args=[cst.Arg(named["connection_pool"].value)]
                )
        self.todo(
            f"{pool} is never closed: Redis(connection_pool=...) does not close its pool; "
            f"`await {pool}.aclose()` when its clients are done"
        )
        return updated

    def _method(self, original: cst.Call, updated: cst.Call, method: str) -> cst.BaseExpression:
        func = original.func
        assert isinstance(func, cst.Attribute)
        key = commands.code(func.value)
        receiver = self.analysis.receivers.get(key)
        kind = receiver.kind if receiver else ""
        self._warn_blocking(original, method)
        awaited = id(original) in self._awaited
        if method == "close" and awaited and kind in ASYNC:
            return commands.with_args(updated, list(updated.args), attr="aclose")
        if method == "wait_closed" and not awaited and self._closes_1x(key):
            self.todo("wait_closed() is gone: `await x.aclose()` closes and waits")
            return updated
        result: commands.Result = (None, [])
        self._reply_unread = id(original) in self._bare
        if kind in AIO1:
            assert receiver is not None
            result = self._command_1x(updated, method, receiver)
            if method == "set" and "exist" in commands.split(original)[1] and result[0]:
                self._to_bool.add(id(original))
        elif self.analysis.imports_aioredis and method in CHANGED_1X:
            # In a 1.x file any such call may be 1.x; elsewhere only a form 2.x never took.
            new, todos = self._command_1x(updated, method, Receiver("aio1-client", None))
            if (self.analysis.aio1 and todos) or new is not None:
                self.todo(
                    f"if {key} is an aioredis 1.x client, {method}() takes other arguments "
                    "in redis-py (see the README's redis-asyncio table)"
                )
        elif self.pre3 and kind in ("sync-legacy", "sync-strict"):
            result = self._command_2x(updated, method, kind == "sync-legacy")
        elif (
            self.pre3
            and not kind
            and self.analysis.imports_redis
            and self._looks_2x(updated, method)
        ):
            self.todo(
                f"if {key} is a redis-py 2.x client, {method}() takes its arguments in another "
                "order in 3.0"
            )
        new, todos = result
        self.todo(*todos)
        return updated if new is None else new

    def _command_1x(self, call: cst.Call, method: str, receiver: Receiver) -> commands.Result:
        """A 1.x command's call in redis-py's form (None: unchanged), and its TODOs."""
        _, named, _ = commands.split(call)
        if receiver.kind == "aio1-pool" and method not in ("close", "wait_closed"):
            return None, [
                f"aioredis 1.x pool.{method}(): redis.asyncio pools do not run commands; "
                "use a Redis(connection_pool=pool) client"
            ]
        changed = False
        if "encoding" in named and method in _READS_1X:
            new, todos = commands.encoding_1x(call, receiver.encoding)
            if new is None:
                return None, todos
            assert isinstance(new, cst.Call)
            call, changed = new, True
        rewrite: commands.Result | None = None
        if method == "set":
            rewrite = commands.set_1x(call)
        elif method == "zadd":
            rewrite = commands.zadd_1x(call)
        elif method in ("eval", "evalsha"):
            rewrite = commands.eval_1x(call)
        elif method == "hmset_dict":
            rewrite = commands.hmset_dict_1x(call)
        elif method == "hmset":
            rewrite = commands.hmset_1x(call)
        elif method in SCAN_ITERATORS:
            rewrite = commands.scan_1x(call, method)
        elif method in RAW_1X:
            new = commands.with_args(call, list(call.args), attr=RAW_1X[method])
            rewrite = new, [] if self._reply_unread else [TODO_1X[method]]
        elif method in TODO_1X:
            rewrite = None, [TODO_1X[method]]
        if rewrite is not None:
            new, todos = rewrite
            if new is not None:
                return new, todos
            return (call if changed else None), todos
        return (call if changed else None), []

    def _command_2x(self, call: cst.Call, method: str, legacy: bool) -> commands.Result:
        if method == "setex":
            return commands.setex_2x(call, legacy)
        if method == "lrem":
            return commands.lrem_2x(call, legacy)
        if method == "zadd":
            return commands.zadd_2x(call, legacy)
        if method == "zincrby":
            return commands.zincrby_2x(call)
        if method in ("mset", "msetnx"):
            return commands.mset_2x(call)
        return None, []

    def _looks_2x(self, call: cst.Call, method: str) -> bool:
        plain, named, _ = commands.split(call)
        if method == "setex":
            return len(plain) == 3
        if method == "lrem":
            return len(plain) in (2, 3) and not ({"count", "value"} & set(named))
        if method == "zincrby":
            return len(plain) in (2, 3) and "value" not in named
        if method == "zadd":
            return len(plain) >= 3 or (len(plain) == 1 and bool(named))
        return False

    def leave_WithItem(
        self, original_node: cst.WithItem, updated_node: cst.WithItem
    ) -> cst.WithItem:
        item = original_node.item
        if isinstance(item, cst.Await):
            receiver = self.analysis.receivers.get(commands.code(item.expression))
            if receiver is not None and receiver.kind in AIO1:
                self.todo(
                    "aioredis 1.x `with await pool as conn`: redis.asyncio clients take "
                    "commands directly (a connection per command from the pool)"
                )
        return updated_node

    # Statements: close() + wait_closed() ----------------------------------------------------

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        body: list[cst.BaseSmallStatement] = []
        changed = False
        for small in updated_node.body:
            receiver = _called(small, "wait_closed", awaited=True)
            if receiver is not None and self._closes_1x(receiver):
                changed = True
                continue  # aclose() waits
            receiver = _called(small, "close", awaited=False)
            if receiver is not None and self._closes_1x(receiver):
                changed = True
                if not self._async[-1]:
                    self.todo(f"redis.asyncio closes with a coroutine: `await {receiver}.aclose()`")
                    body.append(small)
                    continue
                small = cst.Expr(cst.parse_expression(f"await {receiver}.aclose()"))
            body.append(small)
        if not changed:
            return updated_node
        if not body:
            return cst.RemovalSentinel.REMOVE
        body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(body=body)

    def _closes_1x(self, receiver: str) -> bool:
        kind = self.analysis.receivers.get(receiver, Receiver("", None)).kind
        # A close()/wait_closed() pair is aioredis 1.x's only when the receiver is a recognised
        # 1.x client or says redis: asyncio streams and servers, aiopg pools close that way too.
        return kind in AIO1 or (receiver in self.analysis.wait_closed and redis_named(receiver))

    # Warnings ------------------------------------------------------------------------------

    def _warn_defaults(self, call: cst.Call, names: set[str], capped: bool = False) -> None:
        _, named, _ = commands.split(call)
        plain = [arg for arg in call.args if arg.keyword is None and not arg.star]
        pool_1x = len(plain) == 1 and commands.code(plain[0].value) in self.analysis.receivers
        if "connection_pool" in named or pool_1x or any(n.endswith("from_pool") for n in names):
            return  # the pool's own construction carries these warnings
        notes = []
        if not {"retry", "socket_timeout"} <= set(named):
            notes.append(
                "redis-py 6.0+ retries failed commands (3 times; 8.0: 10) and 8.0 gives up on "
                "a socket read or connect after 5 s (was never): pass retry= and "
                "socket_timeout= to choose"
            )
        pooled = "single_connection_client" not in named
        if pooled and not capped and "max_connections" not in named and "Pool" not in str(names):
            notes.append("redis-py 8.0 caps a client's pool at 100 connections (was unlimited)")
        elif pooled and not capped and "max_connections" not in named:
            notes.append("redis-py 8.0 caps a pool at 100 connections (was unlimited)")
        if "protocol" not in named:
            notes.append(
                "redis-py 8.0 speaks RESP3: some replies change shape "
                "(protocol=2 or legacy_responses=True keeps the old ones)"
            )
        if notes:
            self.warn(f"line {self._line(call)}: " + "; ".join(notes))

    def _warn_blocking(self, call: cst.Call, method: str) -> None:
        plain, named, _ = commands.split(call)
        if method in BLOCKING:
            timeout = named["timeout"].value if "timeout" in named else None
            if timeout is None and len(plain) > 1 and method not in ("blmove", "brpoplpush"):
                timeout = plain[-1].value
        elif method in BLOCKING_KEYWORD and BLOCKING_KEYWORD[method] in named:
            timeout = named[BLOCKING_KEYWORD[method]].value
            if isinstance(timeout, cst.Integer) and method.startswith("x"):
                timeout = cst.Float(str(int(timeout.value) / 1000))  # block= is in ms
        else:
            return
        if isinstance(timeout, cst.Integer | cst.Float):
            seconds = float(timeout.value)
            if 0 < seconds < SAFE_TIMEOUT:
                return
        self.warn(
            f"line {self._line(call)}: {method.upper()} may block past redis-py 8.0's default "
            "5 s socket_timeout (TimeoutError): give the client socket_timeout=None or longer"
        )


def _called(small: cst.BaseSmallStatement, method: str, awaited: bool) -> str | None:
    """The receiver text when `small` is `[await ]receiver.method()`."""
    if not isinstance(small, cst.Expr):
        return None
    value = small.value
    if awaited:
        if not isinstance(value, cst.Await):
            return None
        value = value.expression
    if (
        isinstance(value, cst.Call)
        and not value.args
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value == method
    ):
        return commands.code(value.func.value)
    return None


def _import_from(module: str, names: Sequence[tuple[str, str | None]]) -> cst.ImportFrom:
    aliases = [
        cst.ImportAlias(
            cst.Name(name),
            asname=cst.AsName(cst.Name(asname)) if asname and asname != name else None,
        )
        for name, asname in sorted(names, key=lambda pair: member_key(pair[0]))
    ]
    dotted = cst.parse_expression(module)
    assert isinstance(dotted, cst.Attribute | cst.Name)
    return cst.ImportFrom(module=dotted, names=aliases)
