"""A key per tenant, set just before each call: every call must go out with its own key."""
import openai


def ask(tenant_key, question):
    openai.api_key = tenant_key
    response = openai.ChatCompletion.create(
        model="gpt-3.5-turbo", messages=[{"role": "user", "content": question}]
    )
    return response["id"]


for key in ["sk-tenant-a", "sk-tenant-b", "sk-tenant-a"]:
    print(ask(key, "hello"))
