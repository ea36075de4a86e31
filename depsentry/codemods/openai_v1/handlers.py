"""Which failures each openai error class catches, in 0.x and in 1.x, so handlers keep catching them.

0.x (`v0.28.1:openai/api_requestor.py` handle_error_response, _interpret_response_line): 429
RateLimitError; 400, 404, 415 InvalidRequestError; 401 AuthenticationError; 403 PermissionError;
409 TryAgain; 503 ServiceUnavailableError; any other status and an error inside a stream
APIError; requests/aiohttp timeouts Timeout, other transport errors APIConnectionError; every
class a direct subclass of OpenAIError, so no handler shadowed another. 1.x (`_exceptions.py`,
`_client.py` _make_status_error): APIError is the parent of every status, connection and timeout
error, APITimeoutError a child of APIConnectionError, 500-599 all InternalServerError.

A failure is a "case" below. A 0.x class maps to the tuple of 1.x classes raised for its cases;
where that tuple (or the 1.x hierarchy) also catches cases the 0.x class did not, the handler is
moved after its siblings that handle those cases, and the rest is re-raised by an
`except (...): raise` in front of it, unless a later handler could have caught them in 0.x.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

# Failure cases, named by the 1.x class raised for them.
_CASES_OF_V1: Mapping[str, frozenset[str]] = {
    "BadRequestError": frozenset({"400"}),
    "AuthenticationError": frozenset({"401"}),
    "PermissionDeniedError": frozenset({"403"}),
    "NotFoundError": frozenset({"404"}),
    "ConflictError": frozenset({"409"}),
    "UnprocessableEntityError": frozenset({"422"}),
    "RateLimitError": frozenset({"429"}),
    "InternalServerError": frozenset({"5xx"}),
    "APITimeoutError": frozenset({"timeout"}),
}
_OTHER_STATUS = frozenset({"status"})  # 402, 405, 413, 415, ...: a plain APIStatusError
_CONNECTION = frozenset({"connection"})
_STREAM = frozenset({"stream"})  # an error event in a stream, a response that is not JSON
_STATUS = frozenset().union(*_CASES_OF_V1.values()) - {"timeout"} | _OTHER_STATUS


def v1_cases(name: str) -> frozenset[str]:
    """The cases a 1.x class catches, with its subclasses."""
    if name == "APIStatusError":
        return _STATUS
    if name == "APIConnectionError":
        return _CONNECTION | _CASES_OF_V1["APITimeoutError"]
    if name == "APIError":
        return _STATUS | _CONNECTION | {"timeout"} | _STREAM
    if name == "OpenAIError":
        return v1_cases("APIError") | {"other"}
    return _CASES_OF_V1.get(name, frozenset())


@dataclass(frozen=True)
class Mapping0:
    """A 0.x class: the 1.x classes it becomes, and the cases it caught."""

    v1: tuple[str, ...]
    cases: frozenset[str]


# 415 is a plain APIStatusError in 1.x: no class catches it without catching every status, and
# the 1.x client always sends the content type the API expects, so it never gets one back.
# A 503 is an InternalServerError in 1.x, like the other 5xx that 0.x raised as APIError.
V0: Mapping[str, Mapping0] = {
    "RateLimitError": Mapping0(("RateLimitError",), frozenset({"429"})),
    "InvalidRequestError": Mapping0(
        ("BadRequestError", "NotFoundError"), frozenset({"400", "404"})
    ),
    "AuthenticationError": Mapping0(("AuthenticationError",), frozenset({"401"})),
    "PermissionError": Mapping0(("PermissionDeniedError",), frozenset({"403"})),
    "TryAgain": Mapping0(("ConflictError",), frozenset({"409"})),
    "ServiceUnavailableError": Mapping0(("InternalServerError",), frozenset({"5xx"})),
    "Timeout": Mapping0(("APITimeoutError",), frozenset({"timeout"})),
    "APIConnectionError": Mapping0(("APIConnectionError",), _CONNECTION),
    "APIError": Mapping0(("APIError",), frozenset({"5xx", "422"}) | _OTHER_STATUS | _STREAM),
    "OpenAIError": Mapping0(("OpenAIError",), v1_cases("OpenAIError")),
}

# The 1.x classes to re-raise so that a handler catches no case it did not catch in 0.x, by the
# cases they stand for; a parent first, used when none of its cases is the handler's own.
_EXCLUDERS: Sequence[tuple[str, frozenset[str]]] = (
    ("APIConnectionError", _CONNECTION | {"timeout"}),
    *((name, cases) for name, cases in _CASES_OF_V1.items() if name != "InternalServerError"),
)


@dataclass
class Handler:
    """One `except` clause of a try statement, as far as openai errors go.

    `v0` lists the 0.x classes it names (empty: not an openai handler); `opaque` is True when
    it also names something else, or catches everything (bare `except`, Exception, ...).
    """

    v0: tuple[str, ...]
    opaque: bool

    @property
    def cases(self) -> frozenset[str]:
        """What it caught in 0.x (openai cases only)."""
        return frozenset().union(*(V0[name].cases for name in self.v0))

    @property
    def v1_cases(self) -> frozenset[str]:
        """What its rewritten classes catch in 1.x."""
        return frozenset().union(*(v1_cases(c) for name in self.v0 for c in V0[name].v1))


@dataclass(frozen=True)
class Plan:
    """How to rewrite one try statement's handlers: a new order, re-raises, or a TODO."""

    order: tuple[int, ...]  # handler indexes in their new order
    reraise: Mapping[int, tuple[str, ...]]  # handler index -> 1.x classes re-raised before it
    todo: str = ""


