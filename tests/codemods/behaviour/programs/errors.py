"""Error handling, v0 style: openai.error.* in attribute and import forms."""
import os

import openai
from openai.error import InvalidRequestError

openai.api_key = os.environ["OPENAI_API_KEY"]
openai.api_base = os.environ["OPENAI_API_BASE"]


def call(model):
    try:
        openai.ChatCompletion.create(model=model, messages=[{"role": "user", "content": "hi"}])
    except openai.error.RateLimitError:
        print(model, "-> rate limited")
    except InvalidRequestError:
        print(model, "-> invalid request")
    except openai.error.APIError:
        print(model, "-> other API error")
    else:
        print(model, "-> ok")


for model in ["gpt-3.5-turbo", "rate-limited", "no-such-model"]:
    call(model)
