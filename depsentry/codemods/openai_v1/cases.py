"""Before/after examples of the openai-v1 codemod; tests/codemods run every one."""

from __future__ import annotations

from depsentry.codemods.interface import Case

from .casekit import ASYNC_ONLY, GLOBAL, args, helper, sync
from .cases_responses import HELPERS, NOOPS, RESPONSES

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
        'r2 = openai.Completion.create(engine="davinci", prompt="x", api_version="2023-05-15")\n',
        sync()
        + 'r = _get_client().with_options(api_key=KEY).chat.completions.create(model="m", messages=[], timeout=5)\n'
        "# TODO(depsentry): openai.Completion.create: per-call api_version= was removed in v1; set it on the client\n"
        'r2 = _get_client().completions.create(model="davinci", prompt="x", api_version="2023-05-15")\n',
        name="per-call-options",
    ),
    Case(
        "import openai as oa\nfrom openai import ChatCompletion as CC, Embedding\n\n\ndef f():\n"
        '    r = CC.create(model="m", messages=[])\n    e = Embedding.create(model="e", input="x")\n'
        '    return r, e, oa.Completion.create(model="m", prompt="p")\n',
        "import openai as oa\nfrom openai import OpenAI\nimport functools\n"
        + helper(
            "_get_client",
            "OpenAI",
            "api_key=oa.api_key, organization=oa.organization, base_url=oa.base_url",
        )
        + "def f():\n"
        '    r = _get_client().chat.completions.create(model="m", messages=[])\n'
        '    e = _get_client().embeddings.create(model="e", input="x")\n'
        '    return r, e, _get_client().completions.create(model="m", prompt="p")\n',
        name="aliases",
    ),
    Case(
        'from openai import ChatCompletion\n\nr = ChatCompletion.create(model="m")\n',
        "from openai import OpenAI\nimport functools\nimport openai\n"
        + helper("_get_client", "OpenAI", args())
        + 'r = _get_client().chat.completions.create(model="m")\n',
        name="from-import-only",
    ),
    Case(
        'from openai import ChatCompletion\n\nr = ChatCompletion.create(model="m")\n',
        'import openai\n\nr = openai.chat.completions.create(model="m")\n',
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
        'import openai as oa\n\nr = oa.chat.completions.create(model="m")\n'
        's = oa.completions.create(model="m", prompt="p")\n',
        GLOBAL,
        name="global-aliases",
    ),
)

SETTINGS = (
    Case(
        'import os\nimport openai\n\nopenai.api_key = os.environ["KEY"]\nopenai.api_base = BASE\n\n'
        'r = openai.ChatCompletion.create(model="m", messages=[])\n',
        "import os\nimport openai\nimport functools\nfrom openai import OpenAI\n"
        + helper("_get_client", "OpenAI", args(api_key='os.environ["KEY"]', base_url="BASE"))
        + 'r = _get_client().chat.completions.create(model="m", messages=[])\n',
        name="settings-move-into-client",
    ),
    Case(
        "import openai\n\nopenai.api_key = KEY\nopenai.api_base = BASE\n\n"
        'r = openai.ChatCompletion.create(model="m", messages=[])\n',
        'import openai\n\nopenai.api_key = KEY\nopenai.base_url = BASE.rstrip("/") + "/"\n\n'
        'r = openai.chat.completions.create(model="m", messages=[])\n',
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
        sync(
            "api_key=KEY, organization=openai.organization, "
            'azure_endpoint="https://x.openai.azure.com/", api_version="2023-05-15"',
            "AzureOpenAI",
        )
        + 'r = _get_client().chat.completions.create(model="gpt35", messages=[])\n',
        name="azure",
    ),
    Case(
        'import openai\n\nopenai.api_type = "azure"\nopenai.api_base = "https://x.openai.azure.com/"\n\n'
        'r = openai.ChatCompletion.create(deployment_id="gpt35", messages=[])\n',
        'import openai\n\nopenai.api_type = "azure"\nopenai.azure_endpoint = "https://x.openai.azure.com/"\n\n'
        'r = openai.chat.completions.create(model="gpt35", messages=[])\n',
        GLOBAL,
        name="global-azure",
    ),
    Case(
        'import openai\n\nopenai.api_key = "sk-1"\nopenai.proxy = "http://proxy:3128"\nopenai.debug = True\n\n'
        'openai.ChatCompletion.create(model="m", messages=[])\n',
        "import openai\nimport functools\nfrom openai import OpenAI\n"
        + helper("_get_client", "OpenAI", args(api_key='"sk-1"'))
        + "# TODO(depsentry): openai.proxy was removed: pass http_client=httpx.Client(proxy=...) to the "
        "client (openai.DefaultHttpxClient(proxy=...) keeps the SDK defaults)\n"
        'openai.proxy = "http://proxy:3128"\n'
        "# TODO(depsentry): openai.debug was removed in v1 and is ignored\nopenai.debug = True\n\n"
        '_get_client().chat.completions.create(model="m", messages=[])\n',
        name="proxy-and-removed-settings",
    ),
    Case(
        "import openai\n\n\ndef main(key):\n    openai.api_key = key\n"
        '    return openai.ChatCompletion.create(model="m", messages=[])\n',
        sync() + "def main(key):\n    openai.api_key = key\n"
        '    return _get_client().chat.completions.create(model="m", messages=[])\n',
        name="nested-setting-read-by-helper",
    ),
)

