"""Before/after examples of the openai-v1 codemod; tests/codemods run every one.

The builders below write, as literal text, what the inserted helpers look like; transform.py
collects these cases and those of cases_errors.py and cases_responses.py into CASES.
"""

from __future__ import annotations

from depsentry.codemods.interface import Case

GLOBAL = {"mode": "global"}
ENV = (
    "    # 0.x read OPENAI_API_BASE and OPENAI_ORGANIZATION (1.x: OPENAI_BASE_URL, OPENAI_ORG_ID)\n"
)
HEAD = "import functools\nimport os\n\nimport openai\nfrom openai import OpenAI\n"
ASYNC_HEAD = "import asyncio\nimport os\n\nimport openai\nfrom openai import AsyncOpenAI\n"


def construct(cls: str = "OpenAI", module: str = "openai", **moved: str) -> str:
    """A helper's `return Cls(...)`: a moved setting, else the module's or 0.x's variable."""
    key = moved.get("api_key", f"{module}.api_key")
    org = moved.get(
        "organization", f'{module}.organization or os.environ.get("OPENAI_ORGANIZATION")'
    )
    base = moved.get("base_url", f'{module}.base_url or os.environ.get("OPENAI_API_BASE")')
    head = ENV if "environ" in org + base else ""
    return (
        f"{head}    return {cls}(\n        api_key={key},\n        organization={org},\n"
        f"        base_url={base},\n    )\n"
    )


def helper(body: str = "", name: str = "_get_client", cls: str = "OpenAI") -> str:
    """The cached sync helper, with the blank lines around it."""
    return f"\n\n@functools.cache\ndef {name}() -> {cls}:\n{body or construct(cls)}\n\n"


def async_helpers(body: str = "", cls: str = "AsyncOpenAI") -> str:
    """The per-event-loop async helper and its factory, with the blank lines around them."""
    return (
        f"\n_async_clients: dict[asyncio.AbstractEventLoop, {cls}] = {{}}\n\n\n"
        f"def _get_async_client() -> {cls}:\n"
        "    # One client per event loop: an async client cannot be used again once its loop closed.\n"
        "    try:\n        loop = asyncio.get_running_loop()\n"
        "    except RuntimeError:  # not in a loop yet, as in asyncio.run(<this call>)\n"
        "        return _new_async_client()\n    if loop not in _async_clients:\n"
        "        for closed in [other for other in _async_clients if other.is_closed()]:\n"
        "            del _async_clients[closed]\n"
        "        _async_clients[loop] = _new_async_client()\n    return _async_clients[loop]\n\n\n"
        f"def _new_async_client() -> {cls}:\n{body or construct(cls)}\n\n"
    )


def sync(body: str = "", head: str = HEAD) -> str:
    """What instance mode makes of a module that starts with `import openai`."""
    return head + helper(body)


def env_block(module: str = "openai") -> str:
    """What global mode sets from 0.x's environment variables before the first use."""
    return (
        f'{ENV.strip()}\nif {module}.base_url is None and os.environ.get("OPENAI_API_BASE"):\n'
        f'    {module}.base_url = os.environ["OPENAI_API_BASE"].rstrip("/") + "/"\n'
        f"if {module}.organization is None:\n"
        f'    {module}.organization = os.environ.get("OPENAI_ORGANIZATION")\n\n'
    )


ASYNC_ONLY = ASYNC_HEAD + async_helpers()
AZURE_SWITCH = (
    '    api_type = os.environ.get("OPENAI_API_TYPE", "open_ai")  # as in 0.x\n'
    '    if api_type in ("azure", "azure_ad", "azuread"):\n'
    "        return AzureOpenAI(\n"
    '            api_key=(openai.api_key or os.environ.get("OPENAI_API_KEY")) if api_type == "azure" else None,\n'
    '            azure_ad_token=None if api_type == "azure" else (openai.api_key or os.environ.get("OPENAI_API_KEY")),\n'
    '            organization=openai.organization or os.environ.get("OPENAI_ORGANIZATION"),\n'
    '            azure_endpoint=openai.azure_endpoint or os.environ.get("OPENAI_API_BASE"),\n'
    '            api_version=openai.api_version or "2023-05-15",\n'
    "        )\n"
) + construct()

