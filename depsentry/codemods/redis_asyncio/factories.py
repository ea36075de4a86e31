"""aioredis 1.x factory calls -> redis.asyncio constructors.

`await aioredis.create_redis_pool(addr, encoding="utf-8", maxsize=5)` becomes
`aioredis.from_url(url, encoding="utf-8", decode_responses=True, max_connections=5)`:
the address becomes a URL, keywords are renamed, the 1.x pool cap (10) is written out where it
was the default, and single-connection factories keep one connection.
"""

from __future__ import annotations

import libcst as cst

from .commands import code, keyword, split, with_args
from .tables import FACTORIES, FACTORY_KEYWORDS, FACTORY_TODOS, MAXSIZE_1X

_SCHEMES = ("redis://", "rediss://", "unix://")


def _address(node: cst.BaseExpression) -> tuple[cst.BaseExpression, list[str]]:
    """A redis:// URL expression for an aioredis address (a URL, a (host, port) tuple, a path)."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        if isinstance(value, str) and value.startswith(_SCHEMES):
            return node, []
        if isinstance(value, str) and value.startswith("/") and _plain(value):
            return cst.SimpleString(f'"unix://{value}"'), []
    if isinstance(node, cst.Tuple) and len(node.elements) == 2:
        host, port = (element.value for element in node.elements)
        literal_host = _literal(host)
        literal_port = port.value if isinstance(port, cst.Integer) else None
        if literal_host is not None and literal_port is not None:
            return cst.SimpleString(f'"redis://{literal_host}:{literal_port}"'), []
        host_part = literal_host if literal_host is not None else "{" + code(host) + "}"
        port_part = literal_port if literal_port is not None else "{" + code(port) + "}"
        text = f'f"redis://{host_part}:{port_part}"'
        if '"' not in host_part + port_part and "\\" not in host_part + port_part:
            return cst.parse_expression(text), []
        # Quotes inside an f-string's braces need Python 3.12: str.format instead.
        return cst.parse_expression(f'"redis://{{}}:{{}}".format({code(host)}, {code(port)})'), []
    if any(word in code(node).lower() for word in ("url", "uri", "dsn")):
        return node, []  # named as a URL: taken at its word
    return node, [
        f"from_url() takes a redis:// URL: check that {code(node)} is one "
        "(aioredis also took (host, port) tuples and socket paths)"
    ]


def _literal(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        if isinstance(value, str) and _plain(value):
            return value
    return None


def _plain(value: str) -> bool:
    return all(c.isalnum() or c in "./-_:[]" for c in value)


def rebuild(
    call: cst.Call, factory: str, func: cst.BaseExpression
) -> tuple[cst.Call | None, list[str]]:
    """The redis.asyncio call replacing `call` to `factory` (None: left, with the TODOs)."""
    spec = FACTORIES[factory]
    plain, named, starred = split(call)
    address = named["address"].value if "address" in named else None
    if plain:
        address = plain[0].value
    if starred or len(plain) > 1 or address is None or (plain and "address" in named):
        return None, [f"aioredis 1.x {factory}(): rewrite by hand (keyword arguments only)"]
    url, todos = _address(address)
    args: list[cst.Arg] = [cst.Arg(value=url)]
    has_cap = False
    for name, arg in named.items():
        if name == "address":
            continue
        if name == "ssl" and _is_true(arg.value) and isinstance(url, cst.SimpleString):
            text = url.value
            if text.startswith(('"redis://', "'redis://")):
                args[0] = cst.Arg(value=cst.SimpleString(text[0] + "rediss://" + text[9:]))
                continue
        if name in FACTORY_KEYWORDS:
            new = FACTORY_KEYWORDS[name]
            if new is None:
                continue
            args.append(keyword(new, arg.value))
            has_cap |= new == "max_connections"
            if name == "encoding" and not _is_none(arg.value):
                args.append(keyword("decode_responses", cst.Name("True")))
            continue
        args.append(arg)
        todos.append(
            FACTORY_TODOS.get(name, f"aioredis 1.x {factory}({name}=...): no redis-py equivalent")
        )
    if spec.pool and not has_cap:
        # aioredis 1.x capped a pool at 10; redis-py <8 has no cap and 8.0 caps at 100.
        args.append(keyword("max_connections", cst.Integer(MAXSIZE_1X)))
    if spec.single:
        args.append(keyword("single_connection_client", cst.Name("True")))
    return with_args(call.with_changes(func=func), args), todos


def _is_true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def new_func(factory: str, func: cst.BaseExpression) -> tuple[cst.BaseExpression, str]:
    """The callee replacing `func` (`aioredis.create_pool` -> `aioredis.ConnectionPool.from_url`)
    and the name a `from redis.asyncio import ...` needs when it was imported by name."""
    name = "ConnectionPool" if FACTORIES[factory].kind == "pool" else "from_url"
    module = func.value if isinstance(func, cst.Attribute) else None
    base: cst.BaseExpression = (
        cst.Name(name) if module is None else cst.Attribute(module, cst.Name(name))
    )
    if name == "ConnectionPool":
        base = cst.Attribute(base, cst.Name("from_url"))
    return base, name
