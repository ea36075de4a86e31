"""Configuration from the environment only, as 0.x read it: OPENAI_API_BASE, OPENAI_ORGANIZATION."""
import openai


def ask(question):
    response = openai.ChatCompletion.create(
        model="gpt-3.5-turbo", messages=[{"role": "user", "content": question}]
    )
    return response["id"], response["choices"][0]["message"]["content"]


print(*ask("who am I"))
