"""Azure chosen by the environment only, as 0.x allowed: OPENAI_API_TYPE=azure and friends."""
# behaviour: env=OPENAI_API_TYPE=azure,OPENAI_API_BASE={root},OPENAI_API_VERSION=2023-05-15
import openai

response = openai.ChatCompletion.create(
    engine="my-deployment", messages=[{"role": "user", "content": "hi azure"}]
)
print(response["model"], response["id"], response["choices"][0]["message"]["content"])
