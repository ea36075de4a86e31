"""Error handling, v0 style: openai.error.* in attribute and import forms, handler order."""
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


def api_error_first(model):
    # In 0.x APIError did not cover rate limits: the second handler is reached.
    try:
        openai.ChatCompletion.create(model=model, messages=[{"role": "user", "content": "hi"}])
    except openai.error.APIError:
        print(model, "-> API error (first handler)")
    except openai.error.RateLimitError:
        print(model, "-> rate limited (second handler)")


for model in ["gpt-3.5-turbo", "rate-limited", "no-such-model", "gone", "broken", "forbidden"]:
    try:
        call(model)
    except Exception:
        print(model, "-> escaped the handlers")
for model in ["rate-limited", "broken"]:
    api_error_first(model)
