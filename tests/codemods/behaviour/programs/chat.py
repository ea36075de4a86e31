"""Chat completion, v0 style: module settings, dict-style response access."""
import os

import openai

openai.api_key = os.environ["OPENAI_API_KEY"]
openai.api_base = os.environ["OPENAI_API_BASE"]


def ask(question):
    response = openai.ChatCompletion.create(
        model="gpt-3.5-turbo",
        messages=[{"role": "user", "content": question}],
        temperature=0,
        request_timeout=30,
    )
    return response


def main():
    response = ask("hello there")
    message = response["choices"][0]["message"]
    print(message["role"], "|", message["content"])
    print("finish:", response["choices"][0]["finish_reason"])
    print("tokens:", response["usage"]["total_tokens"])


if __name__ == "__main__":
    main()