def plan(handlers: Sequence[Handler]) -> Plan:
    """Order and re-raises that make each handler catch what it caught in 0.x."""
    order = list(range(len(handlers)))
    # Within a run of openai-only handlers, 0.x classes were disjoint, so the order was free:
    # put handlers whose 1.x classes catch less first (a stable sort by how much they catch).
    start = 0
    while start < len(order):
        end = start
        while end < len(order) and handlers[order[end]].v0 and not handlers[order[end]].opaque:
            end += 1
        run = order[start:end]
        order[start:end] = sorted(run, key=lambda i: _breadth(handlers[i], handlers, run))
        start = end + 1
    reraise: dict[int, tuple[str, ...]] = {}
    todos: list[str] = []
    for position, index in enumerate(order):
        handler = handlers[index]
        if not handler.v0 or handler.opaque:
            continue
        earlier = frozenset().union(*(handlers[i].v1_cases for i in order[:position]))
        extra = handler.v1_cases - handler.cases - earlier - {"other"}
        if not extra:
            continue
        later = [handlers[i] for i in order[position + 1 :]]
        if any(h.opaque or h.cases & extra for h in later):
            names = ", ".join(f"openai.error.{n}" for n in handler.v0)
            todos.append(
                f"in 1.x the handler for {names} also catches failures that a later handler "
                "caught in 0.x: move that handler above it"
            )
            continue
        classes = _excluders(extra, handler.cases)
        if classes is None:
            todos.append(
                f"in 1.x, except {', '.join(V0[n].v1[0] for n in handler.v0)} also catches "
                f"{_describe(extra)}, which 0.x let through: catch those first and re-raise them"
            )
            continue
        reraise[index] = classes
    return Plan(tuple(order), reraise, "; ".join(todos))


def _breadth(handler: Handler, handlers: Sequence[Handler], run: Collection[int]) -> int:
    # How many handlers of the run this one's 1.x classes would shadow: those go first.
    return sum(
        1 for i in run if handlers[i] is not handler and handlers[i].v1_cases < handler.v1_cases
    )


def _excluders(extra: frozenset[str], own: frozenset[str]) -> tuple[str, ...] | None:
    """1.x classes covering exactly `extra` without any case in `own`; None if there are none."""
    chosen: list[str] = []
    left = set(extra)
    for name, cases in _EXCLUDERS:
        if cases & left and not cases & own and cases <= extra:
            chosen.append(name)
            left -= cases
    if left:
        return None
    return tuple(sorted(chosen))


def _describe(cases: Collection[str]) -> str:
    words = {"connection": "connection errors", "timeout": "timeouts", "stream": "stream errors"}
    return ", ".join(sorted(words.get(case, f"HTTP {case}") for case in cases))
