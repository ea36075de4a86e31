"""The openai-v1 codemod: openai-python 0.x -> 1.x (see transform.py for the rules).

`INFO` describes it without importing libcst; the class loads on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from depsentry.codemods.registry import CodemodInfo

if TYPE_CHECKING:
    from .transform import OpenAIV1Codemod

__all__ = ["INFO", "OpenAIV1Codemod"]

INFO = CodemodInfo(
    NAME="openai-v1",
    PACKAGE="openai",
    FROM="<1",
    TO=">=1",
    DESCRIPTION="openai 0.x -> 1.x client: resource calls, settings, errors, responses",
    PREFILTER=("openai",),
    OPTIONS={"mode": ("instance", "global")},
)


def __getattr__(name: str) -> Any:
    if name == "OpenAIV1Codemod":
        from .transform import OpenAIV1Codemod

        return OpenAIV1Codemod
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
