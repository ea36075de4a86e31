"""Rewrites of single command calls: aioredis 1.x argument forms, redis-py 2.x argument order.

Each function takes a call already known to be on a client of the right kind and returns the
new call (or None to leave it) and the TODO messages it leaves.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from .tables import SCAN_ITERATORS, SET_EXIST, ZSET_EXIST

Result = tuple[cst.BaseExpression | None, list[str]]


def code(node: cst.CSTNode) -> str:
    """The source text of `node`."""
    return cst.Module(body=[]).code_for_node(node)


def keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    """`name=value`."""
    return cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )


def positional(value: cst.BaseExpression) -> cst.Arg:
    """A plain positional argument."""
    return cst.Arg(value=value)


def split(call: cst.Call) -> tuple[list[cst.Arg], dict[str, cst.Arg], bool]:
    """(positional args, keyword args by name, whether a *args or **kwargs is there)."""
    plain = [arg for arg in call.args if arg.keyword is None and not arg.star]
    named = {arg.keyword.value: arg for arg in call.args if arg.keyword is not None}
    starred = any(arg.star for arg in call.args)
    return plain, named, starred


def with_args(call: cst.Call, args: Sequence[cst.Arg], attr: str | None = None) -> cst.Call:
    """`call` with `args` (fresh separators on all but the original last) and maybe a new method."""
    fixed = [arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in args]
    func = call.func
    if attr is not None and isinstance(func, cst.Attribute):
        func = func.with_changes(attr=cst.Name(attr))
    return call.with_changes(func=func, args=fixed)


def is_scalar(node: cst.BaseExpression) -> bool:
    """A literal string or number (never a mapping)."""
    return isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.Integer | cst.Float)


def is_zero(node: cst.BaseExpression) -> bool:
    """A literal 0."""
    return isinstance(node, cst.Integer) and node.evaluated_value == 0


def _flag(value: cst.BaseExpression, table: dict[str, str]) -> str | None:
    name = value.attr.value if isinstance(value, cst.Attribute) else None
    if isinstance(value, cst.Name):
        name = value.value
    return table.get(name or "")


def _dict(pairs: Sequence[tuple[cst.BaseExpression, cst.BaseExpression]]) -> cst.Dict:
    return cst.Dict([cst.DictElement(key, value) for key, value in pairs])


def _mapping(plain: Sequence[cst.Arg], key_first: bool) -> cst.Dict | None:
    values = [arg.value for arg in plain]
    if not values or len(values) % 2:
        return None
    firsts, seconds = values[0::2], values[1::2]
    pairs = zip(firsts, seconds, strict=True) if key_first else zip(seconds, firsts, strict=True)
    return _dict(list(pairs))


def set_1x(call: cst.Call) -> Result:
    """`set(k, v, expire=, pexpire=, exist=)` -> `set(k, v, ex=, px=, nx=/xx=)`."""
    plain, named, starred = split(call)
    if not ({"expire", "pexpire", "exist"} & set(named)):
        return None, []
    if starred or len(plain) != 2:
        return None, ["aioredis 1.x set(): expire= -> ex=, pexpire= -> px=, exist= -> nx=/xx="]
    args = list(plain)
    todos = []
    for name, arg in named.items():
        if name in ("expire", "pexpire"):
            new = "ex" if name == "expire" else "px"
            if is_zero(arg.value):
                continue  # 1.x: 0 meant no expiry; redis-py rejects ex=0
            value: cst.BaseExpression = arg.value
            if not isinstance(value, cst.Integer | cst.Float):
                # 0 meant "no expiry" in 1.x; redis-py wants None for that.
                value = cst.BooleanOperation(value, cst.Or(), cst.Name("None"))
            args.append(keyword(new, value))
        elif name == "exist":
            flag = _flag(arg.value, SET_EXIST)
            if flag is None:
                todos.append("aioredis 1.x set(exist=...): use nx=True or xx=True")
                args.append(arg)
            else:
                args.append(keyword(flag, cst.Name("True")))
        else:
            args.append(arg)
    return with_args(call, args), todos


def zadd_1x(call: cst.Call) -> Result:
    """`zadd(k, score, member, ...)` -> `zadd(k, {member: score, ...})` (1.x put the score first)."""
    plain, named, starred = split(call)
    if len(plain) < 3 and not starred:
        return None, []
    mapping = _mapping(plain[1:], key_first=False)
    if starred or mapping is None or not set(named) <= {"exist", "changed", "incr"}:
        return None, ["aioredis 1.x zadd(key, score, member, ...): use zadd(key, {member: score})"]
    args = [plain[0], positional(mapping)]
    todos = []
    for name, arg in named.items():
        if name == "exist":
            flag = _flag(arg.value, ZSET_EXIST)
            if flag is None:
                todos.append("aioredis 1.x zadd(exist=...): use nx=True or xx=True")
                args.append(arg)
            else:
                args.append(keyword(flag, cst.Name("True")))
        else:
            args.append(keyword("ch" if name == "changed" else name, arg.value))
    return with_args(call, args), todos


def eval_1x(call: cst.Call) -> Result:
    """`eval(script, keys=[..], args=[..])` -> `eval(script, len(keys), *keys, *args)`."""
    plain, named, starred = split(call)
    if starred or not plain or len(plain) > 3 or not set(named) <= {"keys", "args"}:
        return None, [
            "aioredis 1.x eval(script, keys=, args=): use eval(script, numkeys, *keys, *args)"
        ]
    keys = named["keys"].value if "keys" in named else (plain[1].value if len(plain) > 1 else None)
    argv = named["args"].value if "args" in named else (plain[2].value if len(plain) > 2 else None)
    if len(plain) == 2 and "keys" in named:
        return None, ["aioredis 1.x eval(): keys given twice"]
    args = [plain[0]]
    expanded = [_expand(keys), _expand(argv)]
    literal_keys = expanded[0]
    if literal_keys is not None:
        args.append(positional(cst.Integer(str(len(literal_keys)))))
    else:
        assert keys is not None
        length = cst.Call(cst.Name("len"), [positional(keys)])
        args.append(positional(length))
    for values, source in zip(expanded, (keys, argv), strict=True):
        if values is not None:
            args.extend(positional(value) for value in values)
        elif source is not None:
            args.append(cst.Arg(value=source, star="*"))
    return with_args(call, args), []


def _expand(node: cst.BaseExpression | None) -> list[cst.BaseExpression] | None:
    """The elements of a literal list/tuple without starred items ([] for a missing argument)."""
    if node is None:
        return []
    if isinstance(node, cst.List | cst.Tuple) and all(
        isinstance(element, cst.Element) for element in node.elements
    ):
        return [element.value for element in node.elements]
    return None


def hmset_dict_1x(call: cst.Call) -> Result:
    """`hmset_dict(k, d, **kw)` -> `hset(k, mapping=d)` (or a dict display merging them)."""
    plain, named, _ = split(call)
    doubles = [arg.value for arg in call.args if arg.star == "**"]
    if len(plain) not in (1, 2) or any(arg.star == "*" for arg in call.args):
        return None, ["aioredis 1.x hmset_dict(key, mapping): use hset(key, mapping=mapping)"]
    if len(plain) == 2 and not named and not doubles:
        mapping: cst.BaseExpression = plain[1].value
    else:
        elements: list[cst.BaseDictElement] = []
        if len(plain) == 2:
            elements.append(cst.StarredDictElement(plain[1].value))
        for name, arg in named.items():
            elements.append(cst.DictElement(cst.SimpleString(f'"{name}"'), arg.value))
        elements.extend(cst.StarredDictElement(value) for value in doubles)
        mapping = cst.Dict(elements)
    return with_args(call, [plain[0], keyword("mapping", mapping)], attr="hset"), []


def hmset_1x(call: cst.Call) -> Result:
    """`hmset(k, f, v, f2, v2)` -> `hset(k, mapping={f: v, f2: v2})`."""
    plain, named, starred = split(call)
    if len(plain) == 2 and not named and not starred and not is_scalar(plain[1].value):
        # hmset(key, dict) is redis-py's own (deprecated) form: hset(mapping=) is the same.
        return with_args(call, [plain[0], keyword("mapping", plain[1].value)], attr="hset"), []
    mapping = _mapping(plain[1:], key_first=True)
    if starred or named or mapping is None:
        return None, ["aioredis 1.x hmset(key, field, value, ...): use hset(key, mapping={...})"]
    return with_args(call, [plain[0], keyword("mapping", mapping)], attr="hset"), []


def scan_1x(call: cst.Call, method: str) -> Result:
    """`iscan/isscan/ihscan/izscan(...)` -> the redis-py `*scan_iter` of the same arguments."""
    return with_args(call, list(call.args), attr=SCAN_ITERATORS[method]), []


def encoding_1x(call: cst.Call, client_encoding: str | None) -> Result:
    """A per-call `encoding=`: dropped where the client decodes the same way, else a TODO."""
    plain, named, _ = split(call)
    arg = named["encoding"]
    value = arg.value
    if (
        isinstance(value, cst.SimpleString)
        and client_encoding is not None
        and value.evaluated_value == client_encoding
    ):
        return with_args(call, [a for a in call.args if a is not arg]), []
    if isinstance(value, cst.Name) and value.value == "None" and client_encoding is not None:
        return None, [
            "encoding=None asked for raw bytes from a decoding client: use a second client "
            "without decode_responses for these reads"
        ]
    return None, [
        "redis-py has no per-call encoding=: create the client with "
        "decode_responses=True (this decodes every reply)"
    ]


# redis-py 2.x -> 3.0 argument order --------------------------------------------------------


def setex_2x(call: cst.Call, legacy: bool) -> Result:
    """Legacy 2.x `Redis.setex(name, value, time)` -> `setex(name, time=time, value=value)`.

    StrictRedis already had 3.0's order; its calls get the keywords too, so that a second run,
    which sees the renamed class as `Redis`, leaves them alone.
    """
    plain, named, starred = split(call)
    if {"time", "value"} & set(named):
        return None, []  # keywords: already unambiguous
    if starred or named or len(plain) != 3:
        return None, ["redis-py 3.0 setex() takes (name, time, value)"]
    time, value = (plain[2], plain[1]) if legacy else (plain[1], plain[2])
    args = [plain[0], keyword("time", time.value), keyword("value", value.value)]
    return with_args(call, args), []


def lrem_2x(call: cst.Call, legacy: bool) -> Result:
    """Legacy 2.x `Redis.lrem(name, value, num=0)` -> `lrem(name, count=num, value=value)`.

    StrictRedis's `lrem(name, count, value)` gets the keywords (see `setex_2x`).
    """
    plain, named, starred = split(call)
    if {"count", "value"} & set(named):
        return None, []  # keywords: already unambiguous
    if not legacy:
        if starred or named or len(plain) != 3:
            return None, ["redis-py 3.0 lrem() takes (name, count, value)"]
        args = [plain[0], keyword("count", plain[1].value), keyword("value", plain[2].value)]
        return with_args(call, args), []
    count = named["num"].value if "num" in named else (plain[2].value if len(plain) > 2 else None)
    if starred or not set(named) <= {"num"} or len(plain) not in (2, 3):
        return None, ["redis-py 3.0 lrem() takes (name, count, value)"]
    if count is None:
        count = cst.Integer("0")
    args = [plain[0], keyword("count", count), keyword("value", plain[1].value)]
    return with_args(call, args), []


def zincrby_2x(call: cst.Call) -> Result:
    """2.x `zincrby(name, value, amount=1)` -> `zincrby(name, amount=amount, value=value)`."""
    plain, named, starred = split(call)
    if "value" in named:
        return None, []  # keywords: already unambiguous
    amount = (
        named["amount"].value if "amount" in named else (plain[2].value if len(plain) > 2 else None)
    )
    if starred or not set(named) <= {"amount"} or len(plain) not in (2, 3):
        return None, ["redis-py 3.0 zincrby() takes (name, amount, value)"]
    args = [
        plain[0],
        keyword("amount", amount or cst.Integer("1")),
        keyword("value", plain[1].value),
    ]
    return with_args(call, args), []


def zadd_2x(call: cst.Call, legacy: bool) -> Result:
    """2.x `zadd(name, *pairs, **member_scores)` -> `zadd(name, {member: score, ...})`.

    The legacy `Redis` class took (member, score) pairs, `StrictRedis` (score, member).
    """
    plain, named, starred = split(call)
    if len(plain) == 2 and not named and not starred and not is_scalar(plain[1].value):
        return None, []  # zadd(name, mapping): already 3.0's form
    mapping = _mapping(plain[1:], key_first=legacy) if len(plain) > 1 else _dict([])
    if starred or not plain or mapping is None or (len(plain) == 1 and not named):
        return None, ["redis-py 3.0 zadd() takes (name, {member: score, ...})"]
    elements = list(mapping.elements)
    for name, arg in named.items():
        elements.append(cst.DictElement(cst.SimpleString(f'"{name}"'), arg.value))
    return with_args(call, [plain[0], positional(mapping.with_changes(elements=elements))]), []


def mset_2x(call: cst.Call) -> Result:
    """2.x `mset(k1=v1, ...)` -> `mset({"k1": v1, ...})` (3.0 takes one mapping)."""
    plain, named, starred = split(call)
    if not named or plain or starred:
        return None, []
    pairs = [(cst.SimpleString(f'"{name}"'), arg.value) for name, arg in named.items()]
    return with_args(call, [positional(_dict(pairs))]), []