CALLS = (
    Case(
        'import openai\n\nr = openai.ChatCompletion.create(model="m", messages=[])\n'
        'print(r["choices"][0]["message"]["content"])\n',
        sync() + 'r = _get_client().chat.completions.create(model="m", messages=[])\n'
        "print(r.choices[0].message.content)\n",
        name="chat-completion",
    ),
    Case(
        'import openai\n\nr = openai.Completion.create(model="davinci-002", prompt="hi")\n'
        'print(r["choices"][0]["text"])\n',
        sync() + 'r = _get_client().completions.create(model="davinci-002", prompt="hi")\n'
        "print(r.choices[0].text)\n",
        name="completion",
    ),
    Case(
        'import openai\n\nr = openai.Embedding.create(model="e", input=t)\nv = r["data"][0]["embedding"]\n',
        sync()
        + 'r = _get_client().embeddings.create(model="e", input=t)\nv = r.data[0].embedding\n',
        name="embedding",
    ),
    Case(
        'import openai\n\nm = openai.Moderation.create("some text")\n'
        'print(m["results"][0]["categories"]["self-harm"])\n',
        sync() + 'm = _get_client().moderations.create(input="some text")\n'
        "print(m.results[0].categories.self_harm)\n",
        name="moderation-positional-and-aliased-field",
    ),
    Case(
        'import openai\n\nimg = openai.Image.create(prompt="a cat", n=1)\nurl = img["data"][0]["url"]\n'
        'e = openai.Image.create_edit(image_file, mask_file, prompt="hat")\n'
        "v = openai.Image.create_variation(image=image_file, n=2)\n",
        sync() + 'img = _get_client().images.generate(prompt="a cat", n=1)\nurl = img.data[0].url\n'
        'e = _get_client().images.edit(image=image_file, mask=mask_file, prompt="hat")\n'
        "v = _get_client().images.create_variation(image=image_file, n=2)\n",
        name="images",
    ),
    Case(
        'import openai\n\ntext = openai.Audio.transcribe("whisper-1", f)["text"]\n'
        'english = openai.Audio.translate("whisper-1", f, prompt="x")\n',
        sync()
        + 'text = _get_client().audio.transcriptions.create(model="whisper-1", file=f).text\n'
        'english = _get_client().audio.translations.create(model="whisper-1", file=f, prompt="x")\n',
        name="audio-positional-to-keywords",
    ),
    Case(
        'import openai\n\nf = openai.File.create(file=fh, purpose="fine-tune")\n'
        'data = openai.File.download(f["id"])\nopenai.File.delete(f.id)\n'
        'info = openai.File.retrieve(id="file-1")\n',
        sync() + 'f = _get_client().files.create(file=fh, purpose="fine-tune")\n'
        "data = _get_client().files.content(file_id=f.id).content\n"
        "_get_client().files.delete(file_id=f.id)\n"
        'info = _get_client().files.retrieve(file_id="file-1")\n',
        name="files-and-download-bytes",
    ),
    Case(
        "import openai\n\njob = openai.FineTuningJob.create(training_file=t, model=m)\n"
        "jobs = openai.FineTuningJob.list(limit=10, starting_after=cursor)\n"
        'openai.FineTuningJob.cancel(job["id"])\n'
        "events = openai.FineTuningJob.list_events(id=job.id, limit=5)\n",
        sync() + "job = _get_client().fine_tuning.jobs.create(training_file=t, model=m)\n"
        "jobs = _get_client().fine_tuning.jobs.list(limit=10, after=cursor)\n"
        "_get_client().fine_tuning.jobs.cancel(fine_tuning_job_id=job.id)\n"
        "events = _get_client().fine_tuning.jobs.list_events(fine_tuning_job_id=job.id, limit=5)\n",
        name="fine-tuning-jobs",
    ),
    Case(
        'import openai\n\nmodels = openai.Model.list()\nprint([m["id"] for m in models["data"]])\n'
        'openai.Model.retrieve("gpt-4")\n',
        sync() + "models = _get_client().models.list()\nprint([m.id for m in models.data])\n"
        '_get_client().models.retrieve(model="gpt-4")\n',
        name="models-and-comprehension",
    ),
    Case(
        "import openai\n\n\nasync def go():\n"
        '    r = await openai.Embedding.acreate(model="e", input="x")\n'
        '    data = await openai.File.adownload("file-1")\n'
        '    return r["data"][0]["embedding"]\n',
        ASYNC_ONLY + "async def go():\n"
        '    r = await _get_async_client().embeddings.create(model="e", input="x")\n'
        '    data = (await _get_async_client().files.content(file_id="file-1")).content\n'
        "    return r.data[0].embedding\n",
        name="async-variants",
    ),
    Case(
        "import openai\n\nopenai.Engine.list()\n",
        "import openai\n\n# TODO(depsentry): openai.Engine was removed in v1: pass the engine name as "
        "model= and use client.models for listing\nopenai.Engine.list()\n",
        name="removed-resource",
    ),
    Case(
        'import openai\n\nr = openai.ChatCompletion.create(model="m", messages=[], api_key=KEY, request_timeout=5)\n'
        'r2 = openai.Completion.create(model="davinci", prompt="x", api_version="2023-05-15")\n',
        sync(AZURE_SWITCH, HEAD.replace("import OpenAI", "import AzureOpenAI, OpenAI"))
        + 'r = _get_client().with_options(api_key=KEY).chat.completions.create(model="m", messages=[], timeout=5)\n'
        "# TODO(depsentry): openai.Completion.create: per-call api_version= was removed in v1; set it on the client\n"
        'r2 = _get_client().completions.create(model="davinci", prompt="x", api_version="2023-05-15")\n',
        name="per-call-options",
    ),
    Case(
        "import openai as oa\nfrom openai import ChatCompletion as CC, Embedding\n\n\ndef f():\n"
        '    r = CC.create(model="m", messages=[])\n    e = Embedding.create(model="e", input="x")\n'
        '    return r, e, oa.Completion.create(model="m", prompt="p")\n',
        "import functools\nimport os\n\nimport openai as oa\nfrom openai import OpenAI\n"
        + helper(construct(module="oa"))
        + "def f():\n"
        '    r = _get_client().chat.completions.create(model="m", messages=[])\n'
        '    e = _get_client().embeddings.create(model="e", input="x")\n'
        '    return r, e, _get_client().completions.create(model="m", prompt="p")\n',
        name="aliases",
    ),
    Case(
        'from openai import ChatCompletion\n\nr = ChatCompletion.create(model="m")\n',
        sync() + 'r = _get_client().chat.completions.create(model="m")\n',
        name="from-import-only",
    ),
    Case(
        'from openai import ChatCompletion\n\nr = ChatCompletion.create(model="m")\n',
        "import os\n\nimport openai\n\n"
        + env_block()
        + 'r = openai.chat.completions.create(model="m")\n',
        GLOBAL,
        name="global-from-import-only",
    ),
    Case(
        'import openai\n\nr = openai.Completion.create(prompt="p", request_timeout=(5, 30))\n',
        sync() + "# TODO(depsentry): openai.Completion.create: v1 timeout= takes seconds or a "
        "Timeout(read, connect=...), not a (connect, read) tuple\n"
        'r = _get_client().completions.create(prompt="p", timeout=(5, 30))\n',
        name="timeout-tuple-todo",
    ),
    Case(
        'import openai as oa\nfrom openai import ChatCompletion as CC\n\nr = CC.create(model="m")\n'
        's = oa.Completion.create(model="m", prompt="p")\n',
        "import os\n\nimport openai as oa\n\n"
        + env_block("oa")
        + 'r = oa.chat.completions.create(model="m")\n'
        's = oa.completions.create(model="m", prompt="p")\n',
        GLOBAL,
        name="global-aliases",
    ),
)

