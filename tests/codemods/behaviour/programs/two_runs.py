"""Two asyncio.run() calls in one process, each making an async call (acreate)."""
import asyncio

import openai


async def ask(question):
    response = await openai.ChatCompletion.acreate(
        model="gpt-3.5-turbo", messages=[{"role": "user", "content": question}]
    )
    return response["choices"][0]["message"]["content"]


print(asyncio.run(ask("first run")))
print(asyncio.run(ask("second run")))
