"""openai-v1 cases for response access, removed helper modules, and code left alone."""

from __future__ import annotations

from depsentry.codemods.interface import Case

from .cases import ASYNC_HEAD, ASYNC_ONLY, GLOBAL, async_helpers, helper, sync

RESPONSES = (
    Case(
        'import openai\n\nfor chunk in openai.ChatCompletion.create(model="m", messages=[], stream=True):\n'
        '    delta = chunk["choices"][0]["delta"]\n    if "content" in delta:\n'
        '        print(delta.get("content", ""), end="")\n',
        sync()
        + 'for chunk in _get_client().chat.completions.create(model="m", messages=[], stream=True):\n'
        "    delta = chunk.choices[0].delta\n    if delta.content is not None:\n"
        '        print((delta.content or ""), end="")\n',
        name="streaming",
    ),
    Case(
        "import openai\n\n\nasync def stream(q):\n"
        '    async for chunk in await openai.ChatCompletion.acreate(model="m", messages=q, stream=True):\n'
        '        yield chunk["choices"][0]["delta"].get("content")\n',
        ASYNC_ONLY + "async def stream(q):\n"
        '    async for chunk in await _get_async_client().chat.completions.create(model="m", messages=q, stream=True):\n'
        "        yield chunk.choices[0].delta.content\n",
        name="async-streaming",
    ),
    Case(
        "import openai\n\n\nclass Bot:\n    def ask(self, q):\n"
        '        self.last = openai.ChatCompletion.create(model="m", messages=q)\n'
        '        return self.last["choices"][0]["message"]["content"]\n\n'
        '    def raw(self):\n        return openai.ChatCompletion.create(model="m", messages=[])\n\n'
        '    def use(self):\n        return self.raw()["usage"]["total_tokens"]\n',
        sync() + "class Bot:\n    def ask(self, q):\n"
        '        self.last = _get_client().chat.completions.create(model="m", messages=q)\n'
        "        return self.last.choices[0].message.content\n\n"
        '    def raw(self):\n        return _get_client().chat.completions.create(model="m", messages=[])\n\n'
        "    def use(self):\n        return self.raw().usage.total_tokens\n",
        name="methods-attributes-and-returns",
    ),
    Case(
        'import openai\n\n\ndef outer():\n    resp = openai.Completion.create(model="m", prompt="p")\n\n'
        '    def inner():\n        return resp["choices"][0]["text"]\n\n    return inner()\n',
        sync()
        + 'def outer():\n    resp = _get_client().completions.create(model="m", prompt="p")\n\n'
        "    def inner():\n        return resp.choices[0].text\n\n    return inner()\n",
        name="nested-function-closure",
    ),
    Case(
        'import openai\n\nr = openai.ChatCompletion.create(model="m", messages=[])\n'
        'for i, choice in enumerate(r["choices"]):\n    print(i, choice["message"]["content"])\n',
        sync() + 'r = _get_client().chat.completions.create(model="m", messages=[])\n'
        "for i, choice in enumerate(r.choices):\n    print(i, choice.message.content)\n",
        name="enumerate-loop",
    ),
    Case(
        'import json\nimport openai\n\nr = openai.ChatCompletion.create(model="m", messages=[])\n'
        'print(json.dumps(r, indent=2))\nmsg = r["choices"][0]["message"]\nif msg.get("function_call"):\n'
        '    args = json.loads(msg["function_call"]["arguments"])\n',
        "import functools\nimport json\nimport os\n\nimport openai\nfrom openai import OpenAI\n"
        + helper()
        + 'r = _get_client().chat.completions.create(model="m", messages=[])\n'
        "print(r.model_dump_json(indent=2))\nmsg = r.choices[0].message\nif msg.function_call:\n"
        "    args = json.loads(msg.function_call.arguments)\n",
        name="get-and-json-dumps",
    ),
    Case(
        'import openai\n\npage = openai.File.list()\nfor f in page.auto_paging_iter():\n    print(f["id"])\n'
        "d = page.to_dict_recursive()\n",
        sync() + "page = _get_client().files.list()\nfor f in page:\n    print(f.id)\n"
        "d = page.model_dump()\n",
        name="pagination-and-to-dict",
    ),
    Case(
        'import openai\n\nr = openai.ChatCompletion.create(model="m", messages=[])\nname = r.get("model", "x")\n',
        sync() + 'r = _get_client().chat.completions.create(model="m", messages=[])\n'
        "# TODO(depsentry): v1 responses are models: .get('model', default) needs `x.model` with an "
        'explicit None check\nname = r.get("model", "x")\n',
        name="get-with-truthy-default-todo",
    ),
    Case(
        "import asyncio\nimport openai\n\n\nasync def ask(q):\n"
        '    r = await openai.ChatCompletion.acreate(model="m", messages=q)\n'
        '    return r["choices"][0]["message"]["content"]\n',
        ASYNC_HEAD.replace("import asyncio\nimport os", "import asyncio\nimport os")
        + async_helpers()
        + "async def ask(q):\n"
        '    r = await _get_async_client().chat.completions.create(model="m", messages=q)\n'
        "    return r.choices[0].message.content\n",
        GLOBAL,
        name="global-async-uses-async-client",
    ),
    Case(
        'import openai\n\n\ndef rows(texts):\n    return openai.Embedding.create(model="e", input=texts)["data"]\n\n\n'
        'def vector(text):\n    return openai.Embedding.create(model="e", input=[text])["data"][0]["embedding"]\n\n\n'
        'first, rest = rows(["a", "b"])[0]["embedding"], rows(["c"])[1:]\nhead = vector("x")[:3]\n'
        'answer = openai.Completion.create(model="m", prompt="p")["choices"][0]["text"]\nprint(answer[:10])\n',
        sync()
        + 'def rows(texts):\n    return _get_client().embeddings.create(model="e", input=texts).data\n\n\n'
        'def vector(text):\n    return _get_client().embeddings.create(model="e", input=[text]).data[0].embedding\n\n\n'
        'first, rest = rows(["a", "b"])[0].embedding, rows(["c"])[1:]\nhead = vector("x")[:3]\n'
        'answer = _get_client().completions.create(model="m", prompt="p").choices[0].text\nprint(answer[:10])\n',
        name="slices-and-plain-values-need-no-todo",
    ),
)