PARAMS = (
    Case(
        'import openai\n\nparams = {"engine": "davinci", "request_timeout": 5}\n'
        'r = openai.Completion.create(prompt="p", **params)\n',
        HEAD.replace("import OpenAI", "import AzureOpenAI, OpenAI")
        + '\nparams = {"model": "davinci", "timeout": 5}\n'
        + helper(AZURE_SWITCH)
        + 'r = _get_client().completions.create(prompt="p", **params)\n',
        name="params-dict-renamed",
    ),
    Case(
        'import openai\n\nr = openai.Completion.create(prompt="p", **{"request_timeout": 5})\n'
        'e = openai.Embedding.create(input="x", **dict(request_timeout=9))\n',
        sync() + 'r = _get_client().completions.create(prompt="p", **{"timeout": 5})\n'
        'e = _get_client().embeddings.create(input="x", **dict(timeout=9))\n',
        name="params-inline-literals",
    ),
    Case(
        'import openai\n\n\ndef chat(**kwargs):\n    return openai.ChatCompletion.create(model="m", **kwargs)\n',
        sync() + "def chat(**kwargs):\n"
        "    # TODO(depsentry): openai.ChatCompletion.create: **kwargs may hold 0.x keywords v1 "
        "rejects with a TypeError (engine, deployment_id, request_timeout, api_key, api_base, ...): "
        "rename or move them\n"
        '    return _get_client().chat.completions.create(model="m", **kwargs)\n',
        name="params-opaque-todo",
    ),
    Case(
        'import openai\n\nparams = {"model": "m", "api_key": KEY}\nparams_used = params\n'
        'r = openai.Completion.create(prompt="p", **params)\n',
        HEAD
        + '\nparams = {"model": "m", "api_key": KEY}\nparams_used = params\n'
        + helper()
        + "# TODO(depsentry): openai.Completion.create: **params may hold 0.x keywords v1 rejects "
        "with a TypeError (engine, deployment_id, request_timeout, api_key, api_base, ...): rename "
        "or move them\n"
        'r = _get_client().completions.create(prompt="p", **params)\n',
        name="params-shared-dict-todo",
    ),
    Case(
        'import openai\n\nparams = {"model": "m", "api_key": KEY}\n'
        'r = openai.Completion.create(prompt="p", **params)\n',
        HEAD
        + "\n# TODO(depsentry): **params: per-call api_key= was removed in v1; take it out of the "
        "dict and call the client's .with_options(api_key=...)\n"
        'params = {"model": "m", "api_key": KEY}\n'
        + helper()
        + 'r = _get_client().completions.create(prompt="p", **params)\n',
        name="params-client-option-todo",
    ),
)

