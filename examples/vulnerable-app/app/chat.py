"""The app's chat helper, written against openai 0.x."""

import os

import openai

openai.api_key = os.environ.get("OPENAI_API_KEY")


def ask(question: str) -> str:
    try:
        response = openai.ChatCompletion.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": question}],
            request_timeout=30,
        )
    except openai.error.RateLimitError:
        return "busy, try again later"
    return response["choices"][0]["message"]["content"]


def embed(text: str) -> list[float]:
    result = openai.Embedding.create(model="text-embedding-3-small", input=text)
    return result["data"][0]["embedding"]
