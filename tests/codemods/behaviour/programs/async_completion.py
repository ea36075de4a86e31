"""A legacy completion and an async chat call (acreate), v0 style."""
import asyncio
import os

import openai

openai.api_key = os.environ["OPENAI_API_KEY"]
openai.api_base = os.environ["OPENAI_API_BASE"]


def complete(prompt):
    response = openai.Completion.create(model="gpt-3.5-turbo-instruct", prompt=prompt, max_tokens=5)
    return response["choices"][0]["text"]


async def achat(question):
    response = await openai.ChatCompletion.acreate(
        model="gpt-3.5-turbo", messages=[{"role": "user", "content": question}]
    )
    return response["choices"][0]["message"]["content"]


async def main():
    print(complete("once upon"))
    answers = await asyncio.gather(achat("first"), achat("second"))
    for answer in answers:
        print(answer)


asyncio.run(main())
