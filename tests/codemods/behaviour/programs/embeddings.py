"""Embeddings, v0 style, via `from openai import Embedding`."""
import os

import openai
from openai import Embedding

openai.api_key = os.environ["OPENAI_API_KEY"]
openai.api_base = os.environ["OPENAI_API_BASE"]


def embed(texts):
    result = Embedding.create(model="text-embedding-ada-002", input=texts, encoding_format="float")
    return [item["embedding"] for item in result["data"]]


for vector in embed(["a", "abcd"]):
    print(vector)
