"""Text builders shared by the openai-v1 case modules."""

from __future__ import annotations

GLOBAL = {"mode": "global"}


def helper(name: str, cls: str, args: str = "") -> str:
    return f"\n\n@functools.cache\ndef {name}() -> {cls}:\n    return {cls}({args})\n\n\n"


def args(**moved: str) -> str:
    """Constructor arguments: moved settings, else v1's module settings."""
    keys = ("api_key", "organization", "base_url")
    return ", ".join(f"{key}={moved.get(key, f'openai.{key}')}" for key in keys)


def sync(arguments: str = args(), cls: str = "OpenAI") -> str:
    """What instance mode makes of a module that starts with `import openai`."""
    return f"import openai\nimport functools\nfrom openai import {cls}\n" + helper(
        "_get_client", cls, arguments
    )


ASYNC_ONLY = "import openai\nimport functools\nfrom openai import AsyncOpenAI\n" + helper(
    "_get_async_client", "AsyncOpenAI", args()
)