SETTINGS = (
    Case(
        'import os\n\nimport openai\n\nopenai.api_key = os.environ["KEY"]\nopenai.api_base = BASE\n\n'
        'r = openai.ChatCompletion.create(model="m", messages=[])\n',
        "import functools\nimport os\n\nimport openai\nfrom openai import OpenAI\n"
        + helper(construct(api_key='os.environ["KEY"]', base_url="BASE"))
        + 'r = _get_client().chat.completions.create(model="m", messages=[])\n',
        name="settings-move-into-client",
    ),
    Case(
        "import openai\n\nopenai.api_key = KEY\nopenai.api_base = BASE\n\n"
        'r = openai.ChatCompletion.create(model="m", messages=[])\n',
        'import os\n\nimport openai\n\nopenai.api_key = KEY\nopenai.base_url = BASE.rstrip("/") + "/"\n\n'
        + env_block()
        + 'r = openai.chat.completions.create(model="m", messages=[])\n',
        GLOBAL,
        name="global-keeps-module-client",
    ),
    Case(
        'import openai\n\nopenai.api_base = "http://localhost:8000/v1"\n',
        'import openai\n\nopenai.base_url = "http://localhost:8000/v1/"\n',
        name="config-only-module-api-base",
    ),
    Case(
        'import openai\n\nopenai.api_type = "open_ai"\n',
        'import openai\n\nopenai.api_type = "openai"\n',
        GLOBAL,
        name="global-api-type-value",
    ),
    Case(
        'import openai\n\nopenai.api_type = "azure"\nopenai.api_base = "https://x.openai.azure.com/"\n'
        'openai.api_version = "2023-05-15"\nopenai.api_key = KEY\n\n'
        'r = openai.ChatCompletion.create(engine="gpt35", messages=[])\n',
        HEAD.replace("import OpenAI", "import AzureOpenAI")
        + helper(
            "    return AzureOpenAI(\n        api_key=KEY,\n"
            '        organization=openai.organization or os.environ.get("OPENAI_ORGANIZATION"),\n'
            '        azure_endpoint="https://x.openai.azure.com/",\n'
            '        api_version="2023-05-15",\n    )\n',
            cls="AzureOpenAI",
        )
        + 'r = _get_client().chat.completions.create(model="gpt35", messages=[])\n',
        name="azure",
    ),
    Case(
        'import openai\n\nopenai.api_type = "azure"\nopenai.api_base = "https://x.openai.azure.com/"\n\n'
        'r = openai.ChatCompletion.create(deployment_id="gpt35", messages=[])\n',
        'import os\n\nimport openai\n\nopenai.api_type = "azure"\nopenai.azure_endpoint = "https://x.openai.azure.com/"\n\n'
        "# 0.x read OPENAI_API_BASE, OPENAI_API_KEY and OPENAI_API_VERSION for Azure\n"
        "if openai.azure_endpoint is None:\n"
        '    openai.azure_endpoint = os.environ.get("OPENAI_API_BASE")\n'
        "if openai.api_key is None:\n"
        '    openai.api_key = os.environ.get("OPENAI_API_KEY")\n'
        "if openai.api_version is None:\n"
        '    openai.api_version = "2023-05-15"\n'
        "if openai.organization is None:\n"
        '    openai.organization = os.environ.get("OPENAI_ORGANIZATION")\n\n'
        'r = openai.chat.completions.create(model="gpt35", messages=[])\n',
        GLOBAL,
        name="global-azure",
    ),
    Case(
        'import openai\n\nopenai.api_key = "sk-1"\nopenai.proxy = "http://proxy:3128"\nopenai.debug = True\n\n'
        'openai.ChatCompletion.create(model="m", messages=[])\n',
        sync(construct(api_key='"sk-1"'))
        + "# TODO(depsentry): openai.proxy was removed: pass http_client=httpx.Client(proxy=...) to the "
        "client (openai.DefaultHttpxClient(proxy=...) keeps the SDK defaults)\n"
        'openai.proxy = "http://proxy:3128"\n'
        "# TODO(depsentry): openai.debug was removed in v1 and is ignored\nopenai.debug = True\n\n"
        '_get_client().chat.completions.create(model="m", messages=[])\n',
        name="proxy-and-removed-settings",
    ),
    Case(
        "import openai\n\n\ndef main(tenant):\n    openai.api_key = tenant.key\n"
        '    return openai.ChatCompletion.create(model="m", messages=[])\n\n\n'
        'def other():\n    return openai.Embedding.create(model="e", input="x")\n',
        sync() + "def main(tenant):\n    openai.api_key = tenant.key\n"
        "    return _get_client().with_options(api_key=openai.api_key).chat.completions.create("
        'model="m", messages=[])\n\n\n'
        "def other():\n"
        '    return _get_client().with_options(api_key=openai.api_key).embeddings.create(model="e", input="x")\n',
        name="per-request-key-goes-with-each-call",
    ),
    Case(
        "import openai\n\n\ndef use_tenant(tenant):\n    openai.api_key = tenant.key\n",
        "import openai\n\n\ndef use_tenant(tenant):\n"
        "    # TODO(depsentry): v1 clients read openai.api_key when they are built (on first use): "
        "if this runs more than once (per tenant or request), pass it with each call: "
        "client.with_options(api_key=...)\n"
        "    openai.api_key = tenant.key\n",
        name="per-request-key-without-calls-todo",
    ),
)
