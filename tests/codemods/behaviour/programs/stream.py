"""Streaming chat, v0 style: iterate chunks, `.get("content", "")` on the delta."""
import os

import openai as oa

oa.api_key = os.environ["OPENAI_API_KEY"]
oa.api_base = os.environ["OPENAI_API_BASE"]

parts = []
for chunk in oa.ChatCompletion.create(
    model="gpt-3.5-turbo",
    messages=[{"role": "user", "content": "tell me a story"}],
    stream=True,
):
    delta = chunk["choices"][0]["delta"]
    if "role" in delta:
        print("role:", delta["role"])
    parts.append(delta.get("content", ""))
    if chunk["choices"][0]["finish_reason"]:
        print("finish:", chunk["choices"][0]["finish_reason"])
print("text:", "".join(parts).strip())
