"""Call options in a **params dict: engine= and request_timeout=, which 1.x rejects."""
import openai

params = {"engine": "gpt-3.5-turbo", "request_timeout": 30, "temperature": 0}


def ask(question):
    response = openai.ChatCompletion.create(
        messages=[{"role": "user", "content": question}], **params
    )
    return response["model"], response["choices"][0]["message"]["content"]


print(*ask("with params"))
