"""The openai-v1 codemod: openai-python 0.x -> 1.x (see transform.py for the rules)."""

from .cases import CASES
from .transform import OpenAIV1Codemod

OpenAIV1Codemod.CASES = CASES

__all__ = ["OpenAIV1Codemod"]