HELPERS = (
    Case(
        'from unittest import mock\n\n\n@mock.patch("openai.ChatCompletion.create")\ndef test_chat(create):\n'
        "    pass\n",
        "from unittest import mock\n\n\n# TODO(depsentry): mock target 'openai.ChatCompletion.create' "
        "names the v0 API: patch 'openai.resources.chat.completions.Completions.create' instead\n"
        '@mock.patch("openai.ChatCompletion.create")\ndef test_chat(create):\n    pass\n',
        name="mock-target-todo",
    ),
    Case(
        "from openai.openai_object import OpenAIObject\n",
        "# TODO(depsentry): openai.openai_object was removed in v1: responses are pydantic models "
        "(openai.BaseModel; types in openai.types)\nfrom openai.openai_object import OpenAIObject\n",
        name="removed-module-todo",
    ),
    Case(
        'from openai.embeddings_utils import get_embedding, cosine_similarity\n\ne = get_embedding("t")\n'
        "s = cosine_similarity(e, e)\n",
        "# TODO(depsentry): openai.embeddings_utils was removed in v1: see the TODOs at its uses\n"
        "from openai.embeddings_utils import get_embedding, cosine_similarity\n\n"
        "# TODO(depsentry): openai.embeddings_utils.get_embedding was removed in v1: use "
        "client.embeddings.create(input=[text], model=...).data[0].embedding\n"
        'e = get_embedding("t")\n'
        "# TODO(depsentry): openai.embeddings_utils.cosine_similarity was removed in v1: use numpy: "
        "np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))\ns = cosine_similarity(e, e)\n",
        name="embeddings-utils-todo",
    ),
    Case(
        "import openai\n\nd = openai.util.convert_to_dict(x)\n",
        "import openai\n\n# TODO(depsentry): openai.util.convert_to_dict was removed in v1: "
        "response.model_dump()\nd = openai.util.convert_to_dict(x)\n",
        name="util-todo",
    ),
)

NOOPS = (
    Case(
        'def f(openai):\n    return openai.ChatCompletion.create(model="m")\n',
        name="noop-parameter",
    ),
    Case(
        'import openai\n\n\ndef f():\n    openai = FakeClient()\n    return openai.ChatCompletion.create(model="m")\n',
        name="noop-shadowed-module",
    ),
    Case(
        '# openai.ChatCompletion.create(model="m")\nx = "openai.ChatCompletion.create(model=\'m\')"\n',
        name="noop-comment-and-string",
    ),
    Case(
        'from openai import OpenAI\n\nclient = OpenAI()\nr = client.chat.completions.create(model="m")\n'
        "print(r.choices[0].message.content)\n",
        name="noop-already-v1",
    ),
    Case(
        'from mylib import openai\n\nopenai.ChatCompletion.create(model="m")\n',
        name="noop-other-openai",
    ),
    Case(
        'from .openai import ChatCompletion\n\nChatCompletion.create(model="m")\n',
        name="noop-relative",
    ),
    Case(
        'import openai\n\ndata = {"choices": [1]}\nprint(data["choices"])\n', name="noop-plain-dict"
    ),
    Case(
        "import openai\n\ntry:\n    pass\nexcept openai.APIError:\n    pass\n", name="noop-v1-error"
    ),
    Case('import openai\n\nopenai.api_key = "sk-1"\n', name="noop-api-key-only"),
    Case('import openai\n\nopenai.api_key = "sk-1"\n', options=GLOBAL, name="noop-global-api-key"),
    Case(
        'import openai\n\nr = openai.chat.completions.create(model="m")\nprint(r.choices[0].message.content)\n',
        options=GLOBAL,
        name="noop-global-already-v1",
    ),
)