ERRORS = (
    Case(
        "import openai\nfrom tenacity import retry\n\n\n@retry\ndef ask():\n"
        '    return openai.Completion.create(prompt="p")\n',
        "import openai\nfrom tenacity import retry\nimport functools\nfrom openai import OpenAI\n"
        + helper("_get_client", "OpenAI", args())
        + "# TODO(depsentry): v1 clients retry connection errors, 408, 409, 429 and 5xx themselves "
        "(max_retries=2): drop this retry or set max_retries=0 on the client\n"
        '@retry\ndef ask():\n    return _get_client().completions.create(prompt="p")\n',
        name="retry-decorator-todo",
    ),
    Case(
        "import openai\n\ntry:\n    pass\nexcept (openai.error.ServiceUnavailableError, openai.error.TryAgain):\n"
        "    pass\nexcept openai.error.PermissionError:\n    pass\nexcept openai.error.Timeout:\n    pass\n",
        "import openai\n\ntry:\n    pass\nexcept (openai.InternalServerError, openai.ConflictError):\n"
        "    pass\nexcept openai.PermissionDeniedError:\n    pass\nexcept openai.APITimeoutError:\n    pass\n",
        name="errors-attribute-form",
    ),
    Case(
        "from openai.error import InvalidRequestError, RateLimitError as RLE\n\n"
        "try:\n    pass\nexcept InvalidRequestError as e:\n    print(e)\nexcept RLE:\n    pass\n",
        "from openai import BadRequestError, RateLimitError as RLE\n\n"
        "try:\n    pass\nexcept BadRequestError as e:\n    print(e)\nexcept RLE:\n    pass\n",
        name="errors-import-form",
    ),
    Case(
        "import openai.error\n\nok = isinstance(exc, openai.error.AuthenticationError)\n",
        "import openai\n\nok = isinstance(exc, openai.AuthenticationError)\n",
        name="errors-import-submodule",
    ),
    Case(
        "import openai\n\nexcept_ = openai.InvalidRequestError\n",
        "import openai\n\nexcept_ = openai.BadRequestError\n",
        name="errors-root-reexport",
    ),
    Case(
        "import openai\n\ntry:\n    pass\nexcept openai.error.SignatureVerificationError:\n    pass\n",
        "import openai\n\ntry:\n    pass\n# TODO(depsentry): openai.error.SignatureVerificationError has no v1 "
        "equivalent (webhook signatures: client.webhooks.verify_signature)\n"
        "except openai.error.SignatureVerificationError:\n    pass\n",
        name="errors-without-equivalent",
    ),
)


CASES: tuple[Case, ...] = (*CALLS, *SETTINGS, *ERRORS, *RESPONSES, *HELPERS, *NOOPS)
